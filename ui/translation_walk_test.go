package ui

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/wardpolice/enroll"
)

// englishWords are words of the English interface that have no business on a Vietnamese
// screen (names, numbers, codes and the brand names QR, PDF, VNeID are fine).
var englishWords = regexp.MustCompile(`(?i)\b(the|and|step|wrong|password|record|records|save|saved|draft|drafts|batch|station|officer|supervisor|search|reader|fingerprint|simulated|portrait|next|back|cancel|close|print|help|settings|today|error|failed|unknown|user|login|logout)\b`)

// savedID is the id of the record of the citizen whose QR code this is.
func (h *harness) savedID(qr string) string {
	h.t.Helper()
	c, err := enroll.ParseCCCDQR(qr)
	if err != nil {
		h.t.Fatal(err)
	}
	found, err := h.st.ByPersonalID(context.Background(), enroll.PersonalID(c.PersonalID))
	if err != nil || len(found) == 0 {
		h.t.Fatalf("no record of %s: %v", c.PersonalID, err)
	}
	return found[0].ID
}

// TestTranslationWalk walks every screen, tab and the main dialogs in Vietnamese and in
// English: no screen may look up a key a catalog lacks, and no Vietnamese screen may show
// English words.
func TestTranslationWalk(t *testing.T) {
	shots := os.Getenv("ENROLL_SCREENS_DIR") // docs/screens.sh sets it to retake docs/screens
	var h *harness
	check := func(where string) {
		t.Helper()
		h.pump()
		// Everything fits an office screen without scrolling, and still a 1280×720 one.
		if min := h.win.Content().MinSize(); min.Width > 1280 || min.Height > 720 {
			t.Errorf("%s needs %.0f×%.0f, more than 1280×720", where, min.Width, min.Height)
		}
		if shots != "" {
			name := h.s.tr.Lang() + "-" + strings.NewReplacer(" ", "-", ".", "-").Replace(where[3:]) + ".png"
			f, err := os.Create(filepath.Join(shots, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, h.win.Canvas().Capture()); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		if h.s.tr.Lang() == LangVI {
			if m := englishWords.FindAllString(h.texts(), -1); len(m) > 0 {
				t.Errorf("%s (vi) shows English %q:\n%s", where, m, h.texts())
			}
		}
		if m := h.s.tr.Missed(); len(m) > 0 {
			t.Fatalf("%s: keys missing from the catalogs: %v", where, m)
		}
	}
	closeDialogs := func() {
		for h.win.Canvas().Overlays().Top() != nil {
			closeTop(h.win.Canvas())
		}
	}
	// The first run and the recovery key in English, on a station of their own.
	h = newHarness(t, filepath.Join(t.TempDir(), "en.db"))
	h.langSelect().SetSelected("English")
	check("en first run")
	h.setUp("HN-DD-KT-02")
	check("en recovery key")
	h.check(h.T("setup.recovery_kept")).SetChecked(true)
	h.tap(h.T("setup.recovery_done"))
	h.waitFor("login screen", func() bool { return h.hasText(h.T("login.title")) })
	check("en login")

	h = newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	check("vi first run")
	h.setUp("HN-DD-KT-01")
	check("vi recovery key")
	h.check(h.T("setup.recovery_kept")).SetChecked(true)
	h.tap(h.T("setup.recovery_done"))
	// A wrong password, so that the audit trail has a detail to translate.
	h.st.Authenticate(context.Background(), testUser, "sai-mat-khau")
	check("vi login")
	h.login()

	// One citizen per pass: the second would meet the duplicate guard.
	qrs := map[string]string{LangVI: citizenQR, LangEN: "001085012345||Nguyễn Văn An|15061985|Nam|Phường Khâm Thiên, Đống Đa, Hà Nội|10062021"}
	for _, lang := range []string{LangVI, LangEN} {
		h.s.tr.SetLang(lang)
		h.s.showHome()
		check(lang + " home")
		h.selectTab(h.s.tr.T("home.search"))
		check(lang + " records tab")
		h.tap(h.T("records.find"))
		check(lang + " records found")
		h.shortcut(fyne.KeyH, fyne.KeyModifierControl|fyne.KeyModifierShift)
		check(lang + " help")
		closeDialogs()
		h.shortcut(fyne.KeyP, fyne.KeyModifierControl|fyne.KeyModifierShift)
		check(lang + " password dialog")
		closeDialogs()
		h.tap(h.T("sync.open"))
		check(lang + " sync screen")
		h.s.showAdmin()
		for _, tab := range []string{"admin.officers", "admin.review", "admin.numbers", "admin.audit", "admin.settings"} {
			h.selectTab(h.T(tab))
			check(lang + " admin tab " + tab)
		}
		h.s.newEnrollment()
		h.onStep(enroll.StepIdentify)
		check(lang + " identify")
		h.scanQR(qrs[lang])
		h.tap(h.T("wizard.next"))
		h.onStep(enroll.StepContact)
		check(lang + " contact")
		h.typeInto(h.T("field.phone"), "0912345678")
		h.tap(h.T("wizard.next"))
		h.onStep(enroll.StepPortrait)
		h.takePortrait()
		h.waitFor("portrait taken", func() bool { return h.hasText(h.T("portrait.done")) })
		check(lang + " portrait")
		h.tap(h.T("wizard.next"))
		h.onStep(enroll.StepFingers)
		h.tap(h.T("fingers.capture"))
		h.waitFor("right index", func() bool {
			return h.hasText(h.s.tr.F("fingers.captured_next", map[string]any{"finger": enroll.RightIndex, "next": enroll.LeftIndex}))
		})
		h.tap(h.T("fingers.capture"))
		h.waitFor("left index", func() bool { return h.hasText(h.s.tr.F("fingers.lift", map[string]any{"finger": enroll.LeftIndex})) })
		check(lang + " fingers")
		h.tap(h.T("wizard.next"))
		h.onStep(enroll.StepReview)
		check(lang + " review")
		h.check(h.T("review.consent")).SetChecked(true)
		h.tap(h.s.tr.F("wizard.confirm_save", map[string]any{"name": testName}))
		h.waitFor("saved screen", func() bool { return h.hasText(h.T("saved.title")) })
		check(lang + " saved")
		h.tap(h.T("receipt.button"))
		check(lang + " receipt dialog")
		if shots != "" {
			saved, err := h.st.Get(context.Background(), h.savedRecordID())
			if err != nil {
				t.Fatal(err)
			}
			pdf, err := h.s.receiptPDF(saved)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Join(shots, lang+"-receipt")
			if err := os.WriteFile(base+".pdf", pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("pdftoppm", "-png", "-r", "80", "-singlefile", base+".pdf", base).CombinedOutput(); err != nil {
				t.Fatalf("render the receipt (poppler-utils): %v %s", err, out)
			}
			os.Remove(base + ".pdf")
		}
		closeDialogs()
		h.s.showHome()
		h.selectTab(h.T("home.search"))
		h.tap(h.T("records.find"))
		h.s.openRecord(h.savedID(qrs[lang]))
		check(lang + " record view")
		closeDialogs()
		h.s.newEnrollment()
		h.scanQR(qrs[lang])
		check(lang + " duplicate guard")
		closeDialogs()
		h.s.showHome()
		h.s.lockSession()
		check(lang + " locked")
		h.typeInto(h.T("field.password"), testPassword)
		h.tap(h.T("lock.unlock"))
		h.waitFor("unlocked", func() bool { return !h.s.session.locked })
		h.s.openRecord(h.s.cfg.Now().String()) // an unknown id: the error dialog
		check(lang + " error dialog")
		closeDialogs()
	}
}
