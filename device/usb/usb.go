// Package usb is the capture hardware's USB transport: it finds supported readers by vendor and
// product id, opens and claims them through libusb (github.com/google/gousb), and moves control
// and bulk transfers with timeouts and cancellation. Drivers (device/upektc, …) speak their
// protocols over it; nothing above the drivers sees USB.
package usb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/gousb"

	"github.com/wardpolice/enroll"
)

// Model is a supported reader: how to recognise it and which driver speaks to it.
type Model struct {
	Name                    string
	Driver                  string
	VendorID, ProductID     uint16
	Interface               int
	OutEndpoint, InEndpoint int // endpoint numbers, without the direction bit
	// Open makes the driver's scanner on an opened link.
	Open func(l *Link, info enroll.DeviceInfo) enroll.FingerprintScanner
}

// Timeout bounds every transfer; a reader that does not answer within it is treated as gone.
const Timeout = 4 * time.Second

// Link is one opened and claimed reader.
type Link struct {
	usb  *gousb.Context
	dev  *gousb.Device
	cfg  *gousb.Config
	intf *gousb.Interface
	out  *gousb.OutEndpoint
	in   *gousb.InEndpoint
	name string
}

// Found is a connected reader of a supported model.
type Found struct {
	Model  Model
	Bus    int
	Addr   int
	Serial string
}

// Scan lists the connected readers of the given models.
func Scan(models []Model) ([]Found, error) {
	ctx := gousb.NewContext()
	defer ctx.Close()
	var found []Found
	devs, err := ctx.OpenDevices(func(d *gousb.DeviceDesc) bool {
		for _, m := range models {
			if uint16(d.Vendor) == m.VendorID && uint16(d.Product) == m.ProductID {
				found = append(found, Found{Model: m, Bus: d.Bus, Addr: d.Address})
			}
		}
		return false // only listing; Open opens
	})
	for _, d := range devs {
		d.Close()
	}
	if err != nil {
		return found, fmt.Errorf("list USB devices: %w", mapError(err))
	}
	return found, nil
}

// Open opens the first connected reader of model m and claims its interface.
func Open(m Model) (*Link, error) {
	ctx := gousb.NewContext()
	l := &Link{usb: ctx, name: fmt.Sprintf("%s %04x:%04x", m.Name, m.VendorID, m.ProductID)}
	fail := func(step string, err error) (*Link, error) {
		l.Close()
		return nil, fmt.Errorf("open reader %s: %s: %w", l.name, step, mapError(err))
	}
	dev, err := ctx.OpenDeviceWithVIDPID(gousb.ID(m.VendorID), gousb.ID(m.ProductID))
	if err != nil {
		return fail("open", err)
	}
	if dev == nil {
		return fail("open", enroll.ErrDeviceGone)
	}
	l.dev = dev
	dev.ControlTimeout = Timeout
	if err := l.claim(m.Interface); err != nil {
		return fail("claim interface", err)
	}
	if l.out, err = l.intf.OutEndpoint(m.OutEndpoint); err != nil {
		return fail("OUT endpoint", err)
	}
	if l.in, err = l.intf.InEndpoint(m.InEndpoint); err != nil {
		return fail("IN endpoint", err)
	}
	return l, nil
}

// claim takes the interface. Readers normally have no kernel driver bound; only when the
// interface is busy is the kernel driver detached (which some environments do not support).
func (l *Link) claim(intf int) error {
	var err error
	if l.cfg, err = l.dev.Config(1); err == nil {
		if l.intf, err = l.cfg.Interface(intf, 0); err == nil {
			return nil
		}
		l.cfg.Close()
		l.cfg = nil
	}
	var e gousb.Error
	if !errors.As(err, &e) || e != gousb.ErrorBusy {
		return err
	}
	if derr := l.dev.SetAutoDetach(true); derr != nil {
		return errors.Join(err, derr)
	}
	if l.cfg, err = l.dev.Config(1); err != nil {
		return err
	}
	l.intf, err = l.cfg.Interface(intf, 0)
	return err
}

// Serial reads the reader's serial number, or "" when it has none.
func (l *Link) Serial() string {
	s, err := l.dev.SerialNumber()
	if err != nil {
		return ""
	}
	return s
}

// VendorOut sends a vendor request to the device.
func (l *Link) VendorOut(ctx context.Context, request uint8, value, index uint16, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	const vendorToDevice = 0x40
	if _, err := l.dev.Control(vendorToDevice, request, value, index, data); err != nil {
		return fmt.Errorf("%s: control request %#02x: %w", l.name, request, mapError(err))
	}
	return nil
}

// BulkOut writes data to the OUT endpoint.
func (l *Link) BulkOut(ctx context.Context, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	n, err := l.out.WriteContext(ctx, data)
	if err != nil {
		return fmt.Errorf("%s: write: %w", l.name, transferError(ctx, err))
	}
	if n != len(data) {
		return fmt.Errorf("%s: write: %d of %d bytes sent", l.name, n, len(data))
	}
	return nil
}

// BulkIn reads from the IN endpoint.
func (l *Link) BulkIn(ctx context.Context, buf []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	n, err := l.in.ReadContext(ctx, buf)
	if err != nil {
		return n, fmt.Errorf("%s: read: %w", l.name, transferError(ctx, err))
	}
	return n, nil
}

// Close releases the interface and the device.
func (l *Link) Close() error {
	if l.intf != nil {
		l.intf.Close()
	}
	if l.cfg != nil {
		l.cfg.Close()
	}
	var err error
	if l.dev != nil {
		err = l.dev.Close()
	}
	if l.usb != nil {
		l.usb.Close()
	}
	return err
}

// transferError tells a cancelled or timed-out transfer from a failed one.
func transferError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errors.Join(enroll.ErrCaptureTimeout, err)
		}
		return errors.Join(ctx.Err(), err)
	}
	return mapError(err)
}

// mapError turns libusb's answers into the errors officers get instructions for.
func mapError(err error) error {
	var e gousb.Error
	var ts gousb.TransferStatus
	switch {
	case errors.As(err, &e) && e == gousb.ErrorNoDevice, errors.As(err, &ts) && ts == gousb.TransferNoDevice:
		return errors.Join(enroll.ErrDeviceGone, err)
	case errors.As(err, &e) && e == gousb.ErrorBusy:
		return errors.Join(enroll.ErrDeviceBusy, err)
	case errors.As(err, &e) && e == gousb.ErrorAccess:
		return errors.Join(enroll.ErrNoPermission, err)
	case errors.As(err, &e) && e == gousb.ErrorTimeout, errors.As(err, &ts) && ts == gousb.TransferTimedOut:
		return errors.Join(enroll.ErrCaptureTimeout, err)
	}
	return err
}

// Watch reports the connected readers of the given models whenever the set changes, checking
// every interval, until ctx ends. libusb's hotplug callbacks are not exposed by gousb, and a
// scan of the bus takes well under a millisecond, so polling once a second costs nothing.
// scan is Scan unless a test replaces it.
func Watch(ctx context.Context, models []Model, interval time.Duration, scan func([]Model) ([]Found, error), changed func([]Found)) {
	if scan == nil {
		scan = Scan
	}
	var last string
	first := true
	for {
		found, err := scan(models)
		if err == nil {
			key := fmt.Sprint(found)
			if first || key != last {
				changed(found)
			}
			last, first = key, false
		}
		select {
		case <-ctx.Done():
			return
		default:
		}
		time.Sleep(interval) // a sleep, not a timer channel: those fire late on some VMs
		if ctx.Err() != nil {
			return
		}
	}
}
