package receipt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/device/qr"
)

// catalogTexts reads the station's catalog for lang the way ui.Translator does (this package
// cannot import ui, which imports it). A key the catalog lacks fails the test: the officer
// would see the bare key on paper.
func catalogTexts(t *testing.T, lang string) Texts {
	t.Helper()
	b, err := fs.ReadFile(assets.Translations(), lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]string{}
	if err := json.Unmarshal(b, &words); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	lookup := func(key string) string {
		s, ok := words[key]
		if !ok {
			t.Errorf("%s.json has no %q", lang, key)
			return key
		}
		return s
	}
	return func(key string, params map[string]any) string {
		return enroll.Fill(lookup(key), params, func(v any) string {
			if x, ok := v.(enroll.Translatable); ok {
				return lookup(x.TranslationKey())
			}
			return fmt.Sprint(v)
		})
	}
}

// poppler returns the path of one of poppler-utils' programs, failing (not skipping) the test
// without it: a receipt nobody checked is worse than a red test.
func poppler(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install poppler-utils (apt-get install poppler-utils; .ci/deps installs it): %v", name, err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(poppler(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// enrollment is a saved record as the wizard leaves it: one index finger captured, the other
// excused with a note that must not reach the paper, two documents to integrate.
func enrollment() *enroll.Enrollment {
	ict := time.FixedZone("ICT", 7*3600)
	return &enroll.Enrollment{
		ID: "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", Status: enroll.StatusComplete, Station: "HN-DV-02",
		Officer: "lan.nt", CompletedAt: time.Date(2025, 3, 14, 9, 41, 30, 0, ict),
		UpdatedAt: time.Date(2025, 3, 14, 9, 41, 30, 0, ict),
		Citizen: enroll.Citizen{PersonalID: "001195012345", FullName: "Nguyễn Thị Thu Hà",
			DateOfBirth: enroll.Date{Year: 1995, Month: 5, Day: 12}, Gender: enroll.Female},
		Phone: "0912345678", Email: "thuha.nguyen@example.vn",
		Integrations: []enroll.IntegrationRequest{
			{Kind: enroll.IntegrationHealthInsurance, Number: "GD4010123456789"},
			{Kind: enroll.IntegrationDrivingLicence},
		},
		Portrait:   &enroll.Portrait{Width: 600, Height: 800},
		FingerSet:  enroll.Level2Fingers(),
		Fingers:    []enroll.FingerCapture{{Position: enroll.RightIndex, Quality: enroll.FingerScore{Score: 71}}},
		Exceptions: []enroll.FingerException{{Position: enroll.LeftIndex, Reason: enroll.ExceptionInjured, Note: "bỏng nặng"}},
		Consent:    true,
	}
}

func TestFromEnrollment(t *testing.T) {
	e := enrollment()
	r := FromEnrollment(e, "Công an phường Dịch Vọng", "Trần Thị Lan")
	if r.Code != enroll.RecordCode(e.ID) || r.Code == "" {
		t.Errorf("code %q, want %q", r.Code, enroll.RecordCode(e.ID))
	}
	if r.Office != "Công an phường Dịch Vọng" || r.Station != "HN-DV-02" || r.Officer != "Trần Thị Lan" || !r.At.Equal(e.CompletedAt) {
		t.Errorf("who, where, when: %+v", r)
	}
	if r.FullName != "Nguyễn Thị Thu Hà" || r.PersonalID != "001195012345" || r.DateOfBirth.String() != "12/05/1995" ||
		r.Phone != "0912345678" || r.Email != "thuha.nguyen@example.vn" {
		t.Errorf("citizen: %+v", r)
	}
	if !r.Portrait || r.FingersCaptured != 1 || r.FingersRequired != 2 || len(r.Integrations) != 2 {
		t.Errorf("captured: %+v", r)
	}
	if len(r.Excused) != 1 || r.Excused[0] != (Excused{enroll.LeftIndex, enroll.ExceptionInjured}) {
		t.Errorf("excused: %+v", r.Excused)
	}
	// A record without a completion time (and without a portrait) still gets a time.
	e.CompletedAt, e.Portrait = time.Time{}, nil
	if r := FromEnrollment(e, "", ""); !r.At.Equal(e.UpdatedAt) || r.Portrait {
		t.Errorf("no completion time or portrait: at %v, portrait %v", r.At, r.Portrait)
	}
}

// check writes the receipt in lang and reads it back: its text must say every one of want,
// and its QR code, read from the first page rendered at 100 dpi the way a phone would see a
// printout, exactly the record code. It returns the text, its lines joined.
func check(t *testing.T, r Receipt, lang string, want ...string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "receipt.pdf")
	var buf bytes.Buffer
	if err := Write(&buf, r, catalogTexts(t, lang)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	text := run(t, "pdftotext", "-enc", "UTF-8", path, "-")
	if pages := run(t, "pdfinfo", path); !regexp.MustCompile(`(?m)^Pages:\s+1$`).MatchString(pages) ||
		!regexp.MustCompile(`(?m)^Page size:.*\(A4\)`).MatchString(pages) {
		t.Errorf("not one A4 page:\n%s", pages)
	}
	// The QR code is the only picture: no portrait, no fingerprint.
	images := strings.Split(strings.TrimSpace(run(t, "pdfimages", "-list", path)), "\n")
	if len(images) != 3 { // two header lines, one image
		t.Errorf("the receipt should hold exactly one image, the QR code:\n%s", strings.Join(images, "\n"))
	}
	run(t, "pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", path, filepath.Join(dir, "page"))
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the rendered page: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 820 || b.Dx() > 830 {
		t.Errorf("page rendered %dx%d px at 100 dpi, want A4's 827 wide", b.Dx(), b.Dy())
	}
	if code, err := qr.Read(img); err != nil || code != r.Code {
		t.Errorf("the QR code on the rendered page reads %q (%v), want exactly the record code %q", code, err, r.Code)
	}
	// Joined, a phrase the layout wrapped still matches.
	all := strings.Join(strings.Fields(text), " ")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("the receipt does not say %q:\n%s", w, text)
		}
	}
	return all
}

func TestReceiptVietnamese(t *testing.T) {
	r := FromEnrollment(enrollment(), "Công an phường Dịch Vọng", "Trần Thị Lan")
	r.Lang = "vi"
	all := check(t, r, "vi",
		"Nguyễn Thị Thu Hà", "001195012345", r.Code, "12/05/1995", "0912345678", "thuha.nguyen@example.vn",
		"CÔNG AN PHƯỜNG DỊCH VỌNG", "Mã trạm: HN-DV-02", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
		"GIẤY BIÊN NHẬN HỒ SƠ", "Thời gian tiếp nhận: 14/03/2025 09:41", "Cán bộ tiếp nhận: Trần Thị Lan",
		"Đã chụp", "Đã thu nhận 1/2 ngón", "ngón trỏ trái: Đang bị thương, băng bó",
		"Thẻ bảo hiểm y tế, số GD4010123456789", "Giấy phép lái xe", "VNeID",
		"vui lòng cung cấp mã hồ sơ "+r.Code, "NGƯỜI NỘP HỒ SƠ", "CÁN BỘ TIẾP NHẬN")
	if strings.Contains(all, "bỏng") {
		t.Error("the officer's note about the injury is on the receipt")
	}
}

func TestReceiptEnglish(t *testing.T) {
	e := enrollment()
	e.Integrations, e.Exceptions = nil, nil
	e.Fingers = append(e.Fingers, enroll.FingerCapture{Position: enroll.LeftIndex})
	e.Email = ""
	r := FromEnrollment(e, "Công an phường Dịch Vọng", "Trần Thị Lan")
	r.Lang = "en"
	all := check(t, r, "en",
		"Nguyễn Thị Thu Hà", "001195012345", r.Code, "APPLICATION RECEIPT", "Record code",
		"Received: 14/03/2025 09:41", "Received by: Trần Thị Lan", "2 of 2 fingers captured",
		"Documents to integrate None", "E-mail —", "please quote the record code "+r.Code)
	if strings.Contains(all, "Fingers not captured") {
		t.Error("no finger was excused, yet the receipt lists excused fingers")
	}
}

func TestWriteRefusesARecordWithoutCode(t *testing.T) {
	err := Write(&bytes.Buffer{}, Receipt{FullName: "Nguyễn Văn An"}, func(key string, _ map[string]any) string { return key })
	if err == nil || !strings.Contains(err.Error(), "no code") {
		t.Errorf("a receipt without a code: %v", err)
	}
}
