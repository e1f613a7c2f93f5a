package ui

import (
	"context"
	"image"
	"sync/atomic"

	"fyne.io/fyne/v2/canvas"

	"github.com/wardpolice/enroll"
)

// showFeed shows a camera's frames in view as they come and hands one frame at a time to
// measure (the face checks, the QR reader), which runs beside the picture and never holds
// it up: frames arriving while a measurement runs are only shown. Each frame goes back to
// the camera's pool when it is neither on screen nor being measured. When the stream ends
// by itself (the camera was unplugged or failed), ended runs on the UI goroutine.
func (s *Station) showFeed(ctx context.Context, frames <-chan enroll.Frame, view *canvas.Image, measure func(*image.RGBA), ended func()) {
	var measuring atomic.Bool
	var shown enroll.Frame // the UI goroutine's
	go func() {
		for f := range frames {
			if measure != nil && measuring.CompareAndSwap(false, true) {
				m := f.Retain()
				go func() {
					defer measuring.Store(false)
					defer m.Release()
					measure(m.Image)
				}()
			}
			s.cfg.Do(func() {
				if ctx.Err() != nil {
					f.Release()
					return
				}
				view.Image = f.Image
				view.Refresh()
				// The picture replaced is no longer drawn: painting happens on this
				// goroutine, from view.Image.
				shown.Release()
				shown = f
			})
		}
		s.cfg.Do(func() {
			if ctx.Err() == nil && ended != nil {
				ended()
			}
		})
	}()
}
