// Package plug holds what the station knows about a device it may use for real or simulate:
// the simulated stand-in while no real device has been seen, the real one while plugged in,
// and the memory of it once pulled out, so the station never falls back to the simulator
// after seeing real hardware (a record must not get synthetic data because a cable came
// loose). The device switches (reader, camera) keep one Slot under their own lock.
package plug

import "github.com/wardpolice/enroll"

// State is what the officer is told about a device.
type State int

const (
	Simulated State = iota // no real device has been seen: the simulator stands in (training)
	Connected              // a real device is in use
	Unplugged              // the real device went away: captures fail until it is back
)

// Device is what a slot needs of a device.
type Device interface {
	Info() enroll.DeviceInfo
	Close() error
}

// Slot is one device's place. It does no locking: its owner does.
type Slot[D Device] struct {
	sim, real D
	plugged   bool
	seen      bool
	last      enroll.DeviceInfo
}

// NewSlot makes a slot that uses sim until a real device is plugged in.
func NewSlot[D Device](sim D) Slot[D] { return Slot[D]{sim: sim} }

// State reports the state and the device it concerns.
func (s *Slot[D]) State() (State, enroll.DeviceInfo) {
	switch {
	case s.plugged:
		return Connected, s.real.Info()
	case s.seen:
		return Unplugged, s.last
	}
	return Simulated, s.sim.Info()
}

// Plugged reports whether a real device is in use.
func (s *Slot[D]) Plugged() bool { return s.plugged }

// Current is the device to use: the real one, or the simulator if no real one was ever
// seen; false when the real one is unplugged.
func (s *Slot[D]) Current() (D, bool) {
	switch {
	case s.plugged:
		return s.real, true
	case s.seen:
		var none D
		return none, false
	}
	return s.sim, true
}

// LastName names the real device last seen, for "reconnect it" messages.
func (s *Slot[D]) LastName() string { return s.last.Name }

// Plug makes d the device in use.
func (s *Slot[D]) Plug(d D) {
	s.real, s.plugged, s.seen, s.last = d, true, true, d.Info()
}

// Unplug forgets the real device and returns it for closing.
func (s *Slot[D]) Unplug() D {
	d := s.real
	var none D
	s.real, s.plugged = none, false
	return d
}

// Close closes the real device, if any, and the simulator.
func (s *Slot[D]) Close() error {
	if s.plugged {
		s.real.Close()
	}
	return s.sim.Close()
}
