package sim

import (
	"crypto/sha256"
	"fmt"
	"math"
	"testing"
)

// The prints other tests (and the demo population) were built on must not change when new
// impression options are added: these digests were taken before NewImpression existed.
func TestExistingSeedsDrawTheSamePrints(t *testing.T) {
	h := sha256.New()
	for _, s := range []uint64{0, 5} {
		for _, q := range []float64{0.3, 1} {
			h.Write(Fingerprint(s, q).Pix)
			h.Write(Impression(s, s+77, q).Pix)
		}
	}
	if got, want := fmt.Sprintf("%x", h.Sum(nil)), "204e8823510d5f4fedbb1b56d292b75a4804bbd77aae0dcff331b806e0a486ee"; got != want {
		t.Errorf("Fingerprint and Impression draw different prints than before: digest %s, want %s", got, want)
	}
}

func TestNewImpressionIsRepeatable(t *testing.T) {
	v := RealisticVariation()
	a, b := NewImpression(3, 40, v), NewImpression(3, 40, v)
	if string(a.Pix) != string(b.Pix) {
		t.Error("same finger and capture seed, different images")
	}
	if c := NewImpression(3, 41, v); string(c.Pix) == string(a.Pix) {
		t.Error("another capture of the finger is the identical image")
	}
	v.Width, v.Height = 400, 400
	if g := NewImpression(3, 40, v); g.Bounds().Dx() != 400 || g.Bounds().Dy() != 400 {
		t.Errorf("platen size %v, want 400×400", g.Bounds())
	}
}

// Without placement or distortion, two captures put the finger's minutiae in the same places;
// the elastic drag moves them by no more than its bound (drag plus twist at the rim, both
// ways) and does move some.
func TestVariationMovesMinutiaeWithinItsBounds(t *testing.T) {
	rigid := Variation{MinQuality: 0.9, MaxQuality: 1}
	for f := uint64(20); f < 24; f++ {
		a, b := GroundTruth(f, 1, rigid), GroundTruth(f, 2, rigid)
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("finger %d: %d and %d minutiae on the platen", f, len(a), len(b))
		}
		for i := range a {
			if d := math.Hypot(float64(a[i].X-b[i].X), float64(a[i].Y-b[i].Y)); d > 1.5 {
				t.Errorf("finger %d minutia %d moved %.1f px between rigid captures", f, i, d)
			}
		}
	}
	elastic := rigid
	elastic.Distortion = 8
	moved := 0
	for f := uint64(20); f < 24; f++ {
		a, b := GroundTruth(f, 1, rigid), GroundTruth(f, 1, elastic)
		for i := range min(len(a), len(b)) {
			d := math.Hypot(float64(a[i].X-b[i].X), float64(a[i].Y-b[i].Y))
			// At most 8 px of drag, 8 px of twist at 150 px, more further out (the platen's
			// corners are 250 px from its centre, the core up to 28 px off it).
			if d > 8+8*280.0/150+2 {
				t.Errorf("finger %d minutia %d dragged %.1f px", f, i, d)
			}
			if d > 2 {
				moved++
			}
		}
	}
	if moved == 0 {
		t.Error("elastic distortion moved no minutia")
	}
}

// Placement shifts and turns the finger within the variation's bounds: the minutiae's centroid
// moves by at most the shift plus what the turn does to it.
func TestVariationPlacesTheFingerWithinBounds(t *testing.T) {
	centre := Variation{MinQuality: 1, MaxQuality: 1}
	placed := centre
	placed.Shift, placed.Rotation = 30, 10*math.Pi/180
	for f := uint64(30); f < 34; f++ {
		ref := GroundTruth(f, 1, centre)
		for c := uint64(2); c < 6; c++ {
			got := GroundTruth(f, c, placed)
			ax, ay := centroid(ref)
			bx, by := centroid(got)
			if len(got) == 0 {
				continue
			}
			// The centroid of the minutiae still on the platen; a turn of 10° moves a point
			// 160 px from the centre by 28 px.
			if d := math.Hypot(ax-bx, ay-by); len(got) == len(ref) && d > 30*math.Sqrt2+28+2 {
				t.Errorf("finger %d capture %d: minutiae moved %.1f px", f, c, d)
			}
		}
	}
}

func centroid(m []TrueMinutia) (float64, float64) {
	var x, y float64
	for _, p := range m {
		x += float64(p.X)
		y += float64(p.Y)
	}
	n := float64(max(len(m), 1))
	return x / n, y / n
}

func TestImpressionsNumbersFingersFromFirst(t *testing.T) {
	v := RealisticVariation()
	render := Impressions(100, v)
	img, ppi, err := render(2, 1)
	if err != nil || ppi != FingerPPI {
		t.Fatalf("render: ppi %d, %v", ppi, err)
	}
	if want := NewImpression(102, 102<<16|1, v); string(img.Pix) != string(want.Pix) {
		t.Error("impression 1 of finger 2 is not finger identity 102")
	}
}
