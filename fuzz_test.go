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

// FuzzCitizenForm feeds arbitrary typed text to every identity field at once.
func FuzzCitizenForm(f *testing.F) {
	f.Add("001087012345", "", "Nguyễn Văn An", "14/03/1987", "Nam", "Hà Nội", "10/06/2021")
	f.Add("036192004321", "162345678", "Trần Thị Ngọc", "02071992", "nữ", "", "")
	f.Add("x", "1", "!", "99/99/9999", "?", "\x00", "1987-03-14")
	f.Fuzz(func(t *testing.T, id, old, name, dob, gender, addr, issue string) {
		form := CitizenForm{id, old, name, dob, gender, addr, issue}
		c, errs := form.Validate(Date{2026, 11, 25})
		for _, e := range errs {
			if e.Field == "" || e.Code == "" {
				t.Fatalf("error without field or code: %+v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		// A valid form survives a round trip through its own text.
		again, errs := c.Form().Validate(Date{2026, 11, 25})
		if len(errs) > 0 || again != c {
			t.Fatalf("round trip: %+v -> %+v (%v)", c, again, errs)
		}
	})
}

func FuzzContact(f *testing.F) {
	f.Add("+84 912 345 678", "an@x.vn")
	f.Add("0912.345.678", "")
	f.Add("84", "a@b")
	f.Fuzz(func(t *testing.T, phone, email string) {
		p, err := NormalizePhone(phone)
		if err == nil && p != "" {
			if len(p) != 10 || p[0] != '0' || !allDigits(p) {
				t.Fatalf("%q normalised to %q", phone, p)
			}
			if again, err := NormalizePhone(p); err != nil || again != p {
				t.Fatalf("normal form %q not stable: %q %v", p, again, err)
			}
		}
		if e, err := NormalizeEmail(email); err == nil && e != "" {
			if again, err := NormalizeEmail(e); err != nil || again != e {
				t.Fatalf("normal e-mail %q not stable: %q %v", e, again, err)
			}
		}
	})
}
