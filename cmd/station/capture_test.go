package main

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardpolice/enroll/biometric"
)

// mainArgsEnv makes the test binary act as the station command (see TestMain), so the
// command can run under umockdev-run without building a second binary.
const mainArgsEnv = "STATION_TEST_MAIN_ARGS"

// reportPeakEnv makes the command print its own peak resident memory on stderr when it ends.
// The process's rusage would not do: on Linux it also counts the test process it was started
// from, whose memory it shared until exec.
const reportPeakEnv = "STATION_TEST_REPORT_PEAK"

func reportPeak() {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Fprintln(os.Stderr, "peak", strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")))
		}
	}
}

func TestMain(m *testing.M) {
	if args := os.Getenv(mainArgsEnv); args != "" {
		err := run(strings.Fields(args), os.Stdin, os.Stdout)
		if os.Getenv(reportPeakEnv) != "" {
			reportPeak()
		}
		if err != nil {
			os.Exit(report(os.Stderr, err))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func fixtureDir(t *testing.T) string {
	d, err := filepath.Abs("../../../shared/fixtures/fingerprint/upektc_img")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "capture.pcapng")); err != nil {
		t.Fatalf("recorded session missing: %v", err)
	}
	return d
}

func greyPixels(t *testing.T, path string) *image.Gray {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := biometric.DecodeFingerPNG(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// umockdev runs the station command with the recorded reader plugged in.
func umockdev(t *testing.T, args string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("umockdev-run"); err != nil {
		t.Skip("umockdev-run is not installed (.ci/deps installs it), so the USB replay cannot run here")
	}
	dir := fixtureDir(t)
	cmd := exec.Command("umockdev-run", "-d", filepath.Join(dir, "device"),
		"-p", "/sys/devices/pci0000:00/0000:00:1a.0/usb1/1-1/1-1.3="+filepath.Join(dir, "capture.pcapng"),
		"--", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+args)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCaptureUnderUmockdevMatchesRecording(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.png")
	text, err := umockdev(t, "capture --out "+out)
	if err != nil {
		t.Fatalf("station capture under umockdev: %v\n%s", err, text)
	}
	got, want := greyPixels(t, out), greyPixels(t, filepath.Join(fixtureDir(t), "capture.png"))
	if got.Bounds() != want.Bounds() || !bytes.Equal(got.Pix, want.Pix) {
		t.Fatalf("captured image differs from capture.png (%v vs %v)", got.Bounds(), want.Bounds())
	}
	if !strings.Contains(text, "144x384, 500 ppi") || !strings.Contains(text, "quality 19/100 (below the threshold: capture again) [partial] [too_light]") {
		t.Errorf("capture output %q", text)
	}
}

func TestDevicesUnderUmockdevListsReader(t *testing.T) {
	text, err := umockdev(t, "devices")
	if err != nil {
		t.Fatalf("station devices: %v\n%s", err, text)
	}
	if !strings.Contains(text, "UPEK TouchChip 147e:2016") || !strings.Contains(text, "driver upektc, ready") {
		t.Errorf("reader not listed: %q", text)
	}
}
