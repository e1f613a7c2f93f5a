package biometric_test

import (
	"crypto/sha256"
	"fmt"
	"image"
	_ "image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardpolice/enroll/biometric"
)

// Real sensor images are not kept in the repository. ENROLL_FINGER_IMAGES names a folder of
// them, as for biometric/minutiae's real-image tests: libfprint's test captures (a
// capture.png per reader in its tests/ folder, at commit 1f5e0821e03c), either as the folder
// itself (tests/READER/capture.png) or copied flat as READER.png. README.md says how to make
// it. Without it these tests skip, saying why (go test -v shows it); with
// ENROLL_REQUIRE_FINGER_IMAGES=1 (for CI) they fail instead.

// realImage is one real print and the ppi its file gives (0: none).
type realImage struct {
	name string
	img  *image.Gray
	ppi  int
}

func realFingerImages(tb testing.TB) []realImage {
	tb.Helper()
	dir := os.Getenv("ENROLL_FINGER_IMAGES")
	if dir == "" {
		msg := "ENROLL_FINGER_IMAGES is not set: the real sensor images (libfprint's tests/*/capture.png, see biometric/README.md) were not checked"
		if os.Getenv("ENROLL_REQUIRE_FINGER_IMAGES") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	var files []string
	for _, pattern := range []string{"*.png", "*.jpg", "*/capture.png"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		tb.Fatalf("ENROLL_FINGER_IMAGES=%s holds no finger images", dir)
	}
	seen := map[[32]byte]bool{}
	var out []realImage
	for _, f := range files {
		img, ppi, err := biometric.ReadFingerFile(f)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		sum := sha256.Sum256(img.Pix)
		if seen[sum] {
			continue
		}
		seen[sum] = true
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if name == "capture" {
			name = filepath.Base(filepath.Dir(f))
		}
		out = append(out, realImage{name: name, img: img, ppi: ppi})
	}
	slices.SortFunc(out, func(a, b realImage) int { return strings.Compare(a.name, b.name) })
	return out
}

// eyeVerdict is what a careful look at each libfprint capture (enlarged 3×) says: a clear,
// full print, or what makes it poor. The score must agree: clear full prints at or above the
// threshold, poor ones below it; prints seen as partial must carry the partial flag and clear
// full ones must not. (Where ridges are unreadable the eye cannot tell how much finger
// touched, and the flag is not judged.)
var eyeVerdict = map[string]struct {
	clearFull, partial bool
	seen               string
}{
	"aes3500":    {partial: true, seen: "very clear ridges, but only a 6 × 6 mm patch (a 128 px sensor the driver enlarges 2×)"},
	"egis0570":   {clearFull: true, seen: "clear full whorl with its core, light-grey ridges of low contrast, grainier towards the bottom"},
	"elan":       {seen: "blotchy cellular texture, no ridge flow to follow, stitching seams"},
	"elanspi":    {seen: "no ridges: white creases crossing a blurred, blotchy texture, stitching lines"},
	"nb1010":     {partial: true, seen: "dark coarse ridges on the left of a small sensor, broken into dots on the right, speckle noise"},
	"upektc_img": {partial: true, seen: "faint light-grey ridges (greys 180-232) on a swipe strip about 5 mm wide"},
	"vfs0050":    {partial: true, seen: "clear ridges crossed by many creases, on a 5 mm wide swipe strip; striped noise at both ends"},
	"vfs301":     {seen: "dark and blotchy under a net of white creases; ridges hardly visible"},
	"vfs5011":    {partial: true, seen: "clear broad ridges, but only about 12 across: a small contact patch; a stitching seam at the bottom"},
	"vfs7552":    {seen: "very dark, horizontal line noise, blotches and dark creases; no ridge pattern"},
}

// knownScale: readers whose images' scale libfprint's drivers fix: UPEK's 500 ppi, and the
// AES3500's 500 ppi sensor enlarged 2× by the driver. The ridge-period estimate must come
// within 10 % of them.
var knownScale = map[string]int{"upektc_img": 500, "aes3500": 1000}

func TestQualityOfLibfprintCaptures(t *testing.T) {
	images := realFingerImages(t)
	var rows []string
	checked := 0
	for _, r := range images {
		q := biometric.MeasureFingerAt(r.img, r.ppi)
		f := q.Features
		core := "none found"
		if q.Core.Found {
			core = fmt.Sprintf("(%d, %d), %.1f mm inside the edge", q.Core.X, q.Core.Y, q.Core.ToEdgeMM)
		}
		rows = append(rows, fmt.Sprintf("| %s | %d×%d | %d (%s) | %d | %v | %.0f / %.0f | %.2f | %s |",
			r.name, r.img.Rect.Dx(), r.img.Rect.Dy(), q.PPI, q.PPISource, q.Score, q.Flags, f.AreaMM2, f.TipAreaMM2, f.RidgePeriodMM, core))
		want, labelled := eyeVerdict[r.name]
		if !labelled {
			t.Logf("%s: not labelled; scored %d %v", r.name, q.Score, q.Flags)
			continue
		}
		checked++
		switch {
		case want.clearFull && q.Score < biometric.FingerQualityThreshold:
			t.Errorf("%s (%s) scores %d %v: a clear full print below the threshold", r.name, want.seen, q.Score, q.Flags)
		case !want.clearFull && q.Score >= biometric.FingerQualityThreshold:
			t.Errorf("%s (%s) scores %d %v: a poor print at or above the threshold", r.name, want.seen, q.Score, q.Flags)
		}
		if got := slices.Contains(q.Flags, biometric.FlagPartial); (want.partial || want.clearFull) && got != want.partial {
			t.Errorf("%s (%s): partial flag %v, the eye says %v (fingertip %.0f mm²)", r.name, want.seen, got, want.partial, f.TipAreaMM2)
		}
		if ppi, ok := knownScale[r.name]; ok && r.ppi == 0 {
			if q.PPISource != biometric.PPIEstimated || q.PPI < ppi*9/10 || q.PPI > ppi*11/10 {
				t.Errorf("%s: resolution %d (%s), the driver's scale is %d ppi", r.name, q.PPI, q.PPISource, ppi)
			}
		}
	}
	if checked < len(eyeVerdict) {
		t.Errorf("only %d of the %d labelled libfprint captures are in ENROLL_FINGER_IMAGES", checked, len(eyeVerdict))
	}
	t.Logf("\n| image | size px | ppi used | score | flags | area / fingertip mm² | ridge period mm | core |\n|---|---|---|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}

// BenchmarkMeasureFingerReal scores each real capture as `station quality` does: at the
// file's resolution, or estimating it.
func BenchmarkMeasureFingerReal(b *testing.B) {
	for _, r := range realFingerImages(b) {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				biometric.MeasureFingerAt(r.img, r.ppi)
			}
		})
	}
}
