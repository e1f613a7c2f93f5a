package sim

import (
	"image"
	"math"
	"math/rand/v2"
)

// A matcher is only as good as the differences it has been shown. Two real impressions of one
// finger differ by more than a shift and a turn: the skin is elastic and is dragged and
// twisted a little as it is pressed, so distances between minutiae change by several pixels
// towards the rim; pressure widens or thins the ridges (a firm press joins ridges, a light one
// breaks them); the contact area moves, so each impression shows a different part of the
// finger. Variation draws all of these for a new impression, the way a second capture at the
// counter, or the reference capture at card issuance years earlier, differs from the first.

// Variation bounds how far one impression of a finger may stray from another.
type Variation struct {
	// MinQuality and MaxQuality bound the rendering quality drawn per impression (0-1, as
	// for Fingerprint): noise, dry patches, blur, contact pressure and contact area.
	MinQuality, MaxQuality float64
	// Shift is the largest displacement of the finger's centre from the platen's centre, in
	// pixels, either way on each axis: it decides how much two impressions overlap.
	Shift float64
	// Rotation is the largest turn of the finger on the platen, radians, either way.
	Rotation float64
	// Distortion is the elastic drag of the skin, in pixels: around a core that sticks to
	// the platen, the skin further out is moved by up to Distortion and turned by as much
	// again at 150 px from the core. 0 leaves the skin rigid.
	Distortion float64
	// RidgeWidth is the largest change in ridge width with pressure, as a shift of the
	// ridge profile's threshold (0.3 widens or thins ridges by about a tenth of a period).
	RidgeWidth float64
	// Width and Height are the platen's size in pixels at FingerPPI; 0 gives the simulated
	// reader's FingerWidth × FingerHeight.
	Width, Height int
	// Contact scales the contact area (the pressed ellipse); 0 means 1, the reader's usual.
	Contact float64
}

// RealisticVariation is the spread between impressions that the matcher is evaluated on:
// prints a station would accept or retake (quality 0.45-1), the finger placed anywhere
// within ±40 px (2 mm) and turned up to ±20°, skin dragged by up to 8 px, pressure from light
// to firm.
func RealisticVariation() Variation {
	return Variation{
		MinQuality: 0.45, MaxQuality: 1,
		Shift:      40,
		Rotation:   20 * math.Pi / 180,
		Distortion: 8,
		RidgeWidth: 0.3,
	}
}

// skin is how an impression's contact with the platen shapes the rendering beyond its
// placement: the platen's size, the contact ellipse's semi-axes (before the placement's
// scale), the elastic distortion (finger coordinates to skin coordinates; nil for none) and
// the ridge profile's shift with pressure.
type skin struct {
	w, h      int
	ax, ay    float64
	distort   func(u, v float64) (float64, float64)
	ridgeBias float64
}

// plainSkin is the rendering Fingerprint and Impression have always used.
func plainSkin() skin {
	return skin{w: FingerWidth, h: FingerHeight, ax: 135, ay: 190}
}

// NewImpression renders finger (the same finger identity as Impression's and Fingerprint's
// seed) as captured with capture as the seed of everything that varies between impressions,
// drawn within v. The same arguments always give the same image.
func NewImpression(finger, capture uint64, v Variation) *image.Gray {
	f, p, s, r := drawImpression(finger, capture, v)
	return f.renderSkin(p, s, r)
}

// drawImpression draws what NewImpression renders, leaving r where rendering continues.
func drawImpression(finger, capture uint64, v Variation) (finger, placement, skin, *rand.Rand) {
	f := newFinger(rand.New(rand.NewPCG(finger, 0xf1)))
	r := rand.New(rand.NewPCG(capture, 0x1e55))
	lo, hi := v.MinQuality, v.MaxQuality
	if hi < lo {
		hi = lo
	}
	p := newPlacement(r, lo+(hi-lo)*r.Float64())
	p.dx = v.Shift * (2*r.Float64() - 1)
	p.dy = v.Shift * (2*r.Float64() - 1)
	p.angle = v.Rotation * (2*r.Float64() - 1)
	s := plainSkin()
	if v.Width > 0 && v.Height > 0 {
		s.w, s.h = v.Width, v.Height
	}
	if v.Contact > 0 {
		s.ax *= v.Contact
		s.ay *= v.Contact
	}
	s.ridgeBias = v.RidgeWidth * (2*r.Float64() - 1)
	if v.Distortion > 0 {
		s.distort = elasticDrag(r, v.Distortion)
	}
	return f, p, s, r
}

// elasticDrag draws one press's skin distortion, in the spirit of Cappelli, Maio and
// Maltoni's plastic distortion model: the skin within a core region (where the finger first
// touches) sticks to the platen, and further out it follows a small rigid motion (a drag of
// up to maxShift pixels and a twist worth as much again at 150 px), blended in smoothly, so
// that the rim moves against the core while nothing tears or folds.
func elasticDrag(r *rand.Rand, maxShift float64) func(u, v float64) (float64, float64) {
	cu, cv := 20*(2*r.Float64()-1), 20*(2*r.Float64()-1)
	inner := 40 + 30*r.Float64()
	outer := inner + 110
	dragAngle := 2 * math.Pi * r.Float64()
	drag := maxShift * math.Sqrt(r.Float64())
	tu, tv := drag*math.Cos(dragAngle), drag*math.Sin(dragAngle)
	twist := maxShift / 150 * (2*r.Float64() - 1)
	sin, cos := math.Sincos(twist)
	return func(u, v float64) (float64, float64) {
		du, dv := u-cu, v-cv
		k := smoothstep(inner, outer, math.Hypot(du, dv))
		if k == 0 {
			return u, v
		}
		// Where the rigid motion would take this point, and a blend towards it.
		mu := cu + du*cos - dv*sin + tu
		mv := cv + du*sin + dv*cos + tv
		return u + k*(mu-u), v + k*(mv-v)
	}
}

// Impressions is a population of simulated fingers for measuring a matcher: impression i of
// finger f is finger identity first+f captured with a seed of its own, within v. Disjoint
// ranges of first give disjoint populations (a calibration set, an evaluation set).
func Impressions(first uint64, v Variation) func(finger, impression int) (*image.Gray, int, error) {
	return func(finger, impression int) (*image.Gray, int, error) {
		id := first + uint64(finger)
		return NewImpression(id, id<<16|uint64(impression), v), FingerPPI, nil
	}
}
