//go:build matcherfull

// The long runs behind docs/matcher.md, built only with -tags matcherfull so that an
// ordinary test run neither takes minutes nor reports them as skipped.
package minutiae_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"

	"github.com/wardpolice/enroll/biometric/minutiae"
)

var (
	fullEvaluation = flag.Bool("matcher.full", false, "run the full matcher evaluation of docs/matcher.md (about a minute on two cores)")
	calibrate      = flag.Bool("matcher.calibrate", false, "measure the decision thresholds on the calibration population")
	plotPath       = flag.String("matcher.plot", "", "write the full evaluation's plot to this PNG file")
)

// TestEvaluateFull is the published evaluation: 250 fingers × 5 impressions (2 500 genuine
// comparisons) and 100 000 impostor comparisons. It takes about a minute on two cores, so it
// runs only when asked:
//
//	go test ./biometric/minutiae -run TestEvaluateFull -tags matcherfull -matcher.full -matcher.plot $PWD/docs/matcher-scores.png -v -timeout 30m
func TestEvaluateFull(t *testing.T) {
	if !*fullEvaluation {
		t.Skip("the full evaluation runs with -matcher.full (see docs/matcher.md)")
	}
	e, err := minutiae.Evaluate(context.Background(), minutiae.EvaluationPlan{
		Fingers: 250, ImpressionsPerFinger: 5, Impostors: 100_000, Seed: 2,
		Render: fingerSet(evaluationFingers),
	})
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	if err := e.WriteReport(&report); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + report.String())
	if *plotPath != "" {
		var plot bytes.Buffer
		if err := e.WritePlot(&plot); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*plotPath, plot.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if op := e.AtFMR(0.001); op.FNMR > 0.02 {
		t.Errorf("FNMR %.2f %% at FMR 0.1 %%; the target is 2 %%", 100*op.FNMR)
	}
}

// TestCalibrateThresholds measures the thresholds in threshold.go on their own population:
//
//	go test ./biometric/minutiae -tags matcherfull -run TestCalibrateThresholds -matcher.calibrate -v -timeout 30m
func TestCalibrateThresholds(t *testing.T) {
	if !*calibrate {
		t.Skip("calibration runs with -matcher.calibrate (see docs/matcher.md)")
	}
	e, err := minutiae.Evaluate(context.Background(), minutiae.EvaluationPlan{
		Fingers: 300, ImpressionsPerFinger: 4, Impostors: 300_000, Seed: 1,
		Render: fingerSet(calibrationFingers),
	})
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	if err := e.WriteReport(&report); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + report.String())
	for _, c := range []struct {
		name string
		fmr  float64
		have minutiae.Score
	}{{"LenientThreshold", 0.01, minutiae.LenientThreshold}, {"Threshold", 0.001, minutiae.Threshold}, {"StrictThreshold", 0.0001, minutiae.StrictThreshold}} {
		// The documented value is the measured one rounded up to four decimals.
		measured := e.AtFMR(c.fmr).Threshold
		t.Logf("%s: measured %.5f, documented %.4f", c.name, measured, c.have)
		if c.have < measured || c.have >= measured+0.0001 {
			t.Errorf("%s is %.4f; the calibration population says %.5f", c.name, c.have, measured)
		}
	}
}
