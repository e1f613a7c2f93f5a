package upektc

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/wardpolice/enroll"
)

// FuzzParseMessage feeds arbitrary bytes to the framing, CRC and frame-payload code.
func FuzzParseMessage(f *testing.F) {
	f.Add(frame(command{0x00, 0x00, 0x14, 0x28, 0x11, 0, 0, 0, 0, 0x20, 0x01, 0, 0, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0}, 1))
	f.Add(frame(command{0x08, 0x00, 0x00}, 0))
	f.Add(frame(command{0x00, 0x00, 0x05, 0x20, 1, 2, 3, 4}, 3))
	f.Add([]byte("Ciao"))
	f.Add([]byte("Ciao\x00\x0f\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMessage(b)
		if err != nil {
			return
		}
		if m.typ == 0 {
			m.fingerState()
			var a assembler
			if err := a.add(m); err == nil && len(a.pix) > Width*Height {
				t.Fatalf("assembler holds %d pixels", len(a.pix))
			}
		}
	})
}

// fuzzLink answers every read with fuzzed bytes, framed or not, to drive the whole capture
// state machine over hostile input.
type fuzzLink struct {
	data []byte
}

func (l *fuzzLink) VendorOut(context.Context, uint8, uint16, uint16, []byte) error { return nil }
func (l *fuzzLink) BulkOut(context.Context, []byte) error                          { return nil }
func (l *fuzzLink) Close() error                                                   { return nil }
func (l *fuzzLink) BulkIn(_ context.Context, buf []byte) (int, error) {
	if len(l.data) == 0 {
		return 0, errReplayEnded
	}
	n := copy(buf, l.data)
	l.data = l.data[n:]
	return n, nil
}

func FuzzCaptureSession(f *testing.F) {
	rec := readRecording(f, filepath.Join(fixtureDir(f), "capture.pcapng"))
	var stream []byte
	for _, tr := range rec {
		if tr.kind == "in" {
			stream = append(stream, tr.data...)
		}
	}
	f.Add(stream[:200])
	f.Add(binary.LittleEndian.AppendUint16([]byte("Ciao\x00\x00\x01\x20"), 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := New(&fuzzLink{data: b}, enroll.DeviceInfo{}).Capture(context.Background())
		if err == nil && len(img.Image.Pix) != Width*Height {
			t.Fatalf("capture succeeded with %d pixels", len(img.Image.Pix))
		}
	})
}
