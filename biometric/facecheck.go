package biometric

import (
	"image"
	"math"
	"sort"
	"strconv"
)

// FaceCheck is one portrait requirement measured on a frame: whether it holds, the measured
// value, the limit, and the message key the station shows ("face.<Code>", translated in
// assets/translations). Code is "" when the check passes.
type FaceCheck struct {
	Name   string
	Pass   bool
	Value  float64
	Limit  string
	Code   string
	Params map[string]any
}

// Portrait check names, in the order they are shown.
const (
	CheckOneFace    = "one_face"
	CheckFaceSize   = "face_size"
	CheckCentred    = "centred"
	CheckRoll       = "roll"
	CheckSharpness  = "sharpness"
	CheckExposure   = "exposure"
	CheckContrast   = "contrast"
	CheckBackground = "background"
	CheckEyesOpen   = "eyes_open"
)

// Limits. Face size is the face box (brows to chin) over the frame's height: the ICAO crop
// needs the whole head and some shoulder inside the frame, and at least 90 px between the
// eyes after cropping. The others were set on pigo's sample portrait and its degraded copies
// (see facecheck_test.go): the sample passes with margin, each degradation fails its check.
const (
	minFaceFraction = 0.25
	maxFaceFraction = 0.75
	maxOffCentre    = 0.15 // of the frame's width or height
	maxRoll         = 8.0  // degrees
	minSharpness    = 0.25 // Laplacian energy over gradient energy on the face
	minExposure     = 70.0 // mean face luminance
	maxExposure     = 200.0
	minContrast     = 50.0 // face luminance 5th to 95th percentile
	maxBackground   = 20.0 // luminance deviation beside the head
	minEyeOpening   = 0.09 // height of the dark iris over the eye distance; open eyes ≈ 0.18
)

// Assessment is the result of checking one frame.
type Assessment struct {
	Checks []FaceCheck
	// Face is the face the checks measured (the most confident), nil without one.
	Face *Face
	// Faces is every face found.
	Faces []Face
}

// Passed tells whether every check holds.
func (a Assessment) Passed() bool {
	for _, c := range a.Checks {
		if !c.Pass {
			return false
		}
	}
	return len(a.Checks) > 0
}

// Failed lists the checks that do not hold.
func (a Assessment) Failed() []FaceCheck {
	var out []FaceCheck
	for _, c := range a.Checks {
		if !c.Pass {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the named check.
func (a Assessment) Check(name string) (FaceCheck, bool) {
	for _, c := range a.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return FaceCheck{}, false
}

// Assess runs every portrait check on a frame. Without exactly one face only the face count
// is reported: the other checks measure that face. Background is checked where the frame
// shows some beside the head, eyes open where both eyes and the skin beside them are lit
// well enough to tell iris from lid.
func (ff *FaceFinder) Assess(img image.Image) Assessment {
	g := Gray(img)
	faces := ff.Find(g)
	a := Assessment{Faces: faces}
	one := FaceCheck{Name: CheckOneFace, Value: float64(len(faces)), Limit: "1", Pass: len(faces) == 1}
	switch {
	case len(faces) == 0:
		one.Code = "no_face"
	case len(faces) > 1:
		one.Code, one.Params = "many_faces", map[string]any{"count": len(faces)}
	}
	a.Checks = append(a.Checks, one)
	if len(faces) != 1 {
		return a
	}
	f := faces[0]
	a.Face = &f
	w, h := float64(g.Bounds().Dx()), float64(g.Bounds().Dy())

	size := float64(f.Size) / h
	sc := FaceCheck{Name: CheckFaceSize, Value: round2(size), Limit: "0.25-0.75", Pass: size >= minFaceFraction && size <= maxFaceFraction}
	if size < minFaceFraction {
		sc.Code = "too_far"
	} else if size > maxFaceFraction {
		sc.Code = "too_close"
	}
	a.Checks = append(a.Checks, sc)

	// Centring: the face's centre against the frame's, horizontally, and a little above
	// the middle vertically so that the shoulders fit under it.
	dx := (float64(f.Centre.X) - w/2) / w
	dy := (float64(f.Centre.Y) - 0.48*h) / h
	cc := FaceCheck{Name: CheckCentred, Value: round2(math.Max(math.Abs(dx), math.Abs(dy))), Limit: "≤ 0.15", Pass: true}
	switch {
	case math.Abs(dx) > maxOffCentre && math.Abs(dx) >= math.Abs(dy):
		cc.Pass, cc.Code = false, map[bool]string{true: "off_left", false: "off_right"}[dx < 0]
	case math.Abs(dy) > maxOffCentre:
		cc.Pass, cc.Code = false, map[bool]string{true: "off_high", false: "off_low"}[dy < 0]
	}
	a.Checks = append(a.Checks, cc)

	roll := f.Roll()
	rc := FaceCheck{Name: CheckRoll, Value: round2(roll), Limit: "≤ 8°", Pass: math.Abs(roll) <= maxRoll}
	if !rc.Pass {
		rc.Code, rc.Params = "tilted", map[string]any{"degrees": int(math.Round(math.Abs(roll)))}
	}
	a.Checks = append(a.Checks, rc)

	inner := innerFace(f, g.Bounds())
	sharp := sharpness(g, inner)
	// Eyes are measured on a level, sharp face only: a tilted head's eyes are not where
	// the check looks, and blur smears a shut eye's lash line into an iris-sized shadow.
	// The officer is told about the tilt or the blur first.
	if open, ok := eyeOpening(g, f); ok && rc.Pass && sharp >= minSharpness {
		a.Checks = append(a.Checks, limitCheck(CheckEyesOpen, open, minEyeOpening, math.Inf(1), "eyes_closed", ""))
	}
	a.Checks = append(a.Checks, limitCheck(CheckSharpness, sharp, minSharpness, math.Inf(1), "blurred", ""))
	mean, p5, p95 := luminance(g, inner)
	a.Checks = append(a.Checks, limitCheck(CheckExposure, mean, minExposure, maxExposure, "too_dark", "too_bright"))
	a.Checks = append(a.Checks, limitCheck(CheckContrast, p95-p5, minContrast, math.Inf(1), "low_contrast", ""))
	if dev, ok := backgroundDeviation(g, f); ok {
		a.Checks = append(a.Checks, limitCheck(CheckBackground, dev, math.Inf(-1), maxBackground, "", "busy_background"))
	}
	return a
}

// eyeOpening measures how far the less open eye is open: the height of the run of rows,
// at the eye's line, where a narrow vertical band through the eye is darker than the skin
// below it (an open eye's iris and lashes; a closed eye shows only its lash line), over the
// eye distance. The eye line is where eyes sit in a face of that size, not where pigo's
// pupil localiser lands: on closed eyes that settles on the brows, whose dark band would
// read as an open eye. Across, the localiser's pupils are used. Not measurable when an eye
// falls outside the frame or the skin is too dark to tell an iris from it; Assess also
// leaves it out for a tilted or blurred face.
func eyeOpening(g *image.Gray, f Face) (float64, bool) {
	s := float64(f.Size)
	// Turned by the eye line where the pupils were found: a face found only in a turned
	// search is turned by less than that search's angle.
	rad := f.Roll() * math.Pi / 180
	eyeDist := 0.36 * s
	band := max(3, int(0.05*s))
	// Only bands near the eye's middle count, and only runs that reach the eye line: the
	// brows, and the shadow between brow and nose at the window's inner side, would
	// otherwise read as an open eye's dark run.
	reach, above, below := int(0.07*s), int(0.06*s), int(0.07*s)
	centres := int(0.04 * s) // the iris band's centre stays this close to the eye's
	near := int(0.03 * s)    // how far from the eye line a dark run may start or end
	b := g.Bounds()
	worst := math.Inf(1)
	for i, dx := range []float64{-0.175, 0.185} {
		ox, oy := dx*s, -0.075*s
		ex := int(float64(f.Centre.X) + ox*math.Cos(rad) - oy*math.Sin(rad))
		ey := int(float64(f.Centre.Y) + ox*math.Sin(rad) + oy*math.Cos(rad))
		// Across, the localiser is right even on shut eyes, and eye spacing varies more
		// between faces than the eye line's height does.
		if p := [2]image.Point{f.LeftEye, f.RightEye}[i]; f.Eyes && math.Abs(float64(p.X-ex)) < 0.08*s {
			ex = p.X
		}
		win := image.Rect(ex-reach, ey-above, ex+reach, ey+below)
		cheek := image.Rect(ex-reach, ey+below, ex+reach, ey+below+int(0.06*s))
		if !win.In(b) || !cheek.In(b) {
			return 0, false
		}
		h := histogramOf(g, cheek)
		skin := h.percentile(0.5)
		if skin < 40 {
			return 0, false
		}
		dark := 0.55 * skin // iris and lashes are far darker; brow shadows and creases are not
		tallest := 0
		for x0 := ex - centres - band/2; x0 <= ex+centres-band/2; x0++ {
			start := -1
			for yy := win.Min.Y; yy <= win.Max.Y; yy++ {
				isDark := false
				if yy < win.Max.Y {
					sum := 0
					for _, v := range g.Pix[g.PixOffset(x0, yy):g.PixOffset(x0+band, yy)] {
						sum += int(v)
					}
					isDark = float64(sum)/float64(band) < dark
				}
				switch {
				case isDark && start < 0:
					start = yy
				case !isDark && start >= 0:
					if start <= ey+near && yy > ey-near { // the run reaches the eye line
						tallest = max(tallest, yy-start)
					}
					start = -1
				}
			}
		}
		worst = math.Min(worst, float64(tallest)/eyeDist)
	}
	return worst, true
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func limitCheck(name string, v, lo, hi float64, lowCode, highCode string) FaceCheck {
	c := FaceCheck{Name: name, Value: round2(v), Pass: v >= lo && v <= hi}
	switch {
	case math.IsInf(lo, -1):
		c.Limit = "≤ " + trimFloat(hi)
	case math.IsInf(hi, 1):
		c.Limit = "≥ " + trimFloat(lo)
	default:
		c.Limit = trimFloat(lo) + "-" + trimFloat(hi)
	}
	if v < lo {
		c.Code = lowCode
	} else if v > hi {
		c.Code = highCode
	}
	return c
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// innerFace is the middle of the face box (eyes, nose, mouth; no hair or background).
func innerFace(f Face, bounds image.Rectangle) image.Rectangle {
	q := f.Size / 4
	return image.Rect(f.Centre.X-q, f.Centre.Y-q, f.Centre.X+q, f.Centre.Y+q).Intersect(bounds)
}

// sharpness is the Laplacian's energy over the gradient's on r: blur removes the finest
// detail (what the Laplacian sees) faster than edges, and the ratio does not depend on
// exposure or contrast.
func sharpness(g *image.Gray, r image.Rectangle) float64 {
	var lap, grad float64
	at := func(x, y int) float64 { return float64(g.Pix[g.PixOffset(x, y)]) }
	for y := r.Min.Y + 1; y < r.Max.Y-1; y++ {
		for x := r.Min.X + 1; x < r.Max.X-1; x++ {
			c := at(x, y)
			l := at(x-1, y) + at(x+1, y) + at(x, y-1) + at(x, y+1) - 4*c
			gx, gy := at(x+1, y)-at(x-1, y), at(x, y+1)-at(x, y-1)
			lap += l * l
			grad += gx*gx + gy*gy
		}
	}
	if grad == 0 {
		return 0
	}
	return lap / grad
}

// luminance gives the mean and the 5th and 95th percentiles of r.
func luminance(g *image.Gray, r image.Rectangle) (mean, p5, p95 float64) {
	h := histogramOf(g, r)
	if h.n == 0 {
		return 0, 0, 0
	}
	return float64(h.sum) / float64(h.n), h.percentile(0.05), h.percentile(0.95)
}

// histogram counts the luminance values of a region.
type histogram struct {
	count  [256]int
	n, sum int
}

func histogramOf(g *image.Gray, r image.Rectangle) histogram {
	var h histogram
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, v := range g.Pix[g.PixOffset(r.Min.X, y):g.PixOffset(r.Max.X, y)] {
			h.count[v]++
			h.sum += int(v)
			h.n++
		}
	}
	return h
}

// percentile is the lowest value with more than p of the pixels at or below it (0 for an
// empty region).
func (h *histogram) percentile(p float64) float64 {
	if h.n == 0 {
		return 0
	}
	want, acc := int(p*float64(h.n)), 0
	for v, c := range h.count {
		acc += c
		if acc > want {
			return float64(v)
		}
	}
	return 255
}

// backgroundDeviation measures, in the two bands beside the head above the shoulders, how much
// the luminance varies (mean absolute deviation from each band's median, larger band).
// There is nothing to measure when the face fills the frame's width.
func backgroundDeviation(g *image.Gray, f Face) (float64, bool) {
	b := g.Bounds()
	top := max(b.Min.Y, f.Centre.Y-f.Size)
	bottom := min(b.Max.Y, f.Centre.Y)
	half := f.Size * 3 / 4 // head and ears
	bands := []image.Rectangle{
		image.Rect(b.Min.X, top, f.Centre.X-half, bottom),
		image.Rect(f.Centre.X+half, top, b.Max.X, bottom),
	}
	worst, measured := 0.0, false
	for _, r := range bands {
		r = r.Intersect(b)
		if r.Dx() < 8 || r.Dy() < 8 {
			continue
		}
		var vals []int
		for y := r.Min.Y; y < r.Max.Y; y += 2 {
			for x := r.Min.X; x < r.Max.X; x += 2 {
				vals = append(vals, int(g.Pix[g.PixOffset(x, y)]))
			}
		}
		sort.Ints(vals)
		med := vals[len(vals)/2]
		dev := 0
		for _, v := range vals {
			dev += abs(v - med)
		}
		worst, measured = math.Max(worst, float64(dev)/float64(len(vals))), true
	}
	return worst, measured
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// FaceCheckNames lists every check, in display order.
func FaceCheckNames() []string {
	return []string{CheckOneFace, CheckFaceSize, CheckCentred, CheckRoll, CheckSharpness, CheckEyesOpen, CheckExposure, CheckContrast, CheckBackground}
}

// FaceCheckCodes lists every message code a check can carry.
func FaceCheckCodes() []string {
	return []string{"no_face", "many_faces", "too_far", "too_close", "off_left", "off_right", "off_high", "off_low",
		"tilted", "eyes_closed", "blurred", "too_dark", "too_bright", "low_contrast", "busy_background"}
}
