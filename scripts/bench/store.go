package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
)

// measureFNMR runs the matcher's evaluation in this process: the published one of
// docs/matcher.md in the full run (250 fingers × 5 impressions, 100 000 impostor comparisons),
// the default test's smaller one in the quick run.
func measureFNMR(cfg *config) []row {
	const budget = "FNMR ≤ 2 % at FMR = 0.1 %"
	plan := minutiae.EvaluationPlan{Fingers: 250, ImpressionsPerFinger: 5, Impostors: 100_000, Seed: 2,
		Render: sim.Impressions(2_000_000, sim.RealisticVariation())}
	if cfg.Quick {
		plan = minutiae.EvaluationPlan{Fingers: 40, ImpressionsPerFinger: 4, Impostors: 10_000, Seed: 3,
			Render: sim.Impressions(3_000_000, sim.RealisticVariation())}
	}
	what := fmt.Sprintf("fingerprint verification error (simulated fingers: %d × %d impressions, %s impostor comparisons)",
		plan.Fingers, plan.ImpressionsPerFinger, count(plan.Impostors))
	if cfg.Quick {
		what += " [quick: 250 × 5, 100 000 in the full run]"
	}
	t0 := time.Now()
	e, err := minutiae.Evaluate(context.Background(), plan)
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	op := e.AtFMR(0.001)
	at := e.AtThreshold(minutiae.Threshold)
	return []row{{What: what, Budget: budget, Result: verdict(op.FNMR <= 0.02),
		Measured: fmt.Sprintf("FNMR %.2f %% at FMR %.3f %% (threshold %.4f); at the documented Threshold FMR %.3f %%, FNMR %.2f %%; %s genuine comparisons, %s",
			100*op.FNMR, 100*op.FMR, float64(op.Threshold), 100*at.FMR, 100*at.FNMR, count(len(e.Rates.Genuine)), time.Since(t0).Round(time.Second))}}
}

// measureWAL runs `station demo` on a new database (complete records with images, saved back
// to back with synchronous=FULL, as the demo and a busy station do) and samples the WAL file's
// size every 20 ms from outside.
func measureWAL(cfg *config) []row {
	records := pick(cfg, 3000, 600)
	what := fmt.Sprintf("WAL size under continuous saving (`station demo --records %d` on a new database, sampled every 20 ms)", records)
	const budget = "< 64 MB"
	bin, err := stationBinary(cfg)
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	dir := filepath.Join(cfg.Work, "wal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return []row{failed(what, budget, err)}
	}
	db := filepath.Join(dir, "demo.db")
	cmd := exec.Command(bin, "demo", "--records", fmt.Sprint(records), "--seed", "7", "--db", db)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := startChild(cmd); err != nil {
		return []row{failed(what, budget, err)}
	}
	done := make(chan error, 1)
	go func() { done <- waitChild(cmd) }()
	var peak, written int64
	var samples int
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for running := true; running; {
		select {
		case err = <-done:
			running = false
		case <-tick.C:
		}
		if fi, err := os.Stat(db + "-wal"); err == nil {
			peak = max(peak, fi.Size())
			samples++
		}
	}
	took := time.Since(t0)
	if err != nil {
		return []row{failed(what, budget, fmt.Errorf("station demo: %w: %s", err, tail(out.String(), 400)))}
	}
	if fi, err := os.Stat(db); err == nil {
		written = fi.Size()
	}
	os.RemoveAll(dir)
	return []row{{What: what, Budget: budget, Result: verdict(peak < 64<<20),
		Measured: fmt.Sprintf("peak %.1f MB (database %.0f MB after %s records in %s; %s samples)",
			float64(peak)/(1<<20), float64(written)/(1<<20), count(records), took.Round(time.Second), count(samples))}}
}

// measureUISuite runs the ui package's tests (as CI does, every test; about half a minute) and
// reports the test process's peak resident memory (the kernel's maxrss of it and the children
// it waited for). The quick run runs it too.
func measureUISuite(cfg *config) []row {
	const what, budget = "`ui` test suite, peak resident memory (issue 19)", "< 400 MB"
	bin := filepath.Join(cfg.Work, "ui.test")
	if out, err := runLogged(cfg, cfg.Root, nil, "go", "test", "-c", "-o", bin, "./ui"); err != nil {
		return []row{failed(what, budget, fmt.Errorf("go test -c ./ui: %w: %s", err, tail(out, 400)))}
	}
	cmd := exec.Command(bin, "-test.count=1", "-test.timeout=30m")
	cmd.Dir = filepath.Join(cfg.Root, "ui")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := startChild(cmd); err != nil {
		return []row{failed(what, budget, err)}
	}
	err := waitChild(cmd)
	took := time.Since(t0)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return []row{failed(what, budget, fmt.Errorf("no resource usage for the test process"))}
	}
	peak := float64(ru.Maxrss) / 1024 // kB
	outcome := "tests passed"
	if err != nil {
		outcome = "tests FAILED: " + firstFailure(out.String())
	}
	return []row{{What: what, Budget: budget, Result: verdict(peak < 400),
		Measured: fmt.Sprintf("peak %.0f MB over %s (%s)", peak, took.Round(time.Second), outcome)}}
}

var failLine = regexp.MustCompile(`^--- FAIL: (\S+)`)

func firstFailure(out string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	var names []string
	for sc.Scan() {
		if m := failLine.FindStringSubmatch(sc.Text()); m != nil {
			names = append(names, m[1])
		}
	}
	if len(names) == 0 {
		return tail(out, 200)
	}
	return strings.Join(names, ", ")
}
