package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/device/camera"
	"github.com/wardpolice/enroll/device/upektc"
	"github.com/wardpolice/enroll/device/usb"
)

// readerModels is the driver registry: every supported fingerprint reader and its driver.
func readerModels() []usb.Model {
	return []usb.Model{{
		Name: "UPEK TouchChip", Driver: "upektc", VendorID: upektc.VendorID, ProductID: upektc.ProductID,
		Interface: 0, OutEndpoint: upektc.EndpointOut, InEndpoint: upektc.EndpointIn & 0x0f,
		Open: func(l *usb.Link, info enroll.DeviceInfo) enroll.FingerprintScanner { return upektc.New(l, info) },
	}}
}

var errNoReader = errors.New("no supported fingerprint reader is connected")

// noReaderHint says what to do about errNoReader. The command line captures from a real reader
// only: the simulated reader is the window's, on a station that has never seen a real one.
func noReaderHint() string {
	var models []string
	for _, m := range readerModels() {
		models = append(models, fmt.Sprintf("%s, USB %04x:%04x", m.Name, m.VendorID, m.ProductID))
	}
	return fmt.Sprintf("plug in a supported reader (%s) and run it again; station devices lists what the station sees. "+
		"Only the window has a simulated reader (on a station that never saw a real one); "+
		"station quality FILE.png scores a print already saved", strings.Join(models, "; "))
}

// openReader opens the first connected supported reader.
func openReader() (enroll.FingerprintScanner, error) {
	found, err := usb.Scan(readerModels())
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, errNoReader
	}
	return openFound(found[0])
}

// openFound opens a reader the bus scan found, with its driver.
func openFound(f usb.Found) (enroll.FingerprintScanner, error) {
	link, err := usb.Open(f.Model)
	if err != nil {
		return nil, err
	}
	return f.Model.Open(link, enroll.DeviceInfo{Name: f.Model.Name, Serial: link.Serial()}), nil
}

func runDevices(args []string, out io.Writer) error {
	fs := newFlags("devices")
	if err := fs.parse(args, out); err != nil {
		return err
	}
	found, err := usb.Scan(readerModels())
	if err != nil {
		return fmt.Errorf("devices: look for fingerprint readers: %w", err)
	}
	if len(found) == 0 {
		fmt.Fprintln(out, "fingerprint readers: none connected (the window uses its simulated reader until it sees a real one; station capture needs a real one)")
	}
	for _, f := range found {
		state := "ready"
		if link, err := usb.Open(f.Model); err != nil {
			state = "cannot be opened: " + err.Error()
		} else {
			link.Close()
		}
		fmt.Fprintf(out, "fingerprint reader: %s %04x:%04x on bus %d address %d, driver %s, %s\n",
			f.Model.Name, f.Model.VendorID, f.Model.ProductID, f.Bus, f.Addr, f.Model.Driver, state)
	}
	paths, err := camera.Paths()
	if err != nil {
		return fmt.Errorf("devices: look for cameras: %w", err)
	}
	if len(paths) == 0 {
		fmt.Fprintln(out, "cameras: none found (the window uses its simulated camera until it sees a real one)")
	}
	for _, p := range paths {
		cam, err := camera.Open(p)
		if err != nil {
			fmt.Fprintf(out, "camera %s: cannot use it: %v\n", p, err)
			continue
		}
		info := cam.Info()
		cam.Close()
		fmt.Fprintf(out, "camera %s: %s, %s, ready\n", p, info.Name, info.Driver)
	}
	return nil
}

func runCapture(args []string, out io.Writer) error {
	fs := newFlags("capture")
	path := fs.String("out", "", "write the captured print to this PNG file")
	wait := fs.Duration("timeout", time.Minute, "how long to wait for a finger")
	if err := fs.parse(args, out); err != nil {
		return err
	}
	if *path == "" {
		return fs.Mistake("say where to write the print: --out FILE.png")
	}
	if *wait <= 0 {
		return fs.Mistake("--timeout must be more than 0 (e.g. 30s)")
	}
	scanner, err := openReader()
	if errors.Is(err, errNoReader) {
		return fmt.Errorf("capture: %w: %s", err, noReaderHint())
	} else if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	defer scanner.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	fmt.Fprintf(out, "place a finger on the %s…\n", scanner.Info().Name)
	f, err := scanner.Capture(ctx)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	png, err := biometric.EncodeFingerPNG(f.Image, f.PPI)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if err := os.WriteFile(*path, png, 0o600); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	info := scanner.Info()
	fmt.Fprintf(out, "wrote %s: %dx%d, %d ppi, %s (driver %s)\n", *path, f.Image.Rect.Dx(), f.Image.Rect.Dy(), f.PPI, info.Name, info.Driver)
	q := biometric.MeasureCapture(f)
	verdict := "acceptable"
	if q.Score < biometric.FingerQualityThreshold {
		verdict = "below the threshold: capture again"
	}
	fmt.Fprintf(out, "quality %d/100 (%s)", q.Score, verdict)
	for _, fl := range q.Flags {
		fmt.Fprintf(out, " [%s]", fl)
	}
	ft := q.Features
	fmt.Fprintf(out, "\n  area %.2f  contrast %.2f  orientation %.2f  frequency %.2f  clarity %.2f  centring %.2f\n",
		ft.Area, ft.Contrast, ft.Orientation, ft.Frequency, ft.Clarity, ft.Centring)
	return nil
}
