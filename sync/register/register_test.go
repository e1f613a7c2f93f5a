package register

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric/minutiae"
)

func TestWriteRead(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	in := []enroll.RegisterEntry{
		{PersonalID: "001087000123", FullName: "Nguyễn Văn An", DateOfBirth: enroll.Date{Year: 1987, Month: 3, Day: 9}, Gender: enroll.Male},
		{PersonalID: "079301000456", FullName: "Trần Thị, Bích", DateOfBirth: enroll.Date{Year: 2001, Month: 12, Day: 31}, Gender: enroll.Female},
	}
	in[1].FullName = "Trần Thị Bích"
	prints := testPrints(t)
	for i, e := range in {
		entry := Entry{RegisterEntry: e}
		if i == 0 {
			entry.Prints = prints
		}
		if err := w.Write(entry); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var out []Entry
	if err := Read(&buf, func(e Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].RegisterEntry != in[0] || out[1].RegisterEntry != in[1] {
		t.Fatalf("read back %+v, want %+v", out, in)
	}
	if out[1].Prints != nil {
		t.Fatalf("a citizen written without prints read back with %+v", out[1].Prints)
	}
	if !reflect.DeepEqual(out[0].Prints, prints) {
		t.Fatalf("prints read back as %+v, want %+v", out[0].Prints, prints)
	}
	ref, ok, err := out[0].Reference(enroll.LeftIndex)
	if err != nil || !ok || len(ref.Minutiae) != 2 || ref.PPI != 500 {
		t.Fatalf("left index reference: %+v %v %v", ref, ok, err)
	}
	if _, ok, err := out[0].Reference(enroll.RightThumb); ok || err != nil {
		t.Fatalf("a finger the register has no print of: %v %v", ok, err)
	}
}

// testPrints is a reference record of the two index fingers.
func testPrints(t testing.TB) *minutiae.ISORecord {
	t.Helper()
	tmpl := &minutiae.Template{Width: 320, Height: 400, PPI: 500, Minutiae: []minutiae.Minutia{
		{X: 100, Y: 120, Angle: 1, Kind: minutiae.Ending, Quality: 80},
		{X: 200, Y: 220, Angle: 4, Kind: minutiae.Bifurcation, Quality: 60},
	}}
	r, err := minutiae.NewISORecord(tmpl, uint8(enroll.RightIndex), minutiae.LiveScanPlain)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddView(tmpl, uint8(enroll.LeftIndex), minutiae.LiveScanPlain); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIdentityOnlyRegister(t *testing.T) {
	var n int
	err := Read(strings.NewReader("personal_id,full_name,date_of_birth,gender\n001087000123,Nguyễn Văn An,1987-03-09,Nam\n"), func(e Entry) error {
		n++
		if e.Prints != nil {
			t.Errorf("prints from a file without the column: %+v", e.Prints)
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("read %d entries: %v", n, err)
	}
}

func TestBadPrintsNameTheLine(t *testing.T) {
	good := testPrints(t)
	b, err := good.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	twice := *good
	twice.Views = append(twice.Views, good.Views[0])
	tb, err := twice.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	unknown := *good
	unknown.Views = []minutiae.ISOView{good.Views[0]}
	unknown.Views[0].Position = 0
	ub, err := unknown.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	head := "personal_id,full_name,date_of_birth,gender,fingerprints\n001087000123,Nguyễn Văn An,1987-03-09,Nam,\n"
	for name, c := range map[string]struct{ field, want string }{
		"not base64":    {"@@@", "line 3: fingerprints: not base64"},
		"truncated":     {base64.StdEncoding.EncodeToString(b[:len(b)-3]), "line 3: fingerprints: decode ISO minutiae record"},
		"finger twice":  {base64.StdEncoding.EncodeToString(tb), "a second view of finger position 2"},
		"no position":   {base64.StdEncoding.EncodeToString(ub), "finger position 0"},
		"not a record":  {base64.StdEncoding.EncodeToString([]byte("hello")), "line 3: fingerprints"},
		"extra columns": {"x,y", "line 3"},
	} {
		csv := head + "079301000456,Trần Thị Bích,2001-12-31,Nữ," + c.field + "\n"
		err := Read(strings.NewReader(csv), func(Entry) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	// A writer refuses what a reader would.
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	if err := w.Write(Entry{RegisterEntry: enroll.RegisterEntry{PersonalID: "001087000123"}, Prints: &twice}); err == nil {
		t.Fatal("wrote a record with one finger twice")
	}
}

func TestReadNamesTheBadLine(t *testing.T) {
	for name, c := range map[string]struct{ csv, want string }{
		"empty":        {"", "empty file"},
		"header":       {"id,name,dob,gender\n", "column 1"},
		"fifth column": {"personal_id,full_name,date_of_birth,gender,prints\n", "column 5"},
		"six columns":  {"personal_id,full_name,date_of_birth,gender,fingerprints,x\n", "6 columns"},
		"bad id":       {"personal_id,full_name,date_of_birth,gender\n001087000123,An,1987-03-09,Nam\n12345,B,1990-01-01,Nữ\n", "line 3"},
		"bad date":     {"personal_id,full_name,date_of_birth,gender\n001087000123,Nguyễn An,1987-13-09,Nam\n", "line 2"},
		"bad gender":   {"personal_id,full_name,date_of_birth,gender\n001087000123,Nguyễn An,1987-03-09,X\n", "line 2"},
		"short line":   {"personal_id,full_name,date_of_birth,gender\n001087000123,Nguyễn An\n", "line 2"},
		"bad quoting":  {"personal_id,full_name,date_of_birth,gender\n\"001087000123,Nguyễn An,1987-03-09,Nam\n", "register"},
	} {
		err := Read(strings.NewReader(c.csv), func(Entry) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
}

// FuzzRead: central loads register files it is given; bad ones are refused, never a panic.
func FuzzRead(f *testing.F) {
	f.Add("personal_id,full_name,date_of_birth,gender\n001087000123,Nguyễn Văn An,1987-03-09,Nam\n")
	f.Add("personal_id,full_name,date_of_birth,gender\n")
	f.Add("\ufeffpersonal_id,full_name,date_of_birth,gender\r\n079301000456,Trần Thị Bích,2001-12-31,Nữ\r\n")
	b, err := testPrints(f).MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("personal_id,full_name,date_of_birth,gender,fingerprints\n001087000123,Nguyễn Văn An,1987-03-09,Nam," +
		base64.StdEncoding.EncodeToString(b) + "\n079301000456,Trần Thị Bích,2001-12-31,Nữ,\n")
	f.Fuzz(func(t *testing.T, s string) {
		Read(strings.NewReader(s), func(e Entry) error {
			if len(e.PersonalID) != 12 {
				t.Fatalf("accepted ID %q", e.PersonalID)
			}
			if e.Prints != nil {
				for _, v := range e.Prints.Views {
					if !enroll.FingerPosition(v.Position).Valid() {
						t.Fatalf("accepted a view of finger position %d", v.Position)
					}
				}
			}
			return nil
		})
	})
}
