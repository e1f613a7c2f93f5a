package biometric

import (
	"image"
	"math"
)

// faceFrame is a face resampled into its own coordinates: the eye line level, the eyes
// faceFrameEyes pixels apart, the point between them at (cx, cy). Measures taken on it do
// not depend on the picture's size or on the head's tilt: OFIQ likewise measures a face
// after aligning it by its landmarks. Outside the picture the frame repeats the nearest edge
// pixel; in tells which frame pixels come from the picture.
type faceFrame struct {
	g      *image.Gray
	cx, cy float64
	// origin is the eye midpoint in the picture; ux, uy the picture's offset for one frame
	// pixel to the right (along the eye line); one pixel down is (-uy, ux).
	ox, oy, ux, uy float64
	bounds         image.Rectangle // the picture's
}

// The frame spans 2 eye distances either side of the eye midpoint, 2.3 above it (the crown)
// and 3 below (the chin and some neck).
const (
	faceFrameEyes  = 40
	faceFrameLeft  = 2.0
	faceFrameAbove = 2.3
	faceFrameBelow = 3.0
)

// levelFace resamples g around the eyes a and b (a on the image's left).
func levelFace(g *image.Gray, a, b image.Point) *faceFrame {
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	d := math.Hypot(dx, dy)
	if d < 1 {
		return nil
	}
	k := float64(faceFrameEyes)
	w, h := int(2*faceFrameLeft*k), int((faceFrameAbove+faceFrameBelow)*k)
	fr := &faceFrame{g: image.NewGray(image.Rect(0, 0, w, h)), cx: faceFrameLeft * k, cy: faceFrameAbove * k,
		ox: float64(a.X+b.X)/2 + 0.5, oy: float64(a.Y+b.Y)/2 + 0.5, ux: dx / d * d / k, uy: dy / d * d / k, bounds: g.Rect}
	for y := range h {
		row := fr.g.Pix[y*fr.g.Stride:]
		for x := range w {
			sx, sy := fr.toImage(float64(x)+0.5, float64(y)+0.5)
			row[x] = sampleGray(g, sx-0.5, sy-0.5)
		}
	}
	return fr
}

// toImage maps a frame position to the picture.
func (fr *faceFrame) toImage(x, y float64) (float64, float64) {
	u, v := x-fr.cx, y-fr.cy
	return fr.ox + u*fr.ux - v*fr.uy, fr.oy + u*fr.uy + v*fr.ux
}

// imagePoint maps a frame position to the nearest picture pixel.
func (fr *faceFrame) imagePoint(x, y float64) image.Point {
	sx, sy := fr.toImage(x, y)
	return image.Pt(int(math.Floor(sx)), int(math.Floor(sy)))
}

// at is the frame position of a point given in eye distances from the eye midpoint (u right,
// v down).
func (fr *faceFrame) at(u, v float64) (float64, float64) {
	return fr.cx + u*faceFrameEyes, fr.cy + v*faceFrameEyes
}

// rect is the frame rectangle spanning u0..u1, v0..v1 eye distances, clipped to the frame.
func (fr *faceFrame) rect(u0, v0, u1, v1 float64) image.Rectangle {
	x0, y0 := fr.at(u0, v0)
	x1, y1 := fr.at(u1, v1)
	return image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1))).Intersect(fr.g.Rect)
}

// inside tells the share of the frame rectangle r that comes from inside the picture.
func (fr *faceFrame) inside(r image.Rectangle) float64 {
	if r.Empty() {
		return 0
	}
	n, in := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			n++
			if fr.imagePoint(float64(x)+0.5, float64(y)+0.5).In(fr.bounds) {
				in++
			}
		}
	}
	return float64(in) / float64(n)
}

// sampleGray interpolates g at (x, y) (pixel centres at integers), the nearest edge pixel
// outside it.
func sampleGray(g *image.Gray, x, y float64) uint8 {
	b := g.Rect
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	px := func(x, y int) float64 {
		x = max(b.Min.X, min(b.Max.X-1, x))
		y = max(b.Min.Y, min(b.Max.Y-1, y))
		return float64(g.Pix[(y-b.Min.Y)*g.Stride+x-b.Min.X])
	}
	v := px(x0, y0)*(1-fx)*(1-fy) + px(x0+1, y0)*fx*(1-fy) + px(x0, y0+1)*(1-fx)*fy + px(x0+1, y0+1)*fx*fy
	return uint8(math.Max(0, math.Min(255, v+0.5)))
}

// faceMarks are the landmarks on the face levelled by its eye line, in eye distances from the
// point between the pupils (u to the right, v down): the pupils are at (±0.5, 0).
type faceMarks struct {
	nose, mouthLeft, mouthRight, lipTop, lipBottom markPoint
	// the outer and inner corner of the eye on the image's left and right
	leftOuter, leftInner, rightInner, rightOuter markPoint
}

type markPoint struct{ u, v float64 }

// findMarks finds the nose tip, the mouth and the eye corners on the face levelled by its eye
// line (pigo's landmark cascades are trained on upright faces), from where pigo starts them: a
// quarter eye distance below the eye midpoint and 0.15 to the side (mirrored for the other
// side's point), in a window three eye distances wide.
func (ff *FaceFinder) findMarks(f *Face, g *image.Gray) {
	if !f.Eyes {
		return
	}
	fr := levelFace(g, f.LeftEye, f.RightEye)
	if fr == nil {
		return
	}
	k := float64(faceFrameEyes)
	row, scale := fr.cy+0.25*k, 3*k
	at := func(c *markCascade, mirror bool) markPoint {
		col := fr.cx + 0.15*k
		if mirror {
			col = fr.cx - 0.15*k
		}
		x, y := c.locateAt(fr.g, row, col, scale, mirror)
		return markPoint{(x - fr.cx) / k, (y - fr.cy) / k}
	}
	m := ff.marks
	fm := faceMarks{nose: at(m.nose, false), mouthLeft: at(m.corner, false), mouthRight: at(m.corner, true),
		lipTop: at(m.upper, false), lipBottom: at(m.lower, false),
		leftOuter: at(m.eyeOuter, false), leftInner: at(m.eyeInner, false),
		rightInner: at(m.eyeInner, true), rightOuter: at(m.eyeOuter, true)}
	if fm.mouthLeft.u > fm.mouthRight.u {
		fm.mouthLeft, fm.mouthRight = fm.mouthRight, fm.mouthLeft
	}
	back := func(p markPoint) image.Point {
		x, y := fr.at(p.u, p.v)
		return fr.imagePoint(x, y)
	}
	f.marks = fm
	f.Nose, f.MouthLeft, f.MouthRight = back(fm.nose), back(fm.mouthLeft), back(fm.mouthRight)
	f.LipTop, f.LipBottom = back(fm.lipTop), back(fm.lipBottom)
	f.Marks = true
}
