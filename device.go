package enroll

import (
	"context"
	"errors"
	"image"
	"time"
)

// Capture-device errors the UI turns into instructions. Drivers wrap them with detail.
var (
	ErrNoFinger       = errors.New("no finger on the reader")
	ErrDeviceGone     = errors.New("device unplugged")
	ErrDeviceBusy     = errors.New("device in use by another program")
	ErrNoPermission   = errors.New("no permission to use the device")
	ErrCaptureTimeout = errors.New("capture timed out")
)

// Document errors: a receipt or recovery sheet could not be handed to the desktop. Saving the
// PDF still works, so the officer is told to do that.
var (
	ErrNoPrintProgram = errors.New("this station has no printing program (CUPS lp): save the document as PDF and print it elsewhere")
	ErrPrinterRefused = errors.New("the printer did not take the document (none set as default, or it is off): check the printer, or save the document as PDF")
	ErrNoViewer       = errors.New("this station has no program to open PDF documents: save the document as PDF instead")
)

// DeviceInfo describes a capture device for the screen and for the record.
type DeviceInfo struct {
	Name      string // model, e.g. "UPEK TouchChip"
	Driver    string // e.g. "upektc_img", "sim"
	Serial    string
	Simulated bool
}

// FingerImage is one raw capture: 8-bit grey at a known resolution.
type FingerImage struct {
	Image      *image.Gray
	PPI        int
	CapturedAt time.Time
}

// FingerprintScanner is a fingerprint reader. Capture blocks until a finger has been placed and
// imaged, the context ends, or the device fails.
type FingerprintScanner interface {
	Info() DeviceInfo
	Capture(ctx context.Context) (FingerImage, error)
	Close() error
}

// Frame is one camera image. Its picture may be lent from the camera's FramePool: a consumer
// releases each frame it receives once it no longer reads the picture (see Retain, Release).
type Frame struct {
	Image *image.RGBA
	Seq   uint64
	At    time.Time
	lease *lease
}

// Camera streams preview frames and takes stills. Stream sends only the newest frame: a slow
// consumer sees frames dropped, never a growing delay.
type Camera interface {
	Info() DeviceInfo
	// Stream starts the preview; frames arrive on the channel until ctx ends, after which the
	// channel is closed.
	Stream(ctx context.Context) (<-chan Frame, error)
	// Still takes one image at full resolution.
	Still(ctx context.Context) (*image.RGBA, error)
	Close() error
}
