package biometric

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"slices"
	"sort"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

// FaceFinder locates frontal faces, their pupils and landmarks (nose tip, mouth) with pigo's
// cascades (pixel-intensity comparison trees: fast enough for every preview frame). It is
// safe for concurrent use, and deterministic: the same picture always gives the same faces,
// points and check values.
type FaceFinder struct {
	face   *pigo.Pigo
	pupils *markCascade
	marks  landmarkCascades
	// frames and halves keep the grey copies of a picture a check makes (307 and 77 KB at
	// 640×480) for the next check: the preview checks 12 frames a second.
	// smooth keeps the smoothed copy the cascades search.
	frames, halves, smooth grayBufs
}

// grayBufs reuses grey pictures; get returns one of the size asked for, its pixels not
// cleared (every user overwrites them all).
type grayBufs struct{ pool sync.Pool }

func (b *grayBufs) get(w, h int) *image.Gray {
	if g, ok := b.pool.Get().(*image.Gray); ok && cap(g.Pix) >= w*h {
		g.Pix, g.Stride, g.Rect = g.Pix[:w*h], w, image.Rect(0, 0, w, h)
		return g
	}
	return image.NewGray(image.Rect(0, 0, w, h))
}

func (b *grayBufs) put(g *image.Gray) {
	if g != nil {
		b.pool.Put(g)
	}
}

// NewFaceFinder unpacks pigo's facefinder and puploc cascades and its landmark cascades, by
// file name (lp93, lp84, lp81, lp82, lp312, lp38: assets.LandmarkCascades).
func NewFaceFinder(faceCascade, pupilCascade []byte, landmarkCascades map[string][]byte) (*FaceFinder, error) {
	f, err := pigo.NewPigo().Unpack(faceCascade)
	if err != nil {
		return nil, fmt.Errorf("face cascade: %w", err)
	}
	p, err := parseMarkCascade(pupilCascade)
	if err != nil {
		return nil, fmt.Errorf("pupil cascade: %w", err)
	}
	marks, err := loadLandmarks(landmarkCascades)
	if err != nil {
		return nil, err
	}
	return &FaceFinder{face: f, pupils: p, marks: marks}, nil
}

// Face is one detected face in image coordinates.
type Face struct {
	Centre image.Point
	Size   int     // side of the square box pigo reports (brows to chin, cheek to cheek)
	Score  float32 // pigo's detection quality
	Angle  float64 // the in-plane rotation it was found at, in degrees, as Roll measures
	// Eyes are the pupils, the one on the image's left first; Eyes is false when the
	// localiser found none.
	LeftEye, RightEye image.Point
	Eyes              bool
	// Nose (its tip), MouthLeft and MouthRight (the corners, image left first), LipTop and
	// LipBottom (the middle of the upper and lower lip) are pigo's landmarks, found on the face
	// levelled by the eye line; Marks is false without them (no eyes, no landmarks).
	Nose, MouthLeft, MouthRight, LipTop, LipBottom image.Point
	Marks                                          bool
	// marks are the same landmarks and the eye corners to a fraction of a pixel, on the
	// levelled face.
	marks faceMarks
}

// Box is the face's square.
func (f Face) Box() image.Rectangle {
	h := f.Size / 2
	return image.Rect(f.Centre.X-h, f.Centre.Y-h, f.Centre.X+h, f.Centre.Y+h)
}

// Roll is the eye line's angle from horizontal in degrees (positive: the right side of the
// image lower), from the pupils when found, else the detection angle.
func (f Face) Roll() float64 {
	if !f.Eyes {
		return f.Angle
	}
	return math.Atan2(float64(f.RightEye.Y-f.LeftEye.Y), float64(f.RightEye.X-f.LeftEye.X)) * 180 / math.Pi
}

// EyeDistance is the distance between the pupils in pixels (0 without eyes).
func (f Face) EyeDistance() float64 {
	if !f.Eyes {
		return 0
	}
	return math.Hypot(float64(f.RightEye.X-f.LeftEye.X), float64(f.RightEye.Y-f.LeftEye.Y))
}

// minFaceScore separates faces from face-like texture; below it pigo's hits on the sample
// portrait's background and shirt fall, above it every face in the test set stays.
const minFaceScore = 10

// searchAngles are the in-plane rotations searched, in degrees: upright, then a tilt either
// way, so a tilted head is found (and reported as tilted) rather than missed.
var searchAngles = []float64{0, -20, 20}

// Find returns the faces in g, most confident first. It searches upright first and turned
// only when nothing upright is found (each turned pass costs as much again), on a half-size
// copy of stills 600 px or more on the short side. Preview frames (640×480) are searched at
// full size first, then halved: halved only, the simulated camera's face was found in 37 of
// 60 frames, at full size in 50, and the misses cost more than the bigger search (45 against
// 33 ms a frame).
//
// A second, upright search looks for large faces only (half the short side and up) on the
// picture padded by a sixth of its short side, the edge pixels carried outward: a face larger
// than the picture (too close, or a tight crop) is then found at its own size and judged too
// large, where the cascade, which only tries windows inside the picture, misses it or finds a
// wrong part of it. It does not replace the main search: padding moves the grid of windows
// the cascade tries, and a face near the cascade's threshold (the simulated camera's drawn
// face scores 10-35) can fall between the windows of one grid and not the other.
func (ff *FaceFinder) Find(g *image.Gray) []Face {
	b := g.Bounds()
	full := g
	if g.Stride != b.Dx() || b.Min != (image.Point{}) {
		full = image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(full, full.Bounds(), g, b.Min, draw.Src)
	}
	short := min(b.Dx(), b.Dy())
	pad := short / 6 &^ 1 // even, so the half-size copy's border is whole pixels
	padded := ff.smooth.get(b.Dx()+2*pad, b.Dy()+2*pad)
	defer ff.smooth.put(padded)
	padSmoothInto(padded, full, pad)
	type pass struct {
		img    searchView
		factor int
		deg    float64
	}
	primary := pass{inner(padded, pad), 1, 0}
	big := pass{inner(padded, 0), 1, 0}
	var half *image.Gray
	if short >= 400 {
		half = ff.halves.get(padded.Rect.Dx()/2, padded.Rect.Dy()/2)
		defer ff.halves.put(half)
		halveInto(half, padded)
	}
	if short >= 600 {
		primary = pass{inner(half, pad/2), 2, 0}
		big = pass{inner(half, 0), 2, 0}
	}
	passes := []pass{primary}
	switch {
	case half != nil && primary.factor == 1:
		// A face the full-size search misses is sometimes found at half size (the simulated
		// camera's cropped portrait was), at a quarter of the cost of a turned search.
		passes = append(passes, pass{inner(half, pad/2), 2, 0})
	case primary.factor == 2:
		// And the other way round for stills: the full-size grid of windows is finer, and a
		// still is checked once, not 12 times a second (at half size only, the simulated
		// camera's drawn face was missed in 5 of 58 stills).
		passes = append(passes, pass{inner(padded, pad), 1, 0})
	}
	for _, deg := range searchAngles[1:] {
		passes = append(passes, pass{primary.img, primary.factor, deg})
	}
	var faces []Face
	for _, p := range passes {
		faces = ff.detect(p.img, p.factor, p.deg, max(24, short/6)/p.factor, short/p.factor)
		if len(faces) > 0 {
			break
		}
	}
	for _, f := range ff.detect(big.img, big.factor, 0, short/2/big.factor, (short+2*pad)/big.factor) {
		// Only a face reaching past the picture is what this search is for: one inside it is
		// the main search's to find, and a weak window inside it that only this grid happens
		// to hit is no more a face for this search than for that one.
		if f.Centre = f.Centre.Sub(image.Pt(pad, pad)); !f.Box().In(full.Rect) {
			faces = append(faces, f)
		}
	}
	faces = mergeOverlapping(faces)
	scale := padded
	if primary.factor == 2 {
		scale = half
	}
	faces = slices.DeleteFunc(faces, func(f Face) bool { return ff.upsideDown(scale, primary.factor, pad, f) })
	for i := range faces {
		ff.findEyes(&faces[i], full)
		ff.findMarks(&faces[i], full)
	}
	return faces
}

// upsideDown tells whether the cascade scores the face more than twice as high turned half a
// turn as found. The smoothing that lets the search find faces in grainy pictures also lets it
// find an upside-down face, weakly: pigo's sample photo turned over scored 17 upright, with its
// nostrils taken for eyes, and passed every check but the chin's margin; turned back, the same
// window scores 346. An upright face can score about as high either way when the cascade is
// unsure of it (f24, a face larger than its picture: 45 as found, 46 turned over), so only a
// clear lead counts. The search runs on padded (factor times the picture's scale, a border of
// pad picture pixels) around the face, at its size.
func (ff *FaceFinder) upsideDown(padded *image.Gray, factor, pad int, f Face) bool {
	s := f.Size / factor
	c := f.Centre.Add(image.Pt(pad, pad)).Div(factor)
	r := image.Rect(c.X-s*3/4, c.Y-s*3/4, c.X+s*3/4, c.Y+s*3/4).Intersect(padded.Rect)
	if r.Empty() {
		return false
	}
	v := searchView{pix: padded.Pix[padded.PixOffset(r.Min.X, r.Min.Y):], rows: r.Dy(), cols: r.Dx(), dim: padded.Stride}
	for _, t := range ff.detect(v, 1, 180-f.Angle, s*4/5, s*5/4) {
		if t.Score > 2*f.Score {
			return true
		}
	}
	return false
}

// searchView is the part of a grey picture a search runs on, without copying: the picture
// less a border of the same width on every side.
type searchView struct {
	pix             []uint8
	rows, cols, dim int
}

func inner(g *image.Gray, border int) searchView {
	return searchView{pix: g.Pix[border*g.Stride+border:], rows: g.Rect.Dy() - 2*border, cols: g.Rect.Dx() - 2*border, dim: g.Stride}
}

// detect runs the face cascade on v turned deg degrees for faces minSize to maxSize pixels;
// factor scales the hits back to the frame.
func (ff *FaceFinder) detect(v searchView, factor int, deg float64, minSize, maxSize int) []Face {
	rows, cols := v.rows, v.cols
	if rows < 24 || cols < 24 {
		return nil
	}
	cascade := pigo.CascadeParams{MinSize: max(24, minSize), MaxSize: min(maxSize, rows, cols), ShiftFactor: 0.1, ScaleFactor: 1.1,
		ImageParams: pigo.ImageParams{Pixels: v.pix, Rows: rows, Cols: cols, Dim: v.dim}}
	a := deg / 360
	if a < 0 {
		a += 1 // pigo takes the angle as a fraction of a full turn, 0..1
	}
	var faces []Face
	for _, d := range ff.face.ClusterDetections(ff.face.RunCascade(cascade, a), 0.2) {
		if d.Q < minFaceScore {
			continue
		}
		// pigo turns the other way round from image coordinates (y down).
		faces = append(faces, Face{Centre: image.Pt(d.Col*factor, d.Row*factor), Size: d.Scale * factor, Score: d.Q, Angle: -deg})
	}
	return faces
}

// padSmoothInto writes g into out with a border of pad pixels on every side (each border pixel
// the nearest of g's), blurred by the binomial kernel [1 2 1]/4 across and down (a Gaussian of
// σ ≈ 0.7 px). The cascades compare pairs of single pixels, so pixel noise (a sensor's grain,
// dithering, a halftone screen, JPEG blocks) flips their comparisons: on small dithered
// photographs a face scored 3 to 46 unsmoothed, 40 to 250 smoothed, while a face's own
// structure is far coarser than the kernel.
func padSmoothInto(out, g *image.Gray, pad int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	ow, oh := w+2*pad, h+2*pad
	xs := make([]int, ow+2) // source column of each output column, one either side
	for x := range xs {
		xs[x] = min(max(x-1-pad, 0), w-1)
	}
	line := func(y int) []uint8 { return g.Pix[min(max(y-pad, 0), h-1)*g.Stride:] }
	row := make([]uint16, ow+2)
	for y := range oh {
		up, mid, dn := line(y-1), line(y), line(y+1)
		for x, sx := range xs {
			row[x] = uint16(up[sx]) + 2*uint16(mid[sx]) + uint16(dn[sx])
		}
		o := out.Pix[y*out.Stride : y*out.Stride+ow]
		for x := range o {
			o[x] = uint8((row[x] + 2*row[x+1] + row[x+2] + 8) / 16)
		}
	}
}

// halve averages 2×2 blocks.
func halve(g *image.Gray) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, g.Bounds().Dx()/2, g.Bounds().Dy()/2))
	halveInto(out, g)
	return out
}

// halveInto writes g's 2×2 averages into out, which is half g's size.
func halveInto(out, g *image.Gray) {
	w, h := out.Rect.Dx(), out.Rect.Dy()
	for y := range h {
		r0, r1 := g.Pix[2*y*g.Stride:], g.Pix[(2*y+1)*g.Stride:]
		o := out.Pix[y*out.Stride:]
		for x := range w {
			o[x] = uint8((int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1]) + 2) / 4)
		}
	}
}

// mergeOverlapping keeps, of faces found at several angles at one place, the best one.
func mergeOverlapping(faces []Face) []Face {
	sort.Slice(faces, func(i, j int) bool { return faces[i].Score > faces[j].Score })
	var out []Face
	for _, f := range faces {
		dup := false
		for _, o := range out {
			if overlap(f.Box(), o.Box()) > 0.3 {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}

func overlap(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	ia := float64(in.Dx() * in.Dy())
	return ia / (float64(a.Dx()*a.Dy()) + float64(b.Dx()*b.Dy()) - ia)
}

// findEyes runs the pupil localiser from where eyes sit in a face of that size, turned by
// the angle the face was found at. The localiser itself runs upright: on the sample turned
// 6-20°, pigo's rotated mode put pupils 30 px off, the upright one within a few pixels.
func (ff *FaceFinder) findEyes(f *Face, g *image.Gray) {
	s := float64(f.Size)
	rad := f.Angle * math.Pi / 180
	var eyes [2]image.Point
	for i, dx := range []float64{-0.175, 0.185} {
		ox, oy := dx*s, -0.075*s
		x := float64(f.Centre.X) + ox*math.Cos(rad) - oy*math.Sin(rad)
		y := float64(f.Centre.Y) + ox*math.Sin(rad) + oy*math.Cos(rad)
		p := ff.pupils.locate(g, y, x, 0.25*s, false)
		if p.X <= 0 || p.Y <= 0 || !p.In(g.Rect) {
			return
		}
		eyes[i] = p
	}
	f.LeftEye, f.RightEye, f.Eyes = eyes[0], eyes[1], true
}

// Gray converts any image to 8-bit luminance (BT.601), the input of Find and the checks.
func Gray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	grayInto(g, img)
	return g
}

// grayInto writes img's luma into g, which has img's size at the origin.
func grayInto(g *image.Gray, img image.Image) {
	b := img.Bounds()
	if rgba, ok := img.(*image.RGBA); ok {
		for y := 0; y < b.Dy(); y++ {
			row := rgba.Pix[rgba.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.Pix[y*g.Stride:]
			for x := 0; x < b.Dx(); x++ {
				r, gg, bb := int(row[4*x]), int(row[4*x+1]), int(row[4*x+2])
				out[x] = uint8((299*r + 587*gg + 114*bb) / 1000)
			}
		}
		return
	}
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
}
