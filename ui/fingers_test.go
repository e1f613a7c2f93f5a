package ui

import (
	"context"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// toFingers logs in and walks a new enrollment to the fingerprint step.
func (h *harness) toFingers() {
	h.t.Helper()
	h.login()
	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.scanQR(citizenQR)
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepContact)
	h.typeInto(h.T("field.phone"), "0912345678")
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepPortrait)
	h.tap(h.T("portrait.capture"))
	h.waitFor("portrait taken", func() bool { return h.hasText(h.T("portrait.done")) })
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepFingers)
}

func TestFingerExceptionAndTenPrint(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	setUpStation(t, db)
	h := newHarness(t, db)
	h.toFingers()

	// Ten prints: every finger becomes required and going on is refused until all are done.
	h.check(h.T("fingers.ten_print")).SetChecked(true)
	h.pump()
	h.tap(h.T("wizard.next"))
	if !h.hasText(h.s.tr.F("err.finger_missing", map[string]any{"finger": enroll.LeftLittle})) {
		t.Fatalf("missing fingers not reported for ten prints:\n%s", h.texts())
	}
	h.check(h.T("fingers.ten_print")).SetChecked(false)
	h.pump()

	// Right index captured; the left index is bandaged: an exception with a reason.
	h.tap(h.T("fingers.capture"))
	h.waitFor("right index captured", func() bool {
		return h.hasText(h.s.tr.F("fingers.captured_next", map[string]any{"finger": enroll.RightIndex, "next": enroll.LeftIndex}))
	})
	h.tap(h.T("fingers.exception"))
	reason := find(h, "exception reason", func(s *widget.Select) bool { return s.PlaceHolder == h.T("fingers.exception_choose") })
	// Saving without a reason records nothing.
	h.tap(h.T("dialog.save"))
	if !h.hasText(h.s.tr.F("err.finger_reason_missing", map[string]any{"finger": enroll.LeftIndex})) {
		t.Fatalf("exception without reason accepted:\n%s", h.texts())
	}
	h.tap(h.T("fingers.exception"))
	reason = find(h, "exception reason", func(s *widget.Select) bool { return s.PlaceHolder == h.T("fingers.exception_choose") })
	reason.SetSelected(h.s.tr.W(enroll.ExceptionInjured))
	test.Type(h.entryWithHint(h.T("fingers.exception_note_hint")), "băng bó sau tai nạn")
	h.tap(h.T("dialog.save"))
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepReview)
	if !h.hasText(h.s.tr.W(enroll.ExceptionInjured)) {
		t.Errorf("review does not show the exception:\n%s", h.texts())
	}
	h.check(h.T("review.consent")).SetChecked(true)
	h.tap(h.s.tr.F("wizard.confirm_save", map[string]any{"name": testName}))
	h.waitFor("saved screen", func() bool { return h.hasText(h.T("saved.title")) })

	e, err := h.st.Get(context.Background(), h.savedRecordID())
	if err != nil {
		t.Fatal(err)
	}
	x, ok := e.Exception(enroll.LeftIndex)
	if !ok || x.Reason != enroll.ExceptionInjured || x.Note != "băng bó sau tai nạn" {
		t.Errorf("exception stored as %+v", x)
	}
	if _, ok := e.Finger(enroll.RightIndex); !ok || len(e.FingerSet) != 2 {
		t.Errorf("fingers %+v set %v", e.Fingers, e.FingerSet)
	}
}
