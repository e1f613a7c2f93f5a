package ui

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
)

// portraitStep shows the camera's live picture and takes the portrait.
type portraitStep struct {
	w       *wizard
	preview *canvas.Image
	crop    *canvas.Image
	take    *widget.Button
	state   *widget.Label
	stop    context.CancelFunc
	busy    bool
}

func newPortraitStep(w *wizard) *portraitStep {
	st := &portraitStep{w: w}
	st.preview = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 640, 480)))
	st.preview.FillMode = canvas.ImageFillContain
	st.preview.SetMinSize(fyne.NewSize(560, 420))
	st.crop = canvas.NewImageFromImage(nil)
	st.crop.FillMode = canvas.ImageFillContain
	st.crop.SetMinSize(fyne.NewSize(240, 320))
	if p := w.e.Portrait; p != nil && len(p.JPEG) > 0 {
		if img, err := jpeg.Decode(bytes.NewReader(p.JPEG)); err == nil {
			st.crop.Image = img
		}
	}
	st.state = widget.NewLabel("")
	st.state.Wrapping = fyne.TextWrapWord
	return st
}

func (st *portraitStep) view() fyne.CanvasObject {
	tr := st.w.s.tr
	st.take = widget.NewButton("", st.capture)
	st.take.Importance = widget.HighImportance
	st.labels()
	st.startPreview()
	guide := widget.NewLabel(tr.T("portrait.guide"))
	guide.Wrapping = fyne.TextWrapWord
	right := container.NewVBox(heading(tr.T("portrait.taken")), st.crop, st.take, st.state, guide)
	left := container.NewVBox(heading(tr.T("portrait.live")), st.preview,
		st.w.s.deviceLabel("camera"))
	return container.NewHBox(left, container.NewGridWrap(fyne.NewSize(320, right.MinSize().Height), right))
}

func (st *portraitStep) labels() {
	tr := st.w.s.tr
	if st.crop.Image == nil {
		st.take.SetText(tr.T("portrait.capture"))
	} else {
		st.take.SetText(tr.T("portrait.retake"))
	}
}

// startPreview streams camera frames into the preview until the step is left.
func (st *portraitStep) startPreview() {
	if st.stop != nil || st.w.s.cfg.Camera == nil {
		if st.w.s.cfg.Camera == nil {
			st.state.SetText(st.w.s.tr.T("portrait.no_camera"))
		}
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	st.stop = cancel
	frames, err := st.w.s.cfg.Camera.Stream(ctx)
	if err != nil {
		st.stop()
		st.stop = nil
		st.state.SetText(st.w.s.tr.Err(err))
		return
	}
	go func() {
		for f := range frames {
			img := f.Image
			st.w.s.cfg.Do(func() {
				if ctx.Err() != nil {
					return
				}
				st.preview.Image = img
				st.preview.Refresh()
			})
		}
	}()
}

// capture takes a still, crops it to the portrait format and shows it for confirmation.
func (st *portraitStep) capture() {
	if st.busy || st.w.s.cfg.Camera == nil {
		return
	}
	st.busy = true
	st.take.Disable()
	st.state.SetText(st.w.s.tr.T("portrait.capturing"))
	var p enroll.Portrait
	var shown image.Image
	cam := st.w.s.cfg.Camera
	st.w.s.background(func() error {
		still, err := cam.Still(context.Background())
		if err != nil {
			return err
		}
		crop, err := biometric.CropPortraitCentre(still)
		if err != nil {
			return err
		}
		b, err := biometric.EncodePortraitJPEG(crop)
		if err != nil {
			return err
		}
		p = enroll.Portrait{JPEG: b, Width: crop.Bounds().Dx(), Height: crop.Bounds().Dy(),
			Device: cam.Info().Name, CapturedAt: st.w.s.cfg.Now()}
		shown = crop
		return nil
	}, func(err error) {
		st.busy = false
		st.take.Enable()
		st.w.s.win.Canvas().Focus(st.take)
		if err != nil {
			st.state.SetText(st.w.s.tr.Err(err))
			return
		}
		st.w.e.Portrait = &p
		st.crop.Image = shown
		st.crop.Refresh()
		st.state.SetText(st.w.s.tr.T("portrait.done"))
		st.labels()
	})
}

func (st *portraitStep) commit() bool {
	if st.busy {
		return false
	}
	if st.w.e.Portrait == nil || len(st.w.e.Portrait.JPEG) == 0 {
		st.state.SetText(st.w.s.tr.T("err.portrait_missing"))
		st.w.status.SetText(st.w.s.tr.T("wizard.fix_errors"))
		return false
	}
	return true
}

func (st *portraitStep) leave() {
	if st.stop != nil {
		st.stop()
		st.stop = nil
	}
}

func (st *portraitStep) first() fyne.Focusable { return st.take }
