package ui

import (
	"context"
	"image"
	"image/color"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"
	"github.com/disintegration/imaging"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/wardpolice/enroll"
)

// wallCamera films an empty wall: no face.
type wallCamera struct{}

func (wallCamera) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: "Wall camera", Simulated: true}
}
func (wallCamera) Close() error { return nil }
func (wallCamera) Still(context.Context) (*image.RGBA, error) {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 960))
	for i := range img.Pix {
		img.Pix[i] = []uint8{225, 226, 230, 255}[i%4]
	}
	return img, nil
}
func (c wallCamera) Stream(ctx context.Context) (<-chan enroll.Frame, error) {
	out := make(chan enroll.Frame, 1)
	go func() {
		defer close(out)
		for seq := uint64(0); ctx.Err() == nil; seq++ {
			img := image.NewRGBA(image.Rect(0, 0, 640, 480))
			for y := 0; y < 480; y++ {
				for x := 0; x < 640; x++ {
					img.SetRGBA(x, y, color.RGBA{225, 226, 230, 255})
				}
			}
			select {
			case out <- enroll.Frame{Image: img, Seq: seq, At: time.Now()}:
			case <-ctx.Done():
				return
			}
			time.Sleep(40 * time.Millisecond)
		}
	}()
	return out, nil
}

// TestPortraitFailingChecksNeedsAReason: with no face in front of the camera the checks say
// so, a plain capture is not offered, and taking the picture anyway needs a reason, which is
// stored with the failed checks.
func TestPortraitFailingChecksNeedsAReason(t *testing.T) {
	h := newHarnessWith(t, filepath.Join(t.TempDir(), "station.db"), wallCamera{})
	h.firstRun()
	h.toPortrait()

	noFace := h.T("check.one_face") + ": " + h.T("face.no_face")
	h.waitFor("the no-face message", func() bool { return h.hasText(noFace) })
	if h.hasText("[" + h.T("portrait.capture") + "]") {
		t.Fatalf("a plain capture is offered with no face:\n%s", h.texts())
	}
	h.tap(h.T("portrait.capture_anyway"))
	h.tap(h.T("portrait.capture")) // the dialog's confirm, with no reason
	if !h.hasText(h.T("portrait.override_need_reason")) {
		t.Fatalf("taken without a reason:\n%s", h.texts())
	}
	h.tap(h.T("portrait.capture_anyway"))
	find(h, "reason entry", func(e *widget.Entry) bool { return e.PlaceHolder == h.T("portrait.override_hint") }).SetText("công dân không thể ngồi thẳng")
	h.tap(h.T("portrait.capture"))
	h.waitFor("portrait kept with a warning", func() bool { return h.hasText("công dân không thể ngồi thẳng") })
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepFingers)
	drafts, _ := h.st.Drafts(context.Background(), testUser)
	e, err := h.st.Get(context.Background(), drafts[0].ID)
	if err != nil || e.Portrait == nil || e.Portrait.Override != "công dân không thể ngồi thẳng" ||
		len(e.Portrait.Checks) != 1 || e.Portrait.Checks[0].Pass || e.Portrait.Checks[0].Name != "one_face" {
		t.Fatalf("stored portrait %+v, %v", e.Portrait, err)
	}
}

// cardCamera films the back of a CCCD card: its QR code on a grey desk.
type cardCamera struct{ frame *image.RGBA }

func newCardCamera(t *testing.T, text string) cardCamera {
	code, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	desk := imaging.New(640, 480, color.RGBA{110, 112, 118, 255})
	frame := imaging.Paste(desk, code.Image(240), image.Pt(300, 150))
	return cardCamera{&image.RGBA{Pix: frame.Pix, Stride: frame.Stride, Rect: frame.Rect}}
}

func (cardCamera) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: "Desk camera", Simulated: true}
}
func (cardCamera) Close() error { return nil }
func (c cardCamera) Still(context.Context) (*image.RGBA, error) {
	return c.frame, nil
}
func (c cardCamera) Stream(ctx context.Context) (<-chan enroll.Frame, error) {
	out := make(chan enroll.Frame, 1)
	go func() {
		defer close(out)
		for seq := uint64(0); ctx.Err() == nil; seq++ {
			select {
			case out <- enroll.Frame{Image: c.frame, Seq: seq, At: time.Now()}:
			case <-ctx.Done():
				return
			}
			time.Sleep(40 * time.Millisecond)
		}
	}()
	return out, nil
}

// TestCardQRThroughTheCamera: without a wedge scanner the officer holds the card up to the
// camera; the code is read from the picture and fills the form as a scan does.
func TestCardQRThroughTheCamera(t *testing.T) {
	h := newHarnessWith(t, filepath.Join(t.TempDir(), "station.db"), newCardCamera(t, citizenQR))
	h.firstRun()
	h.login()
	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.tap(h.T("identify.camera_scan"))
	h.waitFor("the card read", func() bool { return h.field(h.T("field.full_name")).Text == "Trần Thị Bích Ngọc" })
	if got := h.field(h.T("field.personal_id")).Text; got != "036192004321" {
		t.Errorf("ID from the camera: %q", got)
	}
	if !h.hasText("[" + h.T("identify.camera_scan") + "]") {
		t.Errorf("the camera scan did not stop after reading:\n%s", h.texts())
	}
}
