package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
)

// runEvalMatcher measures the fingerprint matcher central verifies prints with, on simulated
// impressions with realistic variation (placement, rotation, pressure, skin distortion,
// noise): genuine and impostor score distributions, FNMR at FMR 1 %, 0.1 % and 0.01 %, EER and
// time per comparison (docs/matcher.md). It needs no folder or database.
func runEvalMatcher(args []string, out io.Writer) error {
	fs := newBareFlags("eval-matcher", out)
	fingers := fs.Int("fingers", 250, "simulated fingers")
	impressions := fs.Int("impressions", 5, "impressions of each finger (genuine pairs: fingers × impressions × (impressions-1) / 2)")
	impostors := fs.Int("impostors", 100_000, "impostor comparisons (different fingers)")
	seed := fs.Uint64("seed", 2, "seed of the impostor pairing")
	first := fs.Uint64("first-finger", 2_000_000, "identity of the first simulated finger (the thresholds were set on others)")
	plot := fs.String("plot", "", "write the score distributions and DET curve to this PNG file")
	fs.Text = "central eval-matcher: measure the fingerprint matcher's error rates on simulated impressions (needs no folder)\n\n" +
		"usage: central eval-matcher [--fingers N] [--impressions N] [--impostors N] [--seed N] [--plot FILE.png]\n\n" +
		"It prints the genuine and impostor score distributions, FNMR at FMR 1 %, 0.1 % and 0.01 %, the EER\n" +
		"and the time per comparison (docs/matcher.md).\n"
	if ok, err := fs.parse(args); !ok || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fs.Mistake("takes no arguments, only flags (got %q)", fs.Arg(0))
	}
	e, err := minutiae.Evaluate(context.Background(), minutiae.EvaluationPlan{
		Fingers: *fingers, ImpressionsPerFinger: *impressions, Impostors: *impostors, Seed: *seed,
		Render: sim.Impressions(*first, sim.RealisticVariation()),
	})
	if err != nil {
		return fmt.Errorf("eval-matcher: %w", err)
	}
	if err := e.WriteReport(out); err != nil {
		return err
	}
	if *plot != "" {
		var b bytes.Buffer
		if err := e.WritePlot(&b); err != nil {
			return err
		}
		if err := os.WriteFile(*plot, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("eval-matcher: %w", err)
		}
		fmt.Fprintln(out, "plot written to", *plot)
	}
	return nil
}
