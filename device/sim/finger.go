// Package sim provides simulated capture devices, so the whole station runs, trains officers
// and is tested with no hardware attached. The images are synthetic but realistic enough for
// the quality and face checks to work on them.
package sim

import (
	"image"
	"math"
	"math/rand/v2"
)

// Synthetic fingerprints follow the phase ("hologram") model of Larkin and Fletcher: the ridge
// pattern is cos(2π·φ/λ) where the smooth part of φ gives the class (arch, loop, whorl) and
// each spiral term ±atan2 around a point adds one ridge there, which is exactly a minutia
// (ridge ending or bifurcation). This renders a 500 ppi print in tens of milliseconds, fast
// enough to feel like a reader, unlike iterative Gabor growing (SFinGe) which takes seconds.

// FingerWidth and FingerHeight are the simulated reader's image size: 16 × 20 mm at 500 ppi,
// the platen of common single-finger optical readers.
const (
	FingerWidth  = 320
	FingerHeight = 400
	FingerPPI    = 500
)

type pattern int

const (
	arch pattern = iota
	loopLeft
	loopRight
	whorl
)

// finger is one synthetic finger's permanent features: the same finger always has them.
type finger struct {
	kind      pattern
	period    float64 // ridge period in pixels
	coreU     float64 // core position relative to the finger centre
	coreV     float64
	minutiae  []minutia
	warpAmp   float64
	warpLen   float64
	warpPhase [2]float64
}

// minutia is a point where the spiral term adds (+1) or removes (-1) a ridge. They come in
// pairs of opposite sign a short way apart: the pair changes the ridge count only between its
// two points (a short ridge or a lake) and leaves distant ridges untouched, and because each
// term has full weight, atan2's branch cut only ever shifts the phase by a whole ridge, which
// cos cannot show.
type minutia struct {
	u, v float64
	sign float64
}

// newFinger draws a finger's features. Class frequencies follow the usual population shares:
// loops about 65 %, whorls 30 %, arches 5 %.
func newFinger(r *rand.Rand) finger {
	f := finger{period: 8.5 + 2*r.Float64(), warpAmp: 2 + 3*r.Float64(), warpLen: 35 + 30*r.Float64()}
	switch x := r.Float64(); {
	case x < 0.05:
		f.kind = arch
	case x < 0.35:
		f.kind = whorl
	case x < 0.68:
		f.kind = loopLeft
	default:
		f.kind = loopRight
	}
	f.coreU = 20 * (r.Float64() - 0.5)
	f.coreV = -30 + 30*(r.Float64()-0.5)
	f.warpPhase = [2]float64{2 * math.Pi * r.Float64(), 2 * math.Pi * r.Float64()}
	pairs := 10 + r.IntN(8)
	for range pairs {
		u, v := 250*(r.Float64()-0.5), 330*(r.Float64()-0.5)
		length, angle := 15+35*r.Float64(), 2*math.Pi*r.Float64()
		du, dv := length*math.Cos(angle), length*math.Sin(angle)
		f.minutiae = append(f.minutiae, minutia{u, v, 1}, minutia{u + du, v + dv, -1})
	}
	return f
}

// placement is how one capture differs from another of the same finger.
type placement struct {
	dx, dy, angle float64 // shift in pixels, rotation in radians
	pressure      float64 // 0.4 (light touch) … 1 (firm)
	noise         float64 // sensor noise, grey levels
	dryness       float64 // 0 … 1: share of ridge length broken up
	blur          int     // box blur radius
	scale         float64 // contact area: <1 when only the tip touches
}

func newPlacement(r *rand.Rand, quality float64) placement {
	return placement{
		dx:       (40 - 30*quality) * (r.Float64() - 0.5) * 2,
		dy:       (50 - 35*quality) * (r.Float64() - 0.5) * 2,
		angle:    (0.30 - 0.2*quality) * (r.Float64() - 0.5) * 2,
		pressure: 0.35 + 0.65*quality*(0.85+0.15*r.Float64()),
		noise:    4 + 22*(1-quality),
		dryness:  math.Max(0, 0.55*(1-quality)-0.1+0.1*r.Float64()),
		blur:     int(2.5 * (1 - quality) * r.Float64() * 1.3),
		scale:    0.75 + 0.25*quality,
	}
}

// ridgePhase is φ/λ for the class: level sets of φ are the ridges.
func (f *finger) ridgePhase(u, v float64) float64 {
	du, dv := u-f.coreU, v-f.coreV
	var d float64
	switch f.kind {
	case arch:
		d = v + 45*math.Exp(-u*u/(2*70*70))
		return d / f.period
	case whorl:
		d = math.Hypot(du, dv*0.85)
	case loopLeft, loopRight:
		slant := 0.35
		if f.kind == loopRight {
			slant = -0.35
		}
		// Hairpins around the core: circular above it, legs running down and sideways below.
		lu := du - slant*math.Max(dv, 0)
		if dv < 0 {
			d = math.Hypot(lu, dv)
		} else {
			d = math.Abs(lu)
		}
	}
	// Far from the core every class flattens into the arch-like ridges of the finger's base;
	// where the two fields meet, a delta forms by itself.
	base := v + 45*math.Exp(-u*u/(2*70*70)) - f.coreV
	r := math.Hypot(du, dv)
	// Above the core the ridges stay round: the fingertip.
	w := smoothstep(5*f.period, 13*f.period, r) * smoothstep(-5*f.period, -f.period, dv)
	return ((1-w)*d + w*math.Abs(base)) / f.period
}

func smoothstep(a, b, x float64) float64 {
	t := math.Max(0, math.Min(1, (x-a)/(b-a)))
	return t * t * (3 - 2*t)
}

// render draws one capture of the finger at the given placement.
func (f *finger) render(p placement, r *rand.Rand) *image.Gray {
	return f.renderSkin(p, plainSkin(), r)
}

// renderSkin draws one capture of the finger at the given placement, on a platen of the
// skin's size, with the skin's contact area, distortion and ridge width.
func (f *finger) renderSkin(p placement, s skin, r *rand.Rand) *image.Gray {
	w, h := s.w, s.h
	img := image.NewGray(image.Rect(0, 0, w, h))
	blot := newValueNoise(r, 14, w, h)  // dry patches
	press := newValueNoise(r, 90, w, h) // uneven pressure
	sin, cos := math.Sincos(-p.angle)
	cx, cy := float64(w)/2+p.dx, float64(h)/2+p.dy
	ax, ay := s.ax*p.scale, s.ay*p.scale // contact ellipse semi-axes
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Pixel to finger coordinates: undo the placement.
			px, py := float64(x)-cx, float64(y)-cy
			u := px*cos - py*sin
			v := px*sin + py*cos
			// Contact area: an ellipse, slightly flattened at the top like a pressed tip.
			e := (u*u)/(ax*ax) + (v*v)/(ay*ay)
			edge := 1 - smoothstep(0.80, 1.0, e)
			grey := 242.0
			if edge > 0 {
				if s.distort != nil {
					u, v = s.distort(u, v)
				}
				u += f.warpAmp * math.Sin(v/f.warpLen+f.warpPhase[0])
				v += f.warpAmp * math.Sin(u/f.warpLen+f.warpPhase[1])
				ph := f.ridgePhase(u, v)
				for _, m := range f.minutiae {
					ph += m.sign * math.Atan2(v-m.v, u-m.u) / (2 * math.Pi)
				}
				ridge := math.Cos(2 * math.Pi * ph) // 1 at a ridge's centre
				// Sharpen toward the flat-topped profile real ridges have.
				ridge = math.Tanh(2.2*(ridge+s.ridgeBias)) / math.Tanh(2.2)
				darkness := (ridge + 1) / 2
				if p.dryness > 0 && blot.at(x, y) < p.dryness {
					darkness *= 0.25
				}
				contrast := 190 * p.pressure * (0.75 + 0.5*press.at(x, y)) * edge
				grey = 242 - contrast*darkness
			}
			grey += p.noise * r.NormFloat64()
			img.Pix[y*img.Stride+x] = uint8(math.Max(0, math.Min(255, grey)))
		}
	}
	if p.blur > 0 {
		boxBlur(img, p.blur)
	}
	return img
}

// valueNoise is smooth random variation over a w×h platen: random values on a grid,
// bilinearly interpolated.
type valueNoise struct {
	cell   int
	cols   int
	values []float64
}

func newValueNoise(r *rand.Rand, cell, w, h int) valueNoise {
	cols := w/cell + 2
	rows := h/cell + 2
	n := valueNoise{cell: cell, cols: cols, values: make([]float64, cols*rows)}
	for i := range n.values {
		n.values[i] = r.Float64()
	}
	return n
}

func (n valueNoise) at(x, y int) float64 {
	gx, gy := x/n.cell, y/n.cell
	fx := float64(x%n.cell) / float64(n.cell)
	fy := float64(y%n.cell) / float64(n.cell)
	v := func(i, j int) float64 { return n.values[j*n.cols+i] }
	top := v(gx, gy)*(1-fx) + v(gx+1, gy)*fx
	bot := v(gx, gy+1)*(1-fx) + v(gx+1, gy+1)*fx
	return top*(1-fy) + bot*fy
}

// boxBlur blurs in place with a (2r+1)² box, separably.
func boxBlur(img *image.Gray, r int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	tmp := make([]uint8, len(img.Pix))
	pass := func(src, dst []uint8, n, m, step, lineStep int) {
		for line := 0; line < m; line++ {
			for i := 0; i < n; i++ {
				sum, cnt := 0, 0
				for k := max(0, i-r); k <= min(n-1, i+r); k++ {
					sum += int(src[line*lineStep+k*step])
					cnt++
				}
				dst[line*lineStep+i*step] = uint8(sum / cnt)
			}
		}
	}
	pass(img.Pix, tmp, w, h, 1, img.Stride)
	pass(tmp, img.Pix, h, w, img.Stride, 1)
}
