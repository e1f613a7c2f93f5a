package minutiae

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// Impressions supplies impression i (0-based) of finger f (0-based) for an evaluation, with
// its resolution in ppi. The same arguments must give the same image.
type Impressions func(finger, impression int) (*image.Gray, int, error)

// EvaluationPlan says what an evaluation measures: every finger's impressions compared with
// each other (genuine comparisons, Fingers × n(n−1)/2 for n impressions) and Impostors
// comparisons between impressions of different fingers, drawn at random (Seed) without
// repetition, as in the FVC protocols' spirit but with more impostors than one impression per
// finger allows, so that an FMR of 0.01 % is resolved.
type EvaluationPlan struct {
	Fingers              int
	ImpressionsPerFinger int
	Impostors            int
	Seed                 uint64
	// Workers is how many goroutines extract and compare; 0 means one per CPU. Timings are
	// per operation on one goroutine whatever the number.
	Workers int
	Render  Impressions
}

// Evaluation is what an evaluation measured.
type Evaluation struct {
	Plan  EvaluationPlan
	Rates ErrorRates
	// Images is the number of impressions extracted; NoRidges how many of them had no
	// ridge area (their templates are empty and every comparison with them scores 0).
	Images, NoRidges int
	// MeanMinutiae is per template; Sparse counts templates with fewer than 2 minutiae whose
	// cylinders can be compared (they cannot match anything).
	MeanMinutiae float64
	Sparse       int
	// Mean times per extraction, per cylinder code built, per comparison of two codes.
	ExtractTime, PrepareTime, CompareTime time.Duration
}

// Evaluate runs the plan.
func Evaluate(ctx context.Context, plan EvaluationPlan) (*Evaluation, error) {
	n := plan.ImpressionsPerFinger
	switch {
	case plan.Render == nil:
		return nil, errors.New("evaluate matcher: no impressions to render")
	case plan.Fingers < 2 || n < 2:
		return nil, fmt.Errorf("evaluate matcher: %d fingers × %d impressions; need at least 2 × 2", plan.Fingers, n)
	case plan.Impostors < 1:
		return nil, fmt.Errorf("evaluate matcher: %d impostor comparisons asked for", plan.Impostors)
	}
	images := plan.Fingers * n
	if possible := images * (images - n) / 2; plan.Impostors > possible {
		return nil, fmt.Errorf("evaluate matcher: %d impostor comparisons asked for, %d fingers × %d impressions give only %d",
			plan.Impostors, plan.Fingers, n, possible)
	}
	workers := plan.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &Evaluation{Plan: plan, Images: images}
	codes, err := e.extractAll(ctx, workers)
	if err != nil {
		return nil, err
	}
	var genuine [][2]int
	for f := range plan.Fingers {
		for i := range n {
			for j := i + 1; j < n; j++ {
				genuine = append(genuine, [2]int{f*n + i, f*n + j})
			}
		}
	}
	impostor := impostorPairs(plan, images)
	scores, spent, err := compareAll(ctx, codes, append(genuine, impostor...), workers)
	if err != nil {
		return nil, err
	}
	e.CompareTime = spent / time.Duration(len(scores))
	e.Rates = NewErrorRates(scores[:len(genuine)], scores[len(genuine):])
	return e, nil
}

// extractAll extracts and prepares every impression.
func (e *Evaluation) extractAll(ctx context.Context, workers int) ([]*CylinderCode, error) {
	codes := make([]*CylinderCode, e.Images)
	var mu sync.Mutex
	var extract, prepare time.Duration
	var firstErr error
	total := 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for k := range jobs {
				x, err := e.extractOne(k)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				codes[k] = x.code
				total += x.minutiae
				extract += x.extract
				prepare += x.prepare
				if x.noRidges {
					e.NoRidges++
				}
				if x.code != nil && x.code.Len() < 2 {
					e.Sparse++
				}
				mu.Unlock()
			}
		})
	}
	for k := range e.Images {
		if ctx.Err() != nil {
			break
		}
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("evaluate matcher: %w", err)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	e.MeanMinutiae = float64(total) / float64(e.Images)
	e.ExtractTime = extract / time.Duration(e.Images)
	e.PrepareTime = prepare / time.Duration(e.Images)
	return codes, nil
}

// extracted is one impression's template, prepared, with what it took.
type extracted struct {
	code             *CylinderCode
	minutiae         int
	noRidges         bool
	extract, prepare time.Duration
}

func (e *Evaluation) extractOne(k int) (extracted, error) {
	f, i := k/e.Plan.ImpressionsPerFinger, k%e.Plan.ImpressionsPerFinger
	img, ppi, err := e.Plan.Render(f, i)
	if err != nil {
		return extracted{}, fmt.Errorf("evaluate matcher: finger %d impression %d: %w", f, i, err)
	}
	t0 := time.Now()
	t, err := Extract(img, ppi)
	t1 := time.Now()
	var x extracted
	if errors.Is(err, ErrNoRidges) {
		// A blank capture is part of what is measured: it matches nothing.
		t, err, x.noRidges = &Template{Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), PPI: ppi}, nil, true
	}
	if err != nil {
		return extracted{}, fmt.Errorf("evaluate matcher: finger %d impression %d: %w", f, i, err)
	}
	x.code = NewCylinderCode(t)
	x.minutiae = len(t.Minutiae)
	x.extract, x.prepare = t1.Sub(t0), time.Since(t1)
	return x, nil
}

// impostorPairs draws distinct pairs of images of different fingers.
func impostorPairs(plan EvaluationPlan, images int) [][2]int {
	n := plan.ImpressionsPerFinger
	r := rand.New(rand.NewPCG(plan.Seed, 0x1a905))
	seen := make(map[[2]int]bool, plan.Impostors)
	pairs := make([][2]int, 0, plan.Impostors)
	for len(pairs) < plan.Impostors {
		a, b := r.IntN(images), r.IntN(images)
		if a/n == b/n {
			continue
		}
		if a > b {
			a, b = b, a
		}
		if seen[[2]int{a, b}] {
			continue
		}
		seen[[2]int{a, b}] = true
		pairs = append(pairs, [2]int{a, b})
	}
	return pairs
}

// compareAll scores the pairs, returning the scores in order and the summed time spent
// comparing.
func compareAll(ctx context.Context, codes []*CylinderCode, pairs [][2]int, workers int) ([]float64, time.Duration, error) {
	scores := make([]float64, len(pairs))
	const chunk = 256
	next := make(chan int)
	var mu sync.Mutex
	var spent time.Duration
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for start := range next {
				end := min(start+chunk, len(pairs))
				t0 := time.Now()
				for k := start; k < end; k++ {
					scores[k] = float64(Compare(codes[pairs[k][0]], codes[pairs[k][1]]))
				}
				d := time.Since(t0)
				mu.Lock()
				spent += d
				mu.Unlock()
			}
		})
	}
	for start := 0; start < len(pairs); start += chunk {
		if ctx.Err() != nil {
			break
		}
		next <- start
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("evaluate matcher: %w", err)
	}
	return scores, spent, nil
}
