package biometric

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/wardpolice/enroll/assets"
)

// pigoSample is the frontal portrait in pigo's module (testdata/sample.jpg, 320×400): a real
// photograph, which the tests degrade in the ways a station camera does.
func pigoSample(t testing.TB) image.Image {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	if err != nil {
		t.Fatalf("find pigo's module: %v", err)
	}
	f, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "testdata", "sample.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var finder = sync.OnceValues(func() (*FaceFinder, error) {
	return NewFaceFinder(assets.FaceCascade(), assets.PupilCascade(), assets.LandmarkCascades())
})

func testFinder(t testing.TB) *FaceFinder {
	t.Helper()
	ff, err := finder()
	if err != nil {
		t.Fatal(err)
	}
	return ff
}

// inFrame puts the portrait into a 640×480 camera frame at x on a plain wall.
func inFrame(img image.Image, x int, wall image.Image) image.Image {
	if wall == nil {
		wall = imaging.New(640, 480, color.NRGBA{235, 235, 232, 255})
	}
	return imaging.Paste(wall, imaging.Resize(img, 0, 400, imaging.Lanczos), image.Pt(x, 40))
}

func TestPortraitChecks(t *testing.T) {
	ff := testFinder(t)
	sample := pigoSample(t)
	closed := closeEyes(sample, sampleEyes...)
	noisy := imaging.New(640, 480, color.White)
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			v := uint8((x*7919 + y*104729 + x*y*31) % 256) // a busy, patterned wall
			noisy.Set(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	cases := []struct {
		name  string
		img   image.Image
		check string // the check that must fail; "" when all must pass
		code  string
	}{
		{"frontal", sample, "", ""},
		{"frontal in a camera frame", inFrame(sample, 160, nil), "", ""},
		{"no face (the wall alone)", imaging.Resize(imaging.Crop(sample, image.Rect(0, 0, 40, 50)), 320, 400, imaging.Lanczos), CheckOneFace, "no_face"},
		{"two faces", imaging.Paste(imaging.Paste(imaging.New(640, 400, color.White), sample, image.Pt(0, 0)), sample, image.Pt(320, 0)), CheckOneFace, "many_faces"},
		{"rotated 20°", imaging.Rotate(sample, 20, color.White), CheckRoll, "tilted"},
		{"rotated -20°", imaging.Rotate(sample, -20, color.White), CheckRoll, "tilted"},
		{"very dark", imaging.AdjustFunc(sample, func(c color.NRGBA) color.NRGBA { return color.NRGBA{c.R / 3, c.G / 3, c.B / 3, 255} }), CheckExposure, "too_dark"},
		{"over-exposed", imaging.AdjustBrightness(sample, 50), CheckExposure, "too_bright"},
		{"blurred", imaging.Blur(sample, 3), CheckSharpness, "blurred"},
		{"lit from one side", sideLit(sample, 158, 0.35), CheckExposure, "uneven_light"},
		{"lit a little more from one side (modelling light)", sideLit(sample, 158, 0.7), "", ""},
		{"flat contrast", imaging.AdjustContrast(sample, -70), CheckContrast, "low_contrast"},
		{"cut by the left edge", imaging.Crop(sample, image.Rect(60, 0, 320, 400)), CheckHeadInside, "head_cut_left"},
		{"upside down (no upright face)", imaging.FlipV(sample), CheckOneFace, "no_face"},
		{"face larger than the picture", imaging.Crop(sample, image.Rect(70, 130, 250, 310)), CheckFaceSize, "too_close"},
		{"off to the left, head inside (a still is re-cropped)", inFrame(sample, -20, nil), "", ""},
		{"too far", imaging.Paste(imaging.New(1280, 960, color.NRGBA{235, 235, 232, 255}), imaging.Resize(sample, 0, 300, imaging.Lanczos), image.Pt(520, 300)), CheckFaceSize, "too_far"},
		{"busy background", inFrame(sample, 160, noisy), CheckBackground, "busy_background"},
		{"eyes closed", closed, CheckEyesOpen, "eyes_closed"},
		{"eyes closed in a camera frame", inFrame(closed, 160, nil), CheckEyesOpen, "eyes_closed"},
		{"eyes closed, dim light", imaging.AdjustFunc(closed, func(c color.NRGBA) color.NRGBA { return color.NRGBA{c.R / 2, c.G / 2, c.B / 2, 255} }), CheckEyesOpen, "eyes_closed"},
		{"eyes closed, head turned 5°", imaging.Rotate(closed, 5, color.White), CheckEyesOpen, "eyes_closed"},
		{"eyes open, head turned 6°", imaging.Rotate(sample, 6, color.White), "", ""},
		{"eyes open, dim light", imaging.AdjustFunc(sample, func(c color.NRGBA) color.NRGBA { return color.NRGBA{c.R / 10 * 7, c.G / 10 * 7, c.B / 10 * 7, 255} }), "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := ff.Assess(c.img)
			if c.check == CheckBackground {
				// A still only warns about the background; the live camera fails it.
				if k, _ := a.Check(CheckBackground); !k.Pass || !k.Warn {
					t.Fatalf("a still's busy background: %+v", k)
				}
				a = a.Live()
			}
			var report []string
			for _, k := range a.Checks {
				report = append(report, k.Name+"="+trimFloat(k.Value)+map[bool]string{true: "", false: "!" + k.Code}[k.Pass])
			}
			if c.check == "" {
				if !a.Passed() {
					t.Fatalf("should pass: %v", report)
				}
				return
			}
			k, ok := a.Check(c.check)
			if !ok || k.Pass || k.Code != c.code {
				t.Fatalf("want %s to fail with %s: %v", c.check, c.code, report)
			}
		})
	}
}

func TestTiltIsMeasured(t *testing.T) {
	a := testFinder(t).Assess(imaging.Rotate(pigoSample(t), 20, color.White))
	k, _ := a.Check(CheckRoll)
	// imaging turns counter-clockwise: the right eye goes up, so the eye line slopes up.
	if k.Value > -12 || k.Value < -28 || k.Params["degrees"].(int) < 12 {
		t.Errorf("a 20° tilt measured %v (%v)", k.Value, k.Params)
	}
	// The eyes are measured on the face levelled by its eye line: a tilted head's open eyes
	// are open.
	if e, ok := a.Check(CheckEyesOpen); !ok || !e.Pass {
		t.Errorf("eyes on a head tilted 20°: %+v", e)
	}
}

// TestEyesLeftOutOnABlurredFace: blur smears a shut eye's lash line into an iris-sized
// shadow, so a blurred face gets the blur message and no verdict on its eyes.
func TestEyesLeftOutOnABlurredFace(t *testing.T) {
	a := testFinder(t).Assess(imaging.Blur(closeEyes(pigoSample(t), sampleEyes...), 3))
	if k, ok := a.Check(CheckSharpness); !ok || k.Pass {
		t.Fatalf("blurred face passes sharpness: %+v", a.Checks)
	}
	if e, ok := a.Check(CheckEyesOpen); ok {
		t.Errorf("eyes measured on a blurred face: %+v", e)
	}
}

// TestCropGeometry: the stored crop has the eyes level, on the fixed line, at the fixed
// distance, whatever the tilt and scale of the source.
func TestCropGeometry(t *testing.T) {
	ff := testFinder(t)
	sample := pigoSample(t)
	for name, img := range map[string]image.Image{
		"frontal":    sample,
		"in a frame": inFrame(sample, 160, nil),
		"tilted 12°": imaging.Rotate(sample, 12, color.White),
	} {
		a := ff.Assess(img)
		if a.Face == nil {
			t.Fatalf("%s: no face", name)
		}
		crop, err := CropPortraitFace(img, *a.Face)
		if err != nil {
			t.Fatal(err)
		}
		if crop.Bounds().Dx() != PortraitWidth || crop.Bounds().Dy() != PortraitHeight {
			t.Fatalf("%s: crop %v", name, crop.Bounds())
		}
		faces := ff.Find(Gray(crop))
		if len(faces) != 1 || !faces[0].Eyes {
			t.Fatalf("%s: %d faces in the crop", name, len(faces))
		}
		f := faces[0]
		eyeY := float64(f.LeftEye.Y+f.RightEye.Y) / 2
		if d := f.EyeDistance(); d < 90 || math.Abs(d-portraitEyeDist) > 0.12*portraitEyeDist {
			t.Errorf("%s: eyes %.0f px apart in the crop, want %.0f (at least 90)", name, d, portraitEyeDist)
		}
		if math.Abs(eyeY-portraitEyeLine*PortraitHeight) > 0.04*PortraitHeight {
			t.Errorf("%s: eye line at %.0f, want %.0f", name, eyeY, portraitEyeLine*PortraitHeight)
		}
		if math.Abs(f.Roll()) > 5 {
			t.Errorf("%s: eyes tilted %.1f° in the crop", name, f.Roll())
		}
	}
}

func BenchmarkAssessFrame(b *testing.B) {
	ff := testFinder(b)
	frame := imaging.Clone(inFrame(pigoSample(b), 160, nil))
	rgba := image.NewRGBA(frame.Bounds())
	copy(rgba.Pix, frame.Pix)
	for b.Loop() {
		ff.Assess(rgba)
	}
}

// sampleEyes are the pupils in pigo's sample, as the localiser finds them (within a pixel).
var sampleEyes = []image.Point{{112, 185}, {204, 182}}

// closeEyes paints lids over the eyes of pigo's sample (eyes about 46 px wide): the skin from
// under the eye, feathered at the edge, with a dark lash line along the closed lid.
func closeEyes(img image.Image, eyes ...image.Point) *image.NRGBA {
	out := imaging.Clone(img)
	blend := func(x, y int, c color.NRGBA, a float64) {
		o := out.NRGBAAt(x, y)
		mix := func(p, q uint8) uint8 { return uint8(float64(p)*(1-a) + float64(q)*a) }
		out.SetNRGBA(x, y, color.NRGBA{mix(o.R, c.R), mix(o.G, c.G), mix(o.B, c.B), 255})
	}
	for _, e := range eyes {
		skin := out.NRGBAAt(e.X, e.Y+17)
		for y := e.Y - 14; y <= e.Y+14; y++ {
			for x := e.X - 30; x <= e.X+30; x++ {
				d := math.Hypot(float64(x-e.X)/27, float64(y-e.Y)/12)
				if d < 1 {
					blend(x, y, skin, math.Min(1, (1-d)*5))
				}
				u := float64(x-e.X) / 25
				if math.Abs(u) < 1 {
					lash := float64(e.Y) + 1 + 4*(1-u*u)
					if dy := math.Abs(float64(y) - lash); dy < 1.5 {
						blend(x, y, color.NRGBA{45, 32, 30, 255}, 1-dy/1.5)
					}
				}
			}
		}
	}
	return out
}

// TestSameImageSameVerdict: the pupil search perturbs its start at random; seeded from the
// start point, the same picture gets the same pupils, values and verdict every time.
func TestSameImageSameVerdict(t *testing.T) {
	ff := testFinder(t)
	for _, img := range []image.Image{pigoSample(t), imaging.Rotate(pigoSample(t), 5, color.White),
		closeEyes(pigoSample(t), sampleEyes...)} {
		measure := func() string {
			a := ff.Assess(img)
			if a.Face == nil {
				return fmt.Sprint(a.Checks)
			}
			return fmt.Sprint(a.Face.LeftEye, a.Face.RightEye, a.Checks)
		}
		first := measure()
		for range 20 {
			if again := measure(); again != first {
				t.Fatalf("the same picture measured twice:\n%s\n%s", first, again)
			}
		}
	}
}

// sideLit darkens the picture left of column x to dim of its light, over a soft 24 px edge, as
// a lamp on one side leaves the other half of a face in shadow.
func sideLit(img image.Image, x int, dim float64) image.Image {
	out := imaging.Clone(img)
	b := out.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for px := b.Min.X; px < b.Max.X; px++ {
			k := dim + (1-dim)*math.Min(1, math.Max(0, float64(px-x+12)/24))
			i := out.PixOffset(px, y)
			for c := range 3 {
				out.Pix[i+c] = uint8(float64(out.Pix[i+c]) * k)
			}
		}
	}
	return out
}
