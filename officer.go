package enroll

import (
	"errors"
	"regexp"
	"strings"
	"time"
)

// Login and account errors.
var (
	ErrBadLogin      = errors.New("wrong user name or password")
	ErrOfficerExists = errors.New("user name already taken")
	ErrDisabled      = errors.New("account disabled")
	ErrLockedOut     = errors.New("account locked after repeated failed logins")
	// ErrStationLocked: personal data is sealed and no officer's login has unwrapped its key.
	ErrStationLocked  = errors.New("the station is locked: log in first")
	ErrBadRecoveryKey = errors.New("the recovery key does not open this station's data")
	ErrNotSupervisor  = errors.New("only a supervisor may do this")
	ErrSelfDisable    = errors.New("you cannot disable your own account")
	ErrLastSupervisor = errors.New("the last active supervisor cannot be disabled")
	ErrUnknownOfficer = errors.New("no such officer")
	ErrNotDeliverable = errors.New("only a saved record not yet delivered can be marked delivered")
)

// Role decides what an officer may do. Supervisors also manage officers, accept exceptions,
// export and purge.
type Role string

const (
	RoleOfficer    Role = "officer"
	RoleSupervisor Role = "supervisor"
)

func (r Role) TranslationKey() string { return "role." + string(r) }

// Officer is a person who logs in to the station.
type Officer struct {
	Username string
	FullName string
	Role     Role
	Disabled bool
	// MustChange is set when a supervisor reset the password: the officer chooses a new
	// one right after logging in.
	MustChange bool
	CreatedAt  time.Time
}

// LockedOut is ErrLockedOut with the time the lock ends, so the officer is told when to try
// again.
type LockedOut struct{ Until time.Time }

func (e *LockedOut) Error() string {
	return ErrLockedOut.Error() + " until " + e.Until.Format("15:04")
}

// Is makes errors.Is(err, ErrLockedOut) hold.
func (e *LockedOut) Is(target error) bool { return target == ErrLockedOut }

// Officer-account validation codes.
const (
	CodeUsernameFormat = "username_format"
	CodePasswordShort  = "password_short"
	CodePasswordWeak   = "password_weak"
	CodePasswordMatch  = "password_match"
	CodePasswordSame   = "password_same"
	CodeStationCode    = "station_code_format"
)

// Officer fields.
const (
	FieldUsername Field = "username"
	FieldPassword Field = "password"
	FieldConfirm  Field = "password_confirm"
	FieldOffice   Field = "office"
	FieldStation  Field = "station_code"
)

func usernamePattern() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9._-]{2,31}$`) }

// CheckUsername accepts 3-32 lower-case ASCII letters, digits, dot, dash, underscore, starting
// with a letter: usernames end up in audit trails and batch manifests, so keep them plain.
func CheckUsername(u string) error {
	if !usernamePattern().MatchString(u) {
		return fieldErr(FieldUsername, CodeUsernameFormat, "value", u)
	}
	return nil
}

// MinPasswordLen is the shortest password CheckPassword accepts (screens show it as a hint).
const MinPasswordLen = 10

// CheckPassword is the station's password policy: at least MinPasswordLen characters with a
// letter and a digit. Station PCs are shared and sit in public offices; the policy is
// deliberately simple so officers choose long passphrases rather than short complex ones.
func CheckPassword(pw, confirm string) error {
	if len([]rune(pw)) < MinPasswordLen {
		return fieldErr(FieldPassword, CodePasswordShort, "min", MinPasswordLen)
	}
	letter, digit := false, false
	for _, r := range pw {
		letter = letter || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127
		digit = digit || r >= '0' && r <= '9'
	}
	if !letter || !digit {
		return fieldErr(FieldPassword, CodePasswordWeak)
	}
	if pw != confirm {
		return fieldErr(FieldConfirm, CodePasswordMatch)
	}
	return nil
}

// CheckNewPassword is CheckPassword for a change: the new password must also differ from the
// current one, since a password someone else set (a new account, a reset) must really be
// replaced.
func CheckNewPassword(current, next, confirm string) error {
	if err := CheckPassword(next, confirm); err != nil {
		return err
	}
	if next == current {
		return fieldErr(FieldPassword, CodePasswordSame)
	}
	return nil
}

// OfficerForm is what creating an account needs.
type OfficerForm struct {
	Username, FullName string
	Role               Role
	Password, Confirm  string
}

// Check validates the account fields and the password policy.
func (f OfficerForm) Check() error {
	if err := CheckUsername(f.Username); err != nil {
		return err
	}
	if _, err := NormalizeName(f.FullName); err != nil {
		return err
	}
	return CheckPassword(f.Password, f.Confirm)
}

func stationCodePattern() *regexp.Regexp { return regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{2,31}$`) }

// CheckStationCode accepts 3-32 upper-case letters, digits and dashes: the code names the
// station in certificates, batch headers and file names.
func CheckStationCode(code string) error {
	if !stationCodePattern().MatchString(code) {
		return fieldErr(FieldStation, CodeStationCode, "value", code)
	}
	return nil
}

// StationSetup is a new station's first run: the office it serves, its code (printed on
// receipts and batch names, e.g. HN-DD-KT-01) and the first supervisor.
type StationSetup struct {
	Office, Code string
	Supervisor   OfficerForm
}

// Normalize trims and upper-cases the code and normalises the office name.
func (s StationSetup) Normalize() StationSetup {
	s.Office = NormalizeText(s.Office)
	s.Code = strings.ToUpper(strings.TrimSpace(s.Code))
	s.Supervisor.Username = strings.TrimSpace(s.Supervisor.Username)
	s.Supervisor.Role = RoleSupervisor
	return s
}

// Check validates a normalised set-up.
func (s StationSetup) Check() error {
	if s.Office == "" {
		return fieldErr(FieldOffice, CodeRequired)
	}
	if err := CheckStationCode(s.Code); err != nil {
		return err
	}
	return s.Supervisor.Check()
}

// NumericSetting is a station setting a supervisor may change, with its allowed range.
type NumericSetting struct {
	Key      string
	Min, Max int
	Default  int
}

// NumericSettings are the supervisor's settings: retention, idle lock and lock-out. Their
// defaults are the station's defaults: store and screens read them from here.
func NumericSettings() []NumericSetting {
	return []NumericSetting{
		{SettingRetentionDays, 0, 3650, 7},
		{SettingIdleMinutes, 1, 60, 5},
		{SettingLockAttempts, 3, 20, 5},
		{SettingLockMinutes, 1, 1440, 15},
	}
}

// NumericSettingDefault is the default of one of NumericSettings (0 for another key).
func NumericSettingDefault(key string) int {
	for _, d := range NumericSettings() {
		if d.Key == key {
			return d.Default
		}
	}
	return 0
}

// Station settings kept in the database: set at first run, shown on every screen, written on
// every record.
const (
	SettingOffice   = "office_name"
	SettingStation  = "station_code"
	SettingLanguage = "language"
	// SettingTheme: the screens' look, "light" (the default) or "dark".
	SettingTheme = "theme"
	// SettingRetentionDays: days a delivered record's personal data stays before purging.
	SettingRetentionDays = "retention_days"
	// SettingIdleMinutes: minutes without input before the session locks.
	SettingIdleMinutes = "idle_minutes"
	// SettingLockAttempts failed logins in a row lock an account for SettingLockMinutes.
	SettingLockAttempts = "lockout_attempts"
	SettingLockMinutes  = "lockout_minutes"
)
