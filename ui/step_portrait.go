package ui

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
)

// portraitStep shows the camera's live picture with the face box and the portrait checks,
// and takes the portrait.
type portraitStep struct {
	w       *wizard
	preview *canvas.Image
	crop    *canvas.Image
	take    *widget.Button
	state   *widget.Label
	checks  *fyne.Container
	stop    context.CancelFunc
	busy    bool
	// last is the newest frame's assessment (UI goroutine); box is its face box, drawn on
	// the frames shown until the next assessment.
	last     *biometric.Assessment
	passedAt time.Time
	// faceBox outlines the face over the preview (a rectangle on top, not pixels drawn into
	// every frame).
	faceBox *canvas.Rectangle
	live    *fyne.Container
}

func newPortraitStep(w *wizard) *portraitStep {
	st := &portraitStep{w: w}
	// Until the first frame, an empty 4:3 picture (the camera's shape) holds the place.
	st.preview = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 4, 3)))
	st.preview.FillMode = canvas.ImageFillContain
	// The default smooth scaling resizes every frame on the CPU (CatmullRom) before it
	// becomes a texture: under Xvfb 240 MB/s of scratch buffers and most of a core for the
	// 30 frames a second. The texture's own linear filter scales it as well for a preview.
	st.preview.ScaleMode = canvas.ImageScaleFastest
	st.preview.SetMinSize(fyne.NewSize(560, 420))
	st.faceBox = canvas.NewRectangle(color.Transparent)
	st.faceBox.StrokeWidth = 3
	st.faceBox.Hide()
	st.live = container.NewStack(st.preview, container.NewWithoutLayout(st.faceBox))
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
	st.checks = container.NewVBox()
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
	left := container.NewVBox(heading(tr.T("portrait.live")), st.live,
		st.w.s.deviceLabel("camera"))
	cols := []fyne.CanvasObject{left}
	if st.w.s.cfg.Faces != nil {
		// Beside the picture, not under it: the checks under a 420 px preview would run off
		// a 768 px screen.
		checks := container.NewVBox(heading(tr.T("portrait.checks")), st.checks)
		st.showChecks()
		cols = append(cols, container.NewGridWrap(fyne.NewSize(300, left.MinSize().Height), checks))
	}
	cols = append(cols, container.NewGridWrap(fyne.NewSize(320, right.MinSize().Height), right))
	return container.NewHBox(cols...)
}

func (st *portraitStep) labels() {
	tr := st.w.s.tr
	switch {
	case st.needsReason():
		st.take.SetText(tr.T("portrait.capture_anyway"))
	case st.crop.Image == nil:
		st.take.SetText(tr.T("portrait.capture"))
	default:
		st.take.SetText(tr.T("portrait.retake"))
	}
	// Once a portrait is kept, the next intended action is the wizard's Next, not a retake.
	st.take.Importance = widget.HighImportance
	if st.crop.Image != nil {
		st.take.Importance = widget.MediumImportance
	}
	st.take.Refresh()
}

// needsReason: the live checks run and the newest (or a steady recent) assessment fails, so
// taking the portrait needs the officer's reason.
func (st *portraitStep) needsReason() bool {
	return st.w.s.cfg.Faces != nil && (st.last == nil || !st.last.Passed())
}

// showChecks lists the newest assessment: each check that fails or warns with what to do,
// then one line for the checks that hold (fifteen lines beside the preview would run off a
// 768 px screen).
func (st *portraitStep) showChecks() {
	tr := st.w.s.tr
	st.checks.RemoveAll()
	if st.last == nil {
		st.checks.Add(widget.NewLabel(tr.T("portrait.analysing")))
		return
	}
	held := 0
	for _, c := range st.last.Checks {
		if c.Result() == "pass" {
			held++
			continue
		}
		l := widget.NewLabel(st.w.s.checkLine(c))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.DangerImportance
		if c.Pass {
			l.Importance = widget.WarningImportance
		}
		st.checks.Add(l)
	}
	if held > 0 {
		l := widget.NewLabel(tr.F("portrait.checks_held", map[string]any{"count": held, "total": len(st.last.Checks)}))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.SuccessImportance
		st.checks.Add(l)
	}
}

func (s *Station) checkLine(c biometric.FaceCheck) string { return CheckLine(s.tr, c) }

// CheckLine is one portrait check for the officer: its name and what to do, or that it holds.
func CheckLine(tr *Translator, c biometric.FaceCheck) string {
	return tr.T("check."+c.Name) + ": " + CheckMessage(tr, c)
}

// CheckMessage is what the officer reads about a check: what to do when it fails or warns,
// else that it holds.
func CheckMessage(tr *Translator, c biometric.FaceCheck) string {
	if c.Pass && !c.Warn {
		return tr.T("face.ok")
	}
	return tr.F("face."+c.Code, c.Params)
}

// analyse measures a preview frame (showFeed runs one at a time, beside the picture: checks
// run as often as the machine allows, DESIGN: at least 10 per second). The checks are the
// still's, judged as the live camera: a busy background fails here, where the officer can
// still change it, and only warns on the still.
func (st *portraitStep) analyse(ctx context.Context, img *image.RGBA) {
	a := st.w.s.cfg.Faces.Assess(img).Live()
	frame := img.Rect
	st.w.s.do(func() {
		if ctx.Err() != nil {
			return
		}
		// A face missed in one frame (a blink, a turn) does not undo a pass moments ago:
		// the screen keeps showing the pass for steadyPass, so the officer's capture
		// button does not flicker between plain and "anyway".
		now := st.w.s.cfg.Now()
		if a.Passed() {
			st.passedAt = now
		} else if st.last != nil && st.last.Passed() && now.Sub(st.passedAt) < steadyPass {
			return
		}
		st.last = &a
		st.showChecks()
		st.placeBox(frame, a)
		if !st.busy {
			st.labels()
		}
	})
}

// placeBox puts the face outline over the preview where the face is in the frame (the image
// is scaled to fit, keeping its shape): green when every check holds, orange otherwise.
func (st *portraitStep) placeBox(frame image.Rectangle, a biometric.Assessment) {
	if a.Face == nil || frame.Dx() == 0 {
		st.faceBox.Hide()
		return
	}
	size := st.preview.Size()
	scale := min(size.Width/float32(frame.Dx()), size.Height/float32(frame.Dy()))
	offX := (size.Width - scale*float32(frame.Dx())) / 2
	offY := (size.Height - scale*float32(frame.Dy())) / 2
	r := a.Face.Box()
	st.faceBox.StrokeColor = color.RGBA{240, 150, 20, 255}
	if a.Passed() {
		st.faceBox.StrokeColor = color.RGBA{40, 200, 80, 255}
	}
	st.faceBox.Move(fyne.NewPos(offX+scale*float32(r.Min.X), offY+scale*float32(r.Min.Y)))
	st.faceBox.Resize(fyne.NewSize(scale*float32(r.Dx()), scale*float32(r.Dy())))
	st.faceBox.Show()
	st.faceBox.Refresh()
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
		st.waitForCamera(st.w.s.tr.Err(err))
		return
	}
	var measure func(*image.RGBA)
	if st.w.s.cfg.Faces != nil {
		measure = func(img *image.RGBA) { st.analyse(ctx, img) }
	}
	st.w.s.showFeed(ctx, frames, st.preview, measure, func() {
		st.stop()
		st.stop = nil
		st.last = nil
		st.faceBox.Hide()
		st.showChecks()
		if !st.busy {
			st.labels()
		}
		st.waitForCamera(st.w.s.tr.T("camera.lost"))
	})
}

// waitForCamera says why there is no picture and starts the preview again when
// DevicesChanged says the camera is back.
func (st *portraitStep) waitForCamera(why string) {
	st.state.SetText(why)
	st.w.s.cameraBack = func() {
		st.w.s.cameraBack = nil
		st.state.SetText("")
		st.startPreview()
	}
}

// capture takes the portrait. While a check fails the officer may still take it, giving a
// reason (a citizen who cannot sit upright, say); the reason is kept with the portrait.
func (st *portraitStep) capture() {
	if st.busy || st.w.s.cfg.Camera == nil {
		return
	}
	if st.needsReason() {
		st.askOverride()
		return
	}
	st.takeStill("")
}

func (st *portraitStep) askOverride() {
	tr := st.w.s.tr
	reason := newDialogEntry()
	reason.SetPlaceHolder(tr.T("portrait.override_hint"))
	failed := widget.NewLabel(st.failedText())
	failed.Wrapping = fyne.TextWrapWord
	items := []*widget.FormItem{widget.NewFormItem("", failed), widget.NewFormItem(tr.T("portrait.override_reason"), reason)}
	d := dialog.NewForm(tr.T("portrait.override_title"), tr.T("portrait.capture"), tr.T("dialog.cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		why := enroll.NormalizeText(reason.Text)
		if why == "" {
			st.state.SetText(tr.T("portrait.override_need_reason"))
			return
		}
		st.takeStill(why)
	}, st.w.s.win)
	d.Resize(fyne.NewSize(560, 300))
	d.Show()
	st.w.s.win.Canvas().Focus(reason)
}

// failedText lists the newest assessment's failing checks for the officer, then its
// warnings.
func (st *portraitStep) failedText() string {
	if st.last == nil {
		return st.w.s.tr.T("portrait.analysing")
	}
	var lines []string
	for _, c := range st.last.Failed() {
		lines = append(lines, st.w.s.checkLine(c))
	}
	for _, c := range st.last.Checks {
		if c.Warn {
			lines = append(lines, st.w.s.checkLine(c))
		}
	}
	return strings.Join(lines, "\n")
}

// steadyPass is how long a passing assessment stands against later failing frames.
const steadyPass = 700 * time.Millisecond

// errStillFailed: the still (not just the preview) fails a check and no reason was given.
var errStillFailed = errors.New("the picture fails a portrait check")

// takeStill takes a full-resolution still, measures it, crops it around the face (the centre
// when no single face is found) and shows it for confirmation.
func (st *portraitStep) takeStill(override string) {
	st.busy = true
	st.take.Disable()
	st.state.SetText(st.w.s.tr.T("portrait.capturing"))
	var p enroll.Portrait
	var shown image.Image
	var a biometric.Assessment
	cam, faces := st.w.s.cfg.Camera, st.w.s.cfg.Faces
	st.w.s.background(func() error {
		still, err := cam.Still(context.Background())
		if err != nil {
			return err
		}
		var crop *image.NRGBA
		if faces != nil {
			a = faces.Assess(still)
			if !a.Passed() && override == "" {
				return errStillFailed
			}
		}
		if a.Face != nil {
			crop, err = biometric.CropPortraitFace(still, *a.Face)
		} else {
			crop, err = biometric.CropPortraitCentre(still)
		}
		if err != nil {
			return err
		}
		b, err := biometric.EncodePortraitJPEG(crop)
		if err != nil {
			return err
		}
		p = enroll.Portrait{JPEG: b, Width: crop.Bounds().Dx(), Height: crop.Bounds().Dy(),
			Device: cam.Info().Name, CapturedAt: st.w.s.cfg.Now(), Override: override}
		for _, c := range a.Checks {
			p.Checks = append(p.Checks, enroll.PortraitCheck{Name: c.Name, Pass: c.Pass, Value: c.Value})
		}
		shown = crop
		return nil
	}, func(err error) {
		st.busy = false
		st.take.Enable()
		st.w.s.win.Canvas().Focus(st.take)
		if errors.Is(err, errStillFailed) {
			st.last = &a
			st.showChecks()
			st.labels()
			st.state.SetText(st.failedText())
			return
		}
		if err != nil {
			st.state.SetText(st.w.s.tr.Err(err))
			return
		}
		st.w.e.Portrait = &p
		st.w.status.SetText("") // what it said was missing is there now
		st.crop.Image = shown
		st.crop.Refresh()
		if override != "" {
			st.state.SetText(st.w.s.tr.F("portrait.done_warning", map[string]any{"checks": st.failedText(), "reason": override}))
		} else {
			st.state.SetText(st.w.s.tr.T("portrait.done"))
		}
		st.labels()
	})
}

func (st *portraitStep) commit() bool {
	if st.busy {
		return false
	}
	if st.w.e.Portrait == nil || len(st.w.e.Portrait.JPEG) == 0 {
		// Nothing on this step is marked red: the bar says what is missing instead.
		st.state.SetText(st.w.s.tr.T("err.portrait_missing"))
		st.w.status.SetText(st.w.s.tr.T("err.portrait_missing"))
		return false
	}
	return true
}

func (st *portraitStep) leave() {
	st.w.s.cameraBack = nil
	if st.stop != nil {
		st.stop()
		st.stop = nil
	}
}

// resume starts the preview again after the idle lock stopped it.
func (st *portraitStep) resume() { st.startPreview() }

func (st *portraitStep) first() fyne.Focusable { return st.take }
