package ui

import (
	"context"
	"image"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/canvas"

	"github.com/wardpolice/enroll"
)

// measureEvery paces the measurements: about 12 a second guide the officer as well as 30 do,
// and leave the machine's other core to the screen.
const measureEvery = 80 * time.Millisecond

// showFeed shows a camera's frames in view, newest first, and hands a frame at a time to
// measure (the face checks, the QR reader) at most every measureEvery; a measurement runs
// beside the picture and never holds it up. Only the newest frame waits for the screen: one
// arriving before the last was drawn takes its place, and the older goes back to the
// camera's pool, so a stalled screen holds at most one frame more, never a queue of them.
// When the stream ends by itself (the camera was unplugged or failed), ended runs on the UI
// goroutine.
func (s *Station) showFeed(ctx context.Context, frames <-chan enroll.Frame, view *canvas.Image, measure func(*image.RGBA), ended func()) {
	var measuring, posted atomic.Bool
	var pending atomic.Pointer[enroll.Frame] // the newest frame not yet on screen
	var shown enroll.Frame                   // the UI goroutine's
	draw := func() {
		posted.Store(false)
		f := pending.Swap(nil)
		if f == nil {
			return
		}
		if ctx.Err() != nil {
			f.Release()
			return
		}
		view.Image = f.Image
		view.Refresh()
		// The picture replaced is no longer drawn: painting happens on this goroutine,
		// from view.Image.
		shown.Release()
		shown = *f
	}
	go func() {
		var measured time.Time
		for f := range frames {
			if measure != nil && time.Since(measured) >= measureEvery && measuring.CompareAndSwap(false, true) {
				measured = time.Now()
				m := f.Retain()
				go func() {
					defer measuring.Store(false)
					defer m.Release()
					measure(m.Image)
				}()
			}
			if old := pending.Swap(&f); old != nil {
				old.Release() // never shown: a newer frame came first
			}
			if posted.CompareAndSwap(false, true) {
				s.do(draw)
			}
		}
		if f := pending.Swap(nil); f != nil {
			f.Release()
		}
		s.do(func() {
			if ctx.Err() == nil && ended != nil {
				ended()
			}
		})
	}()
}
