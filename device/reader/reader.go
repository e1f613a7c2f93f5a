// Package reader keeps the station's fingerprint reader current while readers are plugged in
// and pulled out: it is the one scanner the screens hold, and it follows the USB bus.
package reader

import (
	"context"
	"fmt"
	"sync"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/usb"
)

// State is what the officer is told about the reader.
type State int

const (
	Simulated State = iota // no reader has been seen: the simulator stands in (training)
	Connected              // a real reader is in use
	Unplugged              // the real reader went away: captures fail until it is back
)

// Switch implements enroll.FingerprintScanner over whichever reader is current. A station
// that has seen a real reader never falls back to the simulator: a record must not get
// synthetic prints because a cable came loose.
type Switch struct {
	mu       sync.Mutex
	open     func(usb.Found) (enroll.FingerprintScanner, error)
	sim      enroll.FingerprintScanner
	real     enroll.FingerprintScanner
	realSeen bool
	lastInfo enroll.DeviceInfo
	// busy counts captures in flight; a reader that vanished meanwhile is closed after them.
	busy    int
	retired []enroll.FingerprintScanner
	// OnChange is called (from the watcher's goroutine) after the state changed.
	OnChange func(State, enroll.DeviceInfo)
}

// New makes a switch that opens readers with open and uses sim while none has been seen.
func New(sim enroll.FingerprintScanner, open func(usb.Found) (enroll.FingerprintScanner, error)) *Switch {
	return &Switch{sim: sim, open: open}
}

// State reports the current state and the device it concerns.
func (s *Switch) State() (State, enroll.DeviceInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stateLocked()
}

func (s *Switch) stateLocked() (State, enroll.DeviceInfo) {
	switch {
	case s.real != nil:
		return Connected, s.real.Info()
	case s.realSeen:
		return Unplugged, s.lastInfo
	}
	return Simulated, s.sim.Info()
}

// Update takes the readers now on the bus (from usb.Watch).
func (s *Switch) Update(found []usb.Found) {
	s.mu.Lock()
	before, _ := s.stateLocked()
	switch {
	case len(found) == 0 && s.real != nil:
		s.retire(s.real)
		s.real = nil
	case len(found) > 0 && s.real == nil:
		if sc, err := s.open(found[0]); err == nil {
			s.real, s.realSeen, s.lastInfo = sc, true, sc.Info()
		}
	}
	after, info := s.stateLocked()
	notify := s.OnChange
	s.mu.Unlock()
	if after != before && notify != nil {
		notify(after, info)
	}
}

func (s *Switch) retire(sc enroll.FingerprintScanner) {
	s.retired = append(s.retired, sc)
	if s.busy == 0 {
		for _, r := range s.retired {
			r.Close()
		}
		s.retired = nil
	}
}

// Unplugged reports whether the real reader has gone away (the screens say "reconnect it").
func (s *Switch) Unplugged() bool {
	st, _ := s.State()
	return st == Unplugged
}

// Info describes the current reader.
func (s *Switch) Info() enroll.DeviceInfo {
	_, info := s.State()
	return info
}

// Capture captures from the current reader. With the real reader unplugged it says so at once.
func (s *Switch) Capture(ctx context.Context) (enroll.FingerImage, error) {
	s.mu.Lock()
	cur := s.real
	if cur == nil && !s.realSeen {
		cur = s.sim
	}
	name := s.lastInfo.Name
	if cur == nil {
		s.mu.Unlock()
		return enroll.FingerImage{}, fmt.Errorf("reader %s: %w", name, enroll.ErrDeviceGone)
	}
	s.busy++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.busy--
		if s.busy == 0 {
			for _, r := range s.retired {
				r.Close()
			}
			s.retired = nil
		}
		s.mu.Unlock()
	}()
	return cur.Capture(ctx)
}

// Close closes the readers.
func (s *Switch) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.real != nil {
		s.real.Close()
	}
	return s.sim.Close()
}
