package enroll

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Date is a civil date with no time zone: dates of birth and card issue dates are calendar
// facts, and carrying them as time.Time invites off-by-one-day bugs across zones.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) IsZero() bool { return d == Date{} }

// String is the Vietnamese convention, dd/mm/yyyy.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}

// ISO is yyyy-mm-dd, for storage and sorting.
func (d Date) ISO() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

func (d Date) Before(o Date) bool {
	return d.Year < o.Year || d.Year == o.Year && (d.Month < o.Month || d.Month == o.Month && d.Day < o.Day)
}

// DateOf takes the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate accepts what officers type and what cards print: dd/mm/yyyy, dd-mm-yyyy,
// dd.mm.yyyy, ddmmyyyy, and yyyy-mm-dd (ISO, from storage).
func ParseDate(field Field, s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, fieldErr(field, CodeRequired)
	}
	var parts []string
	iso := false
	switch {
	case len(s) == 8 && allDigits(s):
		parts = []string{s[0:2], s[2:4], s[4:8]}
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		parts = []string{s[8:10], s[5:7], s[0:4]}
		iso = true
	default:
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	}
	if len(parts) != 3 || len(parts[2]) != 4 || len(parts[0]) > 2 || len(parts[1]) > 2 ||
		!allDigits(parts[0]+parts[1]+parts[2]) || (iso && !allDigits(s[0:4]+s[5:7]+s[8:10])) {
		return Date{}, fieldErr(field, CodeDateFormat, "value", s)
	}
	day, _ := strconv.Atoi(parts[0])
	mon, _ := strconv.Atoi(parts[1])
	year, _ := strconv.Atoi(parts[2])
	d := Date{year, time.Month(mon), day}
	t := time.Date(year, time.Month(mon), day, 0, 0, 0, 0, time.UTC)
	if mon < 1 || mon > 12 || day < 1 || DateOf(t) != d {
		return Date{}, fieldErr(field, CodeDateInvalid, "value", s)
	}
	if year < 1900 {
		return Date{}, fieldErr(field, CodeDateTooOld, "value", d.String())
	}
	return d, nil
}

// CheckNotFuture rejects dates after today.
func (d Date) CheckNotFuture(field Field, today Date) error {
	if today.Before(d) {
		return fieldErr(field, CodeDateFuture, "value", d.String())
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func sortStrings(s []string) { sort.Strings(s) }
