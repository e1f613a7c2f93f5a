package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/vladimirvivien/go4vl/device"
	"github.com/vladimirvivien/go4vl/v4l2"
	"golang.org/x/sys/unix"

	"github.com/wardpolice/enroll"
)

// Mode is a pixel format and frame size a camera offers.
type Mode struct {
	Format        v4l2.FourCCType
	Width, Height int
}

func (m Mode) String() string {
	return fmt.Sprintf("%s %dx%d", v4l2.PixelFormats[m.Format], m.Width, m.Height)
}

// ChooseMode picks the streaming mode: 640×480 YUYV first, then 640×480 Motion-JPEG, then
// 1280×720 (halved for the preview). On the 2-core reference machine a YUYV 640×480 frame
// decodes in 6 ms and a 1280×720 Motion-JPEG one in about 60 ms (BenchmarkDecode*), which
// would hold the preview under 25 frames per second.
func ChooseMode(offered []Mode) (Mode, error) {
	prefs := []Mode{
		{v4l2.PixelFmtYUYV, 640, 480}, {v4l2.PixelFmtMJPEG, 640, 480}, {v4l2.PixelFmtMJPEG, 1280, 720},
		{v4l2.PixelFmtYUYV, 1280, 720},
	}
	for _, p := range prefs {
		for _, o := range offered {
			if o == p {
				return p, nil
			}
		}
	}
	return Mode{}, fmt.Errorf("no usable mode among %v (need 640x480 or 1280x720, YUYV or Motion-JPEG)", offered)
}

// Paths lists the video capture devices (/dev/video*) present.
func Paths() ([]string, error) {
	all, err := device.GetAllDevicePaths()
	if err != nil {
		return nil, fmt.Errorf("list cameras: %w", err)
	}
	return all, nil
}

// Camera is one opened V4L2 camera. It satisfies enroll.Camera.
type Camera struct {
	path, name string
	fd         uintptr
	mode       Mode
	stride     int
	bufs       [][]byte

	mu        sync.Mutex
	streaming bool
	latest    image.Image  // newest full-resolution frame (as decoded), copied for Still
	hold      enroll.Frame // keeps latest from being drawn over
	done      chan struct{}
	err       error // why the stream ended
}

// Open opens the camera at path, picks its mode and sets it.
func Open(path string) (*Camera, error) {
	fd, err := v4l2.OpenDevice(path, unix.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, mapError(path, fmt.Errorf("open camera %s: %w", path, err))
	}
	c := &Camera{path: path, fd: fd}
	fail := func(err error) (*Camera, error) {
		v4l2.CloseDevice(fd)
		return nil, mapError(path, err)
	}
	caps, err := v4l2.GetCapability(fd)
	if err != nil {
		return fail(fmt.Errorf("camera %s: capabilities: %w", path, err))
	}
	if !caps.IsVideoCaptureSupported() || !caps.IsStreamingSupported() {
		return fail(fmt.Errorf("camera %s: %s cannot stream video", path, caps.Card))
	}
	c.name = caps.Card
	var offered []Mode
	descs, err := v4l2.GetAllFormatDescriptions(fd)
	if err != nil {
		return fail(fmt.Errorf("camera %s: formats: %w", path, err))
	}
	for _, d := range descs {
		sizes, err := v4l2.GetFormatFrameSizes(fd, d.PixelFormat)
		if err != nil {
			continue
		}
		for _, s := range sizes {
			offered = append(offered, Mode{d.PixelFormat, int(s.Size.MaxWidth), int(s.Size.MaxHeight)})
			if s.Size.MinWidth != s.Size.MaxWidth { // stepwise: the common sizes within range
				for _, wh := range [][2]uint32{{640, 480}, {1280, 720}} {
					if wh[0] >= s.Size.MinWidth && wh[0] <= s.Size.MaxWidth && wh[1] >= s.Size.MinHeight && wh[1] <= s.Size.MaxHeight {
						offered = append(offered, Mode{d.PixelFormat, int(wh[0]), int(wh[1])})
					}
				}
			}
		}
	}
	c.mode, err = ChooseMode(offered)
	if err != nil {
		return fail(fmt.Errorf("camera %s: %w", path, err))
	}
	if err := v4l2.SetPixFormat(fd, v4l2.PixFormat{Width: uint32(c.mode.Width), Height: uint32(c.mode.Height),
		PixelFormat: c.mode.Format, Field: v4l2.FieldNone}); err != nil {
		return fail(fmt.Errorf("camera %s: set %s: %w", path, c.mode, err))
	}
	got, err := v4l2.GetPixFormat(fd)
	if err != nil {
		return fail(fmt.Errorf("camera %s: read back the mode: %w", path, err))
	}
	if int(got.Width) != c.mode.Width || int(got.Height) != c.mode.Height || got.PixelFormat != c.mode.Format {
		return fail(fmt.Errorf("camera %s: asked for %s, the driver set %dx%d", path, c.mode, got.Width, got.Height))
	}
	c.stride = int(got.BytesPerLine)
	if c.stride == 0 {
		c.stride = 2 * c.mode.Width
	}
	return c, nil
}

// mapError turns what the kernel said into the errors the screens explain.
func mapError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%w: %w", enroll.ErrNoPermission, err)
	case errors.Is(err, syscall.EBUSY):
		return fmt.Errorf("%w: %w", enroll.ErrDeviceBusy, err)
	case errors.Is(err, syscall.ENODEV) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, v4l2.ErrorSystem) && gone(path):
		return fmt.Errorf("%w: %w", enroll.ErrDeviceGone, err)
	}
	return err
}

// gone tells whether the device node has disappeared (the camera was unplugged): go4vl reports
// ENODEV only as a "system error".
func gone(path string) bool {
	_, err := os.Stat(path)
	return err != nil
}

// Info describes the camera for the screens.
func (c *Camera) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: c.name, Driver: "v4l2 " + c.mode.String()}
}

// The device side of go4vl's buffer helpers (v4l2.StreamingDevice).
func (c *Camera) Name() string                { return c.path }
func (c *Camera) Fd() uintptr                 { return c.fd }
func (c *Camera) Capability() v4l2.Capability { caps, _ := v4l2.GetCapability(c.fd); return caps }
func (c *Camera) MemIOType() v4l2.IOType      { return v4l2.IOTypeMMAP }
func (c *Camera) GetOutput() <-chan []byte    { return nil }
func (c *Camera) SetInput(<-chan []byte)      {}
func (c *Camera) Buffers() [][]byte           { return c.bufs }
func (c *Camera) BufferType() v4l2.BufType    { return v4l2.BufTypeVideoCapture }
func (c *Camera) BufferCount() uint32         { return 4 }
func (c *Camera) Stop() error                 { return nil }

// Start is go4vl's way to stream; the station uses Stream, which hands out the frames.
func (c *Camera) Start(context.Context) error {
	return fmt.Errorf("camera %s: start the stream with Stream", c.path)
}

// Stream starts the camera and sends decoded preview frames. The channel holds one frame: a
// frame the screen has not taken yet is replaced by the newer one, so the picture is never
// late. The stream ends when ctx is cancelled or the camera fails (Err says why).
func (c *Camera) Stream(ctx context.Context) (<-chan enroll.Frame, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.streaming {
		return nil, fmt.Errorf("camera %s: %w: already streaming", c.path, enroll.ErrDeviceBusy)
	}
	if _, err := v4l2.InitBuffers(c); err != nil {
		return nil, mapError(c.path, fmt.Errorf("camera %s: buffers: %w", c.path, err))
	}
	bufs, err := v4l2.MapMemoryBuffers(c)
	if err != nil {
		return nil, mapError(c.path, fmt.Errorf("camera %s: map buffers: %w", c.path, err))
	}
	c.bufs = bufs
	for i := range c.bufs {
		if _, err := v4l2.QueueBuffer(c.fd, v4l2.IOTypeMMAP, v4l2.BufTypeVideoCapture, uint32(i)); err != nil {
			c.release()
			return nil, mapError(c.path, fmt.Errorf("camera %s: queue buffer: %w", c.path, err))
		}
	}
	if err := v4l2.StreamOn(c); err != nil {
		c.release()
		return nil, mapError(c.path, fmt.Errorf("camera %s: start: %w", c.path, err))
	}
	c.streaming, c.err, c.done = true, nil, make(chan struct{})
	out := make(chan enroll.Frame, 1)
	go c.loop(ctx, out, c.done)
	return out, nil
}

// loop waits for filled buffers, decodes them and gives them back to the driver at once.
func (c *Camera) loop(ctx context.Context, out chan enroll.Frame, done chan struct{}) {
	defer close(done)
	defer close(out)
	var seq uint64
	fr := newFramer(c.mode, c.stride)
	fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN}}
	for ctx.Err() == nil {
		n, err := unix.Poll(fds, 200)
		if errors.Is(err, unix.EINTR) || err == nil && n == 0 {
			continue // nothing yet; look at ctx again
		}
		if err == nil && fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
			err = fmt.Errorf("poll: events %#x", fds[0].Revents)
		}
		var buf v4l2.Buffer
		if err == nil {
			buf, err = v4l2.DequeueBuffer(c.fd, v4l2.IOTypeMMAP, v4l2.BufTypeVideoCapture)
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, v4l2.ErrorTemporary) {
				continue
			}
		}
		if err != nil {
			c.stopWith(mapError(c.path, fmt.Errorf("camera %s: %w", c.path, err)))
			return
		}
		var shown, hold enroll.Frame
		var full image.Image
		if buf.Flags&v4l2.BufFlagError == 0 {
			shown, full, hold, err = fr.decode(c.bufs[buf.Index][:buf.BytesUsed])
		}
		if _, qerr := v4l2.QueueBuffer(c.fd, v4l2.IOTypeMMAP, v4l2.BufTypeVideoCapture, buf.Index); qerr != nil {
			shown.Release()
			hold.Release()
			c.stopWith(mapError(c.path, fmt.Errorf("camera %s: requeue: %w", c.path, qerr)))
			return
		}
		if full == nil || err != nil {
			continue // a damaged frame: skip it, the next one comes in 33 ms
		}
		c.mu.Lock()
		c.hold.Release()
		c.latest, c.hold = full, hold
		c.mu.Unlock()
		seq++
		shown.Seq, shown.At = seq, time.Now()
		select { // replace a frame nobody took yet
		case stale := <-out:
			stale.Release()
		default:
		}
		out <- shown
	}
	c.stopWith(nil)
}

func (c *Camera) stopWith(err error) {
	v4l2.StreamOff(c)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.release()
	c.hold.Release()
	c.streaming, c.err, c.latest, c.hold = false, err, nil, enroll.Frame{}
}

// release unmaps and frees the buffers (c.mu held).
func (c *Camera) release() {
	if c.bufs != nil {
		v4l2.UnmapMemoryBuffers(c)
		c.bufs = nil
	}
	v4l2.ResetBuffers(c)
}

// Err says why the last stream ended; nil when it was stopped on purpose.
func (c *Camera) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Still returns the newest full-resolution frame of the running preview; without one it runs
// the camera briefly and keeps the fifth frame, after auto-exposure has settled.
func (c *Camera) Still(ctx context.Context) (*image.RGBA, error) {
	c.mu.Lock()
	if c.streaming && c.latest != nil {
		defer c.mu.Unlock()
		return stillCopy(c.latest), nil
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	frames, err := c.Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		cancel()
		for f := range frames {
			f.Release()
		}
	}()
	for n := 0; ; {
		f, ok := <-frames
		f.Release()
		if !ok {
			if err := c.Err(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("camera %s: %w", c.path, enroll.ErrCaptureTimeout)
		}
		if n++; n == 5 {
			c.mu.Lock()
			defer c.mu.Unlock()
			return stillCopy(c.latest), nil
		}
	}
}

// Close stops streaming and closes the device.
func (c *Camera) Close() error {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
	return v4l2.CloseDevice(c.fd)
}
