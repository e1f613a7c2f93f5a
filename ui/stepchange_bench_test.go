package ui

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// BenchmarkStepChange times the wizard's step changes through the real wizard (DESIGN.md §9:
// under 100 ms): from "next" pressed (Ctrl+Enter runs the same action) until the next step is
// built and shown, the draft saved in between with the station's own SaveDraft
// (synchronous=FULL, its images included from the portrait step on). Each iteration goes
// identify → contact → portrait → fingers → review, one record throughout, then back to the
// identify step (going back saves nothing and is not timed). Between changes the officer's
// pause is stood in for by 150 ms of the station's UI work, the portrait's live preview
// included. p50-ms and p99-ms are over every change; each transition also reports its own
// p99 (e.g. contact-portrait-p99-ms) and max.
func BenchmarkStepChange(b *testing.B) {
	h := newHarness(b, filepath.Join(b.TempDir(), "station.db"))
	h.firstRun()
	h.toFingers()
	h.tap(h.T("fingers.capture"))
	h.waitFor("right index captured", func() bool {
		return h.hasText(h.s.tr.F("fingers.captured_next", map[string]any{"finger": enroll.RightIndex, "next": enroll.LeftIndex}))
	})
	h.tap(h.T("fingers.capture"))
	h.waitFor("left index captured", func() bool {
		return h.hasText(h.s.tr.F("fingers.lift", map[string]any{"finger": enroll.LeftIndex}))
	})
	// The wizard keeps its buttons from step to step (on the review step "next" reads
	// "confirm and save").
	next := h.button(h.T("wizard.next"))
	back := h.button(h.T("wizard.back"))
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepReview)
	toStart := func() {
		for range int(enroll.StepReview - enroll.StepIdentify) {
			test.Tap(back)
			h.pump()
		}
		h.onStep(enroll.StepIdentify)
	}
	toStart()
	names := map[enroll.Step]string{enroll.StepIdentify: "identify", enroll.StepContact: "contact",
		enroll.StepPortrait: "portrait", enroll.StepFingers: "fingers", enroll.StepReview: "review"}
	per := map[enroll.Step][]time.Duration{}
	var all []time.Duration
	for b.Loop() {
		for at := enroll.StepIdentify; at < enroll.StepReview; at++ {
			h.busyFor(150 * time.Millisecond)
			t0 := time.Now()
			test.Tap(next)
			// goNext disables "next" while the draft is written and enables it again, on the
			// UI goroutine, in the same call that builds and shows the next step.
			h.untilSaved(next)
			d := time.Since(t0)
			b.StopTimer()
			h.onStep(at + 1) // the change happened (a refused step would time out here)
			b.StartTimer()
			per[at] = append(per[at], d)
			all = append(all, d)
		}
		b.StopTimer()
		toStart()
		b.StartTimer()
	}
	p := func(ds []time.Duration, q int) float64 {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return float64(ds[min(len(ds)-1, len(ds)*q/100)].Microseconds()) / 1000
	}
	b.ReportMetric(p(all, 50), "p50-ms")
	b.ReportMetric(p(all, 99), "p99-ms")
	b.ReportMetric(p(all, 100), "max-ms")
	for at := enroll.StepIdentify; at < enroll.StepReview; at++ {
		name := names[at] + "-" + names[at+1]
		b.ReportMetric(p(per[at], 99), name+"-p99-ms")
		b.ReportMetric(p(per[at], 100), name+"-max-ms")
	}
}

// untilSaved runs UI work as it arrives until the wizard's "next" button is enabled again,
// without a sleeping poll (a short sleep loop costs most of a core on these machines).
func (h *harness) untilSaved(next *widget.Button) {
	h.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		h.pump()
		if !next.Disabled() {
			return
		}
		select {
		case <-h.queued:
		case <-deadline:
			h.t.Fatalf("the step change did not finish in 30 s; screen shows:\n%s", h.texts())
		}
	}
}

// busyFor runs the station's UI work as it arrives for d, as the app's event loop does while
// the officer looks at a step.
func (h *harness) busyFor(d time.Duration) {
	end := time.After(d)
	for {
		h.pump()
		select {
		case <-h.queued:
		case <-end:
			h.pump()
			return
		}
	}
}
