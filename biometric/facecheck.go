package biometric

import (
	"image"
	"math"
	"strconv"
)

// FaceCheck is one portrait requirement measured on a frame, modelled on a quality component
// of ISO/IEC 29794-5 (docs/portrait.md lists them): the measured value, the limit, whether
// it holds, and the message key the station shows ("face.<Code>", translated in
// assets/translations; "" when the check holds). A hard check that does not hold fails the
// portrait (Pass false); a soft one only warns (Warn true, Pass stays true).
type FaceCheck struct {
	Name   string
	Pass   bool
	Warn   bool
	Soft   bool
	Value  float64
	Limit  string
	Code   string
	Params map[string]any
}

// Result is "pass", "warn" or "fail".
func (c FaceCheck) Result() string {
	switch {
	case !c.Pass:
		return "fail"
	case c.Warn:
		return "warn"
	}
	return "pass"
}

// Portrait check names, in the order they are shown.
const (
	CheckOneFace     = "one_face"
	CheckHumanFace   = "human_face"
	CheckFaceSize    = "face_size"
	CheckHeadInside  = "head_inside"
	CheckInterEye    = "inter_eye"
	CheckPose        = "pose"
	CheckRoll        = "roll"
	CheckEyesOpen    = "eyes_open"
	CheckEyesVisible = "eyes_visible"
	CheckMouthClosed = "mouth_closed"
	CheckOcclusion   = "occlusion"
	CheckSharpness   = "sharpness"
	CheckExposure    = "exposure"
	CheckContrast    = "contrast"
	CheckBackground  = "background"
)

// Limits; docs/portrait.md gives each one's reasoning and its ISO/IEC 29794-5 counterpart.
const (
	// A second detection is a second person only when it is at least this share of the main
	// face's size and scores at least this share of its detection score (and minPersonScore):
	// a face on a poster behind, or pigo's weak hits on a patterned background, are not.
	minPersonSize  = 0.25
	minPersonShare = 0.1
	minPersonScore = 10
	// face_size: the head's share of the picture (square root of its area share). An ICAO
	// portrait's head measures 0.64.
	minHeadShare = 0.25
	maxHeadShare = 0.73
	// inter_eye, pixels: ISO/IEC 19794-5's token-image floor, and the stored crop's minimum
	// without upscaling.
	minEyeDist   = 60.0
	goodEyeDist  = 90.0
	maxPose      = 25.0 // degrees, yaw or pitch
	maxGaze      = 15.0 // degrees the eyes look away from the camera
	maxRoll      = 8.0  // degrees
	minEyeOpen   = 0.09 // iris band height over the eye distance; open eyes 0.12-0.2
	maxEyeCover  = 0.6  // dark share of the eye regions
	maxMouthGap  = 0.6  // lip middles apart, eye distances: closed 0.2-0.3, a broad smile 0.4
	maxOcclusion = 0.5
	minSharpness = 0.25 // Laplacian energy over gradient energy on the face
	minExposure  = 60.0 // mean skin luminance
	maxExposure  = 225.0
	maxClipped   = 0.25 // share of the skin burnt out or crushed
	// minSideLight is the darker half of the face's luminance over the brighter's: half the
	// light, one photographic stop, is a strong modelling light already; a portrait for
	// recognition wants both sides lit alike (29794-5's illumination uniformity).
	minSideLight  = 0.5
	minContrast   = 50.0 // face luminance 5th to 95th percentile
	maxBackground = 20.0 // luminance deviation beside the head
	// human_face: the skin's blue share in normalised rgb, for a picture in colour, and the
	// smoothest skin zone's stroke texture.
	minSkinBlue = 0.19
	maxStrokes  = 0.1
)

// minGazeEyeDist is the smallest distance between the pupils, in pixels, at which the gaze is
// judged. It is read from where the pupils sit between the eye corners: at 40 px a pixel off in
// any one of those six points moves the reading by 4°, at 25 px by 6°, too much against a 15°
// limit, so smaller faces are judged on their head pose alone.
const minGazeEyeDist = 40.0

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

// Assess runs every portrait check on a still photo. Without one face only the face count is
// reported: the other checks measure that face; the background check only warns (the officer
// fixes it at the camera). A check whose region the picture does not show, or shows too dark
// to tell iris from lid, is left out. The live camera uses the same checks through Live.
func (ff *FaceFinder) Assess(img image.Image) Assessment {
	g, ok := img.(*image.Gray)
	switch {
	case !ok:
		b := img.Bounds()
		g = ff.frames.get(b.Dx(), b.Dy())
		defer ff.frames.put(g)
		grayInto(g, img)
	case g.Rect.Min != (image.Point{}):
		g = cloneGray(g)
	}
	faces := ff.Find(g)
	a := Assessment{Faces: faces}
	persons := people(faces)
	one := FaceCheck{Name: CheckOneFace, Value: float64(persons), Limit: "1", Pass: persons == 1}
	switch {
	case persons == 0:
		one.Code = "no_face"
	case persons > 1:
		one.Code, one.Params = "many_faces", map[string]any{"count": persons}
	}
	a.Checks = append(a.Checks, one)
	if persons != 1 {
		return a
	}
	f := faces[0]
	a.Face = &f
	m := ff.measure(img, g, f)
	a.Checks = append(a.Checks, judge(m, g, f)...)
	return a
}

// Live is the assessment as the live camera judges it: a busy background fails, since the
// officer can still change it before taking the picture.
func (a Assessment) Live() Assessment {
	out := a
	out.Checks = append([]FaceCheck(nil), a.Checks...)
	for i, c := range out.Checks {
		if c.Name == CheckBackground && c.Warn {
			out.Checks[i].Pass, out.Checks[i].Warn, out.Checks[i].Soft = false, false, false
		}
	}
	return out
}

// people counts the detections that are plausibly a person: the most confident one, and any
// other at least minPersonSize of its size scoring at least minPersonShare of its score.
func people(faces []Face) int {
	if len(faces) == 0 {
		return 0
	}
	main := faces[0]
	n := 1
	for _, f := range faces[1:] {
		if float64(f.Size) >= minPersonSize*float64(main.Size) && f.Score >= minPersonScore &&
			float64(f.Score) >= minPersonShare*float64(main.Score) {
			n++
		}
	}
	return n
}

// judge turns the measurements into checks.
func judge(m faceMeasures, g *image.Gray, f Face) []FaceCheck {
	var out []FaceCheck
	add := func(c FaceCheck) { out = append(out, c) }

	human := FaceCheck{Name: CheckHumanFace, Pass: true, Value: round2(m.strokes), Limit: "≤ " + trimFloat(maxStrokes)}
	switch {
	case m.strokes > maxStrokes:
		human.Pass, human.Code = false, "not_human"
	case m.colour:
		human.Value, human.Limit = round2(m.skinBlue), "≥ "+trimFloat(minSkinBlue)
		if m.skinBlue < minSkinBlue || !m.skinRed {
			human.Pass, human.Code = false, "not_human"
		}
	}
	add(human)

	add(limitCheck(CheckFaceSize, m.headShare, minHeadShare, maxHeadShare, "too_far", "too_close"))

	worst, side := m.margins.worst()
	inside := FaceCheck{Name: CheckHeadInside, Value: round2(worst), Limit: "≥ 0", Pass: worst >= 0}
	if !inside.Pass {
		inside.Code = "head_cut_" + side
	}
	add(inside)

	eye := FaceCheck{Name: CheckInterEye, Value: math.Round(m.eyeDist), Pass: m.eyeDist >= minEyeDist,
		Limit: "≥ " + trimFloat(minEyeDist) + " px (" + trimFloat(goodEyeDist) + " px without upscaling)"}
	eye.Params = map[string]any{"px": int(math.Round(m.eyeDist))}
	switch {
	case !eye.Pass:
		eye.Code = "low_resolution"
	case m.eyeDist < goodEyeDist:
		eye.Warn, eye.Soft, eye.Code = true, true, "upscaled"
	}
	add(eye)

	add(poseCheck(m))

	rc := FaceCheck{Name: CheckRoll, Value: round2(m.roll), Limit: "≤ " + trimFloat(maxRoll) + "°", Pass: math.Abs(m.roll) <= maxRoll}
	if !rc.Pass {
		rc.Code, rc.Params = "tilted", map[string]any{"degrees": int(math.Round(math.Abs(m.roll)))}
	}
	add(rc)

	// Blur smears a shut eye's lash line into an iris-sized band: a blurred face is told
	// about the blur first, and its eyes are not judged.
	if m.eyesMeasure && m.sharpness >= minSharpness {
		add(limitCheck(CheckEyesOpen, m.eyeOpening, minEyeOpen, math.Inf(1), "eyes_closed", ""))
	}
	add(limitCheck(CheckEyesVisible, m.eyeCover, math.Inf(-1), maxEyeCover, "", "eyes_hidden"))
	add(limitCheck(CheckMouthClosed, m.mouthGap, math.Inf(-1), maxMouthGap, "", "mouth_open"))
	// A half of the face in shadow reads as covered: a face lit from one side is told about the
	// light first (exposure), and its cover is judged once the light is even.
	if m.sideLight >= minSideLight {
		add(limitCheck(CheckOcclusion, m.occlusion, math.Inf(-1), maxOcclusion, "", "occluded"))
	}
	add(limitCheck(CheckSharpness, m.sharpness, minSharpness, math.Inf(1), "blurred", ""))

	ex := limitCheck(CheckExposure, m.meanLum, minExposure, maxExposure, "too_dark", "too_bright")
	if ex.Pass && m.clipped > maxClipped {
		ex.Pass, ex.Code = false, "clipped"
	}
	if ex.Pass && m.sideLight < minSideLight {
		ex.Pass, ex.Code = false, "uneven_light"
	}
	ex.Limit += "; clipped ≤ " + trimFloat(100*maxClipped) + " %; sides ≥ " + trimFloat(minSideLight)
	ex.Params = map[string]any{"clipped": int(math.Round(100 * m.clipped)), "side_percent": int(math.Round(100 * m.sideLight))}
	add(ex)
	add(limitCheck(CheckContrast, m.contrast, minContrast, math.Inf(1), "low_contrast", ""))
	if dev, ok := backgroundDeviation(g, f); ok {
		bc := limitCheck(CheckBackground, dev, math.Inf(-1), maxBackground, "", "busy_background")
		bc.Soft = true
		if !bc.Pass {
			bc.Pass, bc.Warn = true, true
		}
		add(bc)
	}
	return out
}

// poseCheck judges the head's yaw and pitch and, where the eyes are large enough to tell, the
// gaze. Its value is the angle nearest its limit (or furthest past it), the limit naming which.
func poseCheck(m faceMeasures) FaceCheck {
	type part struct {
		deg, limit float64
		code       string
	}
	parts := []part{{math.Abs(m.yaw), maxPose, "turned"}, {math.Abs(m.pitch), maxPose, "chin_down"}}
	if m.pitch > 0 {
		parts[1].code = "chin_up"
	}
	if m.gazeMeasured {
		parts = append(parts, part{math.Abs(m.gaze), maxGaze, "look_at_camera"})
	}
	worst := parts[0]
	for _, p := range parts[1:] {
		if p.deg/p.limit > worst.deg/worst.limit {
			worst = p
		}
	}
	limit := "yaw, pitch ≤ " + trimFloat(maxPose) + "°"
	if m.gazeMeasured {
		limit += "; gaze ≤ " + trimFloat(maxGaze) + "°"
	}
	c := FaceCheck{Name: CheckPose, Value: round2(worst.deg), Limit: limit, Pass: worst.deg <= worst.limit,
		Params: map[string]any{"degrees": int(math.Round(worst.deg))}}
	if !c.Pass {
		c.Code = worst.code
	}
	return c
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

func histogramOf(g *image.Gray, rs ...image.Rectangle) histogram {
	var h histogram
	for _, r := range rs {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for _, v := range g.Pix[g.PixOffset(r.Min.X, y):g.PixOffset(r.Max.X, y)] {
				h.add(v)
			}
		}
	}
	return h
}

func (h *histogram) add(v uint8) {
	h.count[v]++
	h.sum += int(v)
	h.n++
}

// exposure is the mean and the share burnt out (250 and over) or crushed (10 and under).
func (h *histogram) exposure() (mean, clipped float64) {
	if h.n == 0 {
		return 0, 0
	}
	return float64(h.sum) / float64(h.n), h.shareOutside(11, 249)
}

// shareOutside is the share of the values below lo or above hi (0 when there are none).
func (h *histogram) shareOutside(lo, hi uint8) float64 {
	if h.n == 0 {
		return 0
	}
	out := 0
	for v, c := range h.count {
		if v < int(lo) || v > int(hi) {
			out += c
		}
	}
	return float64(out) / float64(h.n)
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
	bands := [2]image.Rectangle{
		image.Rect(b.Min.X, top, f.Centre.X-half, bottom),
		image.Rect(f.Centre.X+half, top, b.Max.X, bottom),
	}
	worst, measured := 0.0, false
	for _, r := range bands {
		r = r.Intersect(b)
		if r.Dx() < 8 || r.Dy() < 8 {
			continue
		}
		// A histogram gives the median and the mean distance from it without a sorted copy of
		// the band (which the preview would allocate 12 times a second).
		var h histogram
		for y := r.Min.Y; y < r.Max.Y; y += 2 {
			for x := r.Min.X; x < r.Max.X; x += 2 {
				h.add(g.Pix[g.PixOffset(x, y)])
			}
		}
		med, dev := int(h.percentile(0.5)), 0
		for v, c := range h.count {
			dev += c * abs(v-med)
		}
		worst, measured = math.Max(worst, float64(dev)/float64(h.n)), true
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
	return []string{CheckOneFace, CheckHumanFace, CheckFaceSize, CheckHeadInside, CheckInterEye, CheckPose, CheckRoll,
		CheckEyesOpen, CheckEyesVisible, CheckMouthClosed, CheckOcclusion, CheckSharpness, CheckExposure, CheckContrast, CheckBackground}
}

// FaceCheckCodes lists every message code a check can carry.
func FaceCheckCodes() []string {
	return []string{"no_face", "many_faces", "not_human", "too_far", "too_close", "head_cut_top", "head_cut_bottom",
		"head_cut_left", "head_cut_right", "low_resolution", "upscaled", "turned", "chin_up", "chin_down", "look_at_camera", "tilted",
		"eyes_closed", "eyes_hidden", "mouth_open", "occluded", "blurred", "too_dark", "too_bright", "clipped", "uneven_light",
		"low_contrast", "busy_background"}
}
