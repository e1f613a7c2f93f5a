package ui

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/device/sim"
)

// toPortrait logs in, scans the test citizen's card, gives phone and e-mail and stops on the
// portrait step.
func (h *harness) toPortrait() {
	h.t.Helper()
	h.login()
	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.scanQR(citizenQR)
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepContact)
	h.typeInto(h.T("field.phone"), "0912 345 678")
	h.typeInto(h.T("field.email"), "ngoc.tran@gmail.com")
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepPortrait)
}

// consentAndSave gives consent on the review step, saves, and reads the record back.
func (h *harness) consentAndSave() *enroll.Enrollment {
	h.t.Helper()
	h.check(h.T("review.consent")).SetChecked(true)
	h.tap(h.s.tr.F("wizard.confirm_save", map[string]any{"name": testName}))
	h.waitFor("saved screen", func() bool { return h.hasText(h.T("saved.title")) })
	e, err := h.st.Get(context.Background(), h.savedRecordID())
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// toFingers goes on from the portrait step to the fingerprint step.
func (h *harness) toFingers() {
	h.t.Helper()
	h.toPortrait()
	h.takePortrait()
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
	// Saving without a reason records nothing; the dialog stays, saying what is missing.
	h.tap(h.T("dialog.save"))
	if !h.hasText(h.s.tr.F("err.finger_reason_missing", map[string]any{"finger": enroll.LeftIndex})) {
		t.Fatalf("exception without reason accepted:\n%s", h.texts())
	}
	if h.win.Canvas().Overlays().Top() == nil {
		t.Fatal("the exception's dialog closed on a save without reason")
	}
	reason.SetSelected(h.s.tr.W(enroll.ExceptionInjured))
	test.Type(h.entryWithHint(h.T("fingers.exception_note_hint")), "băng bó sau tai nạn")
	h.tap(h.T("dialog.save"))
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepReview)
	if !h.hasText(h.s.tr.W(enroll.ExceptionInjured)) {
		t.Errorf("review does not show the exception:\n%s", h.texts())
	}
	e := h.consentAndSave()
	x, ok := e.Exception(enroll.LeftIndex)
	if !ok || x.Reason != enroll.ExceptionInjured || x.Note != "băng bó sau tai nạn" {
		t.Errorf("exception stored as %+v", x)
	}
	if _, ok := e.Finger(enroll.RightIndex); !ok || len(e.FingerSet) != 2 {
		t.Errorf("fingers %+v set %v", e.Fingers, e.FingerSet)
	}
}

// scriptedScanner returns the given images in turn.
type scriptedScanner struct{ shots []*image.Gray }

func (s *scriptedScanner) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: "Scripted reader", Driver: "script", Simulated: true}
}
func (s *scriptedScanner) Close() error { return nil }
func (s *scriptedScanner) Capture(context.Context) (enroll.FingerImage, error) {
	img := s.shots[0]
	s.shots = s.shots[1:]
	return enroll.FingerImage{Image: img, PPI: 500}, nil
}

func TestLowQualityPrintMustBeRetaken(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 320, 400))
	for i := range blank.Pix {
		blank.Pix[i] = 240
	}
	faint := sim.Fingerprint(9, 1) // a print drowned in sensor noise: present, but poor
	r := rand.New(rand.NewPCG(4, 4))
	for i, v := range faint.Pix {
		faint.Pix[i] = uint8(max(0, min(255, float64(v)+140*r.NormFloat64())))
	}
	good := sim.Fingerprint(9, 1)
	db := filepath.Join(t.TempDir(), "station.db")
	setUpStation(t, db)
	h := newHarness(t, db)
	h.s.cfg.Scanner = &scriptedScanner{shots: []*image.Gray{blank, faint, good, blank, faint, blank}}
	h.toFingers()

	// low is the advice the officer must see for a poor try: its score and what is wrong.
	low := func(img *image.Gray, try int) string {
		q := biometric.MeasureFinger(img).Record()
		reasons := h.T("quality.unclear")
		if len(q.Flags) > 0 {
			var rs []string
			for _, f := range q.Flags {
				rs = append(rs, h.T("quality."+f))
			}
			reasons = strings.Join(rs, "; ")
		}
		return h.s.tr.F("fingers.quality_low", map[string]any{"score": q.Score, "reasons": reasons, "try": try, "tries": 3})
	}
	if want := low(blank, 1); !strings.Contains(want, h.T("quality.no_finger")) {
		t.Fatalf("blank platen advice %q does not say no finger", want)
	}
	h.tap(h.T("fingers.capture"))
	h.waitFor("first try judged", func() bool { return h.hasText(low(blank, 1)) })
	// The officer cannot go on with a print below the threshold.
	h.tap(h.T("wizard.next"))
	if !h.hasText(h.s.tr.F("err.finger_quality_low", map[string]any{"finger": enroll.RightIndex, "score": 0, "min": 40, "try": 1, "tries": 3})) {
		t.Fatalf("low-quality print let through:\n%s", h.texts())
	}
	h.tap(h.T("fingers.retake"))
	h.waitFor("second try judged", func() bool { return h.hasText(low(faint, 2)) })
	h.tap(h.T("fingers.retake"))
	h.waitFor("third try accepted", func() bool {
		return h.hasText(h.s.tr.F("fingers.captured_next", map[string]any{"finger": enroll.RightIndex, "next": enroll.LeftIndex}))
	})
	// The left index is selected now and has no score yet: none may be shown.
	if scoreLine := strings.SplitN(h.T("fingers.quality"), "{", 2)[0]; h.hasText(scoreLine) {
		t.Errorf("a score is shown for the left index before its capture:\n%s", h.texts())
	}
	// Left index: three poor tries; the best (the faint print beats the blank ones) is kept,
	// and then no more tries: a supervisor must accept it.
	for try := 1; try <= 3; try++ {
		label := h.T("fingers.retake")
		if try == 1 {
			label = h.T("fingers.capture")
		}
		h.tap(label)
		h.waitFor(fmt.Sprintf("try %d judged", try), func() bool {
			if try == 3 {
				return h.hasText(h.s.tr.F("fingers.quality_kept", map[string]any{"score": biometric.MeasureFinger(faint).Score, "tries": 3}))
			}
			return h.hasText(fmt.Sprintf("%d/3", try)) && h.hasText("["+h.T("fingers.retake")+"]")
		})
	}
	if !h.button(h.T("fingers.retake")).Disabled() {
		t.Error("a fourth try is offered")
	}
	h.tap(h.T("wizard.next"))
	if !h.hasText(h.T("wizard.fix_errors")) {
		t.Fatalf("low print after 3 tries let through without a supervisor:\n%s", h.texts())
	}
	if _, err := h.st.CreateOfficer(context.Background(), testUser, enroll.OfficerForm{Username: "hung.lv", FullName: "Lê Văn Hùng",
		Role: enroll.RoleOfficer, Password: "canbo2026xx", Confirm: "canbo2026xx"}); err != nil {
		t.Fatal(err)
	}
	accept := func(user, pw, reason string) {
		h.tap(h.T("fingers.accept"))
		h.typeInto(h.T("field.username"), user)
		h.typeInto(h.T("field.password"), pw)
		h.typeInto(h.T("fingers.accept_reason"), reason)
		h.tap(h.T("dialog.save"))
	}
	accept("hung.lv", "canbo2026xx", "vân tay mòn")
	h.waitFor("officer refused", func() bool { return h.hasText(h.T("fingers.accept_not_supervisor")) })
	accept(testUser, "wrong-password1", "vân tay mòn")
	h.waitFor("wrong password refused", func() bool { return h.hasText(h.T("err.bad_login")) })
	accept(testUser, testPassword, "vân tay mòn do lao động")
	h.waitFor("supervisor accepted", func() bool { return h.hasText("vân tay mòn do lao động") })
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepReview)
	e := h.consentAndSave()
	right, _ := e.Finger(enroll.RightIndex)
	left, _ := e.Finger(enroll.LeftIndex)
	if right.Attempts != 3 || right.Quality.Score < enroll.MinFingerQuality {
		t.Errorf("right index kept %+v", right.Quality)
	}
	want := biometric.MeasureFinger(faint).Score
	if left.Attempts != 3 || left.Quality.Score != want || want == 0 || want >= enroll.MinFingerQuality {
		t.Errorf("left index kept score %d after %d tries, want the faint print's %d", left.Quality.Score, left.Attempts, want)
	}
	if left.AcceptedBy != testUser || left.AcceptedReason != "vân tay mòn do lao động" || right.AcceptedBy != "" {
		t.Errorf("acceptance stored as %q/%q (right: %q)", left.AcceptedBy, left.AcceptedReason, right.AcceptedBy)
	}
	// The acceptance is in the audit trail, once, by the supervisor, with the reason.
	trail, err := h.st.AuditTrail(context.Background(), enroll.AuditFilter{RecordID: e.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, a := range trail {
		if a.Action == "finger_accept" {
			accepted++
			if a.Officer != testUser || !strings.Contains(a.Detail, "finger 7") || !strings.Contains(a.Detail, "vân tay mòn do lao động") {
				t.Errorf("acceptance audited as %+v", a)
			}
		}
	}
	if accepted != 1 {
		t.Errorf("%d acceptance entries in the trail, want 1", accepted)
	}
	if n, err := h.st.VerifyAudit(context.Background()); err != nil || n == 0 {
		t.Errorf("audit chain after the enrollment: %d entries, %v", n, err)
	}
}

func TestReaderUnpluggedMidCapture(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	setUpStation(t, db)
	h := newHarness(t, db)
	reader := &pluggableScanner{scriptedScanner: scriptedScanner{shots: []*image.Gray{sim.Fingerprint(2, 1)}}}
	h.s.cfg.Scanner = reader
	h.toFingers()
	before := runtime.NumGoroutine()
	reader.out = true // pulled out as the capture starts
	h.tap(h.T("fingers.capture"))
	h.waitFor("unplug reported", func() bool { return h.hasText(h.T("err.device_gone")) })
	// No capture goroutine outlives the failure.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the failed capture, %d before", n, before)
	}
	// Back in: the same button captures.
	reader.out = false
	h.tap(h.T("fingers.capture"))
	h.waitFor("capture after reconnect", func() bool {
		return h.hasText(h.s.tr.F("fingers.captured_next", map[string]any{"finger": enroll.RightIndex, "next": enroll.LeftIndex}))
	})
}

// pluggableScanner is a reader the test unplugs and plugs back.
type pluggableScanner struct {
	scriptedScanner
	out bool
}

func (p *pluggableScanner) Unplugged() bool { return p.out }
func (p *pluggableScanner) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: "UPEK TouchChip", Driver: "upektc"}
}
func (p *pluggableScanner) Capture(ctx context.Context) (enroll.FingerImage, error) {
	if p.out {
		return enroll.FingerImage{}, fmt.Errorf("reader: %w", enroll.ErrDeviceGone)
	}
	return p.scriptedScanner.Capture(ctx)
}

func TestReaderStateFollowsHotplug(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	setUpStation(t, db)
	h := newHarness(t, db)
	reader := &pluggableScanner{scriptedScanner: scriptedScanner{shots: []*image.Gray{sim.Fingerprint(4, 1)}}}
	h.s.cfg.Scanner = reader
	h.toFingers()
	line := func(key string) string {
		return h.s.tr.F(key, map[string]any{"kind": h.T("device.scanner"), "name": "UPEK TouchChip"})
	}
	if !h.hasText(line("device.connected")) {
		t.Fatalf("connected reader not shown:\n%s", h.texts())
	}
	// Only the camera is simulated now, and the banner says exactly that.
	if !h.hasText(h.T("device.sim_banner_camera")) || h.hasText(h.T("device.sim_banner")) {
		t.Errorf("banner does not name the simulated camera alone:\n%s", h.texts())
	}
	reader.out = true
	h.s.DevicesChanged()
	if !h.hasText(line("device.unplugged")) || h.hasText(line("device.connected")) {
		t.Fatalf("unplugged reader not shown:\n%s", h.texts())
	}
	h.tap(h.T("fingers.capture"))
	h.waitFor("reconnect advice", func() bool { return h.hasText(h.T("err.device_gone")) })
	reader.out = false
	h.s.DevicesChanged()
	if !h.hasText(line("device.connected")) {
		t.Fatalf("reconnected reader not shown:\n%s", h.texts())
	}
	h.tap(h.T("fingers.capture"))
	h.waitFor("capture after replug", func() bool {
		return h.hasText(h.s.tr.F("fingers.captured_next", map[string]any{"finger": enroll.RightIndex, "next": enroll.LeftIndex}))
	})
}

func TestSameFingerTwiceIsFlagged(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	setUpStation(t, db)
	h := newHarness(t, db)
	// The citizen puts the right index down again when asked for the left index.
	h.s.cfg.Scanner = &scriptedScanner{shots: []*image.Gray{sim.Impression(77, 1, 0.9), sim.Impression(77, 2, 0.9), sim.Impression(78, 3, 0.9)}}
	h.toFingers()
	warning := h.s.tr.F("fingers.same_finger", map[string]any{"finger": enroll.LeftIndex, "other": enroll.RightIndex})
	h.tap(h.T("fingers.capture"))
	h.waitFor("right index", func() bool {
		return h.hasText(h.s.tr.F("fingers.captured_next", map[string]any{"finger": enroll.RightIndex, "next": enroll.LeftIndex}))
	})
	h.tap(h.T("fingers.capture"))
	h.waitFor("same-finger warning", func() bool { return h.hasText(warning) })
	// The retake with the right finger clears it.
	h.tap(h.T("fingers.retake"))
	h.waitFor("retake judged", func() bool { return h.hasText(h.s.tr.F("fingers.lift", map[string]any{"finger": enroll.LeftIndex})) })
	h.settle() // the comparison with the right index has reported
	if h.hasText(warning) {
		t.Errorf("warning stays after the right finger was captured:\n%s", h.texts())
	}
}
