package ui

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/camera"
	"github.com/wardpolice/enroll/device/plug"
	"github.com/wardpolice/enroll/device/sim"
)

// usbCamera stands in for a V4L2 camera: the simulated picture, a real camera's name, and a
// stream that ends when the camera is pulled out.
type usbCamera struct {
	*sim.Camera
	name   string
	pulled chan struct{}
}

func (u *usbCamera) Info() enroll.DeviceInfo { return enroll.DeviceInfo{Name: u.name, Driver: "v4l2"} }

func (u *usbCamera) Stream(ctx context.Context) (<-chan enroll.Frame, error) {
	in, err := u.Camera.Stream(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan enroll.Frame, 1)
	go func() {
		defer close(out)
		for {
			select {
			case f, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- f:
				case <-u.pulled:
					f.Release()
					return
				}
			case <-u.pulled:
				return
			}
		}
	}()
	return out, nil
}

func TestCameraUnpluggedAndBack(t *testing.T) {
	var plugged []*usbCamera
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	sw := camera.NewSwitch(h.camera, func(path string) (enroll.Camera, error) {
		c := &usbCamera{Camera: sim.NewCamera(h.now), name: "HD Webcam C270", pulled: make(chan struct{})}
		plugged = append(plugged, c)
		return c, nil
	})
	sw.Update([]string{"/dev/video0"})
	sw.OnChange = func(plug.State, enroll.DeviceInfo) { h.do(h.s.DevicesChanged) }
	h.s.cfg.Camera = sw
	line := func(key string) string {
		return h.s.tr.F(key, map[string]any{"kind": h.T("device.camera"), "name": "HD Webcam C270"})
	}
	h.firstRun()
	h.toPortrait()
	if !h.hasText(line("device.connected")) {
		t.Fatalf("connected camera not shown:\n%s", h.texts())
	}
	h.waitFor("checks on the USB camera's picture", func() bool { return h.hasText("[" + h.T("portrait.capture") + "]") })

	// Pulled out: the stream ends, then the watcher sees the node gone.
	close(plugged[0].pulled)
	h.waitFor("camera lost message", func() bool { return h.hasText(h.T("camera.lost")) })
	sw.Update(nil)
	h.waitFor("unplugged camera line", func() bool { return h.hasText(line("device.unplugged")) })
	if h.hasText("[" + h.T("portrait.capture") + "]") {
		t.Errorf("a plain capture is offered with no picture:\n%s", h.texts())
	}
	h.tap(h.T("portrait.capture_anyway"))
	h.typeInto(h.T("portrait.override_reason"), "thử khi rút máy ảnh")
	h.tap(h.T("portrait.capture"))
	h.waitFor("reconnect advice", func() bool { return h.hasText(h.T("err.device_gone")) })
	if h.s.cfg.Camera.Info().Simulated {
		t.Fatal("the station fell back to the simulated camera")
	}

	// Plugged back in (a new node): the preview starts again by itself and the portrait
	// can be taken.
	sw.Update([]string{"/dev/video2"})
	h.waitFor("reconnected camera line", func() bool { return h.hasText(line("device.connected")) })
	h.waitFor("checks after replug", func() bool { return h.hasText("[" + h.T("portrait.capture") + "]") })
	if h.hasText(h.T("camera.lost")) {
		t.Errorf("the lost-camera message stayed after replug:\n%s", h.texts())
	}
	h.takePortrait()
	h.waitFor("portrait taken", func() bool { return h.hasText(h.T("portrait.done")) })
	if len(plugged) != 2 {
		t.Fatalf("%d cameras opened, want 2", len(plugged))
	}
}
