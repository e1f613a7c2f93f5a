package upektc

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/wardpolice/enroll"
)

// Link is the USB connection to one reader, as the driver needs it. device/usb implements it
// with libusb; tests implement it with a recorded session.
type Link interface {
	// VendorOut sends a vendor control request to the device.
	VendorOut(ctx context.Context, request uint8, value, index uint16, data []byte) error
	// BulkOut writes a whole message to the OUT endpoint.
	BulkOut(ctx context.Context, data []byte) error
	// BulkIn reads up to len(buf) bytes from the IN endpoint.
	BulkIn(ctx context.Context, buf []byte) (int, error)
	Close() error
}

// Scanner is a TouchChip reader. It is safe for one capture at a time; a second Capture
// waits for the first.
type Scanner struct {
	link Link
	info enroll.DeviceInfo
	now  func() time.Time
	mu   sync.Mutex
	seq  uint8
	// OnFinger, when set, is told when the reader reports the finger placed or lifted.
	OnFinger func(present bool)
}

// New wraps an open link. info names the device for records (model, serial).
func New(link Link, info enroll.DeviceInfo) *Scanner {
	info.Driver = "upektc"
	if info.Name == "" {
		info.Name = "UPEK TouchChip"
	}
	return &Scanner{link: link, info: info, now: time.Now}
}

func (s *Scanner) Info() enroll.DeviceInfo { return s.info }

func (s *Scanner) Close() error { return s.link.Close() }

// Capture runs one reader session: activate, wait for a finger, collect the image frames,
// deactivate. Each capture starts from a freshly initialised reader, so one that went wrong
// (cancelled, finger lifted early) leaves nothing behind for the next.
func (s *Scanner) Capture(ctx context.Context) (enroll.FingerImage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.activate(ctx); err != nil {
		return enroll.FingerImage{}, fmt.Errorf("upektc: activate reader: %w", err)
	}
	pix, err := s.capture(ctx)
	if err != nil {
		return enroll.FingerImage{}, fmt.Errorf("upektc: capture: %w", err)
	}
	if err := s.deactivate(ctx); err != nil {
		return enroll.FingerImage{}, fmt.Errorf("upektc: deactivate reader: %w", err)
	}
	img := &image.Gray{Pix: pix, Stride: Width, Rect: image.Rect(0, 0, Width, Height)}
	return enroll.FingerImage{Image: img, PPI: PPI, CapturedAt: s.now()}, nil
}

func (s *Scanner) send(ctx context.Context, c command, seq uint8) error {
	return s.link.BulkOut(ctx, frame(c, seq))
}

// sendNext sends a command with the next sequence number.
func (s *Scanner) sendNext(ctx context.Context, c command) error {
	err := s.send(ctx, c, s.seq)
	s.seq = (s.seq + 1) & 0x0f
	return err
}

// read returns the next whole message: one short read, and a second one for the rest when
// the header announces more. Empty reads are retried, as the reader sends them while busy.
func (s *Scanner) read(ctx context.Context) ([]byte, error) {
	buf := make([]byte, maxMessage)
	for {
		n, err := s.link.BulkIn(ctx, buf[:shortRead])
		if err != nil {
			return nil, err
		}
		if n == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			continue
		}
		size, err := messageSize(buf[:n])
		if err != nil {
			return nil, err
		}
		for n < size {
			m, err := s.link.BulkIn(ctx, buf[n:maxMessage])
			if err != nil {
				return nil, err
			}
			if m == 0 {
				return nil, fmt.Errorf("message ended after %d of %d bytes", n, size)
			}
			n += m
		}
		return buf[:n], nil
	}
}

// activate is the reader's wake-up: a vendor request and four init commands, each answered.
func (s *Scanner) activate(ctx context.Context) error {
	s.seq = 0
	steps := []func() error{
		func() error { return s.link.VendorOut(ctx, 0x0c, 0x0100, 0x0400, []byte{0}) },
		func() error { return s.send(ctx, cmdInit1, 0) },
		func() error { return s.send(ctx, cmdInit2, 0) },
		func() error { return s.link.VendorOut(ctx, 0x0c, 0x0100, 0x0400, []byte{0}) },
		func() error { return s.send(ctx, cmdInit3, 0) },
		func() error { return s.sendNext(ctx, cmdInit4) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("init step %d: %w", i+1, err)
		}
		if _, err := s.read(ctx); err != nil {
			return fmt.Errorf("init step %d answer: %w", i+1, err)
		}
	}
	return nil
}

// capture asks for an image and answers the reader until the last frame arrives.
func (s *Scanner) capture(ctx context.Context) ([]byte, error) {
	if err := s.sendNext(ctx, cmdCapture); err != nil {
		return nil, err
	}
	var img assembler
	for {
		raw, err := s.read(ctx)
		if err != nil {
			return nil, err
		}
		m, err := parseMessage(raw)
		if err != nil {
			return nil, err
		}
		switch {
		case m.typ == 0x08:
			err = s.send(ctx, cmdAck08, 0)
		case m.typ != 0x00:
			return nil, fmt.Errorf("unexpected message type %#02x", m.typ)
		case m.kind == kindState:
			err = s.onState(ctx, m)
		case m.kind == kindFirstFrame || m.kind == kindFrame:
			if m.kind == kindFirstFrame {
				s.finger(true)
			}
			if err = img.add(m); err == nil {
				err = s.sendNext(ctx, cmdAckFrame)
			}
		case m.kind == kindLastFrame:
			if err = img.add(m); err == nil {
				err = img.complete()
			}
			s.finger(false)
			if err != nil {
				return nil, err
			}
			return img.pix, nil
		default:
			return nil, fmt.Errorf("unexpected message kind %#02x", m.kind)
		}
		if err != nil {
			return nil, err
		}
	}
}

// onState acknowledges a finger state report; a failed scan ends the capture with a reason
// the officer can act on.
func (s *Scanner) onState(ctx context.Context, m message) error {
	st, err := m.fingerState()
	if err != nil {
		return err
	}
	if err := s.sendNext(ctx, cmdAckState); err != nil {
		return err
	}
	switch st {
	case stateNoFinger, stateFinger:
		return nil
	case stateShortScan:
		return errors.Join(ErrShortScan, enroll.ErrNoFinger)
	case stateMovedSides:
		return errors.Join(ErrMoved, enroll.ErrNoFinger)
	}
	return fmt.Errorf("reader reported scan failure %#02x", st)
}

func (s *Scanner) finger(present bool) {
	if s.OnFinger != nil {
		s.OnFinger(present)
	}
}

// deactivate ends the session; the reader answers once.
func (s *Scanner) deactivate(ctx context.Context) error {
	if err := s.sendNext(ctx, cmdDeinit); err != nil {
		return err
	}
	_, err := s.read(ctx)
	return err
}
