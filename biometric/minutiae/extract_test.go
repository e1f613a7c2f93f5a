package minutiae_test

import (
	"errors"
	"image"
	"math"
	"testing"

	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
)

// The simulator knows where its fingers' minutiae are. Of those well inside the pressed area,
// the extractor must find most, and most of what it reports must be one of them. The rest are
// mistakes and the minutiae of the ridge pattern's own singular regions (where the simulated
// classes' ridge fields meet), which are real to the matcher, the same in every impression,
// but which the simulator does not list. Measured: 80 % and 68 %.
func TestExtractFindsTheSimulatedMinutiae(t *testing.T) {
	v := sim.RealisticVariation()
	var truth, found, reported, near int
	for f := uint64(7000); f < 7030; f++ {
		capture := f*10 + 1
		tp := extract(t, sim.NewImpression(f, capture, v), sim.FingerPPI)
		gt := sim.GroundTruth(f, capture, v)
		used := make([]bool, len(tp.Minutiae))
		for _, g := range gt {
			if g.Contact < 0.95 {
				continue
			}
			truth++
			for i, m := range tp.Minutiae {
				if !used[i] && math.Hypot(float64(m.X-g.X), float64(m.Y-g.Y)) <= 8 {
					used[i] = true
					found++
					break
				}
			}
		}
		reported += len(tp.Minutiae)
		for _, m := range tp.Minutiae {
			for _, g := range gt {
				if math.Hypot(float64(m.X-g.X), float64(m.Y-g.Y)) <= 8 {
					near++
					break
				}
			}
		}
	}
	recall, precision := float64(found)/float64(truth), float64(near)/float64(reported)
	t.Logf("%d true minutiae, %d found (%.0f %%); %d reported, %d true (%.0f %%)",
		truth, found, 100*recall, reported, near, 100*precision)
	if recall < 0.75 || precision < 0.6 {
		t.Errorf("recall %.2f, precision %.2f; want at least 0.75 and 0.6", recall, precision)
	}
}

// Directions follow the convention: an ending points away from its ridge (behind it is ridge,
// ahead valley); a bifurcation points along its stem (ahead is the stem's ridge, behind the
// valley between the forks).
func TestMinutiaDirectionsFollowTheConvention(t *testing.T) {
	agree, total := 0, 0
	for f := uint64(7100); f < 7110; f++ {
		img := sim.NewImpression(f, 1, sim.Variation{MinQuality: 1, MaxQuality: 1})
		tp := extract(t, img, sim.FingerPPI)
		for _, m := range tp.Minutiae {
			if m.Quality < 60 {
				continue
			}
			sin, cos := math.Sincos(m.Angle)
			grey := func(d float64) float64 {
				x, y := int(math.Round(float64(m.X)+d*cos)), int(math.Round(float64(m.Y)+d*sin))
				if !image.Pt(x, y).In(img.Bounds()) {
					return math.NaN()
				}
				return float64(img.GrayAt(x, y).Y)
			}
			ahead, behind := grey(5), grey(-5)
			if math.IsNaN(ahead) || math.IsNaN(behind) {
				continue
			}
			total++
			darkAhead := ahead < behind
			if (m.Kind == minutiae.Ending && !darkAhead) || (m.Kind == minutiae.Bifurcation && darkAhead) {
				agree++
			}
		}
	}
	if total < 50 || float64(agree) < 0.85*float64(total) {
		t.Errorf("%d of %d minutiae point the documented way", agree, total)
	}
}

// The same print at another resolution gives the same minutiae in that image's pixels, and
// matches the original.
func TestExtractIsResolutionAware(t *testing.T) {
	img := sim.NewImpression(7200, 3, sim.Variation{MinQuality: 0.9, MaxQuality: 1})
	ref := extract(t, img, 500)
	for _, ppi := range []int{400, 1000} {
		factor := float64(ppi) / 500
		scaled := extract(t, resample(img, factor), ppi)
		if scaled.PPI != ppi || scaled.Width != int(math.Round(float64(ref.Width)*factor)) {
			t.Errorf("%d ppi: template %d ppi, width %d", ppi, scaled.PPI, scaled.Width)
		}
		matched := 0
		for _, m := range ref.Minutiae {
			for _, s := range scaled.Minutiae {
				if math.Hypot(float64(s.X)/factor-float64(m.X), float64(s.Y)/factor-float64(m.Y)) <= 4 {
					matched++
					break
				}
			}
		}
		if matched*10 < len(ref.Minutiae)*7 {
			t.Errorf("%d ppi: %d of %d minutiae found again", ppi, matched, len(ref.Minutiae))
		}
		if s := minutiae.Match(ref, scaled); !s.Matches() {
			t.Errorf("%d ppi: the same print scores %.3f against itself at 500 ppi", ppi, s)
		}
	}
}

// A sub-image's minutiae are reported relative to its own corner.
func TestExtractSubImage(t *testing.T) {
	img := sim.NewImpression(7300, 1, sim.Variation{MinQuality: 1, MaxQuality: 1})
	framed := image.NewGray(image.Rect(0, 0, img.Rect.Dx()+40, img.Rect.Dy()+30))
	for i := range framed.Pix {
		framed.Pix[i] = 242
	}
	for y := range img.Rect.Dy() {
		copy(framed.Pix[(y+30)*framed.Stride+40:], img.Pix[y*img.Stride:(y+1)*img.Stride])
	}
	sub := framed.SubImage(image.Rect(40, 30, 40+img.Rect.Dx(), 30+img.Rect.Dy())).(*image.Gray)
	a, b := extract(t, img, 500), extract(t, sub, 500)
	if len(a.Minutiae) != len(b.Minutiae) || b.Width != a.Width {
		t.Fatalf("sub-image: %d minutiae, %d wide; whole: %d, %d", len(b.Minutiae), b.Width, len(a.Minutiae), a.Width)
	}
	for i := range a.Minutiae {
		if a.Minutiae[i] != b.Minutiae[i] {
			t.Errorf("minutia %d: %+v in the sub-image, %+v in the image", i, b.Minutiae[i], a.Minutiae[i])
		}
	}
}

func TestExtractRefusesWhatIsNotAPrint(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range blank.Pix {
		blank.Pix[i] = 242
	}
	if _, err := minutiae.Extract(blank, 500); !errors.Is(err, minutiae.ErrNoRidges) {
		t.Errorf("blank platen: %v, want ErrNoRidges", err)
	}
	img := sim.NewImpression(7400, 1, sim.RealisticVariation())
	for _, c := range []struct {
		name string
		img  *image.Gray
		ppi  int
	}{
		{"no image", nil, 500},
		{"no resolution", img, 0},
		{"absurd resolution", img, 5000},
		{"too small", image.NewGray(image.Rect(0, 0, 40, 300)), 500},
	} {
		if _, err := minutiae.Extract(c.img, c.ppi); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// The real reader's capture is faint and narrow; the extractor must still find ridges and some
// minutiae there, inside the image.
func TestExtractRealCapture(t *testing.T) {
	img := upekCapture(t)
	tp := extract(t, img, 500)
	t.Logf("UPEK capture: %d minutiae", len(tp.Minutiae))
	if len(tp.Minutiae) < 3 {
		t.Errorf("%d minutiae in the real capture", len(tp.Minutiae))
	}
	for _, m := range tp.Minutiae {
		if !image.Pt(m.X, m.Y).In(img.Bounds()) || m.Quality == 0 || m.Quality > 100 {
			t.Errorf("minutia %+v", m)
		}
	}
}
