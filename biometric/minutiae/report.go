package minutiae

import (
	"fmt"
	"io"
	"math"
)

// OperatingPoint is one decision threshold and the error rates measured at it.
type OperatingPoint struct {
	Threshold Score
	FMR, FNMR float64
}

// AtFMR is the operating point with the lowest threshold whose measured FMR is at most fmr.
func (e *Evaluation) AtFMR(fmr float64) OperatingPoint {
	return e.AtThreshold(Score(e.Rates.ThresholdAtFMR(fmr)))
}

// AtThreshold is the error rates measured at threshold t.
func (e *Evaluation) AtThreshold(t Score) OperatingPoint {
	return OperatingPoint{Threshold: t, FMR: e.Rates.FMR(float64(t)), FNMR: e.Rates.FNMR(float64(t))}
}

// WriteReport writes the evaluation as plain text: what was compared, how long it took, the
// error rates at FMR 1 %, 0.1 % and 0.01 % and at the package's documented thresholds.
func (e *Evaluation) WriteReport(w io.Writer) error {
	p := e.Plan
	eer, eerAt := e.Rates.EER()
	lines := []string{
		fmt.Sprintf("fingers %d × impressions %d = %d images; %d genuine and %d impostor comparisons",
			p.Fingers, p.ImpressionsPerFinger, e.Images, len(e.Rates.Genuine), len(e.Rates.Impostor)),
		fmt.Sprintf("templates: %.1f minutiae on average; %d without ridges; %d too sparse to compare",
			e.MeanMinutiae, e.NoRidges, e.Sparse),
		fmt.Sprintf("time per operation (one goroutine): extraction %s, cylinder code %s, comparison %s",
			ms(e.ExtractTime.Seconds()), ms(e.PrepareTime.Seconds()), ms(e.CompareTime.Seconds())),
		fmt.Sprintf("EER %s at score %.4f", pct(eer), eerAt),
		"",
		"FMR target   threshold   FNMR      FMR measured",
	}
	for _, fmr := range []float64{0.01, 0.001, 0.0001} {
		op := e.AtFMR(fmr)
		note := ""
		if float64(len(e.Rates.Impostor))*fmr < 1 {
			note = "  (too few impostor comparisons to resolve)"
		}
		lines = append(lines, fmt.Sprintf("%-12s %-11.4f %-9s %s%s", pct(fmr), float64(op.Threshold), pct(op.FNMR), pct(op.FMR), note))
	}
	lines = append(lines, "", "at the documented thresholds:")
	for _, t := range []struct {
		name string
		at   Score
	}{{"LenientThreshold", LenientThreshold}, {"Threshold", Threshold}, {"StrictThreshold", StrictThreshold}} {
		op := e.AtThreshold(t.at)
		lines = append(lines, fmt.Sprintf("%-17s %.4f  FMR %-8s FNMR %s", t.name, float64(t.at), pct(op.FMR), pct(op.FNMR)))
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return fmt.Errorf("write matcher report: %w", err)
		}
	}
	return nil
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.3g %%", 100*v)
}

func ms(seconds float64) string { return fmt.Sprintf("%.3g ms", 1000*seconds) }
