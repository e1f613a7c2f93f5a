package minutiae

import (
	"image"
	"math"
)

// workPPI is the resolution every step is tuned for; images at other resolutions are resampled
// to it so that ridge periods, filter sizes and distances mean the same everywhere.
const workPPI = 500

// raster is a grey image as float32 at the working resolution.
type raster struct {
	w, h int
	v    []float32
}

func (r raster) at(x, y int) float32 { return r.v[y*r.w+x] }

// bilinear samples r at a fractional position, clamped to the image.
func (r raster) bilinear(x, y float64) float32 {
	x = math.Max(0, math.Min(float64(r.w-1), x))
	y = math.Max(0, math.Min(float64(r.h-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, r.w-1), min(y0+1, r.h-1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	top := r.v[y0*r.w+x0]*(1-fx) + r.v[y0*r.w+x1]*fx
	bot := r.v[y1*r.w+x0]*(1-fx) + r.v[y1*r.w+x1]*fx
	return top*(1-fy) + bot*fy
}

// rasterAt converts img to a raster scaled by scale (working pixels per input pixel),
// resampling bilinearly when scale is not 1.
func rasterAt(img *image.Gray, scale float64) raster {
	b := img.Bounds()
	iw, ih := b.Dx(), b.Dy()
	src := raster{w: iw, h: ih, v: make([]float32, iw*ih)}
	for y := 0; y < ih; y++ {
		row := img.Pix[(y)*img.Stride : y*img.Stride+iw]
		for x, p := range row {
			src.v[y*iw+x] = float32(p)
		}
	}
	if scale == 1 {
		return src
	}
	w, h := int(math.Round(float64(iw)*scale)), int(math.Round(float64(ih)*scale))
	out := raster{w: w, h: h, v: make([]float32, w*h)}
	for y := 0; y < h; y++ {
		sy := (float64(y)+0.5)/scale - 0.5
		for x := 0; x < w; x++ {
			out.v[y*w+x] = src.bilinear((float64(x)+0.5)/scale-0.5, sy)
		}
	}
	return out
}

// gaussianBlur smooths with a separable Gaussian of the given sigma.
func gaussianBlur(r raster, sigma float64) raster {
	k := gaussianTaps(sigma, int(math.Ceil(2.5*sigma)))
	rad := len(k) / 2
	tmp := make([]float32, len(r.v))
	out := raster{w: r.w, h: r.h, v: make([]float32, len(r.v))}
	for y := 0; y < r.h; y++ {
		row := r.v[y*r.w : (y+1)*r.w]
		for x := 0; x < r.w; x++ {
			var s float32
			for i, wt := range k {
				xx := min(max(x+i-rad, 0), r.w-1)
				s += wt * row[xx]
			}
			tmp[y*r.w+x] = s
		}
	}
	for y := 0; y < r.h; y++ {
		for x := 0; x < r.w; x++ {
			var s float32
			for i, wt := range k {
				yy := min(max(y+i-rad, 0), r.h-1)
				s += wt * tmp[yy*r.w+x]
			}
			out.v[y*r.w+x] = s
		}
	}
	return out
}

// gaussianTaps is a normalised Gaussian kernel of 2·radius+1 taps.
func gaussianTaps(sigma float64, radius int) []float32 {
	k := make([]float32, 2*radius+1)
	var sum float64
	for i := range k {
		d := float64(i - radius)
		v := math.Exp(-d * d / (2 * sigma * sigma))
		k[i] = float32(v)
		sum += v
	}
	for i := range k {
		k[i] = float32(float64(k[i]) / sum)
	}
	return k
}

// integral is a summed-area table: s[(y)*(w+1)+x] is the sum over [0,x)×[0,y).
type integral struct {
	w, h int
	s    []float64
}

func integralOf(w, h int, value func(i int) float64) integral {
	t := integral{w: w, h: h, s: make([]float64, (w+1)*(h+1))}
	for y := 0; y < h; y++ {
		var row float64
		for x := 0; x < w; x++ {
			row += value(y*w + x)
			t.s[(y+1)*(w+1)+x+1] = t.s[y*(w+1)+x+1] + row
		}
	}
	return t
}

// sum over the window [x0,x1)×[y0,y1), clipped to the image; it returns the pixel count too.
func (t integral) sum(x0, y0, x1, y1 int) (float64, int) {
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, t.w), min(y1, t.h)
	if x1 <= x0 || y1 <= y0 {
		return 0, 0
	}
	W := t.w + 1
	return t.s[y1*W+x1] - t.s[y0*W+x1] - t.s[y1*W+x0] + t.s[y0*W+x0], (x1 - x0) * (y1 - y0)
}
