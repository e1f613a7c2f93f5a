// Package enroll is the domain of the level-2 enrollment station: the records an officer
// creates, the rules their fields obey and the interfaces the capture devices implement.
// It does no I/O; every other package depends on it.
package enroll

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Field names a piece of the record. The UI translates it with the key "field.<name>".
type Field string

const (
	FieldPersonalID   Field = "personal_id"
	FieldOldID        Field = "old_id"
	FieldFullName     Field = "full_name"
	FieldDateOfBirth  Field = "date_of_birth"
	FieldGender       Field = "gender"
	FieldAddress      Field = "address"
	FieldIssueDate    Field = "issue_date"
	FieldQR           Field = "qr"
	FieldPhone        Field = "phone"
	FieldEmail        Field = "email"
	FieldContact      Field = "contact"
	FieldIntegration  Field = "integration"
	FieldPortrait     Field = "portrait"
	FieldFingers      Field = "fingers"
	FieldConsent      Field = "consent"
	FieldStatus       Field = "status"
	FieldFingerReason Field = "finger_exception"
	FieldDate         Field = "date"
)

// Translatable is a parameter value that the UI must translate (a gender, a finger) rather than
// print as it is.
type Translatable interface {
	TranslationKey() string
}

// FieldError says which field is wrong and why. Code selects the officer-facing message in the
// translation catalogs ("err.<code>"); Params fill its placeholders. Error() gives the English
// text for logs and command-line tools.
type FieldError struct {
	Field  Field
	Code   string
	Params map[string]any
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s", e.Field, e.englishMessage())
}

// englishMessage is the message without the field's name.
func (e *FieldError) englishMessage() string {
	tmpl, ok := englishMessages[e.Code]
	if !ok {
		tmpl = e.Code
	}
	return Fill(tmpl, e.Params, renderEnglish)
}

func renderEnglish(v any) string {
	switch x := v.(type) {
	case *FieldError:
		return x.englishMessage()
	case Translatable:
		return englishWord(x.TranslationKey())
	}
	return fmt.Sprint(v)
}

// TranslationKey makes a field name inside another message (the QR parser names the field
// that is wrong) translatable.
func (f Field) TranslationKey() string { return "field." + string(f) }

// Fill replaces {name} placeholders in tmpl with params rendered by render, which knows the
// language: a gender, a finger, a nested field error each render as words of that language.
func Fill(tmpl string, params map[string]any, render func(any) string) string {
	if len(params) == 0 {
		return tmpl
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, "{"+k+"}", render(params[k]))
	}
	return strings.NewReplacer(pairs...).Replace(tmpl)
}

func fieldErr(f Field, code string, kv ...any) *FieldError {
	p := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return &FieldError{Field: f, Code: code, Params: p}
}

// AsFieldError unwraps err to a *FieldError when there is one.
func AsFieldError(err error) (*FieldError, bool) {
	var fe *FieldError
	ok := errors.As(err, &fe)
	return fe, ok
}

// ValidationErrors collects every field problem of a record at once, so the officer sees all
// of them rather than one per try.
type ValidationErrors []*FieldError

func (v ValidationErrors) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// For returns the first problem with field f, or nil.
func (v ValidationErrors) For(f Field) *FieldError {
	for _, e := range v {
		if e.Field == f {
			return e
		}
	}
	return nil
}

func (v *ValidationErrors) add(err error) {
	if err == nil {
		return
	}
	if fe, ok := AsFieldError(err); ok {
		*v = append(*v, fe)
		return
	}
	*v = append(*v, &FieldError{Field: "record", Code: "invalid", Params: map[string]any{"reason": err.Error()}})
}

// Error codes. Each has an English template here and an entry in every UI catalog
// (a test in ui checks that).
const (
	CodeRequired             = "required"
	CodeTooLong              = "too_long"
	CodeInvalid              = "invalid"
	CodeIDLength             = "id_length"
	CodeIDDigits             = "id_digits"
	CodeIDProvince           = "id_province"
	CodeIDGenderMismatch     = "id_gender_mismatch"
	CodeIDYearMismatch       = "id_year_mismatch"
	CodeOldIDFormat          = "old_id_format"
	CodeNameChars            = "name_chars"
	CodeNameLength           = "name_length"
	CodeDateFormat           = "date_format"
	CodeDateInvalid          = "date_invalid"
	CodeDateFuture           = "date_future"
	CodeDateTooOld           = "date_too_old"
	CodeIssueBeforeBirth     = "issue_before_birth"
	CodeGenderWord           = "gender_word"
	CodeQRFieldCount         = "qr_field_count"
	CodeQRField              = "qr_field"
	CodeQRMissing            = "qr_missing"
	CodeQRTooLong            = "qr_too_long"
	CodePhoneFormat          = "phone_format"
	CodePhonePrefix          = "phone_prefix"
	CodeEmailFormat          = "email_format"
	CodeContactMissing       = "contact_missing"
	CodeIntegrationKind      = "integration_kind"
	CodeIntegrationNumber    = "integration_number"
	CodePortraitMissing      = "portrait_missing"
	CodeFingerMissing        = "finger_missing"
	CodeFingerReasonMissing  = "finger_reason_missing"
	CodeFingerQualityLow     = "finger_quality_low"
	CodeConsentMissing       = "consent_missing"
	CodeTransitionNotAllowed = "transition_not_allowed"
)

var englishMessages = map[string]string{
	CodeRequired:             "is required",
	CodeTooLong:              "is {length} characters long; at most {max} fit",
	CodeInvalid:              "is not valid: {reason}",
	CodeIDLength:             "must have exactly 12 digits, it has {count}",
	CodeIDDigits:             "may contain digits only; {char} at position {pos} is not a digit",
	CodeIDProvince:           "digits 1-3 are {code}, which is not a province code",
	CodeIDGenderMismatch:     "digit 4 says {idGender}, born {from}-{to}; form says {formGender}, {formYear}",
	CodeIDYearMismatch:       "digits 5-6 say birth year ..{idYY}; form says {formYear}",
	CodeOldIDFormat:          "old ID number must have 9 digits, got {value}",
	CodeNameChars:            "contains {char}, which cannot be part of a name",
	CodeNameLength:           "must be between 2 and 100 letters long",
	CodeDateFormat:           "must be a date as dd/mm/yyyy, got {value}",
	CodeDateInvalid:          "{value} is not a date in the calendar",
	CodeDateFuture:           "{value} is in the future",
	CodeDateTooOld:           "{value} is before 1900",
	CodeIssueBeforeBirth:     "issue date {value} is before the date of birth",
	CodeGenderWord:           "must be Nam or Nữ, got {value}",
	CodeQRFieldCount:         "has {count} fields separated by |; a CCCD QR code has at least 7",
	CodeQRField:              "field {index} ({name}) is wrong: {reason}",
	CodeQRMissing:            "{name} is missing (field {index}); scan the card again",
	CodeQRTooLong:            "is {length} characters long; a CCCD QR code has at most {max}: scan the card, not another code",
	CodePhoneFormat:          "must be a mobile number of 10 digits starting with 0 (or +84), got {value}",
	CodePhonePrefix:          "{prefix} is not a mobile prefix; mobile numbers start with 03, 05, 07, 08 or 09",
	CodeEmailFormat:          "{value} is not an e-mail address",
	CodeContactMissing:       "a phone number or an e-mail address is required",
	CodeIntegrationKind:      "{value} is not a document that can be integrated",
	CodeIntegrationNumber:    "document number {value} is not valid for {kind}",
	CodePortraitMissing:      "no portrait has been taken",
	CodeFingerMissing:        "{finger} has neither a capture nor an exception",
	CodeFingerReasonMissing:  "the exception for {finger} needs a reason",
	CodeFingerQualityLow:     "{finger} scored {score}, below {min}; capture it again (try {try} of {tries}), then a supervisor may accept it",
	CodeConsentMissing:       "the citizen's consent has not been recorded",
	CodeTransitionNotAllowed: "a record cannot go from {from} to {to}",
	CodeUsernameFormat:       "{value} is not a valid user name: 3-32 lower-case letters, digits, . _ -, starting with a letter",
	CodePasswordShort:        "must have at least {min} characters",
	CodePasswordWeak:         "must contain both letters and digits",
	CodePasswordMatch:        "the two passwords differ",
	CodePasswordSame:         "must differ from the current password",
	CodeStationCode:          "{value} is not a station code: 3-32 capital letters, digits and dashes, like HN-DD-KT-01",
}

// englishWord renders Translatable values inside English messages.
func englishWord(key string) string {
	switch key {
	case "gender.male":
		return "male"
	case "gender.female":
		return "female"
	case "gender.unknown":
		return "not chosen"
	}
	for p := RightThumb; p <= LeftLittle; p++ {
		if p.TranslationKey() == key {
			return p.englishName()
		}
	}
	if f, ok := strings.CutPrefix(key, "field."); ok {
		return f
	}
	return strings.TrimPrefix(key, "integration.")
}

// ErrorCodes lists every code a FieldError can carry, for catalog completeness checks.
func ErrorCodes() []string {
	codes := make([]string, 0, len(englishMessages))
	for c := range englishMessages {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}
