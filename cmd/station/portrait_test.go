package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
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
	for _, want := range []string{"pass  one_face", "pass  roll", "pass  pose", "pass  head_inside", "wrote " + crop + ": 480x640"} {
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

	// A blurred copy: the blur is named, the command fails, no crop is written.
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
	if !errors.Is(err, errPortraitChecks) || exitStatus(err) != 1 || !strings.Contains(out.String(), "FAIL  sharpness") || !strings.Contains(out.String(), "Ảnh bị mờ") {
		t.Errorf("blurred photo: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "b.jpg")); !os.IsNotExist(err) {
		t.Error("a crop was written for a failing photo")
	}
	if err := run([]string{"portrait", "--in", filepath.Join(dir, "missing.jpg"), "--out", crop}, strings.NewReader(""), &out); exitStatus(err) != 2 {
		t.Errorf("a missing photo: %v, exit %d, want 2", err, exitStatus(err))
	}
	// A command line it cannot run is status 2 too, never 1 ("a check fails").
	for _, args := range [][]string{{}, {"--in", pigoSamplePath(t)}, {"--out", crop}, {"--in", pigoSamplePath(t), "--out", crop, "--lang", "fr"},
		{"--in", pigoSamplePath(t), "--out", crop, "extra"}} {
		if err := run(append([]string{"portrait"}, args...), strings.NewReader(""), &out); err == nil || exitStatus(err) != 2 {
			t.Errorf("portrait %v: %v, exit %d, want 2", args, err, exitStatus(err))
		}
	}
}

// TestPortraitJSON: --json prints one object with the verdict and every check; a pass exits
// 0 with the crop written, a fail 1 without it.
func TestPortraitJSON(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	crop := filepath.Join(dir, "crop.jpg")
	if err := run([]string{"portrait", "--json", "--in", pigoSamplePath(t), "--out", crop}, strings.NewReader(""), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var r portraitReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || strings.Count(strings.TrimSpace(out.String()), "\n") != 0 {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	if r.Verdict != "pass" || len(r.Checks) < 10 || r.Checks[0].Name != "one_face" || r.Checks[0].Result != "pass" || r.Checks[0].Message == "" {
		t.Errorf("report %+v", r)
	}
	for _, c := range r.Checks {
		if c.Result == "fail" || c.Limit == "" {
			t.Errorf("check %+v", c)
		}
	}
	if _, err := os.Stat(crop); err != nil {
		t.Errorf("crop not written: %v", err)
	}
	// The sample upside down: no face, verdict fail, exit 1, no crop.
	src, err := imaging.Open(pigoSamplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	flipped := filepath.Join(dir, "flipped.png")
	if err := imaging.Save(imaging.FlipV(src), flipped); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run([]string{"portrait", "--json", "--in", flipped, "--out", filepath.Join(dir, "f.jpg")}, strings.NewReader(""), &out)
	if exitStatus(err) != 1 || json.Unmarshal(out.Bytes(), &r) != nil || r.Verdict != "fail" || r.Checks[0].Result != "fail" {
		t.Errorf("upside-down photo: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "f.jpg")); !os.IsNotExist(err) {
		t.Error("a crop was written for a failing photo")
	}
}

// TestPortraitRefusesAHugeImage: a PNG whose header claims 60 000 × 60 000 px is refused from
// its header (exit 2, the size named, no crop written) without the memory decoding it takes.
func TestPortraitRefusesAHugeImage(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "huge.png"), filepath.Join(dir, "crop.jpg")
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(kind)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 60000)
	binary.BigEndian.PutUint32(ihdr[4:], 60000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", bytes.Repeat([]byte{0}, 1<<20))
	chunk("IEND", nil)
	if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), mainArgsEnv+"=portrait --in "+in+" --out "+out, reportPeakEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit %v, want status 2; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "60000×60000 px") {
		t.Errorf("stderr does not name the size:\n%s", stderr.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a crop was written")
	}
	var peak int
	at := strings.Index(stderr.String(), "peak ")
	if at < 0 {
		t.Fatalf("no peak memory reported:\n%s", stderr.String())
	}
	if _, err := fmt.Sscanf(stderr.String()[at:], "peak %d kB", &peak); err != nil {
		t.Fatalf("peak memory unreadable: %v\n%s", err, stderr.String())
	}
	t.Logf("refused in %v with a peak of %d KiB", cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime(), peak)
	if peak <= 0 || peak > 100<<10 {
		t.Errorf("peak memory %d KiB, want under 100 MiB", peak)
	}
}

// TestPortraitOutputProblems: an --out that cannot be written is told before the checks run,
// with exit status 2 (the command could not do its job; no check failed); --out naming the
// photo itself, however spelt, is refused and the photo left as it was; a photo that cannot
// be read is named once, with the command.
func TestPortraitOutputProblems(t *testing.T) {
	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.jpg")
	orig, err := os.ReadFile(pigoSamplePath(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(photo, filepath.Join(dir, "link.jpg")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		out, want string
	}{
		{filepath.Join(dir, "nonexist", "o.jpg"), "the folder " + filepath.Join(dir, "nonexist") + " does not exist"},
		{filepath.Join(photo, "o.jpg"), "is not a folder"},
		{dir, "it is a folder"},
		{photo, "--out names the photo given with --in"},
		{filepath.Join(dir, ".", "photo.jpg"), "--out names the photo given with --in"},
		{filepath.Join(dir, "link.jpg"), "--out names the photo given with --in"},
	} {
		var out bytes.Buffer
		err := run([]string{"portrait", "--in", photo, "--out", c.out}, strings.NewReader(""), &out)
		if err == nil || exitStatus(err) != 2 || !strings.HasPrefix(err.Error(), "portrait: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--out %s: %v (exit %d), want exit 2 and %q", c.out, err, exitStatus(err), c.want)
		}
		if out.Len() != 0 {
			t.Errorf("--out %s: the checks ran before the output was checked:\n%s", c.out, out.String())
		}
	}
	if now, _ := os.ReadFile(photo); !bytes.Equal(now, orig) {
		t.Error("the photo was changed")
	}
	// The photo's own problems: named once, with the command, exit 2.
	var out bytes.Buffer
	for _, c := range []struct {
		in, want string
	}{
		{dir, "portrait: cannot read " + dir + ": it is a folder, not a file"},
		{filepath.Join(dir, "missing.jpg"), "portrait: cannot read " + filepath.Join(dir, "missing.jpg") + ": no such file or directory"},
		{"portrait_test.go", "portrait: cannot read portrait_test.go: not a JPEG or PNG image"},
	} {
		err := run([]string{"portrait", "--in", c.in, "--out", filepath.Join(dir, "o.jpg")}, strings.NewReader(""), &out)
		if err == nil || exitStatus(err) != 2 || err.Error() != c.want {
			t.Errorf("--in %s: %v (exit %d), want exit 2 and %q", c.in, err, exitStatus(err), c.want)
		}
	}
	// quality says the same of its file.
	err = run([]string{"quality", dir}, strings.NewReader(""), &out)
	if err == nil || exitStatus(err) != 2 || err.Error() != "quality: cannot read "+dir+": it is a folder, not a file" {
		t.Errorf("quality on a folder: %v", err)
	}
}
