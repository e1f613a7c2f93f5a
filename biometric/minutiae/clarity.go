package minutiae

import (
	"math"
	"slices"
)

// ridgeClarity measures, per cell, how well the enhanced ridges stand for the image there:
//
//   - strength: the filter's response (root mean square) relative to the finger's median, low
//     where the skin barely touched (a dry patch, a light press, the faint rim);
//   - clarity: the share of the image's local variance that the response explains, low where
//     the ridges are not the regular pattern the filter was tuned to (noise, a crease, ridges
//     much finer or coarser than their neighbours).
//
// Minutiae found where either is low are more often the filter's guesses than the finger's.
func ridgeClarity(s raster, e raster, m fingerMask) (strength, clarity grid) {
	cols, rows := m.cols, m.rows
	strength, clarity = newGrid(cols, rows), newGrid(cols, rows)
	sum := integralOf(s.w, s.h, func(i int) float64 { return float64(s.v[i]) })
	sq := integralOf(s.w, s.h, func(i int) float64 { return float64(s.v[i] * s.v[i]) })
	esq := integralOf(e.w, e.h, func(i int) float64 { return float64(e.v[i] * e.v[i]) })
	var amps []float64
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			i := r*cols + c
			if !m.in[i] {
				continue
			}
			cx, cy := c*cell+cell/2, r*cell+cell/2
			x0, y0, x1, y1 := cx-maskWindow, cy-maskWindow, cx+maskWindow, cy+maskWindow
			a, n := sum.sum(x0, y0, x1, y1)
			b, _ := sq.sum(x0, y0, x1, y1)
			en, _ := esq.sum(x0, y0, x1, y1)
			if n == 0 {
				continue
			}
			mean := a / float64(n)
			variance := math.Max(b/float64(n)-mean*mean, 1)
			power := en / float64(n)
			strength.v[i] = float32(math.Sqrt(power))
			// The filter answers a sinusoid with its own amplitude, so for a clean ridge
			// pattern the response's power equals the image's variance.
			clarity.v[i] = float32(math.Min(1, power/variance))
			amps = append(amps, math.Sqrt(power))
		}
	}
	if len(amps) == 0 {
		return strength, clarity
	}
	slices.Sort(amps)
	median := amps[len(amps)/2]
	if median <= 0 {
		return strength, clarity
	}
	for i := range strength.v {
		strength.v[i] = float32(float64(strength.v[i]) / median)
	}
	return strength, clarity
}
