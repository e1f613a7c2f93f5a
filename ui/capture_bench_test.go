package ui

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// timedScanner notes when each capture comes back from the reader, so the benchmark times
// only the station's part: scoring, encoding and showing the score (the simulator's own
// rendering of a print, ~100 ms, is not what a real reader costs the station).
type timedScanner struct {
	enroll.FingerprintScanner
	returned atomic.Int64 // unix nanoseconds
}

func (s *timedScanner) Capture(ctx context.Context) (enroll.FingerImage, error) {
	img, err := s.FingerprintScanner.Capture(ctx)
	s.returned.Store(time.Now().UnixNano())
	return img, err
}

// BenchmarkCaptureToScore measures, through the real fingers step, the time from the reader
// handing over a print to its score on screen (DESIGN.md §9: p99 under 150 ms).
func BenchmarkCaptureToScore(b *testing.B) {
	h := newHarness(b, filepath.Join(b.TempDir(), "station.db"))
	scanner := &timedScanner{FingerprintScanner: h.scanner}
	h.s.cfg.Scanner = scanner
	h.firstRun()
	h.toPortrait()
	h.takePortrait()
	h.waitFor("portrait taken", func() bool { return h.hasText(h.T("portrait.done")) })
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepFingers)
	h.check(h.T("fingers.ten_print")).SetChecked(true) // ten fingers, each with its tries
	h.pump()
	var took []time.Duration
	n := 0
	for b.Loop() {
		p := n%10 + 1
		n++
		if n > 10*enroll.MaxFingerTries {
			b.Fatalf("only %d captures: run with -benchtime %dx or fewer", 10*enroll.MaxFingerTries, 10*enroll.MaxFingerTries)
		}
		label := strconv.Itoa(p)
		// The selected finger is shown in brackets.
		find(h, "finger "+label, func(b *widget.Button) bool { return b.Text == label || b.Text == "["+label+"]" }).OnTapped()
		h.pump()
		btn := find(h, "capture button", func(b *widget.Button) bool {
			return b.Text == h.T("fingers.capture") || b.Text == h.T("fingers.retake")
		})
		if btn.Disabled() {
			b.Fatalf("finger %d: no tries left", p)
		}
		before := h.texts()
		btn.OnTapped()
		placing := h.s.tr.F("fingers.place", map[string]any{"finger": enroll.FingerPosition(p)})
		h.waitFor("the score", func() bool { return h.texts() != before && !h.hasText(placing) })
		took = append(took, time.Since(time.Unix(0, scanner.returned.Load())))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
