package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalMatcherCommand(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "scores.png")
	var out, errOut bytes.Buffer
	err := run([]string{"eval-matcher", "--fingers", "12", "--impressions", "3", "--impostors", "300", "--plot", plot}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"36 images; 36 genuine and 300 impostor comparisons", "EER", "0.1 %", "comparison"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 200 {
		t.Errorf("plot: %v", err)
	}
	if err := run([]string{"eval-matcher", "extra"}, &out, &errOut); err == nil {
		t.Error("a stray argument was accepted")
	}
	// A plot that could not be written is told before the run (which prints its report first).
	out.Reset()
	missing := filepath.Join(t.TempDir(), "nonexist", "x.png")
	err = run([]string{"eval-matcher", "--fingers", "12", "--impressions", "3", "--impostors", "300", "--plot", missing}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "does not exist") || out.Len() != 0 {
		t.Errorf("--plot in a missing folder: %v\n%s", err, out.String())
	}
}
