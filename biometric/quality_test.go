package biometric_test

import (
	"context"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

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

// The real reader's recorded capture is faint (greys 180-232) but has clear ridges over half
// the sensor: usable, and the officer is told it is light.
func TestQualityOfRealCapture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "fixtures", "fingerprint", "upektc_img", "capture.png"))
	if err != nil {
		t.Fatalf("recorded capture missing: %v", err)
	}
	g, _, err := biometric.DecodeFingerPNG(b)
	if err != nil {
		t.Fatal(err)
	}
	q := biometric.MeasureFinger(g)
	t.Logf("real capture: %+v", q)
	if q.Score < biometric.FingerQualityThreshold || !slices.Contains(q.Flags, biometric.FlagTooLight) || slices.Contains(q.Flags, biometric.FlagNoFinger) {
		t.Errorf("real capture scored %+v", q)
	}
	// The same print made noisy must score lower.
	noisy := degrade(g, func(_, _ int, v float64, r *rand.Rand) float64 { return v + 40*r.NormFloat64() })
	if n := biometric.MeasureFinger(noisy); n.Score >= q.Score {
		t.Errorf("noisy real capture %d >= clean %d", n.Score, q.Score)
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
