package enroll

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NormalizeText brings text from any keyboard or scanner to one form: Unicode NFC, no
// surrounding space, single spaces inside. Without it "Nguyễn" typed two ways would be two
// different names in the database.
func NormalizeText(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// NormalizeName normalises a full name and checks that it is made of letters, spaces and the
// few marks names use (apostrophe, hyphen). Case is kept as entered.
func NormalizeName(s string) (string, error) {
	n := NormalizeText(s)
	if n == "" {
		return "", fieldErr(FieldFullName, CodeRequired)
	}
	for _, r := range n {
		if unicode.IsLetter(r) || r == ' ' || r == '\'' || r == '-' || unicode.Is(unicode.Mn, r) {
			continue
		}
		return "", fieldErr(FieldFullName, CodeNameChars, "char", strconv.QuoteRune(r))
	}
	if c := utf8.RuneCountInString(n); c < 2 || c > 100 {
		return "", fieldErr(FieldFullName, CodeNameLength)
	}
	return n, nil
}

// SearchKey folds a name for search: lower case, diacritics removed, đ as d, single spaces.
// "Nguyễn Văn A" and "nguyen van a" have the same key.
func SearchKey(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	space := true // drops leading spaces and collapses runs
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsSpace(r):
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		default:
			r = unicode.ToLower(r)
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}
