package enroll

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseCCCDQR(f *testing.F) {
	for _, s := range []string{
		"001087012345||Nguyễn Văn An|14031987|Nam|Số 12 ngõ 34 Khâm Thiên, Hà Nội|10062021",
		"036192004321|162345678|Trần Thị Bích Ngọc|02071992|Nữ|Nam Định|15082021|extra|more",
		"079205123456||Lê Hoàng Phúc|31122005|Nam||",
		"||||||", "|", "", "001087012345||A|14031987|Nam|x|1006202",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		form, err := ParseCCCDQR(s)
		if err != nil {
			if _, ok := AsFieldError(err); !ok || !strings.HasPrefix(err.Error(), "qr: ") {
				t.Fatalf("error %v is not a QR field error", err)
			}
			return
		}
		// Whatever the parser accepts must be a consistent identity.
		id, err := ParsePersonalID(form.PersonalID)
		if err != nil {
			t.Fatalf("accepted bad ID %q: %v", form.PersonalID, err)
		}
		dob, err := ParseDate(FieldDateOfBirth, form.DateOfBirth)
		if err != nil {
			t.Fatalf("accepted bad DOB %q", form.DateOfBirth)
		}
		g, _ := ParseGender(form.Gender)
		if err := id.CheckBirth(dob, g); err != nil {
			t.Fatalf("accepted inconsistent code: %v", err)
		}
		if !utf8.ValidString(form.FullName) || form.FullName == "" {
			t.Fatalf("accepted name %q", form.FullName)
		}
	})
}

func FuzzParsePersonalID(f *testing.F) {
	for _, s := range []string{"001087012345", "079 301 012 345", "003087012345", "", "12345678901234567890", "٠٠١٠٨٧٠١٢٣٤٥"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParsePersonalID(s)
		if err != nil {
			if fe, ok := AsFieldError(err); !ok || fe.Field != FieldPersonalID {
				t.Fatalf("error %v is not a personal_id field error", err)
			}
			return
		}
		if len(id) != 12 || !allDigits(string(id)) {
			t.Fatalf("accepted %q as %q", s, id)
		}
		if _, name := id.Province(); name == "" {
			t.Fatalf("accepted unknown province in %q", id)
		}
		y := id.BirthYear()
		if err := id.CheckBirth(Date{y, 1, 1}, id.Gender()); err != nil {
			t.Fatalf("number disagrees with itself: %v", err)
		}
	})
}
