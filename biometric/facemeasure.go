package biometric

import (
	"image"
	"image/color"
	"math"
	"slices"
)

// faceMeasures are the raw measurements the portrait checks judge, taken on one face. Lengths
// are in eye distances (the distance between the pupils), angles in degrees.
type faceMeasures struct {
	eyeDist float64 // pixels between the pupils in the picture
	// roll is the head's in-plane tilt: the eye line's angle, or the face's midline's where that
	// leans further (eyeRoll and axisRoll, positive: the right side of the picture lower).
	roll, eyeRoll, axisRoll float64
	yaw, pitch              float64
	// gaze is how far the eyes look from the camera, sideways (positive: to the image's right);
	// gazeMeasured is false when the eyes are too small, shut or not found to tell.
	gaze         float64
	gazeMeasured bool
	eyeOpening   float64 // height of the dark iris band through the pupils, the mean of both eyes
	eyesMeasure  bool    // false when the eyes are too dark to tell iris from lid
	eyeCover     float64 // share of the eye regions much darker than the cheeks (dark glasses)
	mouthGap     float64 // between the middle of the upper and of the lower lip
	occlusion    float64 // share of cheeks and mouth unlike the nose bridge's skin
	margins      headMargins
	headShare    float64 // square root of the head's share of the picture's area
	sharpness    float64
	meanLum      float64 // mean luminance of the skin zones
	clipped      float64 // share of skin pixels burnt out (≥ 250) or crushed (≤ 10)
	sideLight    float64 // the darker half of the face's median luminance over the brighter's
	contrast     float64 // face luminance, 5th to 95th percentile
	skinBlue     float64 // blue share of the skin zones' colour (normalised rgb)
	skinRed      bool    // red outweighs green on the skin
	colour       bool    // the picture has colour (else skin tone is not judged)
	strokes      float64 // fine-scale texture of the cheeks against their brightness
}

// headMargins is how far the head, with the room a portrait needs around it, stays inside the
// picture on each side, in eye distances (negative: cut off).
type headMargins struct{ top, bottom, left, right float64 }

func (m headMargins) worst() (float64, string) {
	v, side := m.top, "top"
	for _, s := range []struct {
		v    float64
		side string
	}{{m.bottom, "bottom"}, {m.left, "left"}, {m.right, "right"}} {
		if s.v < v {
			v, side = s.v, s.side
		}
	}
	return v, side
}

// Head model, in eye distances, from the face's own vertical scale m (eye line to the middle
// of the mouth, 1.0-1.1 eye distances on an upright adult face): the crown is 1.75 m above the
// eye line and the chin 1.7 m below it (population means: pupil to vertex ≈ 120 mm, pupil to
// mouth ≈ 65 mm, mouth to chin ≈ 45 mm, eyes 63 mm apart), the head 2.5 eye distances wide with
// the ears. A portrait needs some room below the chin for the neck; above the crown the
// station's crop fills in the background, so the crown may touch the edge.
const (
	crownPerMouth  = 1.75
	chinPerMouth   = 1.7
	headHalfWidth  = 1.25
	roomBelowChin  = 0.3
	roomAboveCrown = 0.0
	typicalMouth   = 1.05
)

// measure takes every measurement on face f of img (g its luminance).
func (ff *FaceFinder) measure(img image.Image, g *image.Gray, f Face) faceMeasures {
	m := faceMeasures{eyeDist: f.EyeDistance(), roll: f.Roll(), eyeRoll: f.Roll()}
	left, right := f.LeftEye, f.RightEye
	if !f.Eyes {
		s := float64(f.Size)
		left = image.Pt(f.Centre.X-int(0.18*s), f.Centre.Y-int(0.075*s))
		right = image.Pt(f.Centre.X+int(0.18*s), f.Centre.Y-int(0.075*s))
		m.eyeDist = math.Hypot(float64(right.X-left.X), float64(right.Y-left.Y))
	}
	fr := levelFace(g, settle(f, left), settle(f, right))
	if fr == nil {
		return m
	}
	mouth := typicalMouth
	m.eyeOpening, m.eyesMeasure = eyeOpening(fr)
	if f.Marks {
		p := f.marks
		mv := (p.lipTop.v + p.lipBottom.v) / 2
		m.mouthGap = p.lipBottom.v - p.lipTop.v
		m.yaw, m.pitch = headPose(p)
		m.axisRoll = m.eyeRoll + midlineTilt(p)
		if math.Abs(m.axisRoll) > math.Abs(m.roll) {
			m.roll = m.axisRoll
		}
		if mv > 0.5 && mv < 1.6 {
			mouth = mv
		}
		if m.eyeDist >= minGazeEyeDist && m.eyesMeasure && m.eyeOpening >= minEyeOpen {
			m.gaze, m.gazeMeasured = gaze(p, m.yaw), true
		}
	}
	skin := skinZones(fr)
	skinHist := histogramOf(fr.g, skin...)
	cheek := skinHist.percentile(0.5)
	m.eyeCover = eyeCover(fr, cheek)
	m.occlusion = occlusion(fr)
	m.margins, m.headShare = headPlacement(fr, mouth)
	m.sharpness = faceSharpness(g, left, right)
	m.meanLum, m.clipped = skinHist.exposure()
	m.sideLight = sideLight(fr)
	inner := fr.rect(-0.7, -0.35, 0.7, 1.3)
	h := histogramOf(fr.g, inner)
	m.contrast = h.percentile(0.95) - h.percentile(0.05)
	m.skinBlue, m.skinRed, m.colour = skinColour(img, fr, skin)
	m.strokes = strokes(fr)
	return m
}

// settle keeps a pupil where eyes sit in a face of that size when the localiser put it well
// above (on shut eyes it settles on the brows, whose dark band would read as an open eye):
// across, the localiser is right even then.
func settle(f Face, p image.Point) image.Point {
	s := float64(f.Size)
	rad := f.Angle * math.Pi / 180
	// The eye line's height in the face box, turned by the angle the face was found at.
	ox := float64(p.X - f.Centre.X)
	ey := float64(f.Centre.Y) + ox*math.Sin(rad) - 0.075*s*math.Cos(rad)
	if float64(p.Y) < ey-0.06*s {
		return image.Pt(p.X, int(math.Round(ey)))
	}
	return p
}

// headPose estimates yaw and pitch from the landmarks on the levelled face. The nose tip stands
// about 0.45 eye distances in front of the plane of the eye corners and the mouth: turned by yaw
// it moves sideways from the line joining the eyes' centre to the mouth (yaw = atan(offset/0.45));
// pitched, it moves up or down against the mouth, from where it sits on a level face (0.55 of
// the way from the eyes to the mouth). The eyes' centre is the middle of the four eye corners,
// not of the pupils, which move with the gaze.
func headPose(p faceMarks) (yaw, pitch float64) {
	const depth, noseAt = 0.45, 0.55
	eu, ev := p.eyesCentre()
	mu, mv := (p.mouthLeft.u+p.mouthRight.u)/2, (p.lipTop.v+p.lipBottom.v)/2
	if mv-ev <= 0.1 {
		return 0, 0
	}
	mid := eu + (mu-eu)*(p.nose.v-ev)/(mv-ev) // the eye-mouth line at the nose's height
	deg := func(t float64) float64 { return math.Atan(t) * 180 / math.Pi }
	return deg((p.nose.u - mid) / depth), deg((noseAt*(mv-ev) - (p.nose.v - ev)) / depth)
}

// eyesCentre is the middle of the four eye corners.
func (p faceMarks) eyesCentre() (u, v float64) {
	return (p.leftOuter.u + p.leftInner.u + p.rightInner.u + p.rightOuter.u) / 4,
		(p.leftOuter.v + p.leftInner.v + p.rightInner.v + p.rightOuter.v) / 4
}

// midlineTilt is the angle, in degrees, by which the face's midline leans from the
// perpendicular to the eye line (positive as roll: its lower end to the picture's left). The
// midline runs from the middle of the four eye corners to the middle of the mouth corners,
// points at about the same depth, so the head's yaw does not move one against the other, nor
// does the gaze (the pupils are not used). A head rolled sideways turns eye line and midline
// alike; turned and bowed at once, its eye line may stay level while the midline leans, and
// the leaning face is what the eye sees as tilted. On a small face the midline, resting on six
// landmarks, is also the steadier of the two: at 16 px between the pupils, one pixel of either
// pupil turns the eye line by 4°.
func midlineTilt(p faceMarks) float64 {
	eu, ev := p.eyesCentre()
	mu, mv := (p.mouthLeft.u+p.mouthRight.u)/2, (p.mouthLeft.v+p.mouthRight.v)/2
	if mv-ev <= 0.1 {
		return 0
	}
	return -math.Atan2(mu-eu, mv-ev) * 180 / math.Pi
}

// The eye as gaze sees it, in eye distances: the eyeball's radius (12 mm against 63 mm between
// the pupils), and how far in front of the eyeball's centre its corners lie (about 6 mm: the
// corners sit on the eyeball's front half, behind the cornea).
const (
	eyeballRadius = 0.19
	eyeCornerLead = 0.1
)

// gaze estimates, in degrees, how far sideways the eyes look from the camera. The pupil sits
// eyeballRadius·sin(gaze) from the eyeball's centre in the picture whatever the head's yaw; the
// eye corners are the visible reference for that centre, but lie eyeCornerLead in front of it,
// so a head turned by yaw moves them by eyeCornerLead·sin(yaw). Both eyes are averaged: the
// pupils are at (±0.5, 0) on the levelled face.
func gaze(p faceMarks, yaw float64) float64 {
	off := (-0.5 - (p.leftOuter.u+p.leftInner.u)/2 + 0.5 - (p.rightOuter.u+p.rightInner.u)/2) / 2
	s := (off + eyeCornerLead*math.Sin(yaw*math.Pi/180)) / eyeballRadius
	return math.Asin(math.Max(-1, math.Min(1, s))) * 180 / math.Pi
}

// skinZones are the frame rectangles of bare skin on a frontal face: both cheeks under the
// eyes and the bridge and sides of the nose.
func skinZones(fr *faceFrame) []image.Rectangle {
	left, right := cheeks(fr)
	return []image.Rectangle{left, right, fr.rect(-0.12, 0.05, 0.12, 0.45)}
}

// cheeks are the frame rectangles of the cheeks under the eyes, the one on the image's left
// first.
func cheeks(fr *faceFrame) (left, right image.Rectangle) {
	return fr.rect(-0.7, 0.3, -0.25, 0.75), fr.rect(0.25, 0.3, 0.7, 0.75)
}

// eyeOpening measures, through each pupil, the height of the band darker than halfway between
// the darkest point near the pupil and the lids around it: an open eye shows the iris (about
// 0.15-0.2 eye distances tall), a shut one only its lash line (0.05 or less). The lids are
// taken from above and below the eye, the brighter side: the rim of a pair of glasses darkens
// one side at most, and lies outside the band.
func eyeOpening(fr *faceFrame) (float64, bool) {
	k := float64(faceFrameEyes)
	span := int(0.35 * k)
	strip := max(2, int(0.06*k))
	var sum float64
	for _, u := range []float64{-0.5, 0.5} {
		ex, ey := fr.at(u, 0)
		x0, yc := int(ex)-strip, int(ey)
		prof := make([]float64, 2*span+1)
		for i := range prof {
			y := yc - span + i
			s := 0
			for x := x0; x <= x0+2*strip; x++ {
				s += int(fr.g.Pix[fr.g.PixOffset(x, y)])
			}
			prof[i] = float64(s) / float64(2*strip+1)
		}
		near := int(0.1 * k)
		lo := span
		for i := span - near; i <= span+near; i++ {
			if prof[i] < prof[lo] {
				lo = i
			}
		}
		edge := int(0.14 * k)
		outer := int(0.3 * k)
		above := medianOf(prof[span-outer : span-edge+1])
		below := medianOf(prof[span+edge : span+outer+1])
		lid := math.Max(above, below)
		if lid < 40 {
			return 0, false
		}
		depth := lid - prof[lo]
		if depth < 0.12*lid {
			continue // no iris, no lash line darker than the lids: nothing open
		}
		t := prof[lo] + depth/2
		top, bottom := lo, lo
		for top > 0 && prof[top-1] < t {
			top--
		}
		for bottom < len(prof)-1 && prof[bottom+1] < t {
			bottom++
		}
		sum += float64(bottom-top+1) / k
	}
	return sum / 2, true
}

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// eyeCover is the share of the two eye regions (half an eye distance wide, 0.3 tall, around
// each pupil) darker than half the cheeks' luminance: an open eye's iris, pupil and lashes
// fill about a quarter of it, dark glasses, hair or a dark hand all of it.
func eyeCover(fr *faceFrame, cheek float64) float64 {
	if cheek < 30 {
		return 0
	}
	eyes := histogramOf(fr.g, fr.rect(-0.75, -0.15, -0.25, 0.15), fr.rect(0.25, -0.15, 0.75, 0.15))
	return eyes.shareOutside(uint8(cheek/2), 255)
}

// occlusion is the share of the cheeks and the mouth that does not look like the face's own
// skin: luminance more than 45 % away from the median of the nose bridge (between the eyes, down
// to the nose tip), which a hand, a scarf, a mask or an object in front of the face changes,
// while light from the side changes it by less.
func occlusion(fr *faceFrame) float64 {
	bridge := histogramOf(fr.g, fr.rect(-0.12, 0.0, 0.12, 0.5))
	ref := bridge.percentile(0.5)
	if ref < 20 {
		return 0
	}
	left, right := cheeks(fr)
	cheeksMouth := histogramOf(fr.g, left, right, fr.rect(-0.45, 0.85, 0.45, 1.3))
	return cheeksMouth.shareOutside(uint8(0.55*ref), uint8(math.Min(255, 1.45*ref)))
}

// sideLight compares the two halves of the face, each a cheek and that side of the forehead
// (the skin away from the eyes, brows, nose and mouth, whose own shading is symmetric): the
// median luminance of the darker half over the brighter's. Light from one side leaves the far
// half in shadow; measured on the labelled photographs, frontal pass rows read 0.67-1.0, a face
// lit hard from one side (ajc) 0.34. A median, not a mean, so a highlight or a strand of hair
// does not move it.
func sideLight(fr *faceFrame) float64 {
	leftCheek, rightCheek := cheeks(fr)
	left := histogramOf(fr.g, leftCheek, fr.rect(-0.6, -0.75, -0.1, -0.35))
	right := histogramOf(fr.g, rightCheek, fr.rect(0.1, -0.75, 0.6, -0.35))
	l, r := left.percentile(0.5), right.percentile(0.5)
	if max(l, r) < 1 {
		return 1
	}
	return min(l, r) / max(l, r)
}

// headPlacement is where the head stands against the picture's edges, and its size.
func headPlacement(fr *faceFrame, mouth float64) (headMargins, float64) {
	crown, chin := -crownPerMouth*mouth, chinPerMouth*mouth
	k := float64(faceFrameEyes)
	pt := func(u, v float64) (float64, float64) {
		x, y := fr.at(u, v)
		return fr.toImage(x, y)
	}
	d := math.Hypot(fr.ux, fr.uy) * k
	b := fr.bounds
	var m headMargins
	m.top, m.bottom, m.left, m.right = math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
	// The head's outline: an ellipse through crown, chin and both sides.
	for a := 0; a < 360; a += 10 {
		s, c := math.Sincos(float64(a) * math.Pi / 180)
		v := (crown + chin) / 2
		hv := (chin - crown) / 2
		x, y := pt(headHalfWidth*c, v+hv*s)
		m.left = math.Min(m.left, (x-float64(b.Min.X))/d)
		m.right = math.Min(m.right, (float64(b.Max.X)-x)/d)
		m.top = math.Min(m.top, (y-float64(b.Min.Y))/d-roomAboveCrown)
		m.bottom = math.Min(m.bottom, (float64(b.Max.Y)-y)/d-roomBelowChin)
	}
	area := math.Pi * headHalfWidth * (chin - crown) / 2 * d * d
	return m, math.Sqrt(area / float64(b.Dx()*b.Dy()))
}

// faceSharpness measures sharpness on the inner face at a fixed scale: halved until the eyes
// are at most 64 px apart, since a sharp face photographed large has its detail spread over
// more pixels, and the Laplacian-to-gradient ratio measures detail per pixel.
func faceSharpness(g *image.Gray, left, right image.Point) float64 {
	d := math.Hypot(float64(right.X-left.X), float64(right.Y-left.Y))
	cx, cy := float64(left.X+right.X)/2, float64(left.Y+right.Y)/2
	img := g
	if img.Rect.Min != (image.Point{}) {
		img = cloneGray(g)
	}
	for d > 64 && img.Rect.Dx() >= 4 && img.Rect.Dy() >= 4 {
		img = halve(img)
		d, cx, cy = d/2, cx/2, cy/2
	}
	r := image.Rect(int(cx-0.6*d), int(cy-0.25*d), int(cx+0.6*d), int(cy+1.1*d)).Intersect(img.Rect)
	return sharpness(img, r)
}

func cloneGray(g *image.Gray) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, g.Rect.Dx(), g.Rect.Dy()))
	for y := range g.Rect.Dy() {
		copy(out.Pix[y*out.Stride:], g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):g.PixOffset(g.Rect.Max.X, g.Rect.Min.Y+y)])
	}
	return out
}

// skinColour is the skin zones' mean blue share b = B/(R+G+B) and whether red outweighs green,
// read from the picture's colours; colour is false for a picture without colour. Skin, whatever
// its tone, reflects blue nearly as much as green (b 0.2-0.33 in normalised rgb) and more red
// than green; a painting's varnished flesh, a toy's paint or an animal's fur in yellow or orange
// falls below in blue.
func skinColour(img image.Image, fr *faceFrame, zones []image.Rectangle) (blue float64, redder, colour bool) {
	var sr, sg, sb float64
	spread, n := 0, 0
	for _, r := range zones {
		for y := r.Min.Y; y < r.Max.Y; y += 2 {
			for x := r.Min.X; x < r.Max.X; x += 2 {
				p := fr.imagePoint(float64(x)+0.5, float64(y)+0.5)
				if !p.In(fr.bounds) {
					continue
				}
				rr, gg, bb := rgbAt(img, p.Add(img.Bounds().Min))
				sr, sg, sb = sr+float64(rr), sg+float64(gg), sb+float64(bb)
				spread += max(rr, gg, bb) - min(rr, gg, bb)
				n++
			}
		}
	}
	if n == 0 || sr+sg+sb == 0 || spread < 4*n {
		return 0, false, false
	}
	return sb / (sr + sg + sb), sr > sg || redderThanScene(img, sr/max(sg, 1)), true
}

// redderThanScene tells whether red outweighs green on the skin by more than on the picture
// as a whole (its grey world, the classic estimate of the light's colour): skin of every tone
// reflects more red than green of whatever light falls on it, so under a green cast
// (fluorescent tubes, a webcam's white balance) the skin is still redder than the scene though
// not redder than green outright.
func redderThanScene(img image.Image, skinRG float64) bool {
	b := img.Bounds()
	var r, g float64
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			rr, gg, _ := rgbAt(img, image.Pt(x, y))
			r, g = r+float64(rr), g+float64(gg)
		}
	}
	return g > 0 && skinRG > r/g
}

// rgbAt reads a pixel's 8-bit colour, quickly for the camera's and the decoders' usual types.
func rgbAt(img image.Image, p image.Point) (r, g, b int) {
	switch m := img.(type) {
	case *image.RGBA:
		i := m.PixOffset(p.X, p.Y)
		return int(m.Pix[i]), int(m.Pix[i+1]), int(m.Pix[i+2])
	case *image.NRGBA:
		i := m.PixOffset(p.X, p.Y)
		return int(m.Pix[i]), int(m.Pix[i+1]), int(m.Pix[i+2])
	case *image.YCbCr:
		c := m.YCbCrAt(p.X, p.Y)
		rr, gg, bb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
		return int(rr), int(gg), int(bb)
	case *image.Gray:
		v := int(m.GrayAt(p.X, p.Y).Y)
		return v, v, v
	}
	rr, gg, bb, _ := img.At(p.X, p.Y).RGBA()
	return int(rr >> 8), int(gg >> 8), int(bb >> 8)
}

// strokes is the smoothest skin zone's (cheeks, nose, forehead) mean absolute Laplacian over
// its mean luminance, at the frame's scale: somewhere on a photographed face the skin is smooth
// at a tenth of the eye distance (a beard covers the cheeks, a fringe the forehead, not all of
// them), while an engraving or a drawing shades every zone with lines.
func strokes(fr *faceFrame) float64 {
	least := math.Inf(1)
	left, right := cheeks(fr)
	for _, r := range []image.Rectangle{left, right, fr.rect(-0.15, 0.0, 0.15, 0.4), fr.rect(-0.4, -0.75, 0.4, -0.45)} {
		var lap, sum float64
		for y := r.Min.Y + 1; y < r.Max.Y-1; y++ {
			for x := r.Min.X + 1; x < r.Max.X-1; x++ {
				i := fr.g.PixOffset(x, y)
				c := float64(fr.g.Pix[i])
				l := float64(fr.g.Pix[i-1]) + float64(fr.g.Pix[i+1]) + float64(fr.g.Pix[i-fr.g.Stride]) + float64(fr.g.Pix[i+fr.g.Stride]) - 4*c
				lap += math.Abs(l)
				sum += c
			}
		}
		if sum > 0 {
			least = math.Min(least, lap/sum)
		}
	}
	if math.IsInf(least, 1) {
		return 0
	}
	return least
}
