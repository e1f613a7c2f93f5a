package enroll

import (
	"fmt"
	"strconv"
	"strings"
)

// PersonalID is a validated 12-digit personal identification number, PPP G YY NNNNNN
// (Circular 59/2021/TT-BCA): birth-registration province, century+gender, year, random.
type PersonalID string

// ParsePersonalID checks the number's own structure: 12 digits and a known province code.
// Spaces and dots that people type between groups are dropped. Agreement with the date of
// birth and gender is checked by CheckBirth, once those are known.
func ParsePersonalID(s string) (PersonalID, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' || r == '\u00a0' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "", fieldErr(FieldPersonalID, CodeRequired)
	}
	for i, r := range s {
		if r < '0' || r > '9' {
			return "", fieldErr(FieldPersonalID, CodeIDDigits, "char", strconv.QuoteRune(r), "pos", i+1)
		}
	}
	if len(s) != 12 {
		return "", fieldErr(FieldPersonalID, CodeIDLength, "count", len(s))
	}
	if _, ok := provinces[s[:3]]; !ok {
		return "", fieldErr(FieldPersonalID, CodeIDProvince, "code", s[:3])
	}
	return PersonalID(s), nil
}

// Province returns the code and name of the province where the birth was registered. A
// record whose identity is not known yet (a draft saved before the number was typed) or no
// longer held (its data purged) has an empty number: both are empty then.
func (id PersonalID) Province() (code, name string) {
	if len(id) < 3 {
		return "", ""
	}
	return string(id[:3]), provinces[string(id[:3])]
}

// Gender is what digit 4 says; GenderUnknown for a number shorter than that (see Province).
func (id PersonalID) Gender() Gender {
	if len(id) < 4 {
		return GenderUnknown
	}
	if (id[3]-'0')%2 == 0 {
		return Male
	}
	return Female
}

// Century is the first year of the century digit 4 encodes (1900, 2000, … 2300); 0 for a
// number shorter than that.
func (id PersonalID) Century() int {
	if len(id) < 4 {
		return 0
	}
	return 1900 + 100*int((id[3]-'0')/2)
}

// BirthYear is the full year digits 4-6 encode; 0 for a number shorter than that.
func (id PersonalID) BirthYear() int {
	if len(id) < 6 {
		return 0
	}
	yy, _ := strconv.Atoi(string(id[4:6]))
	return id.Century() + yy
}

// CheckBirth reports whether the number agrees with the date of birth and gender on the form.
// A disagreement names exactly which digits say what, so the officer knows which to re-check.
func (id PersonalID) CheckBirth(dob Date, g Gender) error {
	if len(id) != 12 {
		return fieldErr(FieldPersonalID, CodeRequired) // not parsed: nothing to compare
	}
	century := id.Century()
	genderDisagrees := g != GenderUnknown && id.Gender() != g
	centuryDisagrees := !dob.IsZero() && (dob.Year < century || dob.Year >= century+100)
	if genderDisagrees || centuryDisagrees {
		return fieldErr(FieldPersonalID, CodeIDGenderMismatch,
			"idGender", id.Gender(), "from", century, "to", century+99,
			"formGender", g, "formYear", yearOrDash(dob)) // an unknown gender reads "not chosen"
	}
	if !dob.IsZero() && dob.Year%100 != int(id[4]-'0')*10+int(id[5]-'0') {
		return fieldErr(FieldPersonalID, CodeIDYearMismatch, "idYY", string(id[4:6]), "formYear", dob.Year)
	}
	return nil
}

func yearOrDash(d Date) string {
	if d.IsZero() {
		return "-"
	}
	return strconv.Itoa(d.Year)
}

// ParseOldID checks the optional 9-digit identity card number (CMND) that predates the CCCD.
func ParseOldID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if len(s) != 9 || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", fieldErr(FieldOldID, CodeOldIDFormat, "value", s)
	}
	return s, nil
}

// Gender as recorded on the card.
type Gender int

const (
	GenderUnknown Gender = iota
	Male
	Female
)

func (g Gender) TranslationKey() string {
	switch g {
	case Male:
		return "gender.male"
	case Female:
		return "gender.female"
	}
	return "gender.unknown"
}

// CardWord is how the CCCD prints the gender.
func (g Gender) CardWord() string {
	switch g {
	case Male:
		return "Nam"
	case Female:
		return "Nữ"
	}
	return ""
}

func (g Gender) String() string { return g.CardWord() }

// ParseGender accepts the card's words (Nam, Nữ) in any case or normalisation form, and the
// English words, since scanners and officers produce both.
func ParseGender(s string) (Gender, error) {
	switch SearchKey(s) {
	case "nam", "male", "m":
		return Male, nil
	case "nu", "female", "f":
		return Female, nil
	case "":
		return GenderUnknown, fieldErr(FieldGender, CodeRequired)
	}
	return GenderUnknown, fieldErr(FieldGender, CodeGenderWord, "value", s)
}

// provinces are the birth-registration codes of Circular 07/2016/TT-BCA. The 2025 merger of
// provinces does not renumber issued IDs, so the pre-merger list stays authoritative here.
var provinces = map[string]string{
	"001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
	"010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
	"017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
	"025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
	"033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
	"038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
	"046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
	"054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
	"064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
	"072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa–Vũng Tàu", "079": "TP Hồ Chí Minh",
	"080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
	"087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
	"094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

// ProvinceCodes lists the codes in ascending order (for generators and pickers).
func ProvinceCodes() []string {
	codes := make([]string, 0, len(provinces))
	for c := range provinces {
		codes = append(codes, c)
	}
	sortStrings(codes)
	return codes
}

// NewPersonalID builds a number for a birth province, date of birth, gender and 6-digit serial.
// It exists for the demo generator and tests; real numbers come from the card.
func NewPersonalID(province string, dob Date, g Gender, serial int) (PersonalID, error) {
	if _, ok := provinces[province]; !ok {
		return "", fieldErr(FieldPersonalID, CodeIDProvince, "code", province)
	}
	c := (dob.Year - 1900) / 100
	if c < 0 || c > 4 {
		return "", fieldErr(FieldDateOfBirth, CodeDateTooOld, "value", dob.String())
	}
	d := 2 * c
	if g == Female {
		d++
	}
	return ParsePersonalID(fmt.Sprintf("%s%d%02d%06d", province, d, dob.Year%100, serial%1000000))
}
