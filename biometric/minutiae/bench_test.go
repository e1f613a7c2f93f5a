package minutiae_test

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
)

// benchPrint is a 400 × 400 px print at 500 ppi, the budget's size, pressed flat so that the
// finger fills most of the platen (the extraction's cost grows with the finger's area).
func benchPrint() *image.Gray {
	v := sim.RealisticVariation()
	v.Width, v.Height, v.Contact = 400, 400, 1.3
	return sim.NewImpression(5, 6, v)
}

// BenchmarkExtract400 is the budget's extraction: < 100 ms for 400 × 400 px at 500 ppi.
func BenchmarkExtract400(b *testing.B) {
	img := benchPrint()
	for b.Loop() {
		if _, err := minutiae.Extract(img, 500); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractReader is one capture of the simulated reader (320 × 400 px).
func BenchmarkExtractReader(b *testing.B) {
	img := sim.NewImpression(5, 7, sim.RealisticVariation())
	for b.Loop() {
		if _, err := minutiae.Extract(img, sim.FingerPPI); err != nil {
			b.Fatal(err)
		}
	}
}

func genuinePair(b *testing.B) (*minutiae.Template, *minutiae.Template) {
	v := sim.RealisticVariation()
	x, err := minutiae.Extract(sim.NewImpression(9, 1, v), 500)
	if err != nil {
		b.Fatal(err)
	}
	y, err := minutiae.Extract(sim.NewImpression(9, 2, v), 500)
	if err != nil {
		b.Fatal(err)
	}
	return x, y
}

// BenchmarkCompare is the budget's comparison (< 5 ms): two prepared prints, as central
// compares a capture with the register's reference.
func BenchmarkCompare(b *testing.B) {
	x, y := genuinePair(b)
	cx, cy := minutiae.NewCylinderCode(x), minutiae.NewCylinderCode(y)
	for b.Loop() {
		minutiae.Compare(cx, cy)
	}
}

// BenchmarkMatch includes building both prints' cylinders.
func BenchmarkMatch(b *testing.B) {
	x, y := genuinePair(b)
	for b.Loop() {
		minutiae.Match(x, y)
	}
}

// BenchmarkCompareLargest is the comparison's worst case: two templates with the most
// minutiae a template keeps (MaxMinutiae, far more than a real print has), one a slightly
// moved copy of the other, so that every cylinder finds partners.
func BenchmarkCompareLargest(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := &minutiae.Template{Width: 800, Height: 800, PPI: 500}
	for range minutiae.MaxMinutiae {
		x.Minutiae = append(x.Minutiae, minutiae.Minutia{X: 100 + r.IntN(600), Y: 100 + r.IntN(600), Angle: 2 * math.Pi * r.Float64()})
	}
	cx, cy := minutiae.NewCylinderCode(x), minutiae.NewCylinderCode(moved(x, 0.1, 5, -3))
	for b.Loop() {
		minutiae.Compare(cx, cy)
	}
}
