package biometric

import (
	"image"
	"math"

	"github.com/wardpolice/enroll"
)

// FingerQuality is a 0-100 score in the spirit of NFIQ 2 (ISO/IEC 29794-4): how useful a
// print is for matching. It is computed on 16×16-pixel blocks of a 500 ppi image:
//
//   - Area: the share of the image whose blocks are foreground (ridge texture, not platen).
//     Prints covering less than 40 % are scaled down in proportion: too little to match.
//   - Contrast: the ridge-valley amplitude, from the sinusoid fitted across the ridges (30
//     grey levels or more counts fully). Unlike a plain grey-level spread, noise does not
//     inflate it and blur lowers it.
//   - Orientation certainty: how consistently the gradients in a block point one way
//     (coherence of the structure tensor, 0 for noise, 1 for clean parallel ridges).
//   - Ridge frequency: the share of foreground blocks whose ridge period, read from a
//     signature taken across the ridges, is a plausible 5–15 px (0.25–0.75 mm).
//   - Ridge clarity: how much of that signature a single sinusoid at the ridge period
//     explains (clear ridge/valley alternation against smudges and noise).
//   - Centring: how close the foreground's centre is to the image centre.
//
// Score = 100 × areaFactor × centringFactor × (0.20 contrast + 0.30 orientation certainty
// + 0.20 frequency + 0.30 clarity), where centringFactor runs from 0.7 (print at the edge)
// to 1. Below FingerQualityThreshold the officer is asked to retake the print.
type FingerQuality struct {
	Score    int
	Features FingerFeatures
	Flags    []QualityFlag
}

// FingerFeatures are the measured values, each 0-1, stored with every capture.
type FingerFeatures struct {
	Area, Contrast, Orientation, Frequency, Clarity, Centring float64
	// MeanGrey is the foreground's mean grey level (0 black … 255 white).
	MeanGrey float64
}

// QualityFlag names a problem the officer can fix.
type QualityFlag string

const (
	FlagNoFinger QualityFlag = "no_finger"
	FlagPartial  QualityFlag = "partial"
	FlagTooDark  QualityFlag = "too_dark"
	FlagTooLight QualityFlag = "too_light"
)

// FingerQualityThreshold is the acceptance score; the domain's rule is the one source.
const FingerQualityThreshold = enroll.MinFingerQuality

const qualityBlock = 16

// MeasureFinger scores a finger image.
func MeasureFinger(img *image.Gray) FingerQuality {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	bw, bh := w/qualityBlock, h/qualityBlock
	if bw < 2 || bh < 2 {
		return FingerQuality{Flags: []QualityFlag{FlagNoFinger}}
	}
	pix := make([]float32, w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[(y)*img.Stride : (y)*img.Stride+w]
		for x, v := range row {
			pix[y*w+x] = float32(v)
		}
	}
	// Segmentation looks at the smoothed image so sensor noise does not pass for texture;
	// orientation and clarity look at the raw pixels, where noise really does hurt matching.
	smooth := boxSmooth(pix, w, h)
	gx, gy := sobel(pix, w, h)

	var fgBlocks, validFreq int
	var sumAmp, sumCoh, sumClar, sumGrey, cx, cy float64
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			x0, y0 := bx*qualityBlock, by*qualityBlock
			mean, std := blockStats(smooth, w, x0, y0)
			coh, theta := blockOrientation(gx, gy, w, x0, y0)
			// Foreground is directed ridge texture. The spread floor is low because sensors
			// differ in gain (a faint print on a low-gain sensor is still a print); noise and
			// smudges fail the coherence test instead.
			if std < 4 || coh < 0.3 {
				continue
			}
			fgBlocks++
			sumCoh += coh
			sumGrey += mean
			cx += float64(x0) + qualityBlock/2
			cy += float64(y0) + qualityBlock/2
			period, clarity, amp := ridgeSignature(pix, w, h, x0+qualityBlock/2, y0+qualityBlock/2, theta)
			if period >= 5 && period <= 15 {
				validFreq++
				sumClar += clarity
				sumAmp += math.Min(1, amp/30)
			}
		}
	}
	total := float64(bw * bh)
	var f FingerFeatures
	f.Area = float64(fgBlocks) / total
	if fgBlocks > 0 {
		n := float64(fgBlocks)
		f.Contrast = sumAmp / n
		f.Orientation = sumCoh / n
		f.Frequency = float64(validFreq) / n
		f.Clarity = sumClar / n
		f.MeanGrey = sumGrey / n
		dx := (cx/n - float64(w)/2) / (float64(w) / 2)
		dy := (cy/n - float64(h)/2) / (float64(h) / 2)
		f.Centring = math.Max(0, 1-math.Hypot(dx, dy))
	}
	q := FingerQuality{Features: f}
	areaFactor := math.Min(1, f.Area/0.4)
	centringFactor := 0.7 + 0.3*f.Centring
	core := 0.20*f.Contrast + 0.30*f.Orientation + 0.20*f.Frequency + 0.30*f.Clarity
	q.Score = int(math.Round(100 * areaFactor * centringFactor * core))
	switch {
	case f.Area < 0.05:
		q.Flags = append(q.Flags, FlagNoFinger)
		q.Score = min(q.Score, 5)
	case f.Area < 0.25 || f.Centring < 0.5:
		q.Flags = append(q.Flags, FlagPartial)
	}
	if f.Area >= 0.05 && f.MeanGrey < 70 {
		q.Flags = append(q.Flags, FlagTooDark)
	}
	if f.Area >= 0.05 && f.MeanGrey > 200 {
		q.Flags = append(q.Flags, FlagTooLight)
	}
	return q
}

// boxSmooth is a 3×3 mean filter.
func boxSmooth(p []float32, w, h int) []float32 {
	out := make([]float32, len(p))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float32
			var n float32
			for dy := -1; dy <= 1; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					if xx < 0 || xx >= w {
						continue
					}
					s += p[yy*w+xx]
					n++
				}
			}
			out[y*w+x] = s / n
		}
	}
	return out
}

func sobel(p []float32, w, h int) (gx, gy []float32) {
	gx, gy = make([]float32, len(p)), make([]float32, len(p))
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			a := func(dx, dy int) float32 { return p[(y+dy)*w+x+dx] }
			gx[y*w+x] = (a(1, -1) + 2*a(1, 0) + a(1, 1)) - (a(-1, -1) + 2*a(-1, 0) + a(-1, 1))
			gy[y*w+x] = (a(-1, 1) + 2*a(0, 1) + a(1, 1)) - (a(-1, -1) + 2*a(0, -1) + a(1, -1))
		}
	}
	return gx, gy
}

func blockStats(p []float32, w, x0, y0 int) (mean, std float64) {
	var s, ss float64
	for y := y0; y < y0+qualityBlock; y++ {
		for x := x0; x < x0+qualityBlock; x++ {
			v := float64(p[y*w+x])
			s += v
			ss += v * v
		}
	}
	n := float64(qualityBlock * qualityBlock)
	mean = s / n
	return mean, math.Sqrt(math.Max(0, ss/n-mean*mean))
}

// blockOrientation returns the coherence of the gradients in a block (0-1) and the dominant
// gradient direction, which is across the ridges.
func blockOrientation(gx, gy []float32, w, x0, y0 int) (coherence, theta float64) {
	var gxx, gyy, gxy float64
	for y := y0; y < y0+qualityBlock; y++ {
		for x := x0; x < x0+qualityBlock; x++ {
			a, b := float64(gx[y*w+x]), float64(gy[y*w+x])
			gxx += a * a
			gyy += b * b
			gxy += a * b
		}
	}
	if gxx+gyy == 0 {
		return 0, 0
	}
	coherence = math.Sqrt((gxx-gyy)*(gxx-gyy)+4*gxy*gxy) / (gxx + gyy)
	theta = 0.5 * math.Atan2(2*gxy, gxx-gyy)
	return coherence, theta
}

// ridgeSignature samples 32 points across the ridges (along theta) through (cx, cy), each the
// mean of 3 samples along the ridge, and returns the ridge period in pixels, the share of the
// signature's variance a sinusoid at that period explains, and that sinusoid's amplitude.
func ridgeSignature(p []float32, w, h, cx, cy int, theta float64) (period, clarity, amplitude float64) {
	const n, along = 32, 3
	cosT, sinT := math.Cos(theta), math.Sin(theta)
	var sig [n]float64
	var mean float64
	for i := range n {
		t := float64(i - n/2)
		var s float64
		for j := -along / 2; j <= along/2; j++ {
			x := float64(cx) + t*cosT - float64(j)*sinT
			y := float64(cy) + t*sinT + float64(j)*cosT
			s += sample(p, w, h, x, y)
		}
		sig[i] = s / along
		mean += sig[i]
	}
	mean /= n
	var variance float64
	crossings := 0
	for i := range n {
		sig[i] -= mean
		variance += sig[i] * sig[i]
		if i > 0 && (sig[i-1] < 0) != (sig[i] < 0) {
			crossings++
		}
	}
	if crossings < 2 || variance == 0 {
		return 0, 0, 0
	}
	period = 2 * float64(n-1) / float64(crossings)
	var c, s float64
	for i := range n {
		a := 2 * math.Pi * float64(i) / period
		c += sig[i] * math.Cos(a)
		s += sig[i] * math.Sin(a)
	}
	explained := 2 * (c*c + s*s) / n // energy of the fitted sinusoid
	amplitude = 2 * math.Sqrt(c*c+s*s) / n
	return period, math.Min(1, explained/variance), amplitude
}

// sample reads p at a fractional position, clamped to the image.
func sample(p []float32, w, h int, x, y float64) float64 {
	xi := int(math.Max(0, math.Min(float64(w-1), math.Round(x))))
	yi := int(math.Max(0, math.Min(float64(h-1), math.Round(y))))
	return float64(p[yi*w+xi])
}

// Record is the quality as stored with the capture.
func (q FingerQuality) Record() enroll.FingerScore {
	s := enroll.FingerScore{Score: q.Score, Features: map[string]float64{
		"area": q.Features.Area, "contrast": q.Features.Contrast, "orientation": q.Features.Orientation,
		"frequency": q.Features.Frequency, "clarity": q.Features.Clarity, "centring": q.Features.Centring,
		"mean_grey": q.Features.MeanGrey,
	}}
	for _, f := range q.Flags {
		s.Flags = append(s.Flags, string(f))
	}
	return s
}
