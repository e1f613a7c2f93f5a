package biometric

import (
	"math"
	"slices"
	"sync"
)

// Estimating an unknown resolution from the ridge period. Human ridge periods vary less than
// readers' resolutions do (adults 0.40-0.52 mm against 250-1 500 ppi), so the median period
// in pixels gives the resolution to within about ±15 %: period px × 25.4 / 0.46 mm.
//
// At an unknown resolution the period may be anything from 3 px (a 170 ppi image) to 30 px
// (1 650 ppi), so the 500 ppi block analysis, which reads 5-15 px, cannot be used. Instead,
// blocks of 24 px with clearly directed texture (on the 3×3-smoothed image, as for the score)
// each give a signature of 64 samples across the ridges, each the mean of 5 raw pixels along
// them, and the period is the one whose sinusoid, fitted by least squares after removing the
// signature's mean and slope, explains the most of it. Least squares rather than a DFT peak:
// with two or three periods in the window, a DFT's bins are too coarse and leak into each
// other. Only whole signatures count: one cut short by the image's edge (a narrow swipe
// strip's sides) has too few periods to tell its period from noise and stitching stripes.

const (
	estBlock    = 24
	estSamples  = 64
	estAlong    = 5
	estMinShare = 0.5 // a block counts when its sinusoid explains half the signature
	estMinCoh   = 0.5
	// estMinBlock is the number of blocks with a clear period an estimate needs: 8 blocks
	// of 24 px are 12 mm² at 500 ppi, less than the no-finger limit.
	estMinBlock = 8
	// estMaxSpread bounds the interquartile range of the blocks' periods, relative to their
	// median: a finger's ridge period varies by about ±10 % over the print, so a real print's
	// quartiles lie within some ±12 % of the median; a wider spread is texture other than
	// ridges (creases, blotches, stitching) and gives no estimate.
	estMaxSpread = 0.25
)

// estCandidate is one trial period with its sinusoid basis, made orthogonal to the mean and
// the slope, and the inverse of the basis's 2×2 Gram matrix.
type estCandidate struct {
	period   float64
	cos, sin [estSamples]float64
	inv      [3]float64 // inverse Gram: [0]=cc, [1]=cs, [2]=ss
}

// estCandidates are periods 3-32 px in steps of 1.5 %.
var estCandidates = sync.OnceValue(func() []estCandidate {
	var out []estCandidate
	for p := 3.0; p <= 32; p *= 1.015 {
		c := estCandidate{period: p}
		for i := range estSamples {
			a := 2 * math.Pi * float64(i) / p
			c.cos[i], c.sin[i] = math.Cos(a), math.Sin(a)
		}
		detrend(c.cos[:])
		detrend(c.sin[:])
		var cc, cs, ss float64
		for i := range estSamples {
			cc += c.cos[i] * c.cos[i]
			cs += c.cos[i] * c.sin[i]
			ss += c.sin[i] * c.sin[i]
		}
		det := cc*ss - cs*cs
		if det <= 1e-9 {
			continue
		}
		c.inv = [3]float64{ss / det, -cs / det, cc / det}
		out = append(out, c)
	}
	return out
})

// bestPeriod fits every candidate to sig and returns the one explaining the largest share of
// it, with that share.
func bestPeriod(sig *[estSamples]float64) (period, share float64) {
	detrend(sig[:])
	var energy float64
	for _, v := range sig {
		energy += v * v
	}
	if energy == 0 {
		return 0, 0
	}
	cands := estCandidates()
	for k := range cands {
		c := &cands[k]
		var b1, b2 float64
		for i, v := range sig {
			b1 += c.cos[i] * v
			b2 += c.sin[i] * v
		}
		explained := b1*b1*c.inv[0] + 2*b1*b2*c.inv[1] + b2*b2*c.inv[2]
		if sh := explained / energy; sh > share {
			period, share = c.period, sh
		}
	}
	return period, share
}

// detrend removes the mean and the least-squares slope of v.
func detrend(v []float64) {
	n := float64(len(v))
	var mean, slope, tt float64
	for _, x := range v {
		mean += x
	}
	mean /= n
	for i, x := range v {
		t := float64(i) - (n-1)/2
		slope += t * (x - mean)
		tt += t * t
	}
	slope /= tt
	for i := range v {
		v[i] -= mean + slope*(float64(i)-(n-1)/2)
	}
}

// estimateRidgePeriod returns the median ridge period in pixels of an image of unknown
// resolution, or false when fewer than estMinBlock blocks show a clear ridge period or their
// periods disagree (estMaxSpread).
func estimateRidgePeriod(pix []float32, w, h int) (float64, bool) {
	periods := blockPeriods(pix, w, h)
	if len(periods) < estMinBlock {
		return 0, false
	}
	slices.Sort(periods)
	n := len(periods)
	med := medianFloat(periods)
	if (periods[3*n/4]-periods[n/4])/med > estMaxSpread {
		return 0, false
	}
	return med, true
}

// blockPeriods returns the ridge period of every block of 24 × 24 px that shows one clearly.
func blockPeriods(pix []float32, w, h int) []float64 {
	if w < estSamples || h < estSamples {
		return nil
	}
	smooth := boxSmooth(pix, w, h)
	gx, gy := sobel(smooth, w, h)
	var periods []float64
	half := float64(estSamples-1) / 2
	for y0 := 0; y0+estBlock <= h; y0 += estBlock {
		for x0 := 0; x0+estBlock <= w; x0 += estBlock {
			if _, std := regionStats(smooth, w, x0, y0, estBlock); std < 4 {
				continue
			}
			coh, theta, _, _ := regionOrientation(gx, gy, w, x0, y0, estBlock)
			if coh < estMinCoh {
				continue
			}
			cx, cy := float64(x0)+estBlock/2, float64(y0)+estBlock/2
			cosT, sinT := math.Cos(theta), math.Sin(theta)
			ex, ey := math.Abs(half*cosT), math.Abs(half*sinT)
			if cx-ex < 0 || cx+ex > float64(w-1) || cy-ey < 0 || cy+ey > float64(h-1) {
				continue
			}
			var sig [estSamples]float64
			for i := range estSamples {
				t := float64(i) - half
				var s float64
				for j := -estAlong / 2; j <= estAlong/2; j++ {
					s += sample(pix, w, h, cx+t*cosT-float64(j)*sinT, cy+t*sinT+float64(j)*cosT)
				}
				sig[i] = s / estAlong
			}
			if period, share := bestPeriod(&sig); share >= estMinShare {
				periods = append(periods, period)
			}
		}
	}
	return periods
}

func regionStats(p []float32, w, x0, y0, size int) (mean, std float64) {
	var s, ss float64
	for y := y0; y < y0+size; y++ {
		for x := x0; x < x0+size; x++ {
			v := float64(p[y*w+x])
			s += v
			ss += v * v
		}
	}
	n := float64(size * size)
	mean = s / n
	return mean, math.Sqrt(math.Max(0, ss/n-mean*mean))
}

// resampleFinger scales an image by scale with a separable triangle filter whose support widens
// with the reduction, so that shrinking averages (no aliasing of fine ridges into coarse
// false ones) and enlarging interpolates linearly.
func resampleFinger(p []float32, w, h int, scale float64) ([]float32, int, int) {
	nw := max(1, int(math.Round(float64(w)*scale)))
	nh := max(1, int(math.Round(float64(h)*scale)))
	xw := resampleWeights(w, nw, scale)
	yw := resampleWeights(h, nh, scale)
	tmp := make([]float32, nw*h)
	for y := 0; y < h; y++ {
		row := p[y*w : (y+1)*w]
		for x, taps := range xw {
			var s float32
			for _, t := range taps {
				s += row[t.at] * t.w
			}
			tmp[y*nw+x] = s
		}
	}
	out := make([]float32, nw*nh)
	for y, taps := range yw {
		for x := 0; x < nw; x++ {
			var s float32
			for _, t := range taps {
				s += tmp[t.at*nw+x] * t.w
			}
			out[y*nw+x] = s
		}
	}
	return out, nw, nh
}

type resampleTap struct {
	at int
	w  float32
}

func resampleWeights(n, nn int, scale float64) [][]resampleTap {
	radius := math.Max(1, 1/scale)
	out := make([][]resampleTap, nn)
	for i := range nn {
		centre := (float64(i)+0.5)/scale - 0.5
		lo := int(math.Ceil(centre - radius))
		hi := int(math.Floor(centre + radius))
		var taps []resampleTap
		var sum float64
		for j := lo; j <= hi; j++ {
			wt := 1 - math.Abs(float64(j)-centre)/radius
			if wt <= 0 {
				continue
			}
			at := max(0, min(n-1, j))
			taps = append(taps, resampleTap{at: at, w: float32(wt)})
			sum += wt
		}
		for k := range taps {
			taps[k].w /= float32(sum)
		}
		out[i] = taps
	}
	return out
}
