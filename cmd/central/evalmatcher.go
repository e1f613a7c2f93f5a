package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

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
	// What the evaluation would refuse, and a plot it could not write, are told before the run.
	switch {
	case *fingers < 2:
		return fs.Mistake("--fingers %d: at least 2", *fingers)
	case *impressions < 2:
		return fs.Mistake("--impressions %d: at least 2", *impressions)
	case *impostors < 1:
		return fs.Mistake("--impostors %d: at least 1", *impostors)
	}
	if images := *fingers * *impressions; *impostors > images*(images-*impressions)/2 {
		return fs.Mistake("--impostors %d: %d fingers × %d impressions give only %d pairs of different fingers",
			*impostors, *fingers, *impressions, images*(images-*impressions)/2)
	}
	if *plot != "" {
		if err := checkWritable(*plot); err != nil {
			return fmt.Errorf("eval-matcher: --plot %s: %w", *plot, err)
		}
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

// checkWritable tells, before a long run, whether a file can be written where path says: its
// folder exists and is writable, and path is no folder.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("the folder %s does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("the folder %s cannot be written (%v)", dir, err)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("it is a folder; name the PNG file to write")
	}
	return nil
}
