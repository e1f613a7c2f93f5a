package usb

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/gousb"

	"github.com/wardpolice/enroll"
)

func TestLibusbErrorsBecomeInstructions(t *testing.T) {
	cases := []struct {
		err  error
		want error
	}{
		{gousb.ErrorNoDevice, enroll.ErrDeviceGone},
		{gousb.TransferNoDevice, enroll.ErrDeviceGone},
		{fmt.Errorf("claim: %w", gousb.ErrorBusy), enroll.ErrDeviceBusy},
		{gousb.ErrorAccess, enroll.ErrNoPermission},
		{gousb.ErrorTimeout, enroll.ErrCaptureTimeout},
		{gousb.TransferTimedOut, enroll.ErrCaptureTimeout},
	}
	for _, c := range cases {
		got := mapError(c.err)
		if !errors.Is(got, c.want) || !errors.Is(got, c.err) {
			t.Errorf("%v mapped to %v, want %v (keeping the cause)", c.err, got, c.want)
		}
	}
	if got := mapError(gousb.ErrorIO); errors.Is(got, enroll.ErrDeviceGone) || errors.Is(got, enroll.ErrDeviceBusy) {
		t.Errorf("I/O error mapped to %v", got)
	}
}

func TestCancelledTransferIsNotATimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := transferError(ctx, gousb.TransferCancelled); !errors.Is(err, context.Canceled) || errors.Is(err, enroll.ErrCaptureTimeout) {
		t.Errorf("cancelled: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	if err := transferError(ctx, gousb.TransferCancelled); !errors.Is(err, enroll.ErrCaptureTimeout) {
		t.Errorf("deadline: %v", err)
	}
}

func TestScanWithoutReaders(t *testing.T) {
	// No reader is attached to this machine (umockdev tests cover the attached case).
	found, err := Scan([]Model{{Name: "none", VendorID: 0xffff, ProductID: 0xfffe}})
	if err != nil || len(found) != 0 {
		t.Errorf("scan: %v %v", found, err)
	}
	if _, err := Open(Model{Name: "none", VendorID: 0xffff, ProductID: 0xfffe}); !errors.Is(err, enroll.ErrDeviceGone) {
		t.Errorf("open absent reader: %v", err)
	}
}
