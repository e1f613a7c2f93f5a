package biometric

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

// faceFixtures is the labelled set of real photographs shared by the project (README.md there
// says how a checker is judged on it).
const faceFixtures = "../../shared/fixtures/faces"

// labelCheck maps the fixture set's labels to the checks that judge them.
var labelCheck = map[string]string{
	"no_face": CheckOneFace, "multiple_faces": CheckOneFace, "face_too_small": CheckFaceSize,
	"face_too_large": CheckFaceSize, "head_cut": CheckHeadInside, "off_centre": CheckHeadInside,
	"tilt": CheckRoll, "eyes_closed": CheckEyesOpen, "eyes_hidden": CheckEyesVisible, "occluded": CheckOcclusion,
	"blur": CheckSharpness, "not_human": CheckHumanFace, "pose": CheckPose, "exposure": CheckExposure,
	"low_resolution": CheckInterEye, "background": CheckBackground,
}

// knownMisses are the rows the checks do not hold to the rule, and why; the test fails if
// another row breaks, or if one of these starts holding (then take it off the list).
var knownMisses = map[string]string{
	"f22.png": "occluded: a finger the grey of the skin touches the temple at the hairline, above the brow's outer end, in a grey picture; " +
		"nothing the checks measure (luminance, texture, edges of the cheeks, mouth and forehead) differs from an uncovered face there",
}

type faceLabel struct {
	file, verdict string
	failing       []string
	interEye      float64 // NaN when the set gives none
}

func readFaceLabels(t *testing.T) []faceLabel {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(faceFixtures, "LABELS.tsv"))
	if err != nil {
		t.Fatalf("the labelled face photographs are missing: %v", err)
	}
	var out []faceLabel
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		c := strings.Split(line, "\t")
		if i == 0 || len(c) < 5 {
			continue
		}
		l := faceLabel{file: c[0], verdict: c[1], interEye: math.NaN()}
		if c[2] != "" {
			l.failing = strings.Split(c[2], ",")
		}
		if v, err := strconv.ParseFloat(c[4], 64); err == nil {
			l.interEye = v
		}
		out = append(out, l)
	}
	return out
}

// TestFaceFixtures holds every labelled photograph to the set's rule: on a pass row no check
// fails but inter_eye (resolution is judged on its own) and background; on a fail row the main
// reason's check fails, or one_face does (a face not found cannot be judged further). Each
// photo is assessed twice and must measure the same. The inter-eye reading is reported against
// the labelled one.
func TestFaceFixtures(t *testing.T) {
	ff := testFinder(t)
	labels := readFaceLabels(t)
	if len(labels) != 41 {
		t.Fatalf("%d labelled photographs, want 41", len(labels))
	}
	held, eyeErrs := holdToRule(t, ff, faceFixtures, labels, knownMisses)
	within := 0
	for _, e := range eyeErrs {
		if e <= 0.2 {
			within++
		}
	}
	t.Logf("%d of %d rows hold the rule; inter-eye reading within 20 %% of the label on %d of %d faces measured", held, len(labels), within, len(eyeErrs))
}

// holdToRule assesses each labelled photograph in dir twice (the runs must agree) and holds it
// to the fixture set's rule: on a pass row nothing fails but inter_eye and background; on a
// fail row the main reason's check fails, or one_face does. A row in misses is expected to
// break the rule (and must not start holding). It returns the rows that hold and the relative
// errors of the inter-eye readings against the labelled ones.
func holdToRule(t *testing.T, ff *FaceFinder, dir string, labels []faceLabel, misses map[string]string) (held int, eyeErrs []float64) {
	t.Helper()
	for _, l := range labels {
		img, err := ReadImageFile(filepath.Join(dir, l.file), MaxPhotoPixels)
		if err != nil {
			t.Fatal(err)
		}
		a := ff.Assess(img)
		if again := ff.Assess(img); !reflect.DeepEqual(a.Checks, again.Checks) {
			t.Errorf("%s: two runs differ:\n%v\n%v", l.file, a.Checks, again.Checks)
		}
		var failed, shown []string
		for _, c := range a.Checks {
			if !c.Pass {
				failed = append(failed, c.Name)
			}
			shown = append(shown, fmt.Sprintf("%s=%v%s", c.Name, c.Value, map[string]string{"pass": "", "warn": "~", "fail": "!"}[c.Result()]))
		}
		ok := true
		var why string
		if l.verdict == "pass" {
			for _, f := range failed {
				if f != CheckInterEye && f != CheckBackground {
					ok, why = false, "a pass row fails "+f
				}
			}
		} else {
			main := labelCheck[l.failing[0]]
			if !slices.Contains(failed, main) && !slices.Contains(failed, CheckOneFace) {
				ok, why = false, fmt.Sprintf("main reason %s (%s) does not fail", l.failing[0], main)
			}
		}
		reading := "-"
		if c, found := a.Check(CheckInterEye); found {
			reading = trimFloat(c.Value)
			if !math.IsNaN(l.interEye) {
				eyeErrs = append(eyeErrs, math.Abs(c.Value-l.interEye)/l.interEye)
			}
		}
		t.Logf("%s %-4s %-28s inter-eye %4s (labelled %3v)  %v", l.file, l.verdict, strings.Join(l.failing, ","), reading, l.interEye, shown)
		miss, known := misses[l.file]
		switch {
		case ok && known:
			held++
			t.Errorf("%s holds the rule now: take it off the known misses", l.file)
		case ok:
			held++
		case known:
			t.Logf("%s: known miss: %s (%s; fails %v)", l.file, why, miss, failed)
		default:
			t.Errorf("%s: %s; fails %v", l.file, why, failed)
		}
	}
	return held, eyeErrs
}

// BenchmarkAssessRealFrames runs the portrait checks on the labelled photographs, each fitted
// into a 640×480 camera frame (scaled to the frame's height, on a plain wall), and reports
// the median and 90th-percentile time per frame: the live preview needs 10 frames a second.
func BenchmarkAssessRealFrames(b *testing.B) {
	ff := testFinder(b)
	m, _ := filepath.Glob(filepath.Join(faceFixtures, "f*.*"))
	var frames []*image.RGBA
	for _, p := range m {
		img, err := ReadImageFile(p, MaxPhotoPixels)
		if err != nil {
			b.Fatal(err)
		}
		fitted := imaging.Fit(img, 640, 480, imaging.Linear)
		wall := imaging.New(640, 480, color.NRGBA{225, 226, 230, 255})
		framed := imaging.PasteCenter(wall, fitted)
		rgba := image.NewRGBA(framed.Bounds())
		copy(rgba.Pix, framed.Pix)
		frames = append(frames, rgba)
	}
	var times []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		ff.Assess(frames[i%len(frames)])
		times = append(times, time.Since(t0))
		i++
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*9/10].Microseconds())/1000, "p90-ms")
}

// ownPhotoMisses are the rows of our own photographs the checks do not hold to the rule, and
// why; as with knownMisses, the test fails if another row breaks or one of these starts holding.
var ownPhotoMisses = map[string]string{
	"bw.png": "pass row: a strong warm cast brings the skin's blue share to 0.14, below human_face's 0.19; " +
		"the Mona Lisa (f14, yellowed varnish) reads 0.17, so no limit on colour alone tells them apart",
	"martin.png": "pass row: a warm brown cast brings the skin's blue share to 0.17, below human_face's 0.19 (as bw), " +
		"and the picture's 71-colour dither reads as fine strokes (0.19, limit 0.1)",
	"dkindred.png": "face_too_large: the head, ears at the edges, reads 0.73, the limit itself; the head model " +
		"(2.5 eye distances wide) is narrower than this broad face",
	"kazz.png": "pose: the eyes look well to the side, but they are 26 px apart, below the 40 px at which the gaze is judged; " +
		"the head itself is turned only 8°",
}

// TestOwnPhotos holds the project's own real photographs (testdata/photos.tsv: weaknesses found
// beyond the shared set, each from a Debian package, fetched by scripts/photos) to the same rule
// as the shared set.
func TestOwnPhotos(t *testing.T) {
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "enroll-station", "photos")
	b, err := os.ReadFile(filepath.Join("testdata", "photos.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []faceLabel
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		c := strings.Split(line, "\t")
		if i == 0 {
			continue
		}
		if len(c) < 8 {
			t.Fatalf("photos.tsv line %d: %d columns, want 11", i+1, len(c))
		}
		l := faceLabel{file: c[0], verdict: c[1], interEye: math.NaN()}
		if c[2] != "" {
			l.failing = strings.Split(c[2], ",")
		}
		if _, err := os.Stat(filepath.Join(dir, l.file)); err != nil {
			t.Fatalf("%s is not in %s: run bash scripts/photos (bash .ci/deps does): %v", l.file, dir, err)
		}
		labels = append(labels, l)
	}
	held, _ := holdToRule(t, testFinder(t), dir, labels, ownPhotoMisses)
	t.Logf("%d of %d of our own photographs hold the rule", held, len(labels))
}
