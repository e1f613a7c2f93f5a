package minutiae_test

import (
	"math"
	"testing"

	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
)

// moved is t's minutiae turned by angle about (cx, cy) and shifted: the same finger placed
// differently, without any change in the skin.
func moved(t *minutiae.Template, angle, dx, dy float64) *minutiae.Template {
	out := *t
	out.Width, out.Height = t.Width+400, t.Height+400 // room for the move
	out.Minutiae = nil
	sin, cos := math.Sincos(angle)
	cx, cy := float64(t.Width)/2, float64(t.Height)/2
	for _, m := range t.Minutiae {
		x, y := float64(m.X)-cx, float64(m.Y)-cy
		m.X = int(math.Round(x*cos - y*sin + cx + dx + 200))
		m.Y = int(math.Round(x*sin + y*cos + cy + dy + 200))
		m.Angle = math.Mod(m.Angle+angle+2*math.Pi, 2*math.Pi)
		out.Minutiae = append(out.Minutiae, m)
	}
	return &out
}

// Cylinders are relative to each minutia: turning and shifting a print changes nothing but
// the rounding of positions to pixels (a pixel's jitter flips a few cylinder bits, so a moved
// copy scores about 0.9 rather than 1). Minutiae are paired only when their directions differ
// by less than a quarter turn, as in MCC: fingers are placed on a reader upright, and the
// constraint keeps many chance pairs out.
func TestMatchIgnoresRotationAndTranslation(t *testing.T) {
	tp := extract(t, sim.NewImpression(7500, 1, sim.Variation{MinQuality: 0.9, MaxQuality: 1}), 500)
	if self := minutiae.Match(tp, tp); self < 0.95 {
		t.Fatalf("a print scores %.3f against itself", self)
	}
	lo, hi := minutiae.Score(1), minutiae.Score(0)
	for _, angle := range []float64{0.05, 0.3, -0.7, 1.2, -1.45} {
		s := minutiae.Match(tp, moved(tp, angle, 37, -25))
		lo, hi = min(lo, s), max(hi, s)
		if s < 0.8 {
			t.Errorf("turned %.2f rad and shifted: %.3f", angle, s)
		}
	}
	if hi-lo > 0.1 {
		t.Errorf("scores of the turned copies range from %.3f to %.3f", lo, hi)
	}
}

// Templates are compared in millimetres, whatever each was captured at.
func TestMatchAcrossResolutions(t *testing.T) {
	tp := extract(t, sim.NewImpression(7501, 1, sim.Variation{MinQuality: 0.9, MaxQuality: 1}), 500)
	fine := *tp
	fine.PPI, fine.Width, fine.Height = 1000, 2*tp.Width, 2*tp.Height
	fine.Minutiae = nil
	for _, m := range tp.Minutiae {
		m.X, m.Y = 2*m.X, 2*m.Y
		fine.Minutiae = append(fine.Minutiae, m)
	}
	if s, self := minutiae.Match(tp, &fine), minutiae.Match(tp, tp); math.Abs(float64(s-self)) > 0.02 {
		t.Errorf("same minutiae at 1000 ppi: %.3f, at 500 ppi %.3f", s, self)
	}
}

func TestMatchSeparatesFingers(t *testing.T) {
	v := sim.RealisticVariation()
	for f := uint64(7600); f < 7606; f++ {
		a := extract(t, sim.NewImpression(f, 1, v), 500)
		b := extract(t, sim.NewImpression(f, 2, v), 500)
		other := extract(t, sim.NewImpression(f+50, 1, v), 500)
		genuine, impostor := minutiae.Match(a, b), minutiae.Match(a, other)
		t.Logf("finger %d: genuine %.3f, impostor %.3f", f, genuine, impostor)
		if genuine <= impostor || impostor.Matches() {
			t.Errorf("finger %d: genuine %.3f, impostor %.3f", f, genuine, impostor)
		}
	}
}

func TestMatchEmptyAndTinyTemplates(t *testing.T) {
	empty := &minutiae.Template{Width: 100, Height: 100, PPI: 500}
	one := &minutiae.Template{Width: 100, Height: 100, PPI: 500, Minutiae: []minutiae.Minutia{{X: 50, Y: 50}}}
	full := extract(t, sim.NewImpression(7700, 1, sim.RealisticVariation()), 500)
	for name, pair := range map[string][2]*minutiae.Template{
		"empty": {empty, full}, "both empty": {empty, empty}, "one minutia": {one, full}, "one and one": {one, one},
	} {
		if s := minutiae.Match(pair[0], pair[1]); s != 0 {
			t.Errorf("%s: score %.3f, want 0", name, s)
		}
	}
	code := minutiae.NewCylinderCode(full)
	if code.Len() == 0 || code.Len() > len(full.Minutiae) {
		t.Errorf("%d cylinders for %d minutiae", code.Len(), len(full.Minutiae))
	}
}

// Compare's score does not depend on which print is which.
func TestCompareIsSymmetric(t *testing.T) {
	v := sim.RealisticVariation()
	a := minutiae.NewCylinderCode(extract(t, sim.NewImpression(7800, 1, v), 500))
	b := minutiae.NewCylinderCode(extract(t, sim.NewImpression(7800, 2, v), 500))
	if ab, ba := minutiae.Compare(a, b), minutiae.Compare(b, a); math.Abs(float64(ab-ba)) > 0.02 {
		t.Errorf("a against b %.3f, b against a %.3f", ab, ba)
	}
}
