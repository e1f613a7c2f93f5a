package camera

import (
	"context"
	"fmt"
	"image"
	"slices"
	"sync"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/plug"
)

// Switch implements enroll.Camera over whichever camera is plugged in, following
// /dev/video* as cameras come and go. Like the reader's switch (package plug), a station
// that has seen a real camera never falls back to the simulated one.
type Switch struct {
	mu       sync.Mutex
	open     func(path string) (enroll.Camera, error)
	slot     plug.Slot[enroll.Camera]
	realPath string
	// failed remembers nodes that would not open (a camera's metadata node, one busy in
	// another program) so they are tried again only when the list of nodes changes or
	// retryFailed has passed.
	failed   []string
	failedAt time.Time
	// OnChange is called (from the watcher's goroutine) after the state changed.
	OnChange func(plug.State, enroll.DeviceInfo)
}

// retryFailed is how often nodes that would not open are tried again with no change on the
// bus: a camera another program held may have been let go.
const retryFailed = 10 * time.Second

// NewSwitch makes a switch that opens cameras with open and uses sim while none has been seen.
func NewSwitch(sim enroll.Camera, open func(path string) (enroll.Camera, error)) *Switch {
	return &Switch{slot: plug.NewSlot(sim), open: open}
}

// OpenV4L2 opens a V4L2 camera as an enroll.Camera (the open function the station uses).
func OpenV4L2(path string) (enroll.Camera, error) {
	c, err := Open(path)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// State reports the current state and the camera it concerns.
func (s *Switch) State() (plug.State, enroll.DeviceInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slot.State()
}

// Update takes the camera nodes now present (from Paths). The camera in use stays until its
// node goes; without one, the nodes are tried in order and the first that opens is used.
// It returns the errors of nodes that would not open, for the log.
func (s *Switch) Update(paths []string) []error {
	s.mu.Lock()
	before, _ := s.slot.State()
	var errs []error
	var gone enroll.Camera
	if s.slot.Plugged() && !slices.Contains(paths, s.realPath) {
		gone, s.realPath = s.slot.Unplug(), ""
	}
	if !s.slot.Plugged() && (!slices.Equal(paths, s.failed) || time.Since(s.failedAt) >= retryFailed) {
		s.failed = nil
		for _, p := range paths {
			cam, err := s.open(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			s.slot.Plug(cam)
			s.realPath = p
			break
		}
		if !s.slot.Plugged() {
			s.failed, s.failedAt = slices.Clone(paths), time.Now()
		}
	}
	after, info := s.slot.State()
	notify := s.OnChange
	s.mu.Unlock()
	if gone != nil {
		gone.Close() // its stream has ended with ErrDeviceGone; closing waits for that
	}
	if after != before && notify != nil {
		notify(after, info)
	}
	return errs
}

// current is the camera to use, or an error saying the real one is unplugged.
func (s *Switch) current() (enroll.Camera, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cam, ok := s.slot.Current(); ok {
		return cam, nil
	}
	return nil, fmt.Errorf("camera %s: %w", s.slot.LastName(), enroll.ErrDeviceGone)
}

// Unplugged reports whether the real camera has gone away (the screens say "reconnect it").
func (s *Switch) Unplugged() bool {
	st, _ := s.State()
	return st == plug.Unplugged
}

// Info describes the current camera.
func (s *Switch) Info() enroll.DeviceInfo {
	_, info := s.State()
	return info
}

// Stream starts the current camera's preview.
func (s *Switch) Stream(ctx context.Context) (<-chan enroll.Frame, error) {
	cam, err := s.current()
	if err != nil {
		return nil, err
	}
	return cam.Stream(ctx)
}

// Still takes a still from the current camera.
func (s *Switch) Still(ctx context.Context) (*image.RGBA, error) {
	cam, err := s.current()
	if err != nil {
		return nil, err
	}
	return cam.Still(ctx)
}

// Close closes the cameras.
func (s *Switch) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slot.Close()
}

// Watch lists the camera nodes every interval and passes them to update, until ctx ends.
// V4L2 has no hotplug notice short of udev; a glob of /dev/video* a second costs nothing.
func Watch(ctx context.Context, interval time.Duration, update func([]string)) {
	for ctx.Err() == nil {
		if paths, err := Paths(); err == nil {
			update(paths)
		}
		time.Sleep(interval) // a sleep, not a timer channel: those fire late on some VMs
	}
}
