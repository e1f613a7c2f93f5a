package plug

import (
	"testing"

	"github.com/wardpolice/enroll"
)

type dev struct {
	name   string
	closed bool
}

func (d *dev) Info() enroll.DeviceInfo { return enroll.DeviceInfo{Name: d.name} }
func (d *dev) Close() error            { d.closed = true; return nil }

func TestSlotNeverFallsBackToTheSimulator(t *testing.T) {
	sim, real := &dev{name: "sim"}, &dev{name: "USB"}
	s := NewSlot[*dev](sim)
	if st, info := s.State(); st != Simulated || info.Name != "sim" {
		t.Fatalf("new slot: %v %v", st, info)
	}
	if d, ok := s.Current(); !ok || d != sim {
		t.Fatal("the simulator is not current before any real device")
	}
	s.Plug(real)
	if d, ok := s.Current(); !ok || d != real || !s.Plugged() {
		t.Fatal("the plugged device is not current")
	}
	if s.Unplug() != real {
		t.Fatal("Unplug did not return the device to close")
	}
	if st, info := s.State(); st != Unplugged || info.Name != "USB" || s.LastName() != "USB" {
		t.Fatalf("after unplug: %v %v", st, info)
	}
	if d, ok := s.Current(); ok || d != nil {
		t.Fatal("the simulator came back after a real device was seen")
	}
	s.Plug(real)
	s.Close()
	if !real.closed || !sim.closed {
		t.Error("Close left a device open")
	}
}
