package enroll

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

var today = Date{2026, time.November, 25}

func TestParsePersonalID(t *testing.T) {
	cases := []struct {
		in       string
		code     string
		province string
	}{
		{"001087012345", "", "Hà Nội"},
		{"079 301 012 345", "", "TP Hồ Chí Minh"},
		{"048.205.000.123", "", "Đà Nẵng"},
		{"", CodeRequired, ""},
		{"00108701234", CodeIDLength, ""},
		{"0010870123456", CodeIDLength, ""},
		{"00108701234A", CodeIDDigits, ""},
		{"003087012345", CodeIDProvince, ""}, // 003 is not assigned
		{"099087012345", CodeIDProvince, ""},
	}
	for _, c := range cases {
		id, err := ParsePersonalID(c.in)
		if c.code == "" {
			if err != nil {
				t.Errorf("%q: unexpected error %v", c.in, err)
				continue
			}
			if _, name := id.Province(); name != c.province {
				t.Errorf("%q: province %q, want %q", c.in, name, c.province)
			}
			continue
		}
		fe, ok := AsFieldError(err)
		if !ok || fe.Code != c.code || fe.Field != FieldPersonalID {
			t.Errorf("%q: got %v, want code %s on personal_id", c.in, err, c.code)
		}
		if !strings.HasPrefix(err.Error(), "personal_id:") {
			t.Errorf("%q: message %q does not name the field", c.in, err)
		}
	}
}

// TestPersonalIDNotKnownYet: a draft saved before the number was typed, and a purged record,
// carry an empty number; the station shows such records (the record view asks for the
// province), so every reading of the number must answer for it, not panic.
func TestPersonalIDNotKnownYet(t *testing.T) {
	for _, id := range []PersonalID{"", "0", "00", "001", "0010", "00108"} {
		if code, name := id.Province(); len(id) < 3 && (code != "" || name != "") {
			t.Errorf("%q: province %q %q, want none", id, code, name)
		}
		if g := id.Gender(); len(id) < 4 && g != GenderUnknown {
			t.Errorf("%q: gender %v, want unknown", id, g)
		}
		if c := id.Century(); len(id) < 4 && c != 0 {
			t.Errorf("%q: century %d, want 0", id, c)
		}
		if y := id.BirthYear(); y != 0 {
			t.Errorf("%q: birth year %d, want 0", id, y)
		}
		if err := id.CheckBirth(Date{Year: 1987, Month: 3, Day: 1}, Male); err == nil {
			t.Errorf("%q: CheckBirth agrees with a date of birth", id)
		}
	}
	if code, name := PersonalID("001").Province(); code != "001" || name == "" {
		t.Errorf("001: province %q %q, want Hà Nội's", code, name)
	}
}

func TestPersonalIDAgainstBirthAndGender(t *testing.T) {
	mustID := func(s string) PersonalID {
		id, err := ParsePersonalID(s)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	cases := []struct {
		name   string
		id     string
		dob    Date
		g      Gender
		code   string
		phrase string
	}{
		{"male 1987 ok", "001087012345", Date{1987, 3, 14}, Male, "", ""},
		{"female 1992 ok", "036192004321", Date{1992, 7, 2}, Female, "", ""},
		{"male 2005 ok", "079205123456", Date{2005, 12, 31}, Male, "", ""},
		{"female 2010 ok", "048310000777", Date{2010, 1, 1}, Female, "", ""},
		// digit 4 = 3 says female born 2000-2099, form says male 1987
		{"digit 4 vs gender", "001387012345", Date{1987, 3, 14}, Male, CodeIDGenderMismatch, "digit 4 says female, born 2000-2099; form says male, 1987"},
		{"digit 4 vs gender same century", "001187012345", Date{1987, 3, 14}, Male, CodeIDGenderMismatch, "digit 4 says female, born 1900-1999; form says male, 1987"},
		{"digit 4 century", "001287012345", Date{1987, 3, 14}, Male, CodeIDGenderMismatch, "born 2000-2099"},
		{"digits 5-6 vs year", "001088012345", Date{1987, 3, 14}, Male, CodeIDYearMismatch, "digits 5-6 say birth year ..88; form says 1987"},
	}
	for _, c := range cases {
		err := mustID(c.id).CheckBirth(c.dob, c.g)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		fe, ok := AsFieldError(err)
		if !ok || fe.Code != c.code {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
			continue
		}
		if !strings.Contains(err.Error(), c.phrase) || !strings.HasPrefix(err.Error(), "personal_id: ") {
			t.Errorf("%s: message %q lacks %q or the field name", c.name, err, c.phrase)
		}
	}
}

func TestCitizenFormValidate(t *testing.T) {
	nfd := norm.NFD.String("Nguyễn Thị Ánh")
	if nfd == "Nguyễn Thị Ánh" {
		t.Fatal("test input is not NFD")
	}
	f := CitizenForm{PersonalID: "036192004321", FullName: "  " + nfd + "  ", DateOfBirth: "02/07/1992",
		Gender: "Nữ", Address: norm.NFD.String("Số 5, phường Trần Hưng Đạo, Nam Định"), IssueDate: "15/08/2021"}
	c, errs := f.Validate(today)
	if len(errs) != 0 {
		t.Fatalf("valid form rejected: %v", errs)
	}
	if c.FullName != "Nguyễn Thị Ánh" || !norm.NFC.IsNormalString(c.FullName) {
		t.Errorf("name not NFC-normalised: %q", c.FullName)
	}
	if !norm.NFC.IsNormalString(c.Address) {
		t.Errorf("address not NFC: %q", c.Address)
	}
	if c.DateOfBirth != (Date{1992, 7, 2}) || c.Gender != Female || c.IssueDate != (Date{2021, 8, 15}) {
		t.Errorf("parsed %+v", c)
	}

	// Every problem is reported at once, each on its own field.
	bad := CitizenForm{PersonalID: "001087012345", FullName: "Trần V4n B", DateOfBirth: "31/02/1987", Gender: "X", IssueDate: "01/01/2030"}
	_, errs = bad.Validate(today)
	for _, want := range []struct {
		f    Field
		code string
	}{{FieldFullName, CodeNameChars}, {FieldDateOfBirth, CodeDateInvalid}, {FieldGender, CodeGenderWord}, {FieldIssueDate, CodeDateFuture}} {
		e := errs.For(want.f)
		if e == nil || e.Code != want.code {
			t.Errorf("%s: got %v, want %s", want.f, e, want.code)
			continue
		}
		if !strings.HasPrefix(e.Error(), string(want.f)+": ") {
			t.Errorf("message %q does not name field %s", e, want.f)
		}
	}

	future := CitizenForm{PersonalID: "001227012345", FullName: "Lê Minh Khôi", DateOfBirth: "01/01/2027", Gender: "Nam"}
	_, errs = future.Validate(today)
	if e := errs.For(FieldDateOfBirth); e == nil || e.Code != CodeDateFuture {
		t.Errorf("future DOB: %v", errs)
	}
}

func TestParseCCCDQR(t *testing.T) {
	// Realistic codes as the card prints them (synthetic people).
	valid := []struct {
		name, qr string
		want     CitizenForm
	}{
		{"empty old ID", "001087012345||Nguyễn Văn An|14031987|Nam|Số 12 ngõ 34 Khâm Thiên, Phường Khâm Thiên, Đống Đa, Hà Nội|10062021",
			CitizenForm{"001087012345", "", "Nguyễn Văn An", "14/03/1987", "Nam", "Số 12 ngõ 34 Khâm Thiên, Phường Khâm Thiên, Đống Đa, Hà Nội", "10/06/2021"}},
		{"with old ID", "036192004321|162345678|Trần Thị Bích Ngọc|02071992|Nữ|Xóm 3, Xã Nghĩa Hưng, Nam Định|15082021",
			CitizenForm{"036192004321", "162345678", "Trần Thị Bích Ngọc", "02/07/1992", "Nữ", "Xóm 3, Xã Nghĩa Hưng, Nam Định", "15/08/2021"}},
		{"extra trailing fields and spaces", "  079205123456 | | Lê Hoàng Phúc | 31122005 | Nam | 45 Lê Lợi, Bến Nghé, Quận 1, TP HCM | 05012022 | Lê Văn Hùng | Phạm Thị Hoa |\r\n",
			CitizenForm{"079205123456", "", "Lê Hoàng Phúc", "31/12/2005", "Nam", "45 Lê Lợi, Bến Nghé, Quận 1, TP HCM", "05/01/2022"}},
		{"NFD name from scanner", norm.NFD.String("048310000777||Võ Thị Ánh Tuyết|01012010|Nữ|Hải Châu, Đà Nẵng|20032024"),
			CitizenForm{"048310000777", "", "Võ Thị Ánh Tuyết", "01/01/2010", "Nữ", "Hải Châu, Đà Nẵng", "20/03/2024"}},
		{"gender in capitals, NFD", "048310000777||Võ Thị Ánh Tuyết|01012010|" + norm.NFD.String("NỮ") + "|Hải Châu, Đà Nẵng|20032024",
			CitizenForm{"048310000777", "", "Võ Thị Ánh Tuyết", "01/01/2010", "NỮ", "Hải Châu, Đà Nẵng", "20/03/2024"}},
	}
	for _, c := range valid {
		got, err := ParseCCCDQR(c.qr)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
		if _, errs := got.Validate(today); len(errs) != 0 {
			t.Errorf("%s: parsed form does not validate: %v", c.name, errs)
		}
	}

	invalid := []struct {
		name, qr, phrase string
	}{
		{"too few fields", "001087012345||Nguyễn Văn An|14031987|Nam", "address is missing (field 6)"},
		{"no issue date field", "001087012345||Nguyễn Văn An|14031987|Nam|Hà Nội", "issue_date is missing (field 7)"},
		{"empty issue date", "001087012345||Nguyễn Văn An|14031987|Nam|Hà Nội|", "issue_date is missing (field 7)"},
		{"empty date of birth", "001087012345||Nguyễn Văn An||Nam|Hà Nội|10062021", "date_of_birth is missing (field 4)"},
		{"English gender", "001087012345||Nguyễn Văn An|14031987|Male|Hà Nội|10062021", "field 5 (gender)"},
		{"gender letter", "001187012345||Nguyễn Thị An|14031987|F|Hà Nội|10062021", "field 5 (gender)"},
		{"gender without diacritics", "001187012345||Nguyễn Thị An|14031987|Nu|Hà Nội|10062021", "field 5 (gender)"},
		{"not a QR", "https://example.com/whatever", "has 1 fields"},
		{"bad ID", "00108701234||Nguyễn Văn An|14031987|Nam|Hà Nội|10062021", "field 1 (personal_id)"},
		{"bad old ID", "001087012345|12345|Nguyễn Văn An|14031987|Nam|Hà Nội|10062021", "field 2 (old_id)"},
		{"empty name", "001087012345|||14031987|Nam|Hà Nội|10062021", "full_name is missing (field 3)"},
		{"DOB with slashes", "001087012345||Nguyễn Văn An|14/03/1987|Nam|Hà Nội|10062021", "field 4 (date_of_birth)"},
		{"DOB impossible", "001087012345||Nguyễn Văn An|30021987|Nam|Hà Nội|10062021", "field 4 (date_of_birth)"},
		{"gender word", "001087012345||Nguyễn Văn An|14031987|Male?|Hà Nội|10062021", "field 5 (gender)"},
		{"issue date", "001087012345||Nguyễn Văn An|14031987|Nam|Hà Nội|1006202", "field 7 (issue_date)"},
		{"ID disagrees with gender", "001087012345||Nguyễn Thị An|14031987|Nữ|Hà Nội|10062021", "digit 4 says male"},
		{"far too long", "001087012345||Nguyễn Văn An|14031987|Nam|" + strings.Repeat("Hà Nội ", 200) + "|10062021", "is 1450 characters long"},
	}
	for _, c := range invalid {
		_, err := ParseCCCDQR(c.qr)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.phrase) || !strings.HasPrefix(err.Error(), "qr: ") {
			t.Errorf("%s: message %q lacks %q", c.name, err, c.phrase)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	cases := []struct{ in, want, code string }{
		{"+84 912 345 678", "0912345678", ""},
		{"84912345678", "0912345678", ""},
		{"0912.345.678", "0912345678", ""},
		{"0387 123 456", "0387123456", ""},
		{"(+84) 3 8712 3456", "", CodePhoneFormat}, // + not first
		{"", "", ""},
		{"091234567", "", CodePhoneFormat},
		{"+1 650 555 0100", "", CodePhoneFormat},
		{"0212345678", "", CodePhonePrefix}, // landline prefix
		{"09123x5678", "", CodePhoneFormat},
	}
	for _, c := range cases {
		got, err := NormalizePhone(c.in)
		if c.code == "" {
			if err != nil || got != c.want {
				t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
			}
			continue
		}
		fe, ok := AsFieldError(err)
		if !ok || fe.Code != c.code || !strings.HasPrefix(err.Error(), "phone: ") {
			t.Errorf("%q: got %v, want %s naming the phone field", c.in, err, c.code)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{"an.nguyen@Gmail.COM": "an.nguyen@gmail.com", " b@x.vn ": "b@x.vn", "": ""}
	for in, want := range good {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"an", "an@", "@x.vn", "An <an@x.vn>", "an@localhost", "an@x.", "a b@x.vn"} {
		if _, err := NormalizeEmail(in); err == nil || !strings.HasPrefix(err.Error(), "email: ") {
			t.Errorf("%q: got %v", in, err)
		}
	}
	if err := CheckContact("", ""); err == nil || !strings.HasPrefix(err.Error(), "contact: ") {
		t.Errorf("missing contact: %v", err)
	}
}

func TestSearchKey(t *testing.T) {
	cases := map[string]string{
		"Nguyễn Văn A":                "nguyen van a",
		norm.NFD.String("Đặng Thị Ử"): "dang thi u",
		"  TRẦN   Bảo\tNgọc ":         "tran bao ngoc",
		"nguyen van a":                "nguyen van a",
	}
	for in, want := range cases {
		if got := SearchKey(in); got != want {
			t.Errorf("SearchKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDates(t *testing.T) {
	for in, want := range map[string]Date{"14/03/1987": {1987, 3, 14}, "14031987": {1987, 3, 14}, "1-3-1987": {1987, 3, 1}, "1987-03-14": {1987, 3, 14}, "29/02/2000": {2000, 2, 29}} {
		got, err := ParseDate(FieldDateOfBirth, in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for in, code := range map[string]string{"29/02/1900": CodeDateInvalid, "32/01/2000": CodeDateInvalid, "1/1/87": CodeDateFormat, "01/01/1899": CodeDateTooOld, "ab/cd/efgh": CodeDateFormat, "1987-3-14": CodeDateFormat} {
		_, err := ParseDate(FieldDateOfBirth, in)
		if fe, ok := AsFieldError(err); !ok || fe.Code != code {
			t.Errorf("%q: got %v, want %s", in, err, code)
		}
	}
}

func TestStatusTransitions(t *testing.T) {
	allowed := [][2]Status{{StatusDraft, StatusComplete}, {StatusComplete, StatusBatched}, {StatusReceived, StatusRejected}, {StatusRejected, StatusDraft}, {StatusVerified, StatusPurged}}
	for _, a := range allowed {
		if err := CheckMove(a[0], a[1]); err != nil {
			t.Errorf("%s→%s refused: %v", a[0], a[1], err)
		}
	}
	refused := [][2]Status{{StatusDraft, StatusVerified}, {StatusPurged, StatusDraft}, {StatusComplete, StatusPurged}, {StatusVerified, StatusDraft}}
	for _, r := range refused {
		if CheckMove(r[0], r[1]) == nil {
			t.Errorf("%s→%s allowed", r[0], r[1])
		}
	}
}

func TestCheckComplete(t *testing.T) {
	e := &Enrollment{FingerSet: Level2Fingers()}
	e.Citizen, _ = CitizenForm{PersonalID: "001087012345", FullName: "Nguyễn Văn An", DateOfBirth: "14/03/1987", Gender: "Nam"}.Validate(today)
	errs := e.CheckComplete(today)
	for _, f := range []Field{FieldContact, FieldPortrait, FieldFingers, FieldConsent} {
		if errs.For(f) == nil {
			t.Errorf("missing %s not reported: %v", f, errs)
		}
	}
	e.Phone = "0912345678"
	e.Portrait = &Portrait{JPEG: []byte{0xff, 0xd8}}
	e.SetFinger(FingerCapture{Position: RightIndex, PNG: []byte{1}, Attempts: 1, Quality: FingerScore{Score: 72}})
	e.SetException(FingerException{Position: LeftIndex})
	errs = e.CheckComplete(today)
	if fe := errs.For(FieldFingerReason); fe == nil || !strings.Contains(fe.Error(), "left index") {
		t.Errorf("exception without reason: %v", errs)
	}
	e.SetException(FingerException{Position: LeftIndex, Reason: ExceptionInjured, Note: "băng bó"})
	e.Consent = true
	if errs := e.CheckComplete(today); len(errs) != 0 {
		t.Errorf("complete record refused: %v", errs)
	}
	// A print below the threshold must be retaken until the tries run out; then the best stays.
	e.SetFinger(FingerCapture{Position: RightIndex, PNG: []byte{1}, Attempts: 1, Quality: FingerScore{Score: 31}})
	if fe := e.CheckComplete(today).For(FieldFingers); fe == nil || fe.Code != CodeFingerQualityLow || !strings.Contains(fe.Error(), "right index scored 31, below 40") {
		t.Errorf("low-quality print accepted: %v", fe)
	}
	// After the last try a low print still needs a supervisor's acceptance.
	low := FingerCapture{Position: RightIndex, PNG: []byte{1}, Attempts: MaxFingerTries, Quality: FingerScore{Score: 31}}
	e.SetFinger(low)
	if e.CheckComplete(today).For(FieldFingers) == nil || low.TriesLeft() {
		t.Errorf("low print after %d tries accepted without a supervisor", MaxFingerTries)
	}
	low.AcceptedBy, low.AcceptedReason = "lan.nt", "sẹo bỏng cũ"
	e.SetFinger(low)
	if errs := e.CheckComplete(today); len(errs) != 0 {
		t.Errorf("supervisor-accepted print refused: %v", errs)
	}
	// Retaking a finger replaces its exception.
	e.SetFinger(FingerCapture{Position: LeftIndex, PNG: []byte{2}, Quality: FingerScore{Score: 50}})
	if _, ok := e.Exception(LeftIndex); ok || len(e.Fingers) != 2 {
		t.Errorf("capture did not replace exception: %+v", e)
	}
}

func TestNewPersonalIDRoundTrip(t *testing.T) {
	dob := Date{2003, 5, 9}
	id, err := NewPersonalID("031", dob, Female, 42)
	if err != nil {
		t.Fatal(err)
	}
	if id != "031303000042" || id.CheckBirth(dob, Female) != nil || id.BirthYear() != 2003 {
		t.Errorf("got %s", id)
	}
}

func TestFreeTextIsBounded(t *testing.T) {
	f := CitizenForm{PersonalID: "001087012345", FullName: "Nguyễn Văn An", DateOfBirth: "14/03/1987", Gender: "Nam",
		Address: strings.Repeat("Số 1 ngõ 2 ", 30)} // 330 characters, 329 once the last space is trimmed
	_, errs := f.Validate(Date{Year: 2026, Month: 11, Day: 30})
	if e := errs.For(FieldAddress); e == nil || e.Code != CodeTooLong || e.Params["length"] != 329 || e.Params["max"] != MaxAddressLength {
		t.Errorf("329-character address: %v", errs)
	}
	x := FingerException{Position: LeftIndex, Reason: ExceptionInjured, Note: strings.Repeat("x", MaxNoteLength+1)}
	if err := x.Check(); err == nil || !strings.Contains(err.Error(), "501 characters long") {
		t.Errorf("501-character note: %v", err)
	}
	x.Note = strings.Repeat("ạ", MaxNoteLength) // counted in characters, not bytes
	if err := x.Check(); err != nil {
		t.Errorf("500 two-byte characters: %v", err)
	}
}

// TestGenderNotChosenInWords: a number whose century disagrees with the date of birth, on a
// form without a gender yet, says the gender is not chosen, not "-".
func TestGenderNotChosenInWords(t *testing.T) {
	id, err := ParsePersonalID("001387012345")
	if err != nil {
		t.Fatal(err)
	}
	err = id.CheckBirth(Date{Year: 1987, Month: 3, Day: 14}, GenderUnknown)
	if err == nil || !strings.Contains(err.Error(), "form says not chosen, 1987") {
		t.Fatalf("%v", err)
	}
}
