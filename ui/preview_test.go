package ui

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// waiting is how much UI work waits.
func (h *harness) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.queue)
}

// TestStalledScreenHoldsNoFrames: with the UI goroutine stalled for 2 s while the camera
// streams at 30 frames a second, the frames waiting for the screen do not pile up: at most the
// newest waits, the rest go back to the pool; the face checks are paced, not queued either.
func TestStalledScreenHoldsNoFrames(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.toPortrait()
	h.waitFor("live checks", func() bool { return h.hasText("[" + h.T("portrait.capture") + "]") })
	stalled := time.Now() // the queue was last emptied just now
	before := liveHeap()
	time.Sleep(2 * time.Second) // nothing pumps the UI queue: a stalled screen
	// 60 frames of 1.2 MB arrived meanwhile: queued, they would be 72 MB more live heap.
	if grew := liveHeap() - before; grew > 8<<20 {
		t.Errorf("the live heap grew by %.1f MB while the screen was stalled 2 s, want under 8 MB", float64(grew)/(1<<20))
	}
	// One frame shown, one waiting, one being measured, one in the camera's hands.
	if n := h.camera.FramesLent(); n > 4 {
		t.Errorf("%d frames held by a stalled screen, want at most 4", n)
	}
	// One draw waits, and the checks' results: one per measurement at most, each a small
	// closure without a frame, and measurements are paced to one every measureEvery. The
	// stall lasts the 2 s and the two collections around them, which take longer on a busy
	// machine: the bound is taken from the stall's real length.
	n, stall := h.waiting(), time.Since(stalled)
	if n > 2+int(stall/measureEvery)+1 {
		t.Errorf("%d UI updates queued in a %v stall", n, stall.Round(time.Millisecond))
	}
	h.pump()
	if n := h.camera.FramesLent(); n > 4 {
		t.Errorf("%d frames held after the screen caught up", n)
	}
}

// liveHeap is the heap that survives a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestPreviewStopsBehindTheLock: the idle lock stops the camera; unlocking starts it again.
func TestPreviewStopsBehindTheLock(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.toPortrait()
	h.waitFor("live checks", func() bool { return h.hasText("[" + h.T("portrait.capture") + "]") })
	h.advance(time.Hour)
	h.s.CheckIdle()
	if !h.s.Locked() {
		t.Fatal("no lock after an idle hour")
	}
	h.waitFor("the camera to stop behind the lock", func() bool { return h.camera.Streaming() == 0 })
	h.typeInto(h.T("field.password"), testPassword)
	h.tap(h.T("lock.unlock"))
	h.waitFor("unlocked", func() bool { return !h.s.Locked() })
	h.waitFor("live checks again", func() bool { return h.hasText("[" + h.T("portrait.capture") + "]") })
	if n := h.camera.Streaming(); n != 1 {
		t.Errorf("%d streams after unlocking, want 1", n)
	}
}
