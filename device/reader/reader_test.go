package reader

import (
	"context"
	"errors"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/plug"
	"github.com/wardpolice/enroll/device/usb"
)

type fakeScanner struct {
	name   string
	sim    bool
	closed bool
	block  chan struct{} // when set, Capture waits on it
	mu     sync.Mutex
}

func (f *fakeScanner) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: f.name, Simulated: f.sim}
}
func (f *fakeScanner) Close() error   { f.mu.Lock(); f.closed = true; f.mu.Unlock(); return nil }
func (f *fakeScanner) isClosed() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.closed }
func (f *fakeScanner) Capture(ctx context.Context) (enroll.FingerImage, error) {
	if f.block != nil {
		<-f.block
	}
	return enroll.FingerImage{Image: image.NewGray(image.Rect(0, 0, 4, 4)), PPI: 500}, nil
}

func TestSwitchFollowsTheBus(t *testing.T) {
	sim := &fakeScanner{name: "sim", sim: true}
	var opened []*fakeScanner
	sw := New(sim, func(f usb.Found) (enroll.FingerprintScanner, error) {
		r := &fakeScanner{name: f.Model.Name}
		opened = append(opened, r)
		return r, nil
	})
	var states []plug.State
	sw.OnChange = func(s plug.State, _ enroll.DeviceInfo) { states = append(states, s) }
	reader := []usb.Found{{Model: usb.Model{Name: "UPEK TouchChip"}}}

	if st, info := sw.State(); st != plug.Simulated || info.Name != "sim" {
		t.Fatalf("start: %v %v", st, info)
	}
	sw.Update(nil) // nothing changed: no event
	sw.Update(reader)
	if st, info := sw.State(); st != plug.Connected || info.Name != "UPEK TouchChip" {
		t.Fatalf("plugged: %v %v", st, info)
	}
	sw.Update(reader) // still there: no event, no second open
	sw.Update(nil)
	if st, _ := sw.State(); st != plug.Unplugged || !opened[0].isClosed() {
		t.Fatalf("unplugged: %v closed=%v", st, opened[0].isClosed())
	}
	// Once a real reader was seen, no synthetic print is ever taken.
	if _, err := sw.Capture(context.Background()); !errors.Is(err, enroll.ErrDeviceGone) {
		t.Errorf("capture while unplugged: %v", err)
	}
	sw.Update(reader)
	if _, err := sw.Capture(context.Background()); err != nil || len(opened) != 2 {
		t.Errorf("capture after replug: %v (%d opens)", err, len(opened))
	}
	if want := []plug.State{plug.Connected, plug.Unplugged, plug.Connected}; len(states) != 3 || states[0] != want[0] || states[1] != want[1] || states[2] != want[2] {
		t.Errorf("events %v, want %v", states, want)
	}
}

func TestVanishedReaderClosedAfterItsCapture(t *testing.T) {
	block := make(chan struct{})
	real := &fakeScanner{name: "r", block: block}
	sw := New(&fakeScanner{sim: true}, func(usb.Found) (enroll.FingerprintScanner, error) { return real, nil })
	sw.Update([]usb.Found{{}})
	done := make(chan error)
	go func() { _, err := sw.Capture(context.Background()); done <- err }()
	for {
		sw.mu.Lock()
		busy := sw.busy
		sw.mu.Unlock()
		if busy == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	sw.Update(nil)
	if real.isClosed() {
		t.Fatal("reader closed under a running capture")
	}
	close(block)
	<-done
	if !real.isClosed() {
		t.Error("vanished reader not closed after its capture")
	}
}

func TestWatchReportsChanges(t *testing.T) {
	bus := [][]usb.Found{nil, nil, {{Bus: 1}}, {{Bus: 1}}, nil}
	i := 0
	var seen [][]usb.Found
	ctx, cancel := context.WithCancel(context.Background())
	usb.Watch(ctx, nil, time.Millisecond, func([]usb.Model) ([]usb.Found, error) {
		f := bus[min(i, len(bus)-1)]
		i++
		if i > len(bus) {
			cancel()
		}
		return f, nil
	}, func(f []usb.Found) { seen = append(seen, f) })
	// The first scan is always reported, then only changes: none, one reader, none.
	if len(seen) != 3 || len(seen[0]) != 0 || len(seen[1]) != 1 || len(seen[2]) != 0 {
		t.Errorf("reported %v", seen)
	}
}
