package enroll

import (
	"net/mail"
	"strings"
)

// NormalizePhone accepts a Vietnamese mobile number as people write it (+84 912 345 678,
// 84912345678, 0912.345.678) and returns it as 0XXXXXXXXX. Empty input is allowed: the
// phone is optional as long as there is an e-mail (see CheckContact).
func NormalizePhone(s string) (string, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return "", nil
	}
	var b strings.Builder
	for i, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '\u00a0':
		case r == '+' && i == 0:
		default:
			return "", fieldErr(FieldPhone, CodePhoneFormat, "value", raw)
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(raw, "+") && strings.HasPrefix(d, "84") && len(d) == 11:
		d = "0" + d[2:]
	case strings.HasPrefix(raw, "+"):
		return "", fieldErr(FieldPhone, CodePhoneFormat, "value", raw)
	case strings.HasPrefix(d, "84") && len(d) == 11:
		d = "0" + d[2:]
	}
	if len(d) != 10 || d[0] != '0' {
		return "", fieldErr(FieldPhone, CodePhoneFormat, "value", raw)
	}
	switch d[1] {
	case '3', '5', '7', '8', '9':
	default:
		return "", fieldErr(FieldPhone, CodePhonePrefix, "prefix", d[:2])
	}
	return d, nil
}

// NormalizeEmail checks a single plain address (no display name) and lower-cases its domain.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", fieldErr(FieldEmail, CodeEmailFormat, "value", s)
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || len(s) > 254 {
		return "", fieldErr(FieldEmail, CodeEmailFormat, "value", s)
	}
	return s[:at+1] + strings.ToLower(domain), nil
}

// CheckContact enforces that the citizen can be reached: at least one of phone or e-mail.
func CheckContact(phone, email string) error {
	if phone == "" && email == "" {
		return fieldErr(FieldContact, CodeContactMissing)
	}
	return nil
}
