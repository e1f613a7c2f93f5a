package ui

import (
	"bytes"
	"context"
	"image/color"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/store"
)

// TestWizardByKeysOnly completes an enrollment with key events alone: the QR scanner types
// into the field that has the keyboard, Tab moves, Space presses, Ctrl+Enter goes on.
func TestWizardByKeysOnly(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	h.shortcut(fyne.KeyN, fyne.KeyModifierControl)
	h.onStep(enroll.StepIdentify)
	h.scanQR(citizenQR)
	h.shortcut(fyne.KeyReturn, fyne.KeyModifierControl)
	h.onStep(enroll.StepContact)

	// The phone field has the keyboard when the step opens.
	for _, r := range "0912345678" {
		h.win.Canvas().Focused().TypedRune(r)
	}
	h.shortcut(fyne.KeyReturn, fyne.KeyModifierControl)
	h.onStep(enroll.StepPortrait)

	isButton := func(label string) func(fyne.Focusable) bool {
		return func(f fyne.Focusable) bool {
			b, ok := f.(*widget.Button)
			return ok && b.Text == label && !b.Disabled()
		}
	}
	h.waitFor("live checks pass", func() bool { return h.hasText("[" + h.T("portrait.capture") + "]") })
	h.tabTo("the capture button", isButton(h.T("portrait.capture")))
	h.press(fyne.KeySpace)
	h.waitFor("portrait taken", func() bool { return h.hasText(h.T("portrait.done")) })
	h.shortcut(fyne.KeyReturn, fyne.KeyModifierControl)
	h.onStep(enroll.StepFingers)

	for _, p := range enroll.Level2Fingers() {
		h.tabTo("the capture button", isButton(h.T("fingers.capture")))
		h.press(fyne.KeySpace)
		h.waitFor(p.String()+" captured", func() bool {
			return h.hasText(h.s.tr.F("fingers.lift", map[string]any{"finger": p})) ||
				h.hasText(h.s.tr.F("fingers.captured_next", map[string]any{"finger": p, "next": enroll.LeftIndex}))
		})
	}
	h.shortcut(fyne.KeyReturn, fyne.KeyModifierControl)
	h.onStep(enroll.StepReview)

	consent := h.tabTo("the consent box", func(f fyne.Focusable) bool {
		c, ok := f.(*widget.Check)
		return ok && c.Text == h.T("review.consent")
	}).(*widget.Check)
	h.press(fyne.KeySpace)
	if !consent.Checked {
		t.Fatal("Space did not tick the consent")
	}
	h.shortcut(fyne.KeyReturn, fyne.KeyModifierControl)
	h.waitFor("saved screen", func() bool { return h.hasText(h.T("saved.title")) })
	e, err := h.st.Get(context.Background(), h.savedRecordID())
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != enroll.StatusComplete || !e.Consent || e.Phone != "0912345678" || e.Portrait == nil || len(e.Fingers) != 2 {
		t.Fatalf("saved record: status %s consent %v phone %q portrait %v fingers %d", e.Status, e.Consent, e.Phone, e.Portrait != nil, len(e.Fingers))
	}

	// The receipt has the keyboard on the saved screen: Space, then Print.
	if b, ok := h.win.Canvas().Focused().(*widget.Button); !ok || b.Text != h.T("receipt.button") {
		t.Fatalf("the receipt button should have the keyboard, %T has it", h.win.Canvas().Focused())
	}
	h.press(fyne.KeySpace)
	h.tap(h.T("document.print"))
	if len(h.docs.printed) != 1 || !bytes.HasPrefix(h.docs.printed[0], []byte("%PDF-")) {
		t.Fatalf("the receipt was not printed as a PDF (%d)", len(h.docs.printed))
	}
	trail, _ := h.st.AuditTrail(context.Background(), enroll.AuditFilter{Action: enroll.ActionReceiptPrint})
	if len(trail) != 1 || trail[0].RecordID != e.ID || trail[0].Detail != "receipt print" {
		t.Errorf("printing not audited: %+v", trail)
	}
}

// TestEscapeClosesDialogs: Escape closes a dialog whether a field in it has the keyboard or
// nothing has.
func TestEscapeClosesDialogs(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	h.shortcut(fyne.KeyP, fyne.KeyModifierControl|fyne.KeyModifierShift) // change password
	if h.win.Canvas().Overlays().Top() == nil {
		t.Fatal("no password dialog")
	}
	if _, ok := h.win.Canvas().Focused().(*dialogEntry); !ok {
		t.Fatalf("the dialog's field should have the keyboard, %T has it", h.win.Canvas().Focused())
	}
	h.press(fyne.KeyEscape)
	if h.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Escape in the password field left the dialog open")
	}
	h.shortcut(fyne.KeyH, fyne.KeyModifierControl|fyne.KeyModifierShift) // help: nothing focused
	if h.win.Canvas().Overlays().Top() == nil || !h.hasText(h.T("help.keys")) {
		t.Fatalf("no help dialog:\n%s", h.texts())
	}
	h.win.Canvas().Unfocus()
	h.win.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Escape left the help open")
	}
}

// TestLogoutFromTheWizardKeepsTheStep: Ctrl+Shift+L works on every screen; in the wizard it
// saves the step first.
func TestLogoutFromTheWizardKeepsTheStep(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.scanQR(citizenQR)
	h.shortcut(fyne.KeyL, fyne.KeyModifierControl|fyne.KeyModifierShift)
	h.waitFor("login screen", func() bool { return h.hasText(h.T("login.submit")) })
	h.login()
	drafts, err := h.st.Drafts(context.Background(), testUser)
	if err != nil || len(drafts) != 1 || drafts[0].FullName != "Trần Thị Bích Ngọc" || drafts[0].Step != enroll.StepContact {
		t.Fatalf("the identify step was not kept: %+v %v", drafts, err)
	}
}

// TestStepBarReadable: every step of the indicator is text in the theme's foreground colour
// (contrast at least 4.5:1 in both looks), finished steps are ticked, the current one bold.
func TestStepBarReadable(t *testing.T) {
	for _, look := range []string{ThemeLight, ThemeDark} {
		th := stationTheme{theme.DefaultTheme(), themeVariant(look)}
		fg, bg := th.Color(theme.ColorNameForeground, 0), th.Color(theme.ColorNameBackground, 0)
		if c := contrast(fg, bg); c < 4.5 {
			t.Errorf("%s: text contrast %.1f:1", look, c)
		}
	}
	if c := contrast(colorRGB(0xff, 0xff, 0xff), colorRGB(0, 0, 0)); c < 20.9 || c > 21.1 {
		t.Errorf("black on white is %.2f:1, want 21:1", c)
	}
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	h.tap(h.T("home.new"))
	h.scanQR(citizenQR)
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepContact)
	var labels []*widget.Label
	var icons []*widget.Icon
	for st := enroll.StepIdentify; st <= enroll.StepReview; st++ {
		want := h.s.tr.F("wizard.step_n", map[string]any{"n": int(st) + 1, "name": h.s.tr.W(st)})
		box := find(h, "step "+want, func(c *fyne.Container) bool {
			if len(c.Objects) != 2 {
				return false
			}
			_, isIcon := c.Objects[0].(*widget.Icon)
			l, isLabel := c.Objects[1].(*widget.Label)
			return isIcon && isLabel && l.Text == want
		})
		icons, labels = append(icons, box.Objects[0].(*widget.Icon)), append(labels, box.Objects[1].(*widget.Label))
	}
	if len(labels) != 5 {
		t.Fatalf("%d steps in the indicator", len(labels))
	}
	for i, l := range labels {
		if l.Importance != widget.MediumImportance {
			t.Errorf("step %d has importance %v: not the foreground colour", i+1, l.Importance)
		}
		if l.TextStyle.Bold != (i == 1) {
			t.Errorf("step %d bold = %v", i+1, l.TextStyle.Bold)
		}
	}
	if icons[0].Resource.Name() != theme.NewSuccessThemedResource(theme.ConfirmIcon()).Name() {
		t.Errorf("the finished step has no tick: %s", icons[0].Resource.Name())
	}
}

func colorRGB(r, g, b uint8) color.NRGBA { return color.NRGBA{r, g, b, 0xff} }

// TestRecordsScreen: the records tab finds a record by name words in any order without
// accents, opens it, corrects it with a reason; a draft can be deleted.
func TestRecordsScreen(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	ctx := context.Background()
	id, _ := enroll.ParsePersonalID("036192004321")
	saved := &enroll.Enrollment{Status: enroll.StatusDraft, Station: "HK-01", Officer: testUser, FingerSet: enroll.Level2Fingers(),
		Citizen: enroll.Citizen{PersonalID: id, FullName: "Trần Thị Bích Ngọc"}}
	if err := h.st.SaveDraft(ctx, saved); err != nil {
		t.Fatal(err)
	}
	h.s.showHome()
	h.selectTab(h.T("home.search"))
	h.entryWithHint(h.T("records.search_hint")).SetText("ngoc tran")
	h.tap(h.T("records.find"))
	if !h.hasText(h.s.tr.F("home.results", map[string]any{"count": 1})) || !h.hasText(enroll.RecordCode(saved.ID)) {
		t.Fatalf("\"ngoc tran\" did not find Trần Thị Bích Ngọc:\n%s", h.texts())
	}
	for _, col := range recordColumns() {
		if !h.hasText(h.T(col.head)) {
			t.Errorf("no %q column header:\n%s", h.T(col.head), h.texts())
		}
	}
	h.s.openRecord(saved.ID) // as a tap on the row does
	h.tap(h.T("records.delete_draft"))
	h.tap(h.T("dialog.confirm"))
	if _, err := h.st.Get(ctx, saved.ID); err == nil {
		t.Fatal("the draft is still there")
	}
	trail, _ := h.st.AuditTrail(ctx, enroll.AuditFilter{Action: enroll.ActionDraftDelete})
	if len(trail) != 1 || trail[0].RecordID != saved.ID {
		t.Errorf("deletion not audited: %+v", trail)
	}
}

// TestRecoveryKeyOnPaper: the recovery key screen copies the key and prints it on a sheet,
// audited.
func TestRecoveryKeyOnPaper(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.setUp("HN-DD-KT-01")
	key := find(h, "recovery key", func(l *widget.Label) bool { return l.TextStyle.Monospace }).Text

	h.tap(h.T("setup.recovery_copy"))
	if got := fyne.CurrentApp().Clipboard().Content(); got != key {
		t.Errorf("clipboard holds %q, want the key", got)
	}
	h.tap(h.T("setup.recovery_paper"))
	h.tap(h.T("document.print"))
	if len(h.docs.printed) != 1 || !bytes.HasPrefix(h.docs.printed[0], []byte("%PDF-")) {
		t.Fatalf("the sheet was not printed (%d)", len(h.docs.printed))
	}
	trail, _ := h.st.AuditTrail(context.Background(), enroll.AuditFilter{Action: enroll.ActionReceiptPrint})
	if len(trail) != 1 || trail[0].Officer != testUser || trail[0].Detail != "recovery key sheet print" {
		t.Errorf("printing the sheet not audited: %+v", trail)
	}
	// Going on to the login empties the clipboard of the key, as the screen asks.
	h.tap(h.T("dialog.close"))
	h.check(h.T("setup.recovery_kept")).SetChecked(true)
	h.tap(h.T("setup.recovery_done"))
	if got := fyne.CurrentApp().Clipboard().Content(); got == key {
		t.Error("the recovery key stayed on the clipboard after the set-up")
	}
}

// savedWithException saves, as officer testUser, a complete record whose left index finger
// was excused: the kind a supervisor reviews.
func (h *harness) savedWithException(name, id string) *enroll.Enrollment {
	h.t.Helper()
	c, errs := enroll.CitizenForm{PersonalID: id, FullName: name, DateOfBirth: "14/03/1987", Gender: "Nam", Address: "Hà Nội"}.
		Validate(enroll.DateOf(h.now()))
	if len(errs) > 0 {
		h.t.Fatal(errs)
	}
	e := &enroll.Enrollment{Station: "HN-DD-KT-01", Officer: testUser, Citizen: c, Phone: "0912345678",
		FingerSet: enroll.Level2Fingers(), Consent: true, ConsentAt: h.now()}
	e.Portrait = &enroll.Portrait{JPEG: []byte("\xff\xd8portrait\xff\xd9"), Width: 360, Height: 480, Device: "sim"}
	e.SetFinger(enroll.FingerCapture{Position: enroll.RightIndex, PNG: []byte("\x89PNGright"), Width: 320, Height: 400, PPI: 500,
		Device: "sim", Attempts: 1, Quality: enroll.FingerScore{Score: 70}})
	e.SetException(enroll.FingerException{Position: enroll.LeftIndex, Reason: enroll.ExceptionInjured, Note: "ngón tay băng bó"})
	if err := h.st.Complete(context.Background(), e); err != nil {
		h.t.Fatal(err)
	}
	return e
}

// TestSupervisorReviewAndCorrection: the review queue lists a record with an excused finger
// until a supervisor marks it reviewed; today's numbers count it; a saved record not yet sent
// is reopened for correction with a reason and the wizard starts at step 1.
func TestSupervisorReviewAndCorrection(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	e := h.savedWithException("Nguyễn Văn An", "001087012345")
	h.s.showAdmin()
	h.selectTab(h.T("admin.numbers"))
	if !h.hasText(testName+" ("+testUser+")") || !h.hasText(h.T("numbers.total")) {
		t.Fatalf("no numbers per officer:\n%s", h.texts())
	}
	h.selectTab(h.T("admin.review"))
	line := h.s.tr.F("review_queue.excused", map[string]any{"finger": enroll.LeftIndex, "reason": enroll.ExceptionInjured, "note": "ngón tay băng bó"})
	if !h.hasText(h.s.tr.F("review_queue.count", map[string]any{"count": 1})) || !h.hasText(line) {
		t.Fatalf("the excused finger is not in the queue:\n%s", h.texts())
	}
	h.tap(h.T("review_queue.done"))
	h.tap(h.T("dialog.confirm"))
	if !h.hasText(h.T("records.reason_needed")) {
		t.Fatalf("reviewed without a note:\n%s", h.texts())
	}
	h.entryWithHint(h.T("records.reason_hint")).SetText("đã xem ảnh, ngón băng bó thật")
	h.tap(h.T("dialog.confirm"))
	if !h.hasText(h.s.tr.F("review_queue.count", map[string]any{"count": 0})) {
		t.Fatalf("the record stayed in the queue:\n%s", h.texts())
	}

	h.s.showHome()
	h.s.openRecord(e.ID)
	h.tap(h.T("records.correct"))
	h.entryWithHint(h.T("records.reason_hint")).SetText("sai số điện thoại")
	h.tap(h.T("dialog.confirm"))
	h.onStep(enroll.StepIdentify)
	got, err := h.st.Get(context.Background(), e.ID)
	if err != nil || got.Status != enroll.StatusDraft {
		t.Fatalf("not reopened: %v %v", got.Status, err)
	}
	for st := enroll.StepIdentify; st < enroll.StepReview; st++ {
		h.tap(h.T("wizard.next"))
		h.onStep(st + 1)
	}
	if h.check(h.T("review.consent")).Checked {
		t.Error("the corrected record kept the old consent: the citizen must confirm it again")
	}
	trail, _ := h.st.AuditTrail(context.Background(), enroll.AuditFilter{Action: enroll.ActionRecordCorrect})
	if len(trail) != 1 || trail[0].Detail != "sai số điện thoại" {
		t.Errorf("correction not audited with its reason: %+v", trail)
	}
}

// TestAuditDetailsInVietnamese: the details the store writes into the trail in English show
// in Vietnamese in the audit browser, a refused login of an edited account included.
func TestAuditDetailsInVietnamese(t *testing.T) {
	tr, err := NewTranslator(assets.Translations(), LangVI)
	if err != nil {
		t.Fatal(err)
	}
	s := New(nil, Config{Tr: tr})
	for _, c := range []struct{ action, detail, want string }{
		{enroll.ActionLoginFailed, (&enroll.OfficerTampered{Username: "mai.tt", What: enroll.TamperRole}).Error(), "mai.tt"},
		{enroll.ActionLoginFailed, "wrong password (2 in a row)", "2"},
		{enroll.ActionRecordEdit, "step 3", tr.W(enroll.Step(3))},
		{enroll.ActionReceiptPrint, "receipt print", tr.T(documentHowKey("print"))},
		{enroll.ActionReceiptPrint, "written to /media/usb/bien-nhan.pdf", "/media/usb/bien-nhan.pdf"}, // station receipt
		{enroll.ActionVerdictsQueued, "6 verdicts from status", "6"},
		{enroll.ActionVerdictsQueued, "8 verdicts from acknowledgement file", "8"},
		{enroll.ActionRecordsSealed, "312 records", "312"},
	} {
		got := s.auditDetail(c.action, c.detail)
		if m := englishWords.FindAllString(got, -1); len(m) > 0 || !strings.Contains(got, c.want) || got == c.detail {
			t.Errorf("%q shows as %q", c.detail, got)
		}
	}
	// What a login found wrong with the audit: every form the store writes.
	for _, detail := range store.AlarmSamples() {
		got := s.auditDetail(enroll.ActionAuditAlarm, detail)
		if m := englishWords.FindAllString(got, -1); len(m) > 0 || got == detail {
			t.Errorf("alarm %q shows as %q", detail, got)
		}
	}
	if got := s.auditDetail(enroll.ActionLoginFailed, (&enroll.OfficerTampered{Username: "mai.tt", What: enroll.TamperRole}).Error()); !strings.Contains(got, tr.T(tamperKey(enroll.TamperRole))) {
		t.Errorf("the edited column is not named: %q", got)
	}
}

// TestCardHoldsItsRows: the recovery key card's last rows (the box to tick and the button) lie
// inside the card, not spilled out below it, at the width its wrapped text really has.
func TestCardHoldsItsRows(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.setUp("HN-DD-KT-01")
	card := find(h, "recovery card", func(c *widget.Card) bool { return c.Title == h.T("setup.recovery_title") })
	h.win.Content().Refresh()
	d := fyne.CurrentApp().Driver()
	bottom := d.AbsolutePositionForObject(card).Y + card.Size().Height
	for _, o := range []fyne.CanvasObject{h.check(h.T("setup.recovery_kept")), h.button(h.T("setup.recovery_done"))} {
		if end := d.AbsolutePositionForObject(o).Y + o.Size().Height; end > bottom {
			t.Errorf("%T ends at %.0f, below the card's bottom at %.0f", o, end, bottom)
		}
	}
}
