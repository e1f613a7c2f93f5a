package minutiae

import "math"

// The orientation field lives on a grid of cell × cell pixel blocks: fine enough to follow
// the ridges round a core, coarse enough that a block holds more than one ridge.
const (
	cell          = 8
	tensorRadius  = 12  // the structure tensor's window: 25 × 25 px, about three ridges
	smoothSigma   = 1.5 // cells; the doubled-angle vectors' smoothing
	smoothSpreadR = 4   // cells; the smoothing kernel's radius
)

// grid holds one value per cell.
type grid struct {
	cols, rows int
	v          []float32
}

func newGrid(cols, rows int) grid {
	return grid{cols: cols, rows: rows, v: make([]float32, cols*rows)}
}

func (g grid) at(c, r int) float32 { return g.v[r*g.cols+c] }

// cellOf is the cell holding pixel (x, y), clamped to the grid.
func (g grid) cellOf(x, y int) int {
	c := min(max(x/cell, 0), g.cols-1)
	r := min(max(y/cell, 0), g.rows-1)
	return r*g.cols + c
}

// orientationField is the ridge direction per cell.
type orientationField struct {
	// theta is the ridge direction in [0, π), along the ridges.
	theta grid
	// coherence is how consistently the gradients in the cell's window point one way: 0 for
	// noise or a smudge, 1 for clean parallel ridges. It is the raw, local measure.
	coherence grid
	// reliability is the length of the smoothed doubled-angle vector: how well the cell's
	// direction agrees with its surroundings' (low at cores, deltas and in noise).
	reliability grid
}

// orientations computes the field from a lightly smoothed image.
func orientations(s raster) orientationField {
	cols, rows := (s.w+cell-1)/cell, (s.h+cell-1)/cell
	gx, gy := sobel(s)
	ixx := integralOf(s.w, s.h, func(i int) float64 { return float64(gx[i] * gx[i]) })
	iyy := integralOf(s.w, s.h, func(i int) float64 { return float64(gy[i] * gy[i]) })
	ixy := integralOf(s.w, s.h, func(i int) float64 { return float64(gx[i] * gy[i]) })
	vx, vy := newGrid(cols, rows), newGrid(cols, rows)
	f := orientationField{theta: newGrid(cols, rows), coherence: newGrid(cols, rows), reliability: newGrid(cols, rows)}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			cx, cy := c*cell+cell/2, r*cell+cell/2
			x0, y0, x1, y1 := cx-tensorRadius, cy-tensorRadius, cx+tensorRadius+1, cy+tensorRadius+1
			a, _ := ixx.sum(x0, y0, x1, y1)
			b, _ := iyy.sum(x0, y0, x1, y1)
			d, _ := ixy.sum(x0, y0, x1, y1)
			if a+b <= 0 {
				continue
			}
			// Doubled-angle gradient vector, normalised by energy so that strong edges (the
			// finger's outline, a scar) do not outvote the ridges around them.
			i := r*cols + c
			vx.v[i] = float32((a - b) / (a + b))
			vy.v[i] = float32(2 * d / (a + b))
			f.coherence.v[i] = float32(math.Hypot(a-b, 2*d) / (a + b))
		}
	}
	sx, sy := smoothGrid(vx, smoothSigma), smoothGrid(vy, smoothSigma)
	for i := range sx.v {
		// The gradient runs across the ridges; the ridge direction is a quarter turn on.
		t := 0.5*math.Atan2(float64(sy.v[i]), float64(sx.v[i])) + math.Pi/2
		if t >= math.Pi {
			t -= math.Pi
		}
		f.theta.v[i] = float32(t)
		f.reliability.v[i] = float32(math.Hypot(float64(sx.v[i]), float64(sy.v[i])))
	}
	return f
}

// smoothGrid is a separable Gaussian over cells, clamped at the edges.
func smoothGrid(g grid, sigma float64) grid {
	k := gaussianTaps(sigma, smoothSpreadR)
	rad := len(k) / 2
	tmp, out := newGrid(g.cols, g.rows), newGrid(g.cols, g.rows)
	for r := 0; r < g.rows; r++ {
		for c := 0; c < g.cols; c++ {
			var s float32
			for i, w := range k {
				s += w * g.at(min(max(c+i-rad, 0), g.cols-1), r)
			}
			tmp.v[r*g.cols+c] = s
		}
	}
	for r := 0; r < g.rows; r++ {
		for c := 0; c < g.cols; c++ {
			var s float32
			for i, w := range k {
				s += w * tmp.at(c, min(max(r+i-rad, 0), g.rows-1))
			}
			out.v[r*g.cols+c] = s
		}
	}
	return out
}

// sobel returns the image's horizontal and vertical gradients (zero on the outermost pixels).
func sobel(s raster) (gx, gy []float32) {
	w, h := s.w, s.h
	gx, gy = make([]float32, w*h), make([]float32, w*h)
	for y := 1; y < h-1; y++ {
		up, mid, dn := s.v[(y-1)*w:y*w], s.v[y*w:(y+1)*w], s.v[(y+1)*w:(y+2)*w]
		for x := 1; x < w-1; x++ {
			gx[y*w+x] = (up[x+1] + 2*mid[x+1] + dn[x+1]) - (up[x-1] + 2*mid[x-1] + dn[x-1])
			gy[y*w+x] = (dn[x-1] + 2*dn[x] + dn[x+1]) - (up[x-1] + 2*up[x] + up[x+1])
		}
	}
	return gx, gy
}
