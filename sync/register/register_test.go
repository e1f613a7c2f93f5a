package register

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
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
	for _, e := range in {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var out []enroll.RegisterEntry
	if err := Read(&buf, func(e enroll.RegisterEntry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0] != in[0] || out[1] != in[1] {
		t.Fatalf("read back %+v, want %+v", out, in)
	}
}

func TestReadNamesTheBadLine(t *testing.T) {
	for name, c := range map[string]struct{ csv, want string }{
		"empty":       {"", "empty file"},
		"header":      {"id,name,dob,gender\n", "column 1"},
		"bad id":      {"personal_id,full_name,date_of_birth,gender\n001087000123,An,1987-03-09,Nam\n12345,B,1990-01-01,Nữ\n", "line 3"},
		"bad date":    {"personal_id,full_name,date_of_birth,gender\n001087000123,Nguyễn An,1987-13-09,Nam\n", "line 2"},
		"bad gender":  {"personal_id,full_name,date_of_birth,gender\n001087000123,Nguyễn An,1987-03-09,X\n", "line 2"},
		"short line":  {"personal_id,full_name,date_of_birth,gender\n001087000123,Nguyễn An\n", "line 2"},
		"bad quoting": {"personal_id,full_name,date_of_birth,gender\n\"001087000123,Nguyễn An,1987-03-09,Nam\n", "register"},
	} {
		err := Read(strings.NewReader(c.csv), func(enroll.RegisterEntry) error { return nil })
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
	f.Fuzz(func(t *testing.T, s string) {
		Read(strings.NewReader(s), func(e enroll.RegisterEntry) error {
			if len(e.PersonalID) != 12 {
				t.Fatalf("accepted ID %q", e.PersonalID)
			}
			return nil
		})
	})
}
