package minutiae

import (
	"math"
	"slices"
)

// Error rates from score samples. A comparison is a match when its score is at or above the
// threshold: the false match rate (FMR) is the share of impostor scores at or above it, the
// false non-match rate (FNMR) the share of genuine scores below it.

// ErrorRates holds genuine and impostor scores, sorted ascending.
type ErrorRates struct {
	Genuine, Impostor []float64
}

// NewErrorRates sorts copies of the scores.
func NewErrorRates(genuine, impostor []float64) ErrorRates {
	r := ErrorRates{Genuine: slices.Clone(genuine), Impostor: slices.Clone(impostor)}
	slices.Sort(r.Genuine)
	slices.Sort(r.Impostor)
	return r
}

// atOrAbove counts sorted scores ≥ t.
func atOrAbove(sorted []float64, t float64) int {
	i, _ := slices.BinarySearch(sorted, t)
	return len(sorted) - i
}

// FMR is the share of impostor scores at or above threshold.
func (r ErrorRates) FMR(threshold float64) float64 {
	if len(r.Impostor) == 0 {
		return math.NaN()
	}
	return float64(atOrAbove(r.Impostor, threshold)) / float64(len(r.Impostor))
}

// FNMR is the share of genuine scores below threshold.
func (r ErrorRates) FNMR(threshold float64) float64 {
	if len(r.Genuine) == 0 {
		return math.NaN()
	}
	return float64(len(r.Genuine)-atOrAbove(r.Genuine, threshold)) / float64(len(r.Genuine))
}

// ThresholdAtFMR is the lowest threshold whose FMR does not exceed fmr: just above the
// impostor score that would be one false match too many. With fewer impostor scores than
// 1/fmr the rate cannot be resolved and the threshold is just above the highest impostor.
func (r ErrorRates) ThresholdAtFMR(fmr float64) float64 {
	n := len(r.Impostor)
	if n == 0 {
		return 0
	}
	allowed := int(math.Floor(fmr * float64(n)))
	if allowed >= n {
		return 0
	}
	// The (allowed+1)-th highest impostor score must fall below the threshold.
	return math.Nextafter(r.Impostor[n-1-allowed], math.Inf(1))
}

// FNMRAtFMR is the FNMR at ThresholdAtFMR(fmr), with that threshold.
func (r ErrorRates) FNMRAtFMR(fmr float64) (fnmr, threshold float64) {
	t := r.ThresholdAtFMR(fmr)
	return r.FNMR(t), t
}

// EER is the equal error rate: where FMR and FNMR cross, taken at the candidate threshold
// (every observed score) where they are closest, as their mean there.
func (r ErrorRates) EER() (eer, threshold float64) {
	if len(r.Genuine) == 0 || len(r.Impostor) == 0 {
		return math.NaN(), math.NaN()
	}
	cands := append(slices.Clone(r.Genuine), r.Impostor...)
	cands = append(cands, math.Nextafter(r.Impostor[len(r.Impostor)-1], math.Inf(1)))
	best := math.Inf(1)
	for _, t := range cands {
		fm, fn := r.FMR(t), r.FNMR(t)
		if d := math.Abs(fm - fn); d < best {
			best, eer, threshold = d, (fm+fn)/2, t
		}
	}
	return eer, threshold
}
