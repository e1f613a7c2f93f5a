package main

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/device/sim"
)

func TestQualityCommand(t *testing.T) {
	dir := t.TempDir()
	img := sim.Fingerprint(1, 1)
	withPPI := filepath.Join(dir, "print.png")
	b, err := biometric.EncodeFingerPNG(img, 500)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(withPPI, b, 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	want := biometric.MeasureFingerAt(img, 500)

	quality := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(append([]string{"quality"}, args...), strings.NewReader(""), &out)
		return out.String(), err
	}
	// The PNG's own resolution, and every component printed.
	out, err := quality(withPPI)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, s := range []string{"320×400 px at 500 ppi (from the PNG's pHYs chunk)", "(acceptable)", "finger area", "fingertip area",
		"contrast", "orientation", "frequency", "clarity", "centring", "mean grey", "core            at ("} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, fmt.Sprintf("quality %d/100", want.Score)) {
		t.Errorf("score is not MeasureFingerAt's %d:\n%s", want.Score, out)
	}

	// --ppi overrides the file, before or after it: the same pixels at 1 000 ppi are half the
	// finger, a partial print, below the threshold (exit status 1).
	for _, args := range [][]string{{withPPI, "--ppi", "1000"}, {"--ppi", "1000", withPPI}} {
		out, err = quality(args...)
		if !errors.Is(err, errBelowThreshold) || exitStatus(err) != 1 || !strings.Contains(out, "at 1000 ppi (given with --ppi)") ||
			!strings.Contains(out, "[partial]") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}

	// No pHYs: the resolution is estimated, and the output says so.
	out, err = quality(plain)
	if err != nil || !strings.Contains(out, "(estimated: the file gives none") || !strings.Contains(out, "[ppi_estimated]") {
		t.Errorf("PNG without pHYs: %v\n%s", err, out)
	}

	// The real reader's capture: a faint swipe strip, partial.
	out, err = quality("--ppi", "500", filepath.Join("..", "..", "..", "shared", "fixtures", "fingerprint", "upektc_img", "capture.png"))
	if !errors.Is(err, errBelowThreshold) || !strings.Contains(out, "[partial] [too_light]") {
		t.Errorf("UPEK capture: %v\n%s", err, out)
	}

	// Mistakes: the command cannot run, exit status 2, whether the file is unreadable or the
	// command line wrong (1 is kept for a print below the threshold).
	if err := os.WriteFile(filepath.Join(dir, "bad.png"), []byte("not an image"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args   []string
		status int
	}{
		{[]string{filepath.Join(dir, "bad.png")}, 2},
		{[]string{filepath.Join(dir, "missing.png")}, 2},
		{[]string{}, 2},
		{[]string{withPPI, "--ppi", "72"}, 2},
		{[]string{withPPI, "--ppi", "5000"}, 2},
		{[]string{withPPI, plain}, 2},
		{[]string{withPPI, "--nosuch"}, 2},
	} {
		if _, err := quality(c.args...); err == nil || exitStatus(err) != c.status {
			t.Errorf("%v: %v (exit status %d), want exit status %d", c.args, err, exitStatus(err), c.status)
		}
	}
}
