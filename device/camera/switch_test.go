package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/plug"
)

// fakeCamera stands in for a V4L2 camera or the simulated one.
type fakeCamera struct {
	name   string
	sim    bool
	closed bool
}

func (f *fakeCamera) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: f.name, Simulated: f.sim}
}
func (f *fakeCamera) Stream(ctx context.Context) (<-chan enroll.Frame, error) {
	out := make(chan enroll.Frame, 1)
	out <- enroll.Frame{Image: image.NewRGBA(image.Rect(0, 0, 4, 3))}
	close(out)
	return out, nil
}
func (f *fakeCamera) Still(ctx context.Context) (*image.RGBA, error) {
	return image.NewRGBA(image.Rect(0, 0, 8, 6)), nil
}
func (f *fakeCamera) Close() error { f.closed = true; return nil }

func TestSwitchFollowsTheCamera(t *testing.T) {
	sim := &fakeCamera{name: "plug.Simulated camera", sim: true}
	opened := map[string]*fakeCamera{}
	opens := 0
	sw := NewSwitch(sim, func(path string) (enroll.Camera, error) {
		opens++
		if path == "/dev/video1" { // a UVC camera's metadata node
			return nil, fmt.Errorf("camera %s: cannot stream video", path)
		}
		c := &fakeCamera{name: "USB camera " + path}
		opened[path] = c
		return c, nil
	})
	var changes []plug.State
	sw.OnChange = func(st plug.State, _ enroll.DeviceInfo) { changes = append(changes, st) }

	if st, info := sw.State(); st != plug.Simulated || !info.Simulated {
		t.Fatalf("before any camera: %v %+v", st, info)
	}
	if _, err := sw.Still(context.Background()); err != nil {
		t.Fatalf("the simulated camera's still: %v", err)
	}

	errs := sw.Update([]string{"/dev/video1"})
	if len(errs) != 1 || sw.Unplugged() {
		t.Fatalf("metadata node only: errors %v, unplugged %v", errs, sw.Unplugged())
	}
	if sw.Update([]string{"/dev/video1"}); opens != 1 {
		t.Errorf("a node that would not open was tried again at once (%d opens)", opens)
	}

	sw.Update([]string{"/dev/video0", "/dev/video1"})
	if st, info := sw.State(); st != plug.Connected || info.Name != "USB camera /dev/video0" {
		t.Fatalf("plugged in: %v %+v", st, info)
	}
	frames, err := sw.Stream(context.Background())
	if err != nil || len(frames) != 1 {
		t.Fatalf("stream from the real camera: %v", err)
	}

	sw.Update(nil)
	if !sw.Unplugged() || !opened["/dev/video0"].closed {
		t.Fatalf("unplugged: state %v, closed %v", sw.Unplugged(), opened["/dev/video0"].closed)
	}
	if _, info := sw.State(); info.Name != "USB camera /dev/video0" {
		t.Errorf("an unplugged camera should still be named: %+v", info)
	}
	if _, err := sw.Stream(context.Background()); !errors.Is(err, enroll.ErrDeviceGone) {
		t.Errorf("stream with the camera unplugged: %v, want ErrDeviceGone (never the simulator)", err)
	}
	if _, err := sw.Still(context.Background()); !errors.Is(err, enroll.ErrDeviceGone) {
		t.Errorf("still with the camera unplugged: %v", err)
	}

	sw.Update([]string{"/dev/video2"})
	if st, info := sw.State(); st != plug.Connected || info.Name != "USB camera /dev/video2" {
		t.Fatalf("plugged in again: %v %+v", st, info)
	}
	want := []plug.State{plug.Connected, plug.Unplugged, plug.Connected}
	if fmt.Sprint(changes) != fmt.Sprint(want) {
		t.Errorf("changes %v, want %v", changes, want)
	}
	sw.Close()
	if !opened["/dev/video2"].closed || !sim.closed {
		t.Error("Close left a camera open")
	}
}
