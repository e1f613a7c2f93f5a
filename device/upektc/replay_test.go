package upektc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
)

// fixtureDir is the recorded session in ../shared (UPEKTC_FIXTURE overrides).
func fixtureDir(t testing.TB) string {
	if d := os.Getenv("UPEKTC_FIXTURE"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../../shared/fixtures/fingerprint/upektc_img")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "capture.pcapng")); err != nil {
		t.Fatalf("recorded session missing (%v): tests need ../shared beside the checkout or UPEKTC_FIXTURE", err)
	}
	return d
}

// transfer is one recorded USB transfer of the reader.
type transfer struct {
	kind  string // "vendor", "out", "in"
	setup []byte // control setup packet
	data  []byte // OUT data, or what the IN transfer returned
	ask   int    // IN: how many bytes the driver asked for
}

func (tr transfer) String() string {
	switch tr.kind {
	case "vendor":
		return fmt.Sprintf("vendor control % x data % x", tr.setup, tr.data)
	case "out":
		return fmt.Sprintf("bulk OUT % x", tr.data)
	}
	return fmt.Sprintf("bulk IN of %d bytes", tr.ask)
}

// readRecording extracts the reader's vendor control and bulk transfers, in order, from a
// usbmon pcapng capture (link type 220: a 64-byte usbmon header before each packet's data).
func readRecording(t testing.TB, path string) []transfer {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []transfer
	pendingIn := map[uint64]int{}
	for off := 0; off+12 <= len(b); {
		typ := binary.LittleEndian.Uint32(b[off:])
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		if size < 12 || off+size > len(b) {
			t.Fatalf("pcapng block at %d has bad size %d", off, size)
		}
		if typ == 6 { // enhanced packet block
			capLen := int(binary.LittleEndian.Uint32(b[off+20:]))
			p := b[off+28 : off+28+capLen]
			id := binary.LittleEndian.Uint64(p)
			event, xfer, ep := p[8], p[9], p[10]
			length := int(binary.LittleEndian.Uint32(p[32:]))
			setup, data := p[40:48], p[64:]
			switch {
			case xfer == 2 && event == 'S' && setup[0] == 0x40: // vendor, host to device
				out = append(out, transfer{kind: "vendor", setup: append([]byte(nil), setup...), data: append([]byte(nil), data...)})
			case xfer == 3 && event == 'S' && ep == EndpointOut:
				out = append(out, transfer{kind: "out", data: append([]byte(nil), data...)})
			case xfer == 3 && event == 'S' && ep == EndpointIn:
				pendingIn[id] = length
			case xfer == 3 && event == 'C' && ep == EndpointIn:
				if ask, ok := pendingIn[id]; ok {
					out = append(out, transfer{kind: "in", ask: ask, data: append([]byte(nil), data...)})
					delete(pendingIn, id)
				}
			}
		}
		off += size
	}
	return out
}

// replayLink answers the driver from the recording and fails on any transfer the recorded
// driver did not make, exactly as umockdev's replay does.
type replayLink struct {
	t    testing.TB
	rec  []transfer
	next int
	// cut ends the recording early, as a reader unplugged mid-capture.
	cut int
}

var errReplayEnded = errors.New("replay ended: device gone")

func (l *replayLink) take(kind string) (transfer, error) {
	if l.next >= len(l.rec) || (l.cut > 0 && l.next >= l.cut) {
		return transfer{}, fmt.Errorf("%w (driver wanted a %s transfer)", errReplayEnded, kind)
	}
	tr := l.rec[l.next]
	l.next++
	if tr.kind != kind {
		l.t.Fatalf("transfer %d: driver made a %s transfer, recording has %s", l.next, kind, tr)
	}
	return tr, nil
}

func (l *replayLink) VendorOut(_ context.Context, request uint8, value, index uint16, data []byte) error {
	tr, err := l.take("vendor")
	if err != nil {
		return err
	}
	setup := []byte{0x40, request, byte(value), byte(value >> 8), byte(index), byte(index >> 8), byte(len(data)), 0}
	if !bytes.Equal(setup, tr.setup) || !bytes.Equal(data, tr.data) {
		l.t.Fatalf("transfer %d: driver sent control % x / % x, recording has %s", l.next, setup, data, tr)
	}
	return nil
}

func (l *replayLink) BulkOut(_ context.Context, data []byte) error {
	tr, err := l.take("out")
	if err != nil {
		return err
	}
	if !bytes.Equal(data, tr.data) {
		l.t.Fatalf("transfer %d: driver sent % x, recording has %s", l.next, data, tr)
	}
	return nil
}

func (l *replayLink) BulkIn(_ context.Context, buf []byte) (int, error) {
	tr, err := l.take("in")
	if err != nil {
		return 0, err
	}
	if len(buf) != tr.ask {
		l.t.Fatalf("transfer %d: driver asked for %d bytes, recorded driver for %d", l.next, len(buf), tr.ask)
	}
	return copy(buf, tr.data), nil
}

func (l *replayLink) Close() error { return nil }

// expectedImage is capture.png in grey (the file stores R=G=B).
func expectedImage(t testing.TB) *image.Gray {
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), "capture.png"))
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := biometric.DecodeFingerPNG(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestReplayedSessionGivesRecordedImage(t *testing.T) {
	rec := readRecording(t, filepath.Join(fixtureDir(t), "capture.pcapng"))
	link := &replayLink{t: t, rec: rec}
	s := New(link, enroll.DeviceInfo{Serial: "replay"})
	var events []bool
	s.OnFinger = func(on bool) { events = append(events, on) }
	f, err := s.Capture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if link.next != len(rec) {
		t.Errorf("driver made %d of the %d recorded transfers", link.next, len(rec))
	}
	want := expectedImage(t)
	if f.Image.Bounds() != want.Bounds() || !bytes.Equal(f.Image.Pix, want.Pix) {
		t.Fatal("captured image differs from capture.png")
	}
	if f.PPI != PPI || s.Info().Driver != "upektc" {
		t.Errorf("ppi %d driver %q", f.PPI, s.Info().Driver)
	}
	if fmt.Sprint(events) != "[true false]" {
		t.Errorf("finger events %v, want placed then lifted", events)
	}
}

func TestReaderVanishingMidCapture(t *testing.T) {
	rec := readRecording(t, filepath.Join(fixtureDir(t), "capture.pcapng"))
	for _, cut := range []int{1, 5, 20, 40, len(rec) - 2} {
		link := &replayLink{t: t, rec: rec, cut: cut}
		_, err := New(link, enroll.DeviceInfo{}).Capture(context.Background())
		if !errors.Is(err, errReplayEnded) {
			t.Errorf("cut at %d: got %v, want the link's error passed on", cut, err)
		}
	}
	// Once the reader is back, a capture works again.
	link := &replayLink{t: t, rec: rec}
	if _, err := New(link, enroll.DeviceInfo{}).Capture(context.Background()); err != nil {
		t.Errorf("capture after reconnect: %v", err)
	}
}

// BenchmarkCaptureToScore replays the recorded session (protocol, framing, assembly) and
// scores the image: the station's path from reader to the score on screen, minus the USB
// wire time.
func BenchmarkCaptureToScore(b *testing.B) {
	rec := readRecording(b, filepath.Join(fixtureDir(b), "capture.pcapng"))
	for b.Loop() {
		f, err := New(&replayLink{t: b, rec: rec}, enroll.DeviceInfo{}).Capture(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		biometric.MeasureFinger(f.Image)
	}
}
