package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/biometric"
)

func TestCatalogsComplete(t *testing.T) {
	tr, err := NewTranslator(assets.Translations(), LangVI)
	if err != nil {
		t.Fatal(err)
	}
	vi, en := tr.keys(LangVI), tr.keys(LangEN)
	if strings.Join(vi, ",") != strings.Join(en, ",") {
		t.Errorf("vi and en catalogs have different keys")
	}
	has := map[string]bool{}
	for _, k := range vi {
		has[k] = true
	}
	var need []string
	for _, c := range enroll.ErrorCodes() {
		need = append(need, "err."+c)
	}
	for _, d := range enroll.NumericSettings() {
		need = append(need, "setting."+d.Key, settingHelpKey(d.Key))
	}
	need = append(need, themeKey(ThemeLight), themeKey(ThemeDark))
	for _, how := range []string{"open", "print", "save"} {
		need = append(need, documentHowKey(how), documentHowKey(how)+"_done")
	}
	for _, c := range recordColumns() {
		need = append(need, c.head)
	}
	for _, k := range helpKeys() {
		need = append(need, k[1])
	}
	for _, c := range biometric.FaceCheckNames() {
		need = append(need, "check."+c)
	}
	for _, c := range biometric.FaceCheckCodes() {
		need = append(need, "face."+c)
	}
	for _, a := range enroll.AuditActions() { // the audit browser shows "audit."+action
		need = append(need, "audit."+a)
	}
	for _, c := range enroll.ReasonCodes() { // central's reasons for returning a record
		need = append(need, enroll.Reason{Code: c}.TranslationKey())
	}
	for _, b := range []enroll.BatchState{enroll.BatchReady, enroll.BatchUploaded, enroll.BatchRefused} {
		need = append(need, b.TranslationKey())
	}
	for _, f := range []enroll.Field{enroll.FieldOffice, enroll.FieldStation, enroll.FieldDate, enroll.FieldUsername} {
		need = append(need, "field."+string(f))
	}
	var words []enroll.Translatable
	for p := enroll.RightThumb; p <= enroll.LeftLittle; p++ {
		words = append(words, p)
	}
	for _, k := range enroll.AllIntegrationKinds() {
		words = append(words, k)
	}
	for _, r := range enroll.ExceptionReasons() {
		words = append(words, r)
	}
	for st := enroll.StepIdentify; st <= enroll.StepSaved; st++ {
		words = append(words, st)
	}
	for _, s := range []enroll.Status{enroll.StatusDraft, enroll.StatusComplete, enroll.StatusBatched, enroll.StatusUploaded,
		enroll.StatusReceived, enroll.StatusVerified, enroll.StatusRejected, enroll.StatusPurged} {
		words = append(words, s)
	}
	words = append(words, enroll.Male, enroll.Female, enroll.GenderUnknown, enroll.RoleOfficer, enroll.RoleSupervisor)
	for _, f := range []enroll.Field{enroll.FieldPersonalID, enroll.FieldOldID, enroll.FieldFullName, enroll.FieldDateOfBirth,
		enroll.FieldGender, enroll.FieldAddress, enroll.FieldIssueDate, enroll.FieldQR, enroll.FieldPhone, enroll.FieldEmail,
		enroll.FieldContact, enroll.FieldIntegration, enroll.FieldPortrait, enroll.FieldFingers, enroll.FieldConsent,
		enroll.FieldStatus, enroll.FieldFingerReason, enroll.FieldUsername, enroll.FieldPassword, enroll.FieldConfirm} {
		words = append(words, f)
	}
	for _, w := range words {
		need = append(need, w.TranslationKey())
	}
	// Every literal key the screens look up.
	files, _ := filepath.Glob("*.go")
	lit := regexp.MustCompile(`\b(?:T|F)\("([a-z_]+\.[a-z_0-9.]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			need = append(need, m[1])
		}
	}
	for _, k := range need {
		if !has[k] {
			t.Errorf("catalogs lack %q", k)
		}
	}
	// Placeholders agree between the two languages.
	ph := regexp.MustCompile(`\{[a-zA-Z]+\}`)
	for _, k := range vi {
		tr.SetLang(LangVI)
		a := ph.FindAllString(tr.T(k), -1)
		tr.SetLang(LangEN)
		b := ph.FindAllString(tr.T(k), -1)
		if fmt.Sprint(sorted(a)) != fmt.Sprint(sorted(b)) {
			t.Errorf("%s: placeholders differ: vi %v, en %v", k, a, b)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestErrorMessagesTranslated(t *testing.T) {
	tr, _ := NewTranslator(assets.Translations(), LangVI)
	_, err := enroll.ParseCCCDQR("00108701234||Nguyễn Văn An|14031987|Nam|Hà Nội|10062021")
	got := tr.Err(err)
	want := "Mã QR: trường thứ 1 (Số định danh cá nhân) sai: phải có đúng 12 chữ số, đang có 11"
	if got != want {
		t.Errorf("vi QR error\n got %q\nwant %q", got, want)
	}
	id, _ := enroll.ParsePersonalID("001387012345")
	err = id.CheckBirth(enroll.Date{Year: 1987, Month: 3, Day: 14}, enroll.Male)
	if got := tr.Err(err); !strings.HasPrefix(got, "Số định danh cá nhân: chữ số thứ 4 cho biết Nữ, sinh năm 2000–2099; biểu mẫu ghi Nam, 1987") {
		t.Errorf("vi mismatch error %q", got)
	}
	tr.SetLang(LangEN)
	if got := tr.Err(err); !strings.HasPrefix(got, "Personal ID number: digit 4 says Female, born 2000-2099; the form says Male, 1987") {
		t.Errorf("en mismatch error %q", got)
	}
	if got := tr.Err(fmt.Errorf("capture: %w", enroll.ErrNoFinger)); !strings.Contains(got, "Place the finger") {
		t.Errorf("device error %q", got)
	}
	// What the disk or the file does to a save is said in the officer's words, with what to do.
	tr.SetLang(LangVI)
	for err, want := range map[error]string{
		fmt.Errorf("save record: %w (database or disk is full)", enroll.ErrDiskFull):                     "Ổ đĩa đã đầy",
		fmt.Errorf("save record: %w (attempt to write a readonly database)", enroll.ErrDatabaseReadOnly): "chỉ cho đọc",
		fmt.Errorf("read record: %w (database disk image is malformed)", enroll.ErrDatabaseDamaged):      "bản sao lưu",
		// Papers the desktop could not take, and provisioning files that cannot be used: what
		// to do instead, not exec's or JSON's words.
		fmt.Errorf("print x.pdf: %w (exec: \"lp\": executable file not found in $PATH)", enroll.ErrNoPrintProgram):             "Lưu thành PDF",
		fmt.Errorf("print x.pdf: %w (exit status 1: lp: Error - no default destination available.)", enroll.ErrPrinterRefused): "máy in mặc định",
		fmt.Errorf("open x.pdf with xdg-open: %w (exec: \"xdg-open\": executable file not found)", enroll.ErrNoViewer):         "Lưu thành PDF",
		fmt.Errorf("%w: provisioning file: not a provisioning file: invalid character 'p'", enroll.ErrProvisionFile):           "provision.json",
		fmt.Errorf("%w (open /media/usb/x.json: no such file or directory)", enroll.ErrProvisionUnreadable):                    "đường dẫn",
	} {
		if got := tr.Err(err); !strings.Contains(got, want) || strings.Contains(got, "disk") {
			t.Errorf("%v shows as %q", err, got)
		}
	}
	until := time.Date(2026, 11, 30, 14, 5, 0, 0, time.Local)
	if got := tr.Err(fmt.Errorf("log in mai.tt: %w", &enroll.LockedOut{Until: until})); !strings.Contains(got, "14:05") || !strings.Contains(got, "tạm khóa") {
		t.Errorf("lock-out without its end: %q", got)
	}
	tr.SetLang(LangEN)
	if got := tr.Err(errors.New("disk I/O error")); !strings.Contains(got, "disk I/O error") || !strings.Contains(got, "supervisor") {
		t.Errorf("unexpected error %q", got)
	}
}

func TestLanguageSwitch(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	h := newHarness(t, db)
	if !h.hasText("Thiết lập trạm lần đầu") {
		t.Fatalf("first run not in Vietnamese:\n%s", h.texts())
	}
	h.langSelect().SetSelected("English")
	h.pump()
	if !h.hasText("First-time station set-up") || h.hasText("Thiết lập trạm lần đầu") {
		t.Fatalf("not switched to English:\n%s", h.texts())
	}
	if h.win.Title() != "Level-2 e-ID enrollment station" {
		t.Errorf("title %q", h.win.Title())
	}
	// The choice is kept for the next start.
	h.st.Close()
	h2 := newHarness(t, db)
	if !h2.hasText("First-time station set-up") {
		t.Errorf("language not remembered:\n%s", h2.texts())
	}
}

// TestFormMessagesFollowLanguage: a refusal under the first-run and login forms is said again
// in the language the officer switches to, as the labels are; the password rule shows before
// the first refusal.
func TestFormMessagesFollowLanguage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	h := newHarness(t, db)
	words := func(lang string) *Translator {
		tr, err := NewTranslator(assets.Translations(), lang)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	vi, en := words(LangVI), words(LangEN)
	hint := func() string {
		f := find(h, "the set-up form", func(f *widget.Form) bool { return len(f.Items) == 6 })
		for _, it := range f.Items {
			if it.Widget == h.field(h.T("field.password")) {
				return it.HintText
			}
		}
		t.Fatal("no password row in the set-up form")
		return ""
	}
	if got, want := hint(), fmt.Sprintf("Ít nhất %d ký tự", enroll.MinPasswordLen); !strings.Contains(got, want) {
		t.Errorf("password hint before any try: %q, want it to say %q", got, want)
	}

	// Submitted empty: the office is named, in Vietnamese, then in English after the switch.
	h.tap(h.T("setup.create"))
	refusal := enroll.StationSetup{}.Check()
	if !h.hasText(vi.Err(refusal)) {
		t.Fatalf("no Vietnamese refusal %q:\n%s", vi.Err(refusal), h.texts())
	}
	h.langSelect().SetSelected("English")
	h.pump()
	if !h.hasText(en.Err(refusal)) || h.hasText(vi.Err(refusal)) {
		t.Errorf("the refusal did not follow the switch to English (want %q):\n%s", en.Err(refusal), h.texts())
	}
	if got := hint(); !strings.Contains(got, fmt.Sprintf("At least %d characters", enroll.MinPasswordLen)) {
		t.Errorf("password hint in English: %q", got)
	}
	// A refusal of the store (here the password policy's) follows the switch back as well.
	h.typeInto(h.T("setup.office"), "Công an phường Khâm Thiên")
	h.typeInto(h.T("setup.station_code"), "HN-DD-KT-01")
	h.typeInto(h.T("field.username"), testUser)
	h.typeInto(h.T("field.full_name"), testName)
	h.typeInto(h.T("field.password"), "short1")
	h.tap(h.T("setup.create"))
	short := enroll.CheckPassword("short1", "")
	if !h.hasText(en.Err(short)) {
		t.Fatalf("no English refusal %q:\n%s", en.Err(short), h.texts())
	}
	h.langSelect().SetSelected("Tiếng Việt")
	h.pump()
	if !h.hasText(vi.Err(short)) || h.hasText(en.Err(short)) {
		t.Errorf("the refusal did not follow the switch to Vietnamese (want %q):\n%s", vi.Err(short), h.texts())
	}

	// The login screen's message too.
	h.firstRun()
	h.tap(h.T("login.submit"))
	if !h.hasText(vi.T("login.empty")) {
		t.Fatalf("no Vietnamese login message:\n%s", h.texts())
	}
	h.langSelect().SetSelected("English")
	h.pump()
	if !h.hasText(en.T("login.empty")) || h.hasText(vi.T("login.empty")) {
		t.Errorf("the login message did not follow the switch:\n%s", h.texts())
	}
}
