package sim

import "math"

// TrueMinutia is where one of the finger's minutiae lies in an impression.
type TrueMinutia struct {
	X, Y int
	// Contact is how firmly the skin touches the platen there: 1 well inside the pressed
	// area, falling to 0 at its rim. A minutia at the rim may not be visible.
	Contact float64
}

// GroundTruth says where the finger's own minutiae (the spiral points of the phase model) lie
// in the impression NewImpression(finger, capture, v) draws: the answer an extractor's output
// is measured against. Minutiae off the platen are left out. The ridge pattern's singular
// regions (cores, deltas, where the class's ridge fields meet) can add minutiae of their own,
// which are not listed.
func GroundTruth(finger, capture uint64, v Variation) []TrueMinutia {
	f, p, s, _ := drawImpression(finger, capture, v)
	sin, cos := math.Sincos(-p.angle)
	cx, cy := float64(s.w)/2+p.dx, float64(s.h)/2+p.dy
	ax, ay := s.ax*p.scale, s.ay*p.scale
	best := make([]float64, len(f.minutiae))
	out := make([]TrueMinutia, len(f.minutiae))
	for i := range best {
		best[i] = math.Inf(1)
	}
	// Each pixel's skin position, as rendering computes it; the minutia is at the pixel whose
	// skin position is nearest the minutia's.
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			px, py := float64(x)-cx, float64(y)-cy
			u := px*cos - py*sin
			v := px*sin + py*cos
			e := (u*u)/(ax*ax) + (v*v)/(ay*ay)
			contact := 1 - smoothstep(0.80, 1.0, e)
			if s.distort != nil {
				u, v = s.distort(u, v)
			}
			u += f.warpAmp * math.Sin(v/f.warpLen+f.warpPhase[0])
			v += f.warpAmp * math.Sin(u/f.warpLen+f.warpPhase[1])
			for i, m := range f.minutiae {
				if d := math.Hypot(u-m.u, v-m.v); d < best[i] {
					best[i] = d
					out[i] = TrueMinutia{X: x, Y: y, Contact: contact}
				}
			}
		}
	}
	var on []TrueMinutia
	for i, m := range out {
		if best[i] < 1.5 {
			on = append(on, m)
		}
	}
	return on
}
