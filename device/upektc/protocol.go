// Package upektc drives the UPEK TouchChip press sensor (USB 147e:2016, 144×384 pixels), the
// station's reference fingerprint reader. The protocol, as observed on the wire:
//
// Every message starts with "Ciao", then a type byte, then a byte whose high nibble is a
// sequence number and whose low nibble is the top of a 12-bit length, the length's low byte,
// the payload, and a CRC-16/XMODEM of everything after "Ciao", little-endian. The host opens
// with a vendor control request and four init commands, then starts a capture. The reader
// answers with status messages (finger absent or present) and image frames, each of which the
// host acknowledges; the last frame completes the 55 296-byte image.
package upektc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sensor geometry and resolution.
const (
	Width  = 144
	Height = 384
	PPI    = 500
	// USB identity and endpoints.
	VendorID    = 0x147e
	ProductID   = 0x2016
	EndpointOut = 0x02
	EndpointIn  = 0x81
	// A read returns at most shortRead bytes unless a message announces more; the largest
	// message is maxMessage bytes.
	shortRead  = 64
	maxMessage = 2052
)

var magic = []byte("Ciao")

// crc16 is CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection.
func crc16(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c ^= uint16(x) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
	}
	return c
}

// command is a message template: the bytes after "Ciao" and before the CRC.
type command []byte

// The commands the host sends. Sequence nibbles are zero here and set by frame.
var (
	cmdInit1    = command{0x04, 0x00, 0x0d, 0x01, 0x00, 0x46, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00}
	cmdInit2    = command{0x07, 0x00, 0x01, 0x01}
	cmdInit3    = command{0x04, 0x00, 0x0d, 0x01, 0x00, 0xbc, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00}
	cmdInit4    = command{0x00, 0x00, 0x07, 0x28, 0x04, 0x00, 0x00, 0x00, 0x06, 0x04}
	cmdCapture  = command{0x00, 0x00, 0x0e, 0x28, 0x0b, 0x00, 0x00, 0x00, 0x0e, 0x02, 0xfe, 0xff, 0xff, 0xff, 0x02, 0x00, 0x02}
	cmdAckState = command{0x00, 0x00, 0x08, 0x28, 0x05, 0x00, 0x00, 0x00, 0x00, 0x30, 0x01}
	cmdAck08    = command{0x09, 0x00, 0x00}
	cmdAckFrame = command{0x00, 0x00, 0x01, 0x30}
	cmdDeinit   = cmdInit2
)

// frame renders a command with its sequence number and CRC.
func frame(c command, seq uint8) []byte {
	out := make([]byte, 0, len(magic)+len(c)+2)
	out = append(out, magic...)
	out = append(out, c...)
	out[5] = out[5]&0x0f | seq<<4
	return binary.LittleEndian.AppendUint16(out, crc16(out[4:]))
}

// Message kinds the reader sends, from the type byte and, for type 0, the eighth byte.
const (
	kindState      = 0x28 // finger state report
	kindFirstFrame = 0x2c // image frame with a 10-byte info block
	kindFrame      = 0x24
	kindLastFrame  = 0x20 // carries a 4-byte trailer
)

// Finger states in a state report (byte 18).
const (
	stateNoFinger   = 0x0c
	stateFinger     = 0x00
	stateShortScan  = 0x1e
	stateMovedSides = 0x1d
)

// Protocol errors. A reader that sends anything else is broken or not a TouchChip.
var (
	ErrShortScan = errors.New("finger lifted too soon")
	ErrMoved     = errors.New("finger moved sideways")
)

// message is one parsed reader message.
type message struct {
	typ     byte // byte 4
	kind    byte // byte 7 when typ is 0
	payload []byte
	raw     []byte
}

// messageSize reads the total size a message announces in its header (header 7 + payload
// length + CRC 2), so the caller knows whether to read more.
func messageSize(head []byte) (int, error) {
	if len(head) < 7 {
		return 0, fmt.Errorf("message header is %d bytes, need 7", len(head))
	}
	if string(head[:4]) != string(magic) {
		return 0, fmt.Errorf("message does not start with Ciao: % x", head[:4])
	}
	n := int(head[5]&0x0f)<<8 | int(head[6])
	size := 7 + n + 2
	if size > maxMessage {
		return 0, fmt.Errorf("message announces %d bytes, more than the %d a frame can hold", size, maxMessage)
	}
	return size, nil
}

// parseMessage checks framing and CRC. b may be longer than the message (reads are padded).
func parseMessage(b []byte) (message, error) {
	size, err := messageSize(b)
	if err != nil {
		return message{}, err
	}
	if len(b) < size {
		return message{}, fmt.Errorf("message truncated: announced %d bytes, got %d", size, len(b))
	}
	b = b[:size]
	want := binary.LittleEndian.Uint16(b[size-2:])
	if got := crc16(b[4 : size-2]); got != want {
		return message{}, fmt.Errorf("message CRC %04x, computed %04x", want, got)
	}
	m := message{typ: b[4], payload: b[7 : size-2], raw: b}
	if m.typ == 0 {
		if len(m.payload) < 1 {
			return message{}, errors.New("status message has no kind byte")
		}
		m.kind = b[7]
	}
	return m, nil
}

// fingerState reads a state report.
func (m message) fingerState() (byte, error) {
	if len(m.raw) < 19 {
		return 0, fmt.Errorf("state report is %d bytes, need 19", len(m.raw))
	}
	return m.raw[18], nil
}

// imageData returns the pixels a frame carries: the payload after the kind byte, without the
// first frame's info block or the last frame's trailer.
func (m message) imageData() ([]byte, error) {
	data := m.payload[1:]
	switch m.kind {
	case kindFirstFrame:
		if len(data) < 10 {
			return nil, fmt.Errorf("first image frame is %d bytes, shorter than its info block", len(data))
		}
		data = data[10:]
	case kindLastFrame:
		if len(data) < 4 {
			return nil, fmt.Errorf("last image frame is %d bytes, shorter than its trailer", len(data))
		}
		data = data[:len(data)-4]
	}
	return data, nil
}

// assembler collects frames into the image.
type assembler struct {
	pix []byte
}

func (a *assembler) add(m message) error {
	data, err := m.imageData()
	if err != nil {
		return err
	}
	if len(a.pix)+len(data) > Width*Height {
		return fmt.Errorf("image frames carry more than %d pixels", Width*Height)
	}
	a.pix = append(a.pix, data...)
	return nil
}

func (a *assembler) complete() error {
	if len(a.pix) != Width*Height {
		return fmt.Errorf("image has %d pixels, want %d", len(a.pix), Width*Height)
	}
	return nil
}
