package minutiae

import (
	"math"
	"slices"
)

// Ridge periods at 500 ppi run from about 6 px (a child's finger) to 13 px; the filter bank
// covers a little more either way.
const (
	minPeriod     = 4.5
	maxPeriod     = 15.0
	defaultPeriod = 9.0
	freqStep      = 2  // cells between period measurements
	sigLength     = 33 // samples across the ridges
	sigAlong      = 7  // samples averaged along the ridge for each of them
)

// ridgePeriods measures the ridge period on a coarse grid from signatures taken across the
// ridges (the "x-signature" of Hong, Wan and Jain), then fills cells where no clean signature
// was found from their neighbours and smooths: the period changes slowly over a finger.
// It returns the period per cell and the finger's median period.
func ridgePeriods(s raster, f orientationField, m fingerMask) (grid, float64) {
	cols, rows := f.theta.cols, f.theta.rows
	sum, weight := newGrid(cols, rows), newGrid(cols, rows)
	var found []float64
	for r := freqStep / 2; r < rows; r += freqStep {
		for c := freqStep / 2; c < cols; c += freqStep {
			if !m.at(c, r) {
				continue
			}
			p, ok := signaturePeriod(s, float64(c*cell+cell/2), float64(r*cell+cell/2), float64(f.theta.at(c, r)))
			if !ok {
				continue
			}
			i := r*cols + c
			sum.v[i], weight.v[i] = float32(p), 1
			found = append(found, p)
		}
	}
	median := defaultPeriod
	if len(found) > 0 {
		slices.Sort(found)
		median = found[len(found)/2]
	}
	// Normalised convolution: smoothing the measured periods and their weights alike gives a
	// weighted mean of the measurements nearby, wherever there are any.
	const sigma = 2.5 // cells
	ss, sw := smoothGrid(sum, sigma), smoothGrid(weight, sigma)
	out := newGrid(cols, rows)
	for i := range out.v {
		p := median
		if sw.v[i] > 0.02 {
			p = float64(ss.v[i] / sw.v[i])
		}
		out.v[i] = float32(math.Max(minPeriod, math.Min(maxPeriod, p)))
	}
	return out, median
}

// signaturePeriod samples the image across the ridges through (cx, cy), each sample the mean
// of several along the ridge, and reads the period from the spacing of its peaks and troughs.
func signaturePeriod(s raster, cx, cy, theta float64) (float64, bool) {
	// Along the ridge: (cos θ, sin θ); across: (−sin θ, cos θ).
	ca, sa := math.Cos(theta), math.Sin(theta)
	var sig [sigLength]float64
	for i := range sig {
		t := float64(i - sigLength/2)
		var v float64
		for j := -sigAlong / 2; j <= sigAlong/2; j++ {
			a := 2 * float64(j)
			v += float64(s.bilinear(cx-t*sa+a*ca, cy+t*ca+a*sa))
		}
		sig[i] = v / sigAlong
	}
	var lo, hi float64 = math.Inf(1), math.Inf(-1)
	for _, v := range sig {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi-lo < 3 {
		return 0, false
	}
	// Peaks and troughs: strict local extremes standing clear of the noise.
	var peaks, troughs []int
	margin := 0.1 * (hi - lo)
	for i := 1; i < sigLength-1; i++ {
		if sig[i] > sig[i-1] && sig[i] >= sig[i+1] {
			peaks = append(peaks, i)
		}
		if sig[i] < sig[i-1] && sig[i] <= sig[i+1] {
			troughs = append(troughs, i)
		}
	}
	peaks, troughs = prominent(sig[:], peaks, margin, 1), prominent(sig[:], troughs, margin, -1)
	var total float64
	n := 0
	for _, ex := range [][]int{peaks, troughs} {
		if len(ex) >= 2 {
			total += float64(ex[len(ex)-1] - ex[0])
			n += len(ex) - 1
		}
	}
	if n < 2 {
		return 0, false
	}
	p := total / float64(n)
	return p, p >= minPeriod-1 && p <= maxPeriod+2
}

// prominent keeps the extremes that stand at least margin above (sign 1) or below (sign −1)
// the signature's mean, so that ripples from noise do not count as ridges.
func prominent(sig []float64, at []int, margin, sign float64) []int {
	var mean float64
	for _, v := range sig {
		mean += v
	}
	mean /= float64(len(sig))
	out := at[:0]
	for _, i := range at {
		if sign*(sig[i]-mean) >= margin {
			out = append(out, i)
		}
	}
	return out
}
