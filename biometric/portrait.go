package biometric

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"sort"

	"github.com/disintegration/imaging"
)

// Stored portrait size: 3:4, large enough that a frontal face filling the ICAO head height
// (70-80 % of the image) has an inter-eye distance well over 90 px.
const (
	PortraitWidth  = 480
	PortraitHeight = 640
	// PortraitJPEGQuality keeps compression artefacts below what face matching notices while
	// a portrait stays around 50-80 KB.
	PortraitJPEGQuality = 90
)

// CropPortraitCentre cuts the largest centred 3:4 region from a camera still and scales it to
// the stored size. It is the fallback framing when no face position is known.
func CropPortraitCentre(img image.Image) (*image.NRGBA, error) {
	b := img.Bounds()
	if b.Dx() < 60 || b.Dy() < 80 {
		return nil, fmt.Errorf("crop portrait: image %dx%d is too small", b.Dx(), b.Dy())
	}
	w, h := b.Dx(), b.Dy()
	if w*4 > h*3 {
		w = h * 3 / 4
	} else {
		h = w * 4 / 3
	}
	crop := imaging.CropCenter(img, w, h)
	return imaging.Resize(crop, PortraitWidth, PortraitHeight, imaging.Lanczos), nil
}

// EncodePortraitJPEG encodes the crop for storage.
func EncodePortraitJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: PortraitJPEGQuality}); err != nil {
		return nil, fmt.Errorf("encode portrait: %w", err)
	}
	return buf.Bytes(), nil
}

// ICAO-style framing of the stored portrait (ISO/IEC 19794-5 token geometry, adapted): the
// eye line 42 % down from the top and the eyes eyeSpan of the width apart, which puts the
// head (about 3.6 eye distances from chin to crown) at 75 % of the height, the middle of the
// 70-80 % band. The inter-eye distance in the crop is 133 px, well over the 90 px minimum.
const (
	portraitEyeLine = 0.42
	portraitEyeDist = 0.75 * PortraitHeight / 3.6
)

// CropPortraitFace cuts the stored portrait around a detected face: rotated so the eyes are
// level, scaled to the fixed eye distance, eyes on the fixed line. Where the frame ends before
// the crop does, the background colour fills in.
func CropPortraitFace(img image.Image, f Face) (*image.NRGBA, error) {
	left, right := f.LeftEye, f.RightEye
	if !f.Eyes {
		// Where the eyes sit in pigo's face box when the localiser found none.
		s := float64(f.Size)
		left = image.Pt(f.Centre.X-int(0.18*s), f.Centre.Y-int(0.075*s))
		right = image.Pt(f.Centre.X+int(0.18*s), f.Centre.Y-int(0.075*s))
	}
	dx, dy := float64(right.X-left.X), float64(right.Y-left.Y)
	dist := math.Hypot(dx, dy)
	if dist < 8 {
		return nil, fmt.Errorf("crop portrait: eyes %v and %v are too close to frame a face", left, right)
	}
	bg := backgroundColour(img)
	scale := dist / portraitEyeDist // source pixels per output pixel
	cos, sin := dx/dist, dy/dist
	mx, my := float64(left.X+right.X)/2, float64(left.Y+right.Y)/2
	at := func(u, v float64) (float64, float64) {
		// Output offsets from where the eye midpoint goes, turned by the eye line's angle.
		ox := (u - PortraitWidth/2) * scale
		oy := (v - portraitEyeLine*PortraitHeight) * scale
		return mx + ox*cos - oy*sin, my + ox*sin + oy*cos
	}
	// Only the part of the picture the crop samples is copied (a camera's still is 5 MB and
	// more as NRGBA): the source box of the crop's four corners, a pixel wider.
	var box image.Rectangle
	for i, c := range [4][2]float64{{0, 0}, {PortraitWidth, 0}, {0, PortraitHeight}, {PortraitWidth, PortraitHeight}} {
		x, y := at(c[0], c[1])
		r := image.Rect(int(math.Floor(x))-2, int(math.Floor(y))-2, int(math.Ceil(x))+2, int(math.Ceil(y))+2)
		if i == 0 {
			box = r
		} else {
			box = box.Union(r)
		}
	}
	b := img.Bounds()
	box = box.Add(b.Min).Intersect(b)
	src := imaging.Crop(img, box) // NRGBA, origin at 0,0 = box.Min - b.Min in the picture
	off := box.Min.Sub(b.Min)
	out := image.NewNRGBA(image.Rect(0, 0, PortraitWidth, PortraitHeight))
	for v := 0; v < PortraitHeight; v++ {
		for u := 0; u < PortraitWidth; u++ {
			x, y := at(float64(u)+0.5, float64(v)+0.5)
			px := bilinear(src, x-0.5-float64(off.X), y-0.5-float64(off.Y), bg)
			copy(out.Pix[out.PixOffset(u, v):], px[:])
		}
	}
	return out, nil
}

// bilinear samples src at (x, y), bg outside it.
func bilinear(src *image.NRGBA, x, y float64, bg [4]uint8) [4]uint8 {
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	b := src.Bounds()
	var acc [4]float64
	for _, p := range [4]struct {
		x, y int
		w    float64
	}{{x0, y0, (1 - fx) * (1 - fy)}, {x0 + 1, y0, fx * (1 - fy)}, {x0, y0 + 1, (1 - fx) * fy}, {x0 + 1, y0 + 1, fx * fy}} {
		px := bg[:]
		if (image.Point{p.x, p.y}).In(b) {
			i := src.PixOffset(p.x, p.y)
			px = src.Pix[i : i+4]
		}
		for c := range acc {
			acc[c] += p.w * float64(px[c])
		}
	}
	return [4]uint8{uint8(acc[0] + 0.5), uint8(acc[1] + 0.5), uint8(acc[2] + 0.5), 255}
}

// backgroundColour is the median colour of the frame's two top corners, where the wall behind
// the citizen shows.
func backgroundColour(img image.Image) [4]uint8 {
	b := img.Bounds()
	n := max(4, min(b.Dx(), b.Dy())/10)
	var ch [3][]int
	for _, x0 := range []int{b.Min.X, b.Max.X - n} {
		corner := imaging.Crop(img, image.Rect(x0, b.Min.Y, x0+n, b.Min.Y+n))
		for i := 0; i+3 < len(corner.Pix); i += 4 {
			for c := range ch {
				ch[c] = append(ch[c], int(corner.Pix[i+c]))
			}
		}
	}
	var out [4]uint8
	for c := range ch {
		sort.Ints(ch[c])
		out[c] = uint8(ch[c][len(ch[c])/2])
	}
	out[3] = 255
	return out
}
