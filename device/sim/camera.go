package sim

import (
	"context"
	"image"
	"image/color"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardpolice/enroll"
)

// Preview size and rate of the simulated camera: a typical webcam's VGA mode.
const (
	PreviewWidth  = 640
	PreviewHeight = 480
	previewFPS    = 30 // UVC webcams' usual rate in VGA modes
)

// Camera is a simulated webcam showing a drawn, gently moving, blinking face in front of a
// plain background: what a well-set-up enrollment counter looks like.
type Camera struct {
	start       time.Time
	now         func() time.Time
	once        sync.Once
	background  *image.RGBA
	open        *image.RGBA // face sprites, eyes open and closed; alpha marks the face
	closed      *image.RGBA
	pool        *enroll.FramePool
	stillOnce   sync.Once
	stillSprite *image.RGBA
	// ticks paces the stream when set (tests); otherwise the stream sleeps to each frame's
	// deadline. Sleeping, not a time.Ticker: on some virtual machines channel timers fire
	// hundreds of milliseconds late, which made a 25 fps preview stutter at 3 fps.
	ticks <-chan struct{}
	// streams counts the streams running (tests check that nothing streams behind a lock).
	streams atomic.Int32
}

// NewCamera makes a simulated camera; now drives the motion (time.Now when nil).
func NewCamera(now func() time.Time) *Camera {
	if now == nil {
		now = time.Now
	}
	return &Camera{now: now, start: now()}
}

func (c *Camera) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: "Simulated camera", Driver: "sim", Serial: "SIM-CAM-0001", Simulated: true}
}

func (c *Camera) Close() error { return nil }

// NewPacedCamera makes a simulated camera that sends a frame for each value received from
// ticks instead of 30 a second: tests and benchmarks drive the stream without timers.
func NewPacedCamera(now func() time.Time, ticks <-chan struct{}) *Camera {
	c := NewCamera(now)
	c.ticks = ticks
	return c
}

// prepare renders the sprites once; drawing a face per frame would cost a core by itself.
func (c *Camera) prepare() {
	c.once.Do(func() {
		sc := sharedScene()
		c.background, c.open, c.closed = sc.background, sc.open, sc.closed
		c.pool = enroll.NewFramePool(c.background.Rect)
	})
}

// scene is what every simulated camera draws its frames from. It never changes once drawn,
// so one copy serves every camera of the process (a test binary makes dozens): 2.8 MB.
type scene struct {
	background, open, closed *image.RGBA
}

var sharedScene = sync.OnceValue(func() scene {
	bg := image.NewRGBA(image.Rect(0, 0, PreviewWidth, PreviewHeight))
	paintBackground(bg)
	return scene{background: bg, open: faceSprite(1, true), closed: faceSprite(1, false)}
})

// Frame renders the scene at time t into a new picture (tests and benchmarks).
func (c *Camera) Frame(t time.Duration) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, PreviewWidth, PreviewHeight))
	c.render(dst, t)
	return dst
}

// render draws the scene at time t into dst, a preview-sized picture.
func (c *Camera) render(dst *image.RGBA, t time.Duration) {
	c.prepare()
	copy(dst.Pix, c.background.Pix)
	dx, dy, eyesOpen := motion(t)
	sprite := c.open
	if !eyesOpen {
		sprite = c.closed
	}
	sw, sh := sprite.Rect.Dx(), sprite.Rect.Dy()
	ox := PreviewWidth/2 - sw/2 + int(dx)
	oy := PreviewHeight/2 - sh/2 + 30 + int(dy)
	blit(dst, sprite, ox, oy)
}

// motion is the sitter's sway and blinking: a slow side-to-side drift and a blink every 4 s.
func motion(t time.Duration) (dx, dy float64, eyesOpen bool) {
	s := t.Seconds()
	dx = 14 * math.Sin(s*0.7)
	dy = 5 * math.Sin(s*1.3)
	eyesOpen = math.Mod(s, 4) < 3.85 // open at the start, as a sitter facing the camera is
	return
}

// FramesLent is how many of the camera's frames are out with consumers (tests check that a
// stalled screen does not hoard them).
func (c *Camera) FramesLent() int {
	c.prepare()
	return c.pool.Lent()
}

// Streaming is the number of streams running.
func (c *Camera) Streaming() int { return int(c.streams.Load()) }

// Stream sends frames at 30 fps until ctx ends. The channel holds one frame: a consumer that
// falls behind gets the newest frame, never a queue. Frames are lent from the camera's pool;
// the consumer releases them.
func (c *Camera) Stream(ctx context.Context) (<-chan enroll.Frame, error) {
	c.prepare()
	out := make(chan enroll.Frame, 1)
	c.streams.Add(1)
	go func() {
		defer func() {
			// The consumer has gone: the frame it did not take goes back, and with the last
			// stream the pool lets its pictures go.
			select {
			case f := <-out:
				f.Release()
			default:
			}
			close(out)
			if c.streams.Add(-1) == 0 {
				c.pool.Drain()
			}
		}()
		var seq uint64
		next := time.Now()
		for {
			if c.ticks != nil {
				select {
				case <-ctx.Done():
					return
				case <-c.ticks:
				}
			} else {
				// A wake-up later than a whole frame skips the frames missed rather than
				// rendering them back to back only for the channel to drop them.
				next = next.Add(time.Second / previewFPS)
				if late := time.Since(next); late > time.Second/previewFPS {
					next = next.Add(late.Truncate(time.Second / previewFPS))
				}
				time.Sleep(time.Until(next))
				if ctx.Err() != nil {
					return
				}
			}
			now := c.now()
			seq++
			f := c.pool.Lend()
			f.Seq, f.At = seq, now
			c.render(f.Image, now.Sub(c.start))
			select {
			case out <- f:
			default:
				select { // drop the stale frame, keep the new one
				case stale := <-out:
					stale.Release()
				default:
				}
				out <- f
			}
		}
	}()
	return out, nil
}

// Still renders the current scene at twice the preview resolution, as a webcam's still mode.
func (c *Camera) Still(ctx context.Context) (*image.RGBA, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const scale = 2
	dst := image.NewRGBA(image.Rect(0, 0, PreviewWidth*scale, PreviewHeight*scale))
	paintBackground(dst)
	dx, dy, _ := motion(c.now().Sub(c.start))
	c.stillOnce.Do(func() { c.stillSprite = faceSprite(scale, true) }) // about a second to draw
	sprite := c.stillSprite
	sw, sh := sprite.Rect.Dx(), sprite.Rect.Dy()
	blit(dst, sprite, dst.Rect.Dx()/2-sw/2+int(dx*scale), dst.Rect.Dy()/2-sh/2+30*scale+int(dy*scale))
	return dst, nil
}

func paintBackground(img *image.RGBA) {
	h := img.Rect.Dy()
	for y := 0; y < h; y++ {
		shade := uint8(236 - 14*y/h) // soft vertical falloff of the wall's light
		for x := 0; x < img.Rect.Dx(); x++ {
			i := y*img.Stride + 4*x
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = shade-4, shade-1, shade+3, 255
		}
	}
}

func blit(dst, src *image.RGBA, ox, oy int) {
	for y := 0; y < src.Rect.Dy(); y++ {
		dy := oy + y
		if dy < 0 || dy >= dst.Rect.Dy() {
			continue
		}
		for x := 0; x < src.Rect.Dx(); x++ {
			dx := ox + x
			if dx < 0 || dx >= dst.Rect.Dx() {
				continue
			}
			si := y*src.Stride + 4*x
			a := uint32(src.Pix[si+3])
			if a == 0 {
				continue
			}
			di := dy*dst.Stride + 4*dx
			if a == 255 { // most of the sprite: no blending
				copy(dst.Pix[di:di+3], src.Pix[si:si+3])
				continue
			}
			for k := 0; k < 3; k++ {
				dst.Pix[di+k] = uint8((uint32(src.Pix[si+k])*a + uint32(dst.Pix[di+k])*(255-a)) / 255)
			}
		}
	}
}

// faceSprite draws head and shoulders at the given scale. Proportions follow a frontal adult
// face: eyes at mid-height of the head, inter-eye distance about 0.46 of the face width.
func faceSprite(scale float64, eyesOpen bool) *image.RGBA {
	w, h := int(320*scale), int(420*scale)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, 160*scale // head centre
	rx, ry := 78*scale, 102*scale
	skin := color.RGBA{222, 178, 146, 255}
	hair := color.RGBA{28, 24, 24, 255}
	shirt := color.RGBA{70, 105, 160, 255}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			var c color.RGBA
			var alpha float64
			set := func(col color.RGBA, a float64) {
				if a > 0 {
					c = mix(c, col, a)
					alpha = math.Max(alpha, a)
				}
			}
			// Shoulders and shirt.
			set(shirt, coverEllipse(fx, fy, cx, 420*scale, 165*scale, 115*scale))
			// Neck.
			if math.Abs(fx-cx) < 34*scale && fy > cy+60*scale && fy < cy+170*scale {
				set(shade(skin, 0.85), 1)
			}
			// Ears.
			set(shade(skin, 0.9), coverEllipse(fx, fy, cx-rx, cy+5*scale, 12*scale, 24*scale))
			set(shade(skin, 0.9), coverEllipse(fx, fy, cx+rx, cy+5*scale, 12*scale, 24*scale))
			// Face with simple lighting: darker toward the edges.
			if a := coverEllipse(fx, fy, cx, cy, rx, ry); a > 0 {
				nx, ny := (fx-cx)/rx, (fy-cy)/ry
				set(shade(skin, 1-0.25*(nx*nx+ny*ny)), a)
			}
			// Shading a face detector looks for: eye sockets and the shadow under the brows
			// darker than cheeks and the bridge of the nose, shadowed nose sides and chin.
			if a := coverEllipse(fx, fy, cx, cy, rx, ry); a > 0 {
				for _, s := range []float64{-1, 1} {
					set(shade(skin, 0.6), a*0.85*soft(fx, fy, cx+s*34*scale, cy-7*scale, 26*scale, 17*scale))
					set(shade(skin, 0.8), a*0.6*soft(fx, fy, cx+s*11*scale, cy+22*scale, 6*scale, 18*scale))
				}
				set(shade(skin, 1.1), a*0.6*soft(fx, fy, cx, cy-6*scale, 7*scale, 22*scale))
				set(shade(skin, 1.08), a*0.5*soft(fx, fy, cx-40*scale, cy+28*scale, 18*scale, 14*scale))
				set(shade(skin, 1.08), a*0.5*soft(fx, fy, cx+40*scale, cy+28*scale, 18*scale, 14*scale))
				set(shade(skin, 0.72), a*0.6*soft(fx, fy, cx, cy+72*scale, 30*scale, 10*scale))
			}
			// Hair: a cap over the top of the head.
			if fy < cy-40*scale {
				set(hair, coverEllipse(fx, fy, cx, cy-30*scale, rx+6*scale, ry-20*scale))
			}
			// Eyebrows.
			for _, s := range []float64{-1, 1} {
				ex := cx + s*34*scale
				set(hair, coverEllipse(fx, fy, ex, cy-23*scale, 20*scale, 4*scale))
				if eyesOpen {
					set(color.RGBA{245, 245, 242, 255}, coverEllipse(fx, fy, ex, cy-3*scale, 15*scale, 7*scale))
					set(color.RGBA{70, 45, 30, 255}, coverEllipse(fx, fy, ex, cy-3*scale, 6.5*scale, 6.5*scale))
					set(color.RGBA{10, 8, 8, 255}, coverEllipse(fx, fy, ex, cy-3*scale, 3*scale, 3*scale))
					set(color.RGBA{255, 255, 255, 255}, coverEllipse(fx, fy, ex+2*scale, cy-5*scale, 1.2*scale, 1.2*scale))
				} else {
					// A shut eye: the upper lid, skin lit like the cheek as it bulges over
					// the eyeball, its crease above, and the lashes a thin dark line where
					// the lids meet; no white, iris or pupil.
					set(shade(skin, 0.93), coverEllipse(fx, fy, ex, cy-4*scale, 17*scale, 9*scale))
					set(shade(skin, 0.75), 0.7*coverEllipse(fx, fy, ex, cy-11*scale, 14*scale, 1.2*scale))
					set(color.RGBA{45, 34, 30, 255}, coverEllipse(fx, fy, ex, cy+1*scale, 15*scale, 1.2*scale))
				}
			}
			// Nose: a soft shadow and nostrils.
			set(shade(skin, 0.82), coverEllipse(fx, fy, cx+3*scale, cy+18*scale, 5*scale, 20*scale)*0.6)
			set(shade(skin, 0.55), coverEllipse(fx, fy, cx-7*scale, cy+36*scale, 4*scale, 2.5*scale))
			set(shade(skin, 0.55), coverEllipse(fx, fy, cx+7*scale, cy+36*scale, 4*scale, 2.5*scale))
			// Mouth, closed and neutral.
			set(color.RGBA{170, 90, 90, 255}, coverEllipse(fx, fy, cx, cy+58*scale, 22*scale, 4.5*scale))
			c.A = uint8(255 * alpha)
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// soft is a Gaussian blob: 1 at the centre, fading over the radii.
func soft(x, y, cx, cy, rx, ry float64) float64 {
	dx, dy := (x-cx)/rx, (y-cy)/ry
	return math.Exp(-2 * (dx*dx + dy*dy))
}

// coverEllipse is 1 inside the ellipse, 0 outside, with a one-pixel anti-aliased edge.
func coverEllipse(x, y, cx, cy, rx, ry float64) float64 {
	d := math.Hypot((x-cx)/rx, (y-cy)/ry)
	edge := 1 / math.Min(rx, ry)
	return math.Max(0, math.Min(1, (1-d)/edge+0.5))
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(p, q uint8) uint8 { return uint8(float64(p)*(1-t) + float64(q)*t) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

func shade(c color.RGBA, f float64) color.RGBA {
	m := func(v uint8) uint8 { return uint8(math.Max(0, math.Min(255, float64(v)*f))) }
	return color.RGBA{m(c.R), m(c.G), m(c.B), 255}
}
