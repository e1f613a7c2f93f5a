package biometric_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/device/sim"
)

func degrade(src *image.Gray, f func(x, y int, v float64, r *rand.Rand) float64) *image.Gray {
	out := image.NewGray(src.Rect)
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < src.Rect.Dy(); y++ {
		for x := 0; x < src.Rect.Dx(); x++ {
			v := f(x, y, float64(src.GrayAt(x, y).Y), r)
			out.Pix[y*out.Stride+x] = uint8(max(0, min(255, v)))
		}
	}
	return out
}

// blur approximates a Gaussian (defocus, a smeared platen) by three box passes; a single box
// filter's sidelobes would bring ridges back, phase-inverted, at large radii.
func blur(src *image.Gray, radius int) *image.Gray {
	for range 3 {
		src = boxBlur(src, radius)
	}
	return src
}

func boxBlur(src *image.Gray, radius int) *image.Gray {
	return degrade(src, func(x, y int, _ float64, _ *rand.Rand) float64 {
		var s, n float64
		for dy := -radius; dy <= radius; dy++ {
			for dx := -radius; dx <= radius; dx++ {
				p := image.Pt(x+dx, y+dy)
				if p.In(src.Rect) {
					s += float64(src.GrayAt(p.X, p.Y).Y)
					n++
				}
			}
		}
		return s / n
	})
}

// Each series degrades one print step by step; every step must score lower than the one
// before, the clean print must pass and the last step, where the ridges are gone (noise of
// σ 140 grey levels, a Gaussian-like blur of σ ≈ 4.5 px across 9-pixel ridges, 3 % contrast,
// 85 % of the print missing), must fail.
func TestQualityOrdersGradedDegradations(t *testing.T) {
	good := sim.Fingerprint(21, 1)
	w, h := good.Rect.Dx(), good.Rect.Dy()
	series := map[string][]*image.Gray{
		"noise": {good,
			degrade(good, func(_, _ int, v float64, r *rand.Rand) float64 { return v + 20*r.NormFloat64() }),
			degrade(good, func(_, _ int, v float64, r *rand.Rand) float64 { return v + 45*r.NormFloat64() }),
			degrade(good, func(_, _ int, v float64, r *rand.Rand) float64 { return v + 90*r.NormFloat64() }),
			degrade(good, func(_, _ int, v float64, r *rand.Rand) float64 { return v + 140*r.NormFloat64() })},
		"blur": {good, blur(good, 1), blur(good, 2), blur(good, 3), blur(good, 4)},
		"contrast": {good,
			degrade(good, func(_, _ int, v float64, _ *rand.Rand) float64 { return 242 - (242-v)*0.3 }),
			degrade(good, func(_, _ int, v float64, _ *rand.Rand) float64 { return 242 - (242-v)*0.1 }),
			degrade(good, func(_, _ int, v float64, _ *rand.Rand) float64 { return 242 - (242-v)*0.03 })},
		"partial": {good,
			degrade(good, func(x, _ int, v float64, _ *rand.Rand) float64 {
				return map[bool]float64{true: 242, false: v}[x < w*35/100]
			}),
			degrade(good, func(x, _ int, v float64, _ *rand.Rand) float64 {
				return map[bool]float64{true: 242, false: v}[x < w*60/100]
			}),
			degrade(good, func(_, y int, v float64, _ *rand.Rand) float64 {
				return map[bool]float64{true: 242, false: v}[y < h*85/100]
			})},
	}
	for name, imgs := range series {
		var scores []int
		for _, img := range imgs {
			scores = append(scores, biometric.MeasureFinger(img).Score)
		}
		for i := 1; i < len(scores); i++ {
			if scores[i] >= scores[i-1] {
				t.Errorf("%s: scores %v do not fall with each degradation", name, scores)
				break
			}
		}
		if scores[0] < biometric.FingerQualityThreshold || scores[len(scores)-1] >= biometric.FingerQualityThreshold {
			t.Errorf("%s: scores %v: clean print should pass, worst should fail", name, scores)
		}
		t.Logf("%s: %v", name, scores)
	}
}

func TestQualityFollowsSimulatedQuality(t *testing.T) {
	var means []int
	for _, q := range []float64{1, 0.6, 0.2, 0} {
		sum := 0
		for seed := uint64(1); seed <= 5; seed++ {
			sum += biometric.MeasureFinger(sim.Fingerprint(seed, q)).Score
		}
		means = append(means, sum/5)
	}
	if !slices.IsSortedFunc(means, func(a, b int) int { return b - a }) || means[0] == means[len(means)-1] {
		t.Errorf("mean scores %v do not fall with simulated quality", means)
	}
}

func TestQualityFlags(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 320, 400))
	for i := range blank.Pix {
		blank.Pix[i] = 240
	}
	noise := degrade(blank, func(_, _ int, v float64, r *rand.Rand) float64 { return v - 30 + 30*r.NormFloat64() })
	for name, img := range map[string]*image.Gray{"blank": blank, "noise only": noise} {
		q := biometric.MeasureFinger(img)
		if !slices.Contains(q.Flags, biometric.FlagNoFinger) || q.Score > 5 {
			t.Errorf("%s: %+v, want no finger", name, q)
		}
	}
	dark := degrade(sim.Fingerprint(3, 1), func(_, _ int, v float64, _ *rand.Rand) float64 { return v * 0.25 })
	if q := biometric.MeasureFinger(dark); !slices.Contains(q.Flags, biometric.FlagTooDark) {
		t.Errorf("dark print: %+v", q)
	}
	tip := degrade(sim.Fingerprint(3, 1), func(_, y int, v float64, _ *rand.Rand) float64 {
		return map[bool]float64{true: 242, false: v}[y < 300]
	})
	if q := biometric.MeasureFinger(tip); !slices.Contains(q.Flags, biometric.FlagPartial) {
		t.Errorf("partial print: %+v", q)
	}
	if q := biometric.MeasureFinger(image.NewGray(image.Rect(0, 0, 10, 10))); !slices.Contains(q.Flags, biometric.FlagNoFinger) {
		t.Errorf("tiny image: %+v", q)
	}
}

// The real reader's recorded capture (UPEK TouchChip, 500 ppi) is faint (greys 180-232),
// with clear ridges on a swipe strip about 5 mm wide and 15 mm long: some 70 mm² of finger, a
// partial print by the fingertip rule, and light. Its resolution, not in the file, is
// estimated from the ridges within 5 % of the reader's.
func TestQualityOfRealCapture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "fixtures", "fingerprint", "upektc_img", "capture.png"))
	if err != nil {
		t.Fatalf("recorded capture missing: %v", err)
	}
	g, _, err := biometric.DecodeFingerPNG(b)
	if err != nil {
		t.Fatal(err)
	}
	q := biometric.MeasureFingerAt(g, 500)
	t.Logf("real capture: %+v", q)
	if q.Score >= biometric.FingerQualityThreshold || q.Score < 10 || !slices.Contains(q.Flags, biometric.FlagPartial) ||
		!slices.Contains(q.Flags, biometric.FlagTooLight) || slices.Contains(q.Flags, biometric.FlagNoFinger) {
		t.Errorf("real capture scored %+v", q)
	}
	if a := q.Features.TipAreaMM2; a < 50 || a > 90 {
		t.Errorf("real capture's fingertip %.0f mm², want about 70", a)
	}
	// The same print made noisy must score lower.
	noisy := degrade(g, func(_, _ int, v float64, r *rand.Rand) float64 { return v + 40*r.NormFloat64() })
	if n := biometric.MeasureFingerAt(noisy, 500); n.Score >= q.Score {
		t.Errorf("noisy real capture %d >= clean %d", n.Score, q.Score)
	}
	est, err := biometric.MeasureFingerPNG(b)
	if err != nil {
		t.Fatal(err)
	}
	if est.PPISource != biometric.PPIEstimated || !slices.Contains(est.Flags, biometric.FlagPPIEstimated) || est.PPI < 475 || est.PPI > 525 {
		t.Errorf("resolution of the capture without pHYs: %d (%s) %v, want estimated near 500", est.PPI, est.PPISource, est.Flags)
	}
}

// rescale resamples img by factor (imaging's linear filter, independent of the score's own
// resampling), as a reader of another resolution would image the same finger.
func rescale(img *image.Gray, factor float64) *image.Gray {
	w := int(math.Round(float64(img.Rect.Dx()) * factor))
	h := int(math.Round(float64(img.Rect.Dy()) * factor))
	n := imaging.Resize(img, w, h, imaging.Linear)
	g := image.NewGray(n.Rect)
	for i := range g.Pix {
		g.Pix[i] = n.Pix[4*i]
	}
	return g
}

// The same finger imaged at 333-1 000 ppi scores as it does at 500 ppi when the resolution is
// given: within 5 points, the same verdict and flags, the same area within 6 %, the core in
// the same place. A faint, noisy print (the last case) keeps its verdict and its score within
// 8 points; its ridge area moves more, because resampling also averages the sensor noise at
// the edge of the print, where a block's coherence is marginal.
func TestQualityHoldsAcrossResolutions(t *testing.T) {
	for _, c := range []struct {
		seed    uint64
		quality float64
		faint   bool
	}{{1, 1, false}, {3, 0.8, false}, {6, 0.5, false}, {4, 0.15, true}} {
		base := sim.Fingerprint(c.seed, c.quality)
		ref := biometric.MeasureFingerAt(base, 500)
		for _, ppi := range []int{333, 400, 700, 1000} {
			factor := float64(ppi) / 500
			q := biometric.MeasureFingerAt(rescale(base, factor), ppi)
			name := fmt.Sprintf("seed %d quality %.2f at %d ppi", c.seed, c.quality, ppi)
			if (q.Score >= biometric.FingerQualityThreshold) != (ref.Score >= biometric.FingerQualityThreshold) {
				t.Errorf("%s: %d %v, at 500 ppi %d %v", name, q.Score, q.Flags, ref.Score, ref.Flags)
			}
			if c.faint {
				if d := q.Score - ref.Score; d < -8 || d > 8 {
					t.Errorf("%s: score %d, %d at 500 ppi", name, q.Score, ref.Score)
				}
				continue
			}
			if d := q.Score - ref.Score; d < -5 || d > 5 || !slices.Equal(q.Flags, ref.Flags) {
				t.Errorf("%s: %d %v, at 500 ppi %d %v", name, q.Score, q.Flags, ref.Score, ref.Flags)
			}
			if r := q.Features.AreaMM2 / ref.Features.AreaMM2; r < 0.94 || r > 1.06 {
				t.Errorf("%s: area %.0f mm², %.0f at 500 ppi", name, q.Features.AreaMM2, ref.Features.AreaMM2)
			}
			if q.Core.Found != ref.Core.Found {
				t.Errorf("%s: core found %v, at 500 ppi %v", name, q.Core.Found, ref.Core.Found)
			} else if q.Core.Found {
				dx := float64(q.Core.X)/factor - float64(ref.Core.X)
				dy := float64(q.Core.Y)/factor - float64(ref.Core.Y)
				if math.Hypot(dx, dy) > 2*16 { // two blocks at 500 ppi, 1.6 mm
					t.Errorf("%s: core at %d,%d, at 500 ppi %d,%d", name, q.Core.X, q.Core.Y, ref.Core.X, ref.Core.Y)
				}
			}
		}
	}
	// The same finger at 800 ppi scored as if it were 500 ppi (the old score's assumption)
	// fails; scored at its own resolution, or estimating it, it passes.
	clear := rescale(sim.Fingerprint(2, 1), 1.6)
	if q := biometric.MeasureFingerAt(clear, 500); q.Score >= biometric.FingerQualityThreshold {
		t.Logf("an 800 ppi print read as 500 ppi scores %d", q.Score)
	}
	for _, ppi := range []int{800, 0} {
		if q := biometric.MeasureFingerAt(clear, ppi); q.Score < biometric.FingerQualityThreshold {
			t.Errorf("a clear print at 800 ppi given as %d ppi scores %d %v", ppi, q.Score, q.Flags)
		}
	}
}

// Without a resolution, the ridge period gives it: a print resampled to another resolution is
// estimated at that resolution times its estimate at 500 ppi, within 8 %, and flagged.
func TestQualityEstimatesResolution(t *testing.T) {
	for _, seed := range []uint64{1, 2, 5} {
		base := sim.Fingerprint(seed, 1)
		ref := biometric.MeasureFingerAt(base, 0)
		if ref.PPISource != biometric.PPIEstimated || ref.PPI < 400 || ref.PPI > 600 {
			t.Fatalf("seed %d at 500 ppi: estimated %d (%s)", seed, ref.PPI, ref.PPISource)
		}
		for _, ppi := range []int{300, 400, 700, 1000} {
			q := biometric.MeasureFingerAt(rescale(base, float64(ppi)/500), 0)
			want := float64(ref.PPI) * float64(ppi) / 500
			if r := float64(q.PPI) / want; r < 0.92 || r > 1.08 || q.PPISource != biometric.PPIEstimated ||
				!slices.Contains(q.Flags, biometric.FlagPPIEstimated) {
				t.Errorf("seed %d at %d ppi: estimated %d (%s, %v), want about %.0f", seed, ppi, q.PPI, q.PPISource, q.Flags, want)
			}
		}
	}
	// Nothing to estimate from: 500 ppi is assumed and the flags say so.
	blank := image.NewGray(image.Rect(0, 0, 320, 400))
	for i := range blank.Pix {
		blank.Pix[i] = 240
	}
	if q := biometric.MeasureFingerAt(blank, 0); q.PPI != 500 || q.PPISource != biometric.PPIAssumed ||
		!slices.Contains(q.Flags, biometric.FlagPPIUnknown) || !slices.Contains(q.Flags, biometric.FlagNoFinger) {
		t.Errorf("blank image without a resolution: %+v", q)
	}
	// A resolution no reader has (a screenshot's 72 dpi) is not believed.
	if q := biometric.MeasureFingerAt(sim.Fingerprint(1, 1), 72); q.PPISource != biometric.PPIEstimated {
		t.Errorf("72 ppi taken as given: %d (%s)", q.PPI, q.PPISource)
	}
}

// A print is partial by its area in mm², not by its share of the image: a small sensor that
// the finger covers completely (8 × 8 mm) and a swipe strip 5 mm wide (however long) are
// partial, and stay below the threshold however clear; a 10 × 12 mm sensor (a little finger's
// whole contact area) is not partial but earns less area credit than the full print.
func TestQualityPartialIsMeasuredInMM2(t *testing.T) {
	full := sim.Fingerprint(3, 1)
	c := full.Rect.Size().Div(2)
	mm := func(v float64) int { return int(math.Round(v / 25.4 * 500)) }
	crops := map[string]image.Rectangle{
		"8 × 8 mm sensor":  image.Rect(c.X-mm(4), c.Y-mm(4), c.X+mm(4), c.Y+mm(4)),
		"5 mm swipe strip": image.Rect(c.X-mm(2.5), 0, c.X+mm(2.5), full.Rect.Dy()),
	}
	for name, r := range crops {
		crop := full.SubImage(r).(*image.Gray)
		q := biometric.MeasureFingerAt(crop, 500)
		t.Logf("%s: %d %v, %.0f mm² (%.0f %% of the image)", name, q.Score, q.Flags, q.Features.TipAreaMM2, 100*q.Features.Area)
		if !slices.Contains(q.Flags, biometric.FlagPartial) || q.Score >= biometric.FingerQualityThreshold {
			t.Errorf("%s: %d %v, want partial below the threshold", name, q.Score, q.Flags)
		}
	}
	q := biometric.MeasureFingerAt(full, 500)
	if slices.Contains(q.Flags, biometric.FlagPartial) || q.Features.TipAreaMM2 < biometric.FullTipAreaMM2 {
		t.Errorf("full print: %d %v, %.0f mm²", q.Score, q.Flags, q.Features.TipAreaMM2)
	}
	small := biometric.MeasureFingerAt(full.SubImage(image.Rect(c.X-mm(5), c.Y-mm(6), c.X+mm(5), c.Y+mm(6))).(*image.Gray), 500)
	if slices.Contains(small.Flags, biometric.FlagPartial) || small.Score >= q.Score {
		t.Errorf("10 × 12 mm sensor: %d %v (%.0f mm²), full print %d", small.Score, small.Flags, small.Features.TipAreaMM2, q.Score)
	}
}

// The core: found at the centre of a whorl and of a loop, inside the print; an arch has none.
func TestQualityFindsCore(t *testing.T) {
	for _, seed := range []uint64{1, 3, 4} { // whorls and loops
		q := biometric.MeasureFinger(sim.Fingerprint(seed, 1))
		if !q.Core.Found || q.Core.FromCentreMM > 4 || q.Core.ToEdgeMM < 3 {
			t.Errorf("seed %d: core %+v", seed, q.Core)
		}
		if r := q.Record(); r.Features["core_x"] != float64(q.Core.X) || r.Features["core_y"] != float64(q.Core.Y) {
			t.Errorf("seed %d: core not recorded: %v", seed, r.Features)
		}
	}
	for _, seed := range []uint64{2, 5} { // arches
		if q := biometric.MeasureFinger(sim.Fingerprint(seed, 1)); q.Core.Found {
			t.Errorf("seed %d (an arch): core %+v", seed, q.Core)
		}
	}
}

// A PNG is scored at the resolution in its pHYs chunk; without one it is estimated.
func TestMeasureFingerPNG(t *testing.T) {
	img := rescale(sim.Fingerprint(1, 1), 1.4)
	b, err := biometric.EncodeFingerPNG(img, 700)
	if err != nil {
		t.Fatal(err)
	}
	q, err := biometric.MeasureFingerPNG(b)
	if err != nil {
		t.Fatal(err)
	}
	if q.PPI != 700 || q.PPISource != biometric.PPIFromPNG || slices.Contains(q.Flags, biometric.FlagPPIEstimated) {
		t.Errorf("PNG with pHYs 700 ppi: %d (%s) %v", q.PPI, q.PPISource, q.Flags)
	}
	if want := biometric.MeasureFingerAt(img, 700); q.Score != want.Score {
		t.Errorf("PNG scored %d, the image at 700 ppi %d", q.Score, want.Score)
	}
	var plain bytes.Buffer
	if err := png.Encode(&plain, img); err != nil {
		t.Fatal(err)
	}
	q, err = biometric.MeasureFingerPNG(plain.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if q.PPISource != biometric.PPIEstimated || q.PPI < 600 || q.PPI > 800 {
		t.Errorf("PNG without pHYs: %d (%s) %v", q.PPI, q.PPISource, q.Flags)
	}
	if _, err := biometric.MeasureFingerPNG([]byte("not a png")); err == nil {
		t.Error("garbage scored")
	}
}

func BenchmarkMeasureFinger(b *testing.B) {
	img := sim.Fingerprint(7, 0.8)
	for b.Loop() {
		biometric.MeasureFinger(img)
	}
}

// BenchmarkSimCaptureToScore is a 500 ppi capture (the simulated reader renders it) followed
// by scoring: the budget's "finger capture → quality score shown".
func BenchmarkSimCaptureToScore(b *testing.B) {
	s := sim.NewScanner(sim.ScannerOptions{Seed: 5})
	for b.Loop() {
		f, err := s.Capture(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		biometric.MeasureFinger(f.Image)
	}
}
