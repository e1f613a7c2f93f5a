package minutiae_test

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
)

// upekCapture is the real UPEK TouchChip capture beside the checkout; the reader delivers
// 500 ppi (device/upektc).
func upekCapture(t testing.TB) *image.Gray {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "fingerprint", "upektc_img", "capture.png"))
	if err != nil {
		t.Fatalf("recorded capture missing: %v", err)
	}
	g, _, err := biometric.DecodeFingerPNG(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func extract(t testing.TB, img *image.Gray, ppi int) *minutiae.Template {
	t.Helper()
	tp, err := minutiae.Extract(img, ppi)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// resample scales img by factor (bilinear), as a reader of another resolution would see it.
func resample(img *image.Gray, factor float64) *image.Gray {
	b := img.Bounds()
	w, h := int(math.Round(float64(b.Dx())*factor)), int(math.Round(float64(b.Dy())*factor))
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			out.Pix[y*out.Stride+x] = bilinear(img, (float64(x)+0.5)/factor-0.5, (float64(y)+0.5)/factor-0.5)
		}
	}
	return out
}

// turn rotates img by angle about its centre and shifts it by (dx, dy), filling with the
// platen's grey.
func turn(img *image.Gray, angle, dx, dy float64) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	sin, cos := math.Sincos(-angle)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	for y := range b.Dy() {
		for x := range b.Dx() {
			px, py := float64(x)-cx-dx, float64(y)-cy-dy
			sx, sy := px*cos-py*sin+cx, px*sin+py*cos+cy
			v := uint8(242)
			if sx >= 0 && sy >= 0 && sx <= float64(b.Dx()-1) && sy <= float64(b.Dy()-1) {
				v = bilinear(img, sx, sy)
			}
			out.Pix[y*out.Stride+x] = v
		}
	}
	return out
}

func bilinear(img *image.Gray, x, y float64) uint8 {
	b := img.Bounds()
	x = math.Max(0, math.Min(float64(b.Dx()-1), x))
	y = math.Max(0, math.Min(float64(b.Dy()-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, b.Dx()-1), min(y0+1, b.Dy()-1)
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(x, y int) float64 { return float64(img.Pix[y*img.Stride+x]) }
	v := (at(x0, y0)*(1-fx)+at(x1, y0)*fx)*(1-fy) + (at(x0, y1)*(1-fx)+at(x1, y1)*fx)*fy
	return uint8(math.Round(v))
}

// fingerSet is a population of simulated fingers for tests, apart from the calibration and
// evaluation populations of docs/matcher.md.
func fingerSet(first uint64) func(finger, impression int) (*image.Gray, int, error) {
	return sim.Impressions(first, sim.RealisticVariation())
}
