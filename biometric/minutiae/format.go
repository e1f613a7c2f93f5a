package minutiae

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// The template format, version 1. All integers big-endian.
//
//	offset  size  field
//	0       4     magic "WPMT"
//	4       1     version (1)
//	5       1     flags, 0 (no flag is defined yet; a reader refuses any it does not know)
//	6       2     image width, pixels
//	8       2     image height, pixels
//	10      2     resolution, pixels per inch (MinPPI-MaxPPI)
//	12      1     finger quality 0-100
//	13      1     reserved, 0
//	14      2     n, the number of minutiae (at most MaxMinutiae)
//	16      8·n   minutiae: x (2), y (2), angle (2, in units of a 65 536th of a turn),
//	              kind (1: 0 other, 1 ending, 2 bifurcation), quality (1, 0-100)
//	16+8n   4     CRC-32 (IEEE) of every byte before it
//
// The checksum is there because templates travel in batches and on removable media: a flipped
// bit in a coordinate would otherwise pass as a slightly different finger.
const (
	templateMagic   = "WPMT"
	templateVersion = 1
	templateHeader  = 16
	minutiaBytes    = 8
	checksumBytes   = 4
	angleUnits      = 1 << 16
)

// MarshalBinary encodes the template in the format above.
func (t *Template) MarshalBinary() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("encode template: %w", err)
	}
	b := make([]byte, templateHeader, templateHeader+minutiaBytes*len(t.Minutiae)+checksumBytes)
	copy(b, templateMagic)
	b[4] = templateVersion
	binary.BigEndian.PutUint16(b[6:], uint16(t.Width))
	binary.BigEndian.PutUint16(b[8:], uint16(t.Height))
	binary.BigEndian.PutUint16(b[10:], uint16(t.PPI))
	b[12] = t.Quality
	binary.BigEndian.PutUint16(b[14:], uint16(len(t.Minutiae)))
	for _, m := range t.Minutiae {
		b = binary.BigEndian.AppendUint16(b, uint16(m.X))
		b = binary.BigEndian.AppendUint16(b, uint16(m.Y))
		b = binary.BigEndian.AppendUint16(b, uint16(int(math.Round(normaliseAngle(m.Angle)/(2*math.Pi)*angleUnits))%angleUnits))
		b = append(b, byte(m.Kind), m.Quality)
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// check says what keeps a template from being encoded (or, decoded, from being used).
func (t *Template) check() error {
	switch {
	case t.Width <= 0 || t.Height <= 0 || t.Width > math.MaxUint16 || t.Height > math.MaxUint16:
		return fmt.Errorf("image size %d×%d is not 1-%d pixels a side", t.Width, t.Height, math.MaxUint16)
	case t.PPI < MinPPI || t.PPI > MaxPPI:
		return fmt.Errorf("resolution %d ppi is outside %d-%d", t.PPI, MinPPI, MaxPPI)
	case t.Quality > 100:
		return fmt.Errorf("finger quality %d is over 100", t.Quality)
	case len(t.Minutiae) > MaxMinutiae:
		return fmt.Errorf("%d minutiae, more than %d", len(t.Minutiae), MaxMinutiae)
	}
	for i, m := range t.Minutiae {
		switch {
		case m.X < 0 || m.Y < 0 || m.X >= t.Width || m.Y >= t.Height:
			return fmt.Errorf("minutia %d at (%d, %d) lies outside the %d×%d image", i, m.X, m.Y, t.Width, t.Height)
		case m.Kind > Bifurcation:
			return fmt.Errorf("minutia %d has unknown kind %d", i, m.Kind)
		case m.Quality > 100:
			return fmt.Errorf("minutia %d has quality %d, over 100", i, m.Quality)
		case math.IsNaN(m.Angle) || math.IsInf(m.Angle, 0):
			return fmt.Errorf("minutia %d has no valid angle", i)
		}
	}
	return nil
}

// UnmarshalBinary decodes a template, checking everything: it is outside input (a batch, a
// register export) and a damaged template must be refused, not compared.
func (t *Template) UnmarshalBinary(b []byte) error {
	d, err := decodeTemplate(b)
	if err != nil {
		return fmt.Errorf("decode template: %w", err)
	}
	*t = *d
	return nil
}

// ParseTemplate decodes a template.
func ParseTemplate(b []byte) (*Template, error) {
	var t Template
	if err := t.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &t, nil
}

func decodeTemplate(b []byte) (*Template, error) {
	if len(b) < templateHeader+checksumBytes {
		return nil, fmt.Errorf("%d bytes, shorter than the %d-byte minimum", len(b), templateHeader+checksumBytes)
	}
	if string(b[:4]) != templateMagic {
		return nil, fmt.Errorf("starts with %q, not %q: not a minutiae template", b[:4], templateMagic)
	}
	if b[4] != templateVersion {
		return nil, fmt.Errorf("version %d; this reader knows version %d", b[4], templateVersion)
	}
	if b[5] != 0 {
		return nil, fmt.Errorf("unknown flags %#02x", b[5])
	}
	if b[13] != 0 {
		return nil, errors.New("reserved byte 13 is not zero")
	}
	n := int(binary.BigEndian.Uint16(b[14:]))
	if want := templateHeader + minutiaBytes*n + checksumBytes; len(b) != want {
		return nil, fmt.Errorf("%d minutiae need %d bytes, have %d", n, want, len(b))
	}
	body := b[:len(b)-checksumBytes]
	if got, want := binary.BigEndian.Uint32(b[len(body):]), crc32.ChecksumIEEE(body); got != want {
		return nil, fmt.Errorf("checksum %08x, content sums to %08x: damaged", got, want)
	}
	t := &Template{
		Width:   int(binary.BigEndian.Uint16(b[6:])),
		Height:  int(binary.BigEndian.Uint16(b[8:])),
		PPI:     int(binary.BigEndian.Uint16(b[10:])),
		Quality: b[12],
	}
	if n > 0 {
		t.Minutiae = make([]Minutia, n)
	}
	for i := range t.Minutiae {
		p := b[templateHeader+minutiaBytes*i:]
		t.Minutiae[i] = Minutia{
			X:       int(binary.BigEndian.Uint16(p)),
			Y:       int(binary.BigEndian.Uint16(p[2:])),
			Angle:   float64(binary.BigEndian.Uint16(p[4:])) / angleUnits * 2 * math.Pi,
			Kind:    Kind(p[6]),
			Quality: p[7],
		}
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}
