package enroll

import (
	"strings"
	"unicode/utf8"
)

// Citizen is the identity part of a record, as printed on (or encoded in) the chip CCCD.
type Citizen struct {
	PersonalID  PersonalID
	OldID       string // 9-digit CMND, when the citizen had one
	FullName    string // NFC, as entered
	DateOfBirth Date
	Gender      Gender
	Address     string // permanent residence
	IssueDate   Date   // the card's date of issue; zero when typed without the card
}

// CitizenForm is what the officer typed or the scanner sent, before validation.
type CitizenForm struct {
	PersonalID, OldID, FullName, DateOfBirth, Gender, Address, IssueDate string
}

// Validate checks every field and the agreement between them, returning all problems at once.
// today bounds dates of birth and issue.
func (f CitizenForm) Validate(today Date) (Citizen, ValidationErrors) {
	var errs ValidationErrors
	var c Citizen
	var err error
	c.PersonalID, err = ParsePersonalID(f.PersonalID)
	errs.add(err)
	c.OldID, err = ParseOldID(f.OldID)
	errs.add(err)
	c.FullName, err = NormalizeName(f.FullName)
	errs.add(err)
	c.DateOfBirth, err = ParseDate(FieldDateOfBirth, f.DateOfBirth)
	if err == nil {
		err = c.DateOfBirth.CheckNotFuture(FieldDateOfBirth, today)
	}
	errs.add(err)
	c.Gender, err = ParseGender(f.Gender)
	errs.add(err)
	c.Address = NormalizeText(f.Address)
	errs.add(checkLength(FieldAddress, c.Address, MaxAddressLength))
	if strings.TrimSpace(f.IssueDate) != "" {
		c.IssueDate, err = ParseDate(FieldIssueDate, f.IssueDate)
		if err == nil {
			err = c.IssueDate.CheckNotFuture(FieldIssueDate, today)
		}
		if err == nil && !c.DateOfBirth.IsZero() && c.IssueDate.Before(c.DateOfBirth) {
			err = fieldErr(FieldIssueDate, CodeIssueBeforeBirth, "value", c.IssueDate.String())
		}
		errs.add(err)
	}
	if errs.For(FieldPersonalID) == nil {
		dob := c.DateOfBirth
		if errs.For(FieldDateOfBirth) != nil {
			dob = Date{}
		}
		errs.add(c.PersonalID.CheckBirth(dob, c.Gender))
	}
	return c, errs
}

// Form turns a citizen back into form text, for editing a draft.
func (c Citizen) Form() CitizenForm {
	return CitizenForm{
		PersonalID:  string(c.PersonalID),
		OldID:       c.OldID,
		FullName:    c.FullName,
		DateOfBirth: c.DateOfBirth.String(),
		Gender:      c.Gender.CardWord(),
		Address:     c.Address,
		IssueDate:   c.IssueDate.String(),
	}
}

// qrFields names the CCCD QR fields in order, for error messages.
var qrFields = [...]Field{FieldPersonalID, FieldOldID, FieldFullName, FieldDateOfBirth, FieldGender, FieldAddress, FieldIssueDate}

// MaxQRLength is the longest QR text read as a CCCD code, in characters.
const MaxQRLength = 1000

// ParseCCCDQR reads the text of the QR code printed on the chip CCCD:
//
//	ID | old CMND (may be empty) | full name | DOB ddmmyyyy | Nam/Nữ | address | issue date ddmmyyyy
//
// Surrounding spaces, a trailing newline from keyboard-wedge scanners and extra trailing fields
// (newer cards append some) are tolerated. Anything else is rejected with the field named.
// The ID is checked against the DOB and gender in the code; dates are not checked against
// today, the form validation does that.
func ParseCCCDQR(text string) (CitizenForm, error) {
	text = strings.Trim(text, " \t\r\n\u00a0\ufeff")
	// A chip card's code holds seven short fields (well under 300 characters with a long
	// address); anything far longer is another code, and is refused before it is split.
	if n := utf8.RuneCountInString(text); n > MaxQRLength {
		return CitizenForm{}, fieldErr(FieldQR, CodeQRTooLong, "length", n, "max", MaxQRLength)
	}
	parts := strings.Split(text, "|")
	if len(parts) == 1 {
		return CitizenForm{}, fieldErr(FieldQR, CodeQRFieldCount, "count", len(parts))
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	// A code cut short, or with a required field left empty, names what is missing. Only the
	// old CMND number may be empty: every chip card has the others, the issue date included.
	for i, f := range qrFields {
		if i >= len(parts) || parts[i] == "" && f != FieldOldID {
			return CitizenForm{}, fieldErr(FieldQR, CodeQRMissing, "index", i+1, "name", f)
		}
	}
	f := CitizenForm{
		PersonalID: parts[0], OldID: parts[1], FullName: parts[2], DateOfBirth: parts[3],
		Gender: parts[4], Address: parts[5], IssueDate: parts[6],
	}
	wrap := func(i int, err error) error {
		fe, _ := AsFieldError(err)
		return fieldErr(FieldQR, CodeQRField, "index", i+1, "name", qrFields[i], "reason", fe)
	}
	if _, err := ParsePersonalID(f.PersonalID); err != nil {
		return CitizenForm{}, wrap(0, err)
	}
	if _, err := ParseOldID(f.OldID); err != nil {
		return CitizenForm{}, wrap(1, err)
	}
	name, err := NormalizeName(f.FullName)
	if err != nil {
		return CitizenForm{}, wrap(2, err)
	}
	f.FullName = name
	if len(f.DateOfBirth) != 8 {
		return CitizenForm{}, wrap(3, fieldErr(FieldDateOfBirth, CodeDateFormat, "value", f.DateOfBirth))
	}
	if _, err := ParseDate(FieldDateOfBirth, f.DateOfBirth); err != nil {
		return CitizenForm{}, wrap(3, err)
	}
	// The card prints Nam or Nữ; the form's other spellings (English, no diacritics) would
	// mean the code is not a card's.
	f.Gender = NormalizeText(f.Gender)
	if !strings.EqualFold(f.Gender, Male.CardWord()) && !strings.EqualFold(f.Gender, Female.CardWord()) {
		return CitizenForm{}, wrap(4, fieldErr(FieldGender, CodeGenderWord, "value", f.Gender))
	}
	f.Address = NormalizeText(f.Address)
	if len(f.IssueDate) != 8 {
		return CitizenForm{}, wrap(6, fieldErr(FieldIssueDate, CodeDateFormat, "value", f.IssueDate))
	}
	if _, err := ParseDate(FieldIssueDate, f.IssueDate); err != nil {
		return CitizenForm{}, wrap(6, err)
	}
	// A real card's code always agrees with itself; disagreement means a misread or forged code.
	id, _ := ParsePersonalID(f.PersonalID)
	dob, _ := ParseDate(FieldDateOfBirth, f.DateOfBirth)
	g, _ := ParseGender(f.Gender)
	if err := id.CheckBirth(dob, g); err != nil {
		return CitizenForm{}, wrap(0, err)
	}
	// Dates are re-rendered the way the form shows them.
	f.DateOfBirth = dob.String()
	iss, _ := ParseDate(FieldIssueDate, f.IssueDate)
	f.IssueDate = iss.String()
	return f, nil
}
