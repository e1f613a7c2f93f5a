package main

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

func pigoSamplePath(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	if err != nil {
		t.Fatalf("find pigo's module: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "testdata", "sample.jpg")
}

func TestPortraitCommand(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	crop := filepath.Join(dir, "crop.jpg")
	if err := run([]string{"portrait", "--in", pigoSamplePath(t), "--out", crop}, strings.NewReader(""), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"pass  one_face", "pass  roll", "Head tilt: OK", "wrote " + crop + ": 480x640"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	f, err := os.Open(crop)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := jpeg.Decode(f); err != nil || img.Bounds() != image.Rect(0, 0, 480, 640) {
		t.Errorf("crop: %v", err)
	}

	// A blurred copy: the crop is still written, the blur is named, the command fails.
	src, err := imaging.Open(pigoSamplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	blurred := filepath.Join(dir, "blurred.png")
	bf, _ := os.Create(blurred)
	png.Encode(bf, imaging.Blur(src, 3))
	bf.Close()
	out.Reset()
	err = run([]string{"portrait", "--lang", "vi", "--in", blurred, "--out", filepath.Join(dir, "b.jpg")}, strings.NewReader(""), &out)
	if !errors.Is(err, errPortraitChecks) || !strings.Contains(out.String(), "FAIL  sharpness") || !strings.Contains(out.String(), "Ảnh bị mờ") {
		t.Errorf("blurred photo: %v\n%s", err, out.String())
	}
	if err := run([]string{"portrait", "--in", filepath.Join(dir, "missing.jpg"), "--out", crop}, strings.NewReader(""), &out); err == nil {
		t.Error("a missing photo gave no error")
	}
}
