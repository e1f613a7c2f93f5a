// Package reader keeps the station's fingerprint reader current while readers are plugged in
// and pulled out: it is the one scanner the screens hold, and it follows the USB bus.
package reader

import (
	"context"
	"fmt"
	"sync"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/plug"
	"github.com/wardpolice/enroll/device/usb"
)

// Switch implements enroll.FingerprintScanner over whichever reader is current. A station
// that has seen a real reader never falls back to the simulator: a record must not get
// synthetic prints because a cable came loose.
type Switch struct {
	mu   sync.Mutex
	open func(usb.Found) (enroll.FingerprintScanner, error)
	slot plug.Slot[enroll.FingerprintScanner]
	// busy counts captures in flight; a reader that vanished meanwhile is closed after them.
	busy    int
	retired []enroll.FingerprintScanner
	// OnChange is called (from the watcher's goroutine) after the state changed.
	OnChange func(plug.State, enroll.DeviceInfo)
}

// New makes a switch that opens readers with open and uses sim while none has been seen.
func New(sim enroll.FingerprintScanner, open func(usb.Found) (enroll.FingerprintScanner, error)) *Switch {
	return &Switch{slot: plug.NewSlot(sim), open: open}
}

// State reports the current state and the device it concerns.
func (s *Switch) State() (plug.State, enroll.DeviceInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slot.State()
}

// Update takes the readers now on the bus (from usb.Watch).
func (s *Switch) Update(found []usb.Found) {
	s.mu.Lock()
	before, _ := s.slot.State()
	switch {
	case len(found) == 0 && s.slot.Plugged():
		s.retire(s.slot.Unplug())
	case len(found) > 0 && !s.slot.Plugged():
		if sc, err := s.open(found[0]); err == nil {
			s.slot.Plug(sc)
		}
	}
	after, info := s.slot.State()
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
	return st == plug.Unplugged
}

// Info describes the current reader.
func (s *Switch) Info() enroll.DeviceInfo {
	_, info := s.State()
	return info
}

// Capture captures from the current reader. With the real reader unplugged it says so at once.
func (s *Switch) Capture(ctx context.Context) (enroll.FingerImage, error) {
	s.mu.Lock()
	cur, ok := s.slot.Current()
	if !ok {
		name := s.slot.LastName()
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
	return s.slot.Close()
}
