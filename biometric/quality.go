package biometric

import (
	"image"
	"math"
	"slices"

	"github.com/wardpolice/enroll"
)

// FingerQuality is a 0-100 score in the spirit of NFIQ 2 (ISO/IEC 29794-4): how useful a
// print is for matching. Every measure is taken on the print at 500 ppi, so that the score
// means the same for readers of any resolution: an image at another resolution is resampled
// to 500 ppi first (README.md, "Finger quality", has the reasons and the figures). The image's
// resolution is the reader's (MeasureCapture), a PNG's pHYs chunk (MeasureFingerPNG) or, when
// neither is known, estimated from the ridge period (flag ppi_estimated). On 16×16-pixel
// blocks (0.81 mm) of the 500 ppi image:
//
//   - Area: the finger's area in mm² (blocks with directed ridge texture, not platen), and
//     the part of it inside the best-placed fingertip window of 20 × 20 mm (TipAreaMM2): a
//     swipe reader's long strip is as partial as a small square sensor's patch. A fingertip
//     of less than PartialAreaMM2 is flagged partial.
//   - Contrast: the ridge-valley amplitude, from the sinusoid fitted across the ridges (30
//     grey levels or more counts fully). Unlike a plain grey-level spread, noise does not
//     inflate it and blur lowers it.
//   - Orientation certainty: how consistently the gradients in a block point one way
//     (coherence of the structure tensor, 0 for noise, 1 for clean parallel ridges).
//   - Ridge frequency: the share of foreground blocks whose ridge period, read from a
//     signature taken across the ridges, is a plausible 0.25–0.75 mm (5–15 px at 500 ppi).
//   - Ridge clarity: how much of that signature a single sinusoid at the ridge period
//     explains (clear ridge/valley alternation against smudges and noise).
//   - Centring: how close the foreground's centre is to the image centre.
//   - Core: where the core (the innermost recurving ridge, found by the Poincaré index of the
//     orientation field) lies, for the record and the officer; arches have none, so it does
//     not count in the score.
//
// Score = 100 × areaFactor × centringFactor × (0.20 contrast + 0.30 orientation certainty
// + 0.20 frequency + 0.30 clarity), where areaFactor is TipAreaMM2 / FullTipAreaMM2 (at most
// 1) and centringFactor runs from 0.7 (print at the edge) to 1. A partial print scores below
// FingerQualityThreshold however clear it is: enrolment needs the whole fingertip. Below the
// threshold the officer is asked to retake the print.
type FingerQuality struct {
	Score    int
	Features FingerFeatures
	Flags    []QualityFlag
	// PPI is the resolution the image was taken to have, and PPISource where that came from.
	PPI       int
	PPISource PPISource
	Core      FingerCore
}

// FingerFeatures are the measured values stored with every capture. Area, Contrast,
// Orientation, Frequency, Clarity and Centring are 0-1.
type FingerFeatures struct {
	Area, Contrast, Orientation, Frequency, Clarity, Centring float64
	// MeanGrey is the foreground's mean grey level (0 black … 255 white).
	MeanGrey float64
	// AreaMM2 is the finger's whole area, TipAreaMM2 the part of it inside the best-placed
	// 20 × 20 mm window, in mm².
	AreaMM2, TipAreaMM2 float64
	// RidgePeriodMM is the mean ridge period (ridge plus valley) over the print, in mm; 0
	// when no block gave one.
	RidgePeriodMM float64
}

// FingerCore is where the core lies, in the input image's pixels, and how far it is from the
// centre of the print and from the print's nearest edge (the outline of the finger or the
// edge of the image), in mm.
type FingerCore struct {
	Found        bool
	X, Y         int
	FromCentreMM float64
	ToEdgeMM     float64
}

// PPISource says where the resolution a print was measured at came from.
type PPISource string

const (
	PPIGiven     PPISource = "given"     // the reader's figure, or the caller's
	PPIFromPNG   PPISource = "png"       // the PNG file's pHYs chunk
	PPIEstimated PPISource = "estimated" // from the ridge period, taken to be RidgePeriodMM
	PPIAssumed   PPISource = "assumed"   // unknown and no ridges to estimate it from: 500
)

// QualityFlag names a problem the officer can fix, or (ppi_*) a caveat about the measure.
type QualityFlag string

const (
	FlagNoFinger QualityFlag = "no_finger"
	FlagPartial  QualityFlag = "partial"
	FlagTooDark  QualityFlag = "too_dark"
	FlagTooLight QualityFlag = "too_light"
	// FlagPPIEstimated: the resolution was not known and was estimated from the ridge period,
	// so the areas in mm² hold within the spread of human ridge periods (about ±15 %).
	FlagPPIEstimated QualityFlag = "ppi_estimated"
	// FlagPPIUnknown: the resolution was not known and the image has too few clear ridges to
	// estimate it; 500 ppi was assumed.
	FlagPPIUnknown QualityFlag = "ppi_unknown"
)

// FingerQualityThreshold is the acceptance score; the domain's rule is the one source.
const FingerQualityThreshold = enroll.MinFingerQuality

// Area and resolution figures (README.md, "Finger quality", gives the reasoning).
const (
	// PartialAreaMM2: a fingertip showing less than this is partial. A complete plain
	// impression of the smallest adult fingertip (a little finger, contact about 11 × 14 mm)
	// covers some 120 mm², an index finger's about 200 mm²; 100 mm² (10 × 10 mm) is half an
	// index fingertip, and what small-area and swipe sensors capture.
	PartialAreaMM2 = 100.0
	// FullTipAreaMM2 is the fingertip area that earns the full area factor: a plain index
	// impression's contact region, the ellipse inside the 12.8 × 16.5 mm minimum capture
	// window of the FBI's single-finger (PIV) reader specification.
	FullTipAreaMM2 = 165.0
	// TipWindowMM is the side of the window a fingertip fits in.
	TipWindowMM = 20.0
	// NoFingerAreaMM2: less than a 4 × 4 mm patch of ridges is no finger.
	NoFingerAreaMM2 = 16.0
	// TypicalRidgePeriodMM is the ridge period assumed when the resolution is estimated: the
	// middle of the adult range (0.40-0.52 mm); 9 px at 500 ppi.
	TypicalRidgePeriodMM = 0.46
	// MinQualityPPI and MaxQualityPPI bound the resolutions measured; a resolution outside
	// them is taken as unknown and estimated.
	MinQualityPPI = 250
	MaxQualityPPI = 1500
)

const (
	qualityPPI   = 500 // every measure is taken at this resolution
	qualityBlock = 16
	mmPerInch    = 25.4
	blockMM      = qualityBlock * mmPerInch / qualityPPI // 0.8128 mm
)

// MeasureFinger scores a finger image at 500 ppi, the resolution of the readers the station
// drives today (device/upektc, device/sim). Use MeasureCapture for a reader's capture and
// MeasureFingerAt when the resolution is another or unknown.
func MeasureFinger(img *image.Gray) FingerQuality {
	return MeasureFingerAt(img, qualityPPI)
}

// MeasureCapture scores a capture at the resolution its reader reported.
func MeasureCapture(f enroll.FingerImage) FingerQuality {
	return MeasureFingerAt(f.Image, f.PPI)
}

// MeasureFingerAt scores a finger image taken at ppi pixels per inch. A ppi of 0 (or one
// outside MinQualityPPI-MaxQualityPPI, which no fingerprint reader has) means unknown: the
// resolution is then estimated from the ridge period and the flags say so.
func MeasureFingerAt(img *image.Gray, ppi int) FingerQuality {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	pix := make([]float32, w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		for x, v := range row {
			pix[y*w+x] = float32(v)
		}
	}
	source := PPIGiven
	var caveat []QualityFlag
	if ppi < MinQualityPPI || ppi > MaxQualityPPI {
		if period, ok := estimateRidgePeriod(pix, w, h); ok {
			ppi = int(math.Round(period * mmPerInch / TypicalRidgePeriodMM))
			ppi = max(MinQualityPPI, min(MaxQualityPPI, ppi))
			source = PPIEstimated
			caveat = []QualityFlag{FlagPPIEstimated}
		} else {
			ppi, source = qualityPPI, PPIAssumed
			caveat = []QualityFlag{FlagPPIUnknown}
		}
	}
	q := measureAt500(pix, w, h, float64(qualityPPI)/float64(ppi))
	q.PPI, q.PPISource = ppi, source
	q.Flags = append(q.Flags, caveat...)
	return q
}

// blockGrid is what the block analysis found, block by block, on the 500 ppi image.
type blockGrid struct {
	bw, bh int
	fg     []bool
	// vx, vy are the doubled-angle gradient vectors (gxx-gyy, 2gxy), for the core search.
	vx, vy []float64
}

// measureAt500 scores the image after resampling it by scale (500 / its ppi).
func measureAt500(pix []float32, w, h int, scale float64) FingerQuality {
	inW, inH := w, h
	if math.Abs(scale-1) > 0.005 {
		pix, w, h = resampleFinger(pix, w, h, scale)
	}
	bw, bh := w/qualityBlock, h/qualityBlock
	if bw < 2 || bh < 2 {
		return FingerQuality{Flags: []QualityFlag{FlagNoFinger}}
	}
	// Segmentation looks at the smoothed image so sensor noise does not pass for texture;
	// orientation and clarity look at the raw pixels, where noise really does hurt matching.
	smooth := boxSmooth(pix, w, h)
	gx, gy := sobel(pix, w, h)

	g := blockGrid{bw: bw, bh: bh, fg: make([]bool, bw*bh), vx: make([]float64, bw*bh), vy: make([]float64, bw*bh)}
	var fgBlocks, validFreq int
	var sumAmp, sumCoh, sumClar, sumGrey, cx, cy float64
	var periods []float64
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			x0, y0 := bx*qualityBlock, by*qualityBlock
			mean, std := regionStats(smooth, w, x0, y0, qualityBlock)
			coh, theta, vx, vy := blockOrientation(gx, gy, w, x0, y0)
			// Foreground is directed ridge texture. The spread floor is low because sensors
			// differ in gain (a faint print on a low-gain sensor is still a print); noise and
			// smudges fail the coherence test instead.
			if std < 4 || coh < 0.3 {
				continue
			}
			i := by*bw + bx
			g.fg[i], g.vx[i], g.vy[i] = true, vx, vy
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
				periods = append(periods, period)
			}
		}
	}
	var f FingerFeatures
	f.Area = float64(fgBlocks) / float64(bw*bh)
	f.AreaMM2 = float64(fgBlocks) * blockMM * blockMM
	f.TipAreaMM2 = tipArea(g) * blockMM * blockMM
	if len(periods) > 0 {
		var sum float64
		for _, p := range periods {
			sum += p
		}
		f.RidgePeriodMM = sum / float64(len(periods)) * mmPerInch / qualityPPI
	}
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
	if fgBlocks > 0 {
		q.Core = findCore(g, cx/float64(fgBlocks), cy/float64(fgBlocks), float64(inW)/float64(w), float64(inH)/float64(h))
	}
	areaFactor := math.Min(1, f.TipAreaMM2/FullTipAreaMM2)
	centringFactor := 0.7 + 0.3*f.Centring
	core := 0.20*f.Contrast + 0.30*f.Orientation + 0.20*f.Frequency + 0.30*f.Clarity
	q.Score = int(math.Round(100 * areaFactor * centringFactor * core))
	switch {
	case f.TipAreaMM2 < NoFingerAreaMM2:
		q.Flags = append(q.Flags, FlagNoFinger)
		q.Score = min(q.Score, 5)
	case f.TipAreaMM2 < PartialAreaMM2 || f.Centring < 0.5:
		q.Flags = append(q.Flags, FlagPartial)
		q.Score = min(q.Score, FingerQualityThreshold-1)
	}
	if f.TipAreaMM2 >= NoFingerAreaMM2 && f.MeanGrey < 70 {
		q.Flags = append(q.Flags, FlagTooDark)
	}
	if f.TipAreaMM2 >= NoFingerAreaMM2 && f.MeanGrey > 200 {
		q.Flags = append(q.Flags, FlagTooLight)
	}
	return q
}

// tipArea is the most foreground blocks inside any window of TipWindowMM × TipWindowMM (or
// the whole image, where it is smaller), from a summed-area table.
func tipArea(g blockGrid) float64 {
	win := int(math.Round(TipWindowMM / blockMM))
	ww, wh := min(win, g.bw), min(win, g.bh)
	sat := make([]int, (g.bw+1)*(g.bh+1))
	for y := 0; y < g.bh; y++ {
		for x := 0; x < g.bw; x++ {
			v := 0
			if g.fg[y*g.bw+x] {
				v = 1
			}
			sat[(y+1)*(g.bw+1)+x+1] = v + sat[y*(g.bw+1)+x+1] + sat[(y+1)*(g.bw+1)+x] - sat[y*(g.bw+1)+x]
		}
	}
	best := 0
	for y := 0; y+wh <= g.bh; y++ {
		for x := 0; x+ww <= g.bw; x++ {
			s := sat[(y+wh)*(g.bw+1)+x+ww] - sat[y*(g.bw+1)+x+ww] - sat[(y+wh)*(g.bw+1)+x] + sat[y*(g.bw+1)+x]
			best = max(best, s)
		}
	}
	return float64(best)
}

func medianFloat(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
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

// blockOrientation returns the coherence of the gradients in a block (0-1), the dominant
// gradient direction, which is across the ridges, and the doubled-angle vector the direction
// comes from, normalised by the gradient energy.
func blockOrientation(gx, gy []float32, w, x0, y0 int) (coherence, theta, vx, vy float64) {
	return regionOrientation(gx, gy, w, x0, y0, qualityBlock)
}

func regionOrientation(gx, gy []float32, w, x0, y0, size int) (coherence, theta, vx, vy float64) {
	var gxx, gyy, gxy float64
	for y := y0; y < y0+size; y++ {
		for x := x0; x < x0+size; x++ {
			a, b := float64(gx[y*w+x]), float64(gy[y*w+x])
			gxx += a * a
			gyy += b * b
			gxy += a * b
		}
	}
	if gxx+gyy == 0 {
		return 0, 0, 0, 0
	}
	vx, vy = (gxx-gyy)/(gxx+gyy), 2*gxy/(gxx+gyy)
	coherence = math.Hypot(vx, vy)
	theta = 0.5 * math.Atan2(vy, vx)
	return coherence, theta, vx, vy
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
		"mean_grey": q.Features.MeanGrey, "area_mm2": q.Features.AreaMM2, "tip_area_mm2": q.Features.TipAreaMM2,
		"ridge_period_mm": q.Features.RidgePeriodMM, "ppi": float64(q.PPI),
	}}
	if q.Core.Found {
		s.Features["core_x"], s.Features["core_y"] = float64(q.Core.X), float64(q.Core.Y)
		s.Features["core_to_edge_mm"] = q.Core.ToEdgeMM
	}
	for _, f := range q.Flags {
		s.Flags = append(s.Flags, string(f))
	}
	return s
}
