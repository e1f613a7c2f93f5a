package minutiae

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ISO/IEC 19794-2:2005 finger minutiae record ("FMR"), the record format other systems read.
// All integers big-endian.
//
//	record header, 24 bytes:
//	  "FMR\0", version " 20\0", record length (4), capture equipment (2: 4 bits compliance,
//	  12 bits device type), image width (2), height (2), x and y resolution (2 + 2, pixels
//	  per centimetre), number of finger views (1), reserved (1)
//	per view, a 4-byte header:
//	  finger position (1), view number (4 bits) and impression type (4 bits), finger
//	  quality (1, 0-100), number of minutiae (1)
//	per minutia, 6 bytes:
//	  type (2 bits: 01 ending, 10 bifurcation, 00 other) and x (14 bits), reserved (2 bits)
//	  and y (14 bits), angle (1, units of 360/256 = 1.40625°, counter-clockwise from the
//	  x axis), quality (1, 0-100, 0 when not reported)
//	  then the extended data block length (2) and that many bytes of extended data areas,
//	  each a type (2), a length (2, counting these 4 bytes) and data.
//
// Coordinates are pixels from the image's top-left corner, as in a Template. This package's
// angle convention for each kind (see Minutia) is kept; ISO counts angles the other way round
// on screen, so they are mirrored on the way in and out.
const (
	isoMagic        = "FMR\x00"
	isoVersion      = " 20\x00"
	isoHeader       = 24
	isoViewHeader   = 4
	isoMinutiaBytes = 6
	isoAngleUnit    = 2 * math.Pi / 256
	isoMaxCoord     = 1<<14 - 1
	cmPerInch       = 2.54
)

// Impression types of ISO/IEC 19794-2.
const (
	LiveScanPlain     = 0
	LiveScanRolled    = 1
	NonLiveScanPlain  = 2
	NonLiveScanRolled = 3
	LiveScanSwipe     = 8
)

// ISORecord is a finger minutiae record.
type ISORecord struct {
	// Compliance is the 4-bit capture equipment certification field, DeviceType the
	// 12-bit vendor-assigned capture device type (0: unreported).
	Compliance uint8
	DeviceType uint16
	Width      uint16
	Height     uint16
	// ResolutionX and ResolutionY are in pixels per centimetre (197 for 500 ppi).
	ResolutionX, ResolutionY uint16
	Views                    []ISOView
}

// ISOView is one finger view: one impression of one finger.
type ISOView struct {
	// Position is the finger position code, 0 (unknown) or 1 (right thumb) … 10 (left little),
	// the same numbering as enroll.Finger.
	Position   uint8
	ViewNumber uint8 // 0-15: several views of the same finger are numbered
	Impression uint8 // 0-15, see LiveScanPlain and the others
	Quality    uint8 // 0-100
	Minutiae   []ISOMinutia
	// Extended is the view's extended data (ridge counts, core and delta, vendor data),
	// carried as it is: areas of type, length and data.
	Extended []byte
}

// ISOMinutia is a minutia as the record codes it.
type ISOMinutia struct {
	Kind    Kind
	X, Y    uint16 // 14 bits each
	Angle   uint8  // 1.40625° units, counter-clockwise
	Quality uint8  // 0-100, 0 = not reported
}

// NewISORecord makes a one-view record of the template, for finger position (1-10, 0 if not
// known) captured as impression (LiveScanPlain for the station's readers).
func NewISORecord(t *Template, position, impression uint8) (*ISORecord, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("ISO minutiae record: %w", err)
	}
	if t.Width > isoMaxCoord || t.Height > isoMaxCoord {
		return nil, fmt.Errorf("ISO minutiae record: image %d×%d exceeds the record's %d pixels a side", t.Width, t.Height, isoMaxCoord)
	}
	res := uint16(math.Round(float64(t.PPI) / cmPerInch))
	v := ISOView{Position: position, Impression: impression, Quality: t.Quality}
	for _, m := range t.Minutiae {
		// Ours turn with the image's y axis (clockwise on screen); ISO's the other way.
		units := int(math.Round(normaliseAngle(-m.Angle)/isoAngleUnit)) % 256
		v.Minutiae = append(v.Minutiae, ISOMinutia{Kind: m.Kind, X: uint16(m.X), Y: uint16(m.Y), Angle: uint8(units), Quality: m.Quality})
	}
	r := &ISORecord{Width: uint16(t.Width), Height: uint16(t.Height), ResolutionX: res, ResolutionY: res, Views: []ISOView{v}}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("ISO minutiae record: %w", err)
	}
	return r, nil
}

// AddView adds the template as another finger view (a record of several fingers, as a
// register holds for one citizen). Every view of a record shares its image size and
// resolution, so the template must have them too.
func (r *ISORecord) AddView(t *Template, position, impression uint8) error {
	v, err := NewISORecord(t, position, impression)
	if err != nil {
		return err
	}
	if v.Width != r.Width || v.Height != r.Height || v.ResolutionX != r.ResolutionX || v.ResolutionY != r.ResolutionY {
		return fmt.Errorf("ISO minutiae record: a %d×%d view at %d pixels/cm cannot join a record of %d×%d at %d pixels/cm",
			v.Width, v.Height, v.ResolutionX, r.Width, r.Height, r.ResolutionX)
	}
	r.Views = append(r.Views, v.Views[0])
	return r.check()
}

// Template turns view i of the record into a template for matching. The resolution is the
// record's x resolution in pixels per inch.
func (r *ISORecord) Template(i int) (*Template, error) {
	if i < 0 || i >= len(r.Views) {
		return nil, fmt.Errorf("ISO minutiae record: no view %d among %d", i, len(r.Views))
	}
	v := r.Views[i]
	t := &Template{
		Width: int(r.Width), Height: int(r.Height),
		PPI:     int(math.Round(float64(r.ResolutionX) * cmPerInch)),
		Quality: v.Quality,
	}
	for _, m := range v.Minutiae {
		t.Minutiae = append(t.Minutiae, Minutia{
			X: int(m.X), Y: int(m.Y), Kind: m.Kind, Quality: m.Quality,
			Angle: normaliseAngle(-float64(m.Angle) * isoAngleUnit),
		})
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("ISO minutiae record view %d: %w", i, err)
	}
	return t, nil
}

// check says what keeps the record from being valid.
func (r *ISORecord) check() error {
	switch {
	case r.Compliance > 0x0f:
		return fmt.Errorf("capture equipment compliance %#x does not fit 4 bits", r.Compliance)
	case r.DeviceType > 0x0fff:
		return fmt.Errorf("capture device type %#x does not fit 12 bits", r.DeviceType)
	case r.ResolutionX == 0 || r.ResolutionY == 0:
		return fmt.Errorf("resolution %d×%d pixels/cm is not positive", r.ResolutionX, r.ResolutionY)
	case len(r.Views) == 0:
		return errors.New("no finger views")
	case len(r.Views) > math.MaxUint8:
		return fmt.Errorf("%d finger views, more than %d", len(r.Views), math.MaxUint8)
	}
	for i, v := range r.Views {
		switch {
		case v.Position > 10:
			return fmt.Errorf("view %d: finger position %d is not 0-10", i, v.Position)
		case v.ViewNumber > 0x0f || v.Impression > 0x0f:
			return fmt.Errorf("view %d: view number %d or impression type %d does not fit 4 bits", i, v.ViewNumber, v.Impression)
		case v.Quality > 100:
			return fmt.Errorf("view %d: finger quality %d is over 100", i, v.Quality)
		case len(v.Minutiae) > math.MaxUint8:
			return fmt.Errorf("view %d: %d minutiae, more than %d", i, len(v.Minutiae), math.MaxUint8)
		case len(v.Extended) > math.MaxUint16:
			return fmt.Errorf("view %d: %d bytes of extended data, more than %d", i, len(v.Extended), math.MaxUint16)
		}
		for j, m := range v.Minutiae {
			switch {
			case m.Kind > Bifurcation:
				return fmt.Errorf("view %d minutia %d: type %d is reserved", i, j, m.Kind)
			case m.X > isoMaxCoord || m.Y > isoMaxCoord:
				return fmt.Errorf("view %d minutia %d: (%d, %d) does not fit 14 bits", i, j, m.X, m.Y)
			case (r.Width > 0 && m.X >= r.Width) || (r.Height > 0 && m.Y >= r.Height):
				return fmt.Errorf("view %d minutia %d: (%d, %d) lies outside the %d×%d image", i, j, m.X, m.Y, r.Width, r.Height)
			case m.Quality > 100:
				return fmt.Errorf("view %d minutia %d: quality %d is over 100", i, j, m.Quality)
			}
		}
		if err := checkExtended(v.Extended); err != nil {
			return fmt.Errorf("view %d: %w", i, err)
		}
	}
	return nil
}

// checkExtended walks the extended data areas: each must carry its 4-byte header and fit.
func checkExtended(b []byte) error {
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return fmt.Errorf("extended data: %d stray bytes at offset %d", len(b)-off, off)
		}
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if n < 4 || off+n > len(b) {
			return fmt.Errorf("extended data area at offset %d (type %#04x) claims %d bytes, %d remain",
				off, binary.BigEndian.Uint16(b[off:]), n, len(b)-off)
		}
		off += n
	}
	return nil
}

// MarshalBinary encodes the record.
func (r *ISORecord) MarshalBinary() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("encode ISO minutiae record: %w", err)
	}
	size := isoHeader
	for _, v := range r.Views {
		size += isoViewHeader + isoMinutiaBytes*len(v.Minutiae) + 2 + len(v.Extended)
	}
	b := make([]byte, 0, size)
	b = append(b, isoMagic...)
	b = append(b, isoVersion...)
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	b = binary.BigEndian.AppendUint16(b, uint16(r.Compliance)<<12|r.DeviceType)
	b = binary.BigEndian.AppendUint16(b, r.Width)
	b = binary.BigEndian.AppendUint16(b, r.Height)
	b = binary.BigEndian.AppendUint16(b, r.ResolutionX)
	b = binary.BigEndian.AppendUint16(b, r.ResolutionY)
	b = append(b, uint8(len(r.Views)), 0)
	for _, v := range r.Views {
		b = append(b, v.Position, v.ViewNumber<<4|v.Impression, v.Quality, uint8(len(v.Minutiae)))
		for _, m := range v.Minutiae {
			b = binary.BigEndian.AppendUint16(b, uint16(isoKind(m.Kind))<<14|m.X)
			b = binary.BigEndian.AppendUint16(b, m.Y)
			b = append(b, m.Angle, m.Quality)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(v.Extended)))
		b = append(b, v.Extended...)
	}
	return b, nil
}

// ParseISORecord decodes a record, checking every field: it comes from outside (another
// system's export), and what is wrong is said, not guessed around.
func ParseISORecord(b []byte) (*ISORecord, error) {
	r, err := parseISO(b)
	if err != nil {
		return nil, fmt.Errorf("decode ISO minutiae record: %w", err)
	}
	return r, nil
}

func parseISO(b []byte) (*ISORecord, error) {
	if len(b) < isoHeader {
		return nil, fmt.Errorf("%d bytes, shorter than the %d-byte record header", len(b), isoHeader)
	}
	if string(b[:4]) != isoMagic {
		return nil, fmt.Errorf("format identifier %q, not \"FMR\\x00\"", b[:4])
	}
	if string(b[4:8]) != isoVersion {
		return nil, fmt.Errorf("version %q; this reader knows \" 20\\x00\" (ISO/IEC 19794-2:2005)", b[4:8])
	}
	if n := binary.BigEndian.Uint32(b[8:]); uint64(n) != uint64(len(b)) {
		return nil, fmt.Errorf("record length field says %d bytes, have %d", n, len(b))
	}
	equipment := binary.BigEndian.Uint16(b[12:])
	r := &ISORecord{
		Compliance:  uint8(equipment >> 12),
		DeviceType:  equipment & 0x0fff,
		Width:       binary.BigEndian.Uint16(b[14:]),
		Height:      binary.BigEndian.Uint16(b[16:]),
		ResolutionX: binary.BigEndian.Uint16(b[18:]),
		ResolutionY: binary.BigEndian.Uint16(b[20:]),
	}
	views := int(b[22])
	off := isoHeader
	for i := range views {
		if len(b)-off < isoViewHeader {
			return nil, fmt.Errorf("view %d: header missing at offset %d", i, off)
		}
		v := ISOView{Position: b[off], ViewNumber: b[off+1] >> 4, Impression: b[off+1] & 0x0f, Quality: b[off+2]}
		n := int(b[off+3])
		off += isoViewHeader
		if len(b)-off < isoMinutiaBytes*n+2 {
			return nil, fmt.Errorf("view %d: %d minutiae and the extended data length need %d bytes at offset %d, %d remain",
				i, n, isoMinutiaBytes*n+2, off, len(b)-off)
		}
		for range n {
			xw, yw := binary.BigEndian.Uint16(b[off:]), binary.BigEndian.Uint16(b[off+2:])
			if yw>>14 != 0 {
				return nil, fmt.Errorf("view %d minutia %d: reserved bits above y are set", i, len(v.Minutiae))
			}
			kind, ok := kindOfISO(uint8(xw >> 14))
			if !ok {
				return nil, fmt.Errorf("view %d minutia %d: type 3 is reserved", i, len(v.Minutiae))
			}
			v.Minutiae = append(v.Minutiae, ISOMinutia{Kind: kind, X: xw & isoMaxCoord, Y: yw, Angle: b[off+4], Quality: b[off+5]})
			off += isoMinutiaBytes
		}
		ext := int(binary.BigEndian.Uint16(b[off:]))
		off += 2
		if len(b)-off < ext {
			return nil, fmt.Errorf("view %d: extended data of %d bytes, %d remain", i, ext, len(b)-off)
		}
		if ext > 0 {
			v.Extended = append([]byte(nil), b[off:off+ext]...)
		}
		off += ext
		r.Views = append(r.Views, v)
	}
	if off != len(b) {
		return nil, fmt.Errorf("%d bytes after the last of %d views", len(b)-off, views)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

// isoKind and kindOfISO translate minutia types: ISO codes an ending 01 and a bifurcation 10.
func isoKind(k Kind) uint8 {
	switch k {
	case Ending:
		return 1
	case Bifurcation:
		return 2
	}
	return 0
}

func kindOfISO(code uint8) (Kind, bool) {
	switch code {
	case 0:
		return Other, true
	case 1:
		return Ending, true
	case 2:
		return Bifurcation, true
	}
	return 0, false
}
