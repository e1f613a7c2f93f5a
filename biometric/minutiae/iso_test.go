package minutiae_test

import (
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/wardpolice/enroll/biometric/minutiae"
)

// The record's bytes, worked out by hand from ISO/IEC 19794-2:2005's layout.
func TestISORecordLayout(t *testing.T) {
	tp := &minutiae.Template{Width: 320, Height: 400, PPI: 500, Quality: 77, Minutiae: []minutiae.Minutia{
		// Pointing down the image: a quarter turn clockwise on screen, 270° in ISO's count.
		{X: 100, Y: 200, Angle: math.Pi / 2, Kind: minutiae.Ending, Quality: 80},
	}}
	r, err := minutiae.NewISORecord(tp, 2, minutiae.LiveScanPlain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		'F', 'M', 'R', 0, ' ', '2', '0', 0, // format identifier, version
		0, 0, 0, 36, // record length
		0, 0, // capture equipment
		0x01, 0x40, 0x01, 0x90, // 320 × 400
		0, 197, 0, 197, // 500 ppi = 197 pixels/cm
		1, 0, // one view, reserved
		2, 0x00, 77, 1, // right index, view 0 / live-scan plain, quality 77, one minutia
		0x40, 100, 0, 200, 192, 80, // ending at (100, 200), 192 × 1.40625° = 270°, quality 80
		0, 0, // no extended data
	}
	if string(b) != string(want) {
		t.Errorf("record\n got % x\nwant % x", b, want)
	}
}

func TestISORecordRoundTripFieldByField(t *testing.T) {
	r := &minutiae.ISORecord{
		Compliance: 0x8, DeviceType: 0x123, Width: 500, Height: 600, ResolutionX: 197, ResolutionY: 198,
		Views: []minutiae.ISOView{
			{Position: 2, ViewNumber: 0, Impression: minutiae.LiveScanPlain, Quality: 90, Minutiae: []minutiae.ISOMinutia{
				{Kind: minutiae.Ending, X: 0, Y: 0, Angle: 0, Quality: 100},
				{Kind: minutiae.Bifurcation, X: 499, Y: 599, Angle: 255, Quality: 0},
				{Kind: minutiae.Other, X: 250, Y: 300, Angle: 128, Quality: 55},
			}},
			{Position: 7, ViewNumber: 15, Impression: minutiae.LiveScanSwipe, Quality: 0,
				Extended: []byte{0x00, 0x01, 0x00, 0x06, 0xab, 0xcd, 0x00, 0x02, 0x00, 0x04}},
		},
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := minutiae.ParseISORecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Compliance != r.Compliance || got.DeviceType != r.DeviceType || got.Width != r.Width || got.Height != r.Height ||
		got.ResolutionX != r.ResolutionX || got.ResolutionY != r.ResolutionY || len(got.Views) != len(r.Views) {
		t.Fatalf("header: got %+v", got)
	}
	for i, v := range got.Views {
		w := r.Views[i]
		if v.Position != w.Position || v.ViewNumber != w.ViewNumber || v.Impression != w.Impression || v.Quality != w.Quality ||
			string(v.Extended) != string(w.Extended) || len(v.Minutiae) != len(w.Minutiae) {
			t.Errorf("view %d: got %+v, want %+v", i, v, w)
			continue
		}
		for j, m := range v.Minutiae {
			if m != w.Minutiae[j] {
				t.Errorf("view %d minutia %d: got %+v, want %+v", i, j, m, w.Minutiae[j])
			}
		}
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("decoded record differs: %+v", got)
	}
}

// A template survives the trip through an ISO record with every field: positions and types
// exactly, angles to ISO's 1.40625° step, resolution through pixels per centimetre.
func TestTemplateThroughISORecord(t *testing.T) {
	tp := sampleTemplate()
	r, err := minutiae.NewISORecord(tp, 7, minutiae.LiveScanPlain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := minutiae.ParseISORecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if v := parsed.Views[0]; v.Position != 7 || v.Impression != minutiae.LiveScanPlain || v.Quality != tp.Quality {
		t.Errorf("view %+v", v)
	}
	got, err := parsed.Template(0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != tp.Width || got.Height != tp.Height || got.PPI != tp.PPI || got.Quality != tp.Quality {
		t.Errorf("header: got %+v", got)
	}
	for i, m := range got.Minutiae {
		w := tp.Minutiae[i]
		d := math.Abs(math.Remainder(m.Angle-w.Angle, 2*math.Pi))
		if m.X != w.X || m.Y != w.Y || m.Kind != w.Kind || m.Quality != w.Quality || d > math.Pi/256+1e-9 {
			t.Errorf("minutia %d: got %+v, want %+v", i, m, w)
		}
	}
	if _, err := parsed.Template(1); err == nil {
		t.Error("a view that is not there gave a template")
	}
}

func TestISORecordDecodeSaysWhatIsWrong(t *testing.T) {
	tp := sampleTemplate()
	r, err := minutiae.NewISORecord(tp, 2, minutiae.LiveScanPlain)
	if err != nil {
		t.Fatal(err)
	}
	good, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	relength := func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], uint32(len(b))); return b }
	first := 24 + 4 // the first minutia
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than the 24-byte"},
		{"magic", edit(func(b []byte) []byte { b[0] = 'G'; return b }), "format identifier"},
		{"version", edit(func(b []byte) []byte { b[5] = '3'; return b }), "version"},
		{"length", edit(func(b []byte) []byte { b[11]++; return b }), "record length"},
		{"truncated", relength(edit(func(b []byte) []byte { return b[:first+3] })), "need"},
		{"no views", relength(edit(func(b []byte) []byte { b[22] = 0; return b[:24] })), "no finger views"},
		{"missing view", relength(edit(func(b []byte) []byte { b[22] = 2; return b })), "view 1: header missing"},
		{"resolution", edit(func(b []byte) []byte { b[18], b[19] = 0, 0; return b }), "resolution"},
		{"position", edit(func(b []byte) []byte { b[24] = 11; return b }), "finger position 11"},
		{"finger quality", edit(func(b []byte) []byte { b[26] = 101; return b }), "finger quality 101"},
		{"type", edit(func(b []byte) []byte { b[first] |= 0xc0; return b }), "type 3 is reserved"},
		{"reserved y bits", edit(func(b []byte) []byte { b[first+2] |= 0x40; return b }), "reserved bits"},
		{"outside", edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[first+2:], 400); return b }), "outside"},
		{"minutia quality", edit(func(b []byte) []byte { b[first+5] = 101; return b }), "quality 101"},
		{"extended overrun", edit(func(b []byte) []byte { b[len(b)-1] = 9; return b }), "extended data of 9 bytes"},
		{"extended area", relength(edit(func(b []byte) []byte {
			b[len(b)-1] = 5
			return append(b, 0, 1, 0, 9, 0)
		})), "claims 9 bytes"},
		{"trailing", relength(edit(func(b []byte) []byte { return append(b, 0) })), "after the last"},
	}
	for _, c := range cases {
		_, err := minutiae.ParseISORecord(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

func TestISORecordEncodeRefusesInvalid(t *testing.T) {
	for name, r := range map[string]*minutiae.ISORecord{
		"no views":   {ResolutionX: 197, ResolutionY: 197},
		"compliance": {Compliance: 16, ResolutionX: 197, ResolutionY: 197, Views: []minutiae.ISOView{{}}},
		"device":     {DeviceType: 0x1000, ResolutionX: 197, ResolutionY: 197, Views: []minutiae.ISOView{{}}},
		"impression": {ResolutionX: 197, ResolutionY: 197, Views: []minutiae.ISOView{{Impression: 16}}},
		"coordinate": {ResolutionX: 197, ResolutionY: 197, Views: []minutiae.ISOView{{Minutiae: []minutiae.ISOMinutia{{X: 1 << 14}}}}},
		"extended":   {ResolutionX: 197, ResolutionY: 197, Views: []minutiae.ISOView{{Extended: []byte{1, 2}}}},
	} {
		if _, err := r.MarshalBinary(); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}

// TestISORecordOfSeveralFingers: a register's record holds one view per finger; a view of
// another image size or resolution cannot join it.
func TestISORecordOfSeveralFingers(t *testing.T) {
	a := &minutiae.Template{Width: 320, Height: 400, PPI: 500, Minutiae: []minutiae.Minutia{{X: 10, Y: 20, Angle: 1, Kind: minutiae.Ending, Quality: 50}}}
	r, err := minutiae.NewISORecord(a, 2, minutiae.LiveScanPlain)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddView(a, 7, minutiae.LiveScanPlain); err != nil {
		t.Fatal(err)
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := minutiae.ParseISORecord(b)
	if err != nil || len(back.Views) != 2 || back.Views[0].Position != 2 || back.Views[1].Position != 7 {
		t.Fatalf("read back %+v, %v", back, err)
	}
	other := *a
	other.PPI = 1000
	if err := r.AddView(&other, 3, minutiae.LiveScanPlain); err == nil || len(r.Views) != 2 {
		t.Fatalf("a view at another resolution joined the record: %v", err)
	}
	other = *a
	other.Width = 400
	if err := r.AddView(&other, 3, minutiae.LiveScanPlain); err == nil {
		t.Fatal("a view of another image size joined the record")
	}
}
