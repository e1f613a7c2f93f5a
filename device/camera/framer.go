package camera

import (
	"fmt"
	"image"
	"image/draw"

	"github.com/vladimirvivien/go4vl/v4l2"

	"github.com/wardpolice/enroll"
)

// previewMaxWidth: frames wider than this are halved for the screen and the face checks, so
// they get about 640 px wide frames whatever the streaming mode.
const previewMaxWidth = 960

// framer turns the driver's filled buffers into preview frames lent from a pool, and keeps
// the full-resolution picture for the still. One framer serves one stream.
type framer struct {
	mode    Mode
	stride  int
	preview *enroll.FramePool
	full    *enroll.FramePool // nil unless the preview is halved from a full-size RGBA
}

func newFramer(m Mode, stride int) *framer {
	f := &framer{mode: m, stride: stride}
	r := image.Rect(0, 0, m.Width, m.Height)
	if m.Width > previewMaxWidth {
		f.preview = enroll.NewFramePool(image.Rect(0, 0, m.Width/2, m.Height/2))
		f.full = enroll.NewFramePool(r)
	} else {
		f.preview = enroll.NewFramePool(r)
	}
	return f
}

// decode gives the preview frame (the caller releases it), the full-resolution picture and
// the hold that keeps that picture from being drawn over until the caller releases it (the
// zero Frame when the picture is not lent, as a decoded JPEG's planes).
func (f *framer) decode(b []byte) (shown enroll.Frame, full image.Image, hold enroll.Frame, err error) {
	big := f.mode.Width > previewMaxWidth
	if f.mode.Format == v4l2.PixelFmtMJPEG {
		src, err := decodeJPEG(b)
		if err != nil {
			return shown, nil, hold, err
		}
		if sb := src.Bounds(); sb.Dx() != f.mode.Width || sb.Dy() != f.mode.Height {
			return shown, nil, hold, fmt.Errorf("mjpeg frame: %dx%d in a %s stream", sb.Dx(), sb.Dy(), f.mode)
		}
		shown = f.preview.Lend()
		switch ycc, isYCC := src.(*image.YCbCr); {
		case big && isYCC:
			halfYCbCrInto(shown.Image, ycc) // the costliest step of a 720p stream otherwise
		case big:
			halveInto(shown.Image, toRGBA(src))
		default:
			draw.Draw(shown.Image, shown.Image.Rect, src, src.Bounds().Min, draw.Src)
			return shown, shown.Image, shown.Retain(), nil
		}
		return shown, src, hold, nil
	}
	if !big {
		shown = f.preview.Lend()
		if err := decodeYUYVInto(shown.Image, b, f.mode.Width, f.mode.Height, f.stride); err != nil {
			shown.Release()
			return enroll.Frame{}, nil, hold, err
		}
		return shown, shown.Image, shown.Retain(), nil
	}
	hold = f.full.Lend()
	if err := decodeYUYVInto(hold.Image, b, f.mode.Width, f.mode.Height, f.stride); err != nil {
		hold.Release()
		return shown, nil, enroll.Frame{}, err
	}
	shown = f.preview.Lend()
	halveInto(shown.Image, hold.Image)
	return shown, hold.Image, hold, nil
}
