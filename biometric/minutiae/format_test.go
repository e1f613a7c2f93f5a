package minutiae_test

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"strings"
	"testing"

	"github.com/wardpolice/enroll/biometric/minutiae"
)

func sampleTemplate() *minutiae.Template {
	return &minutiae.Template{
		Width: 320, Height: 400, PPI: 500, Quality: 77,
		Minutiae: []minutiae.Minutia{
			{X: 0, Y: 0, Angle: 0, Kind: minutiae.Ending, Quality: 100},
			{X: 319, Y: 399, Angle: 2*math.Pi - 1e-3, Kind: minutiae.Bifurcation, Quality: 1},
			{X: 160, Y: 200, Angle: 1.234, Kind: minutiae.Other, Quality: 0},
		},
	}
}

func TestTemplateRoundTrip(t *testing.T) {
	tp := sampleTemplate()
	b, err := tp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 16+8*3+4 || string(b[:4]) != "WPMT" || b[4] != 1 {
		t.Fatalf("layout: %d bytes, header % x", len(b), b[:6])
	}
	got, err := minutiae.ParseTemplate(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != tp.Width || got.Height != tp.Height || got.PPI != tp.PPI || got.Quality != tp.Quality || len(got.Minutiae) != len(tp.Minutiae) {
		t.Fatalf("header: got %+v", got)
	}
	for i, m := range got.Minutiae {
		w := tp.Minutiae[i]
		// Angles are kept to a 65 536th of a turn; 2π − 0.001 rounds to 0.
		d := math.Abs(math.Remainder(m.Angle-w.Angle, 2*math.Pi))
		if m.X != w.X || m.Y != w.Y || m.Kind != w.Kind || m.Quality != w.Quality || d > math.Pi/65536 {
			t.Errorf("minutia %d: got %+v, want %+v", i, m, w)
		}
		if m.Angle < 0 || m.Angle >= 2*math.Pi {
			t.Errorf("minutia %d: angle %v outside [0, 2π)", i, m.Angle)
		}
	}
	again, err := got.MarshalBinary()
	if err != nil || string(again) != string(b) {
		t.Errorf("re-encoding differs: %v", err)
	}
	empty := &minutiae.Template{Width: 10, Height: 10, PPI: 500}
	if b, err := empty.MarshalBinary(); err != nil {
		t.Error(err)
	} else if e, err := minutiae.ParseTemplate(b); err != nil || len(e.Minutiae) != 0 {
		t.Errorf("empty template: %+v %v", e, err)
	}
}

// Every way a template can be damaged is refused with a reason naming it. The checksum is
// recomputed after each change so that the check behind it is the one reached.
func TestTemplateDecodeSaysWhatIsWrong(t *testing.T) {
	good, err := sampleTemplate().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	resum := func(b []byte) []byte {
		binary.BigEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
		return b
	}
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter"},
		{"truncated", good[:30], "need"},
		{"magic", edit(func(b []byte) []byte { b[0] = 'X'; return resum(b) }), "not a minutiae template"},
		{"version", edit(func(b []byte) []byte { b[4] = 2; return resum(b) }), "version 2"},
		{"flags", edit(func(b []byte) []byte { b[5] = 1; return resum(b) }), "flags"},
		{"reserved", edit(func(b []byte) []byte { b[13] = 1; return resum(b) }), "reserved"},
		{"count", edit(func(b []byte) []byte { b[15] = 4; return resum(b) }), "4 minutiae need"},
		{"checksum", edit(func(b []byte) []byte { b[20] ^= 1; return b }), "checksum"},
		{"width", edit(func(b []byte) []byte { b[6], b[7] = 0, 0; return resum(b) }), "image size"},
		{"resolution", edit(func(b []byte) []byte { b[10], b[11] = 0, 100; return resum(b) }), "resolution 100 ppi"},
		{"quality", edit(func(b []byte) []byte { b[12] = 101; return resum(b) }), "finger quality 101"},
		{"outside", edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[16:], 320); return resum(b) }), "outside"},
		{"kind", edit(func(b []byte) []byte { b[16+6] = 3; return resum(b) }), "unknown kind"},
		{"minutia quality", edit(func(b []byte) []byte { b[16+7] = 200; return resum(b) }), "quality 200"},
		{"trailing", resum(append(append([]byte(nil), good...), 0, 0, 0, 0)), "need"},
	}
	for _, c := range cases {
		_, err := minutiae.ParseTemplate(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

func TestTemplateEncodeRefusesInvalid(t *testing.T) {
	for name, tp := range map[string]*minutiae.Template{
		"outside":     {Width: 10, Height: 10, PPI: 500, Minutiae: []minutiae.Minutia{{X: 10, Y: 0}}},
		"no size":     {PPI: 500},
		"resolution":  {Width: 10, Height: 10, PPI: 20},
		"nan angle":   {Width: 10, Height: 10, PPI: 500, Minutiae: []minutiae.Minutia{{Angle: math.NaN()}}},
		"too many":    {Width: 10, Height: 10, PPI: 500, Minutiae: make([]minutiae.Minutia, minutiae.MaxMinutiae+1)},
		"bad quality": {Width: 10, Height: 10, PPI: 500, Quality: 101},
	} {
		if _, err := tp.MarshalBinary(); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}
