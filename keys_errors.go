package enroll

import "errors"

// Errors of the key slots, the officers' integrity check and data-key rotation.
var (
	// ErrOfficerTampered: an officer's row or key slot differs from what the station wrote
	// (the store's error names the account and the column, and wraps this).
	ErrOfficerTampered = errors.New("an officer account in the database was changed outside the station")
	// ErrRotationUnfinished: a data-key rotation is under way (or was interrupted and waits
	// for the next login to finish it); accounts cannot change meanwhile.
	ErrRotationUnfinished = errors.New("a data key rotation is unfinished: log in again to finish it, then retry")
	// ErrRecoverySlotOld: the recovery slot predates key rotation; the recovery key must be
	// typed once to renew it before the data key can be rotated.
	ErrRecoverySlotOld = errors.New("the recovery slot was made by an older version: type the recovery key to renew it before rotating the data key")
	// ErrSettingTampered: a station setting differs from what a supervisor last set (the
	// store's error names it and wraps this).
	ErrSettingTampered = errors.New("a station setting was changed outside the station")
)

// Audit actions of key management. Each is also a translation key ("audit.<action>").
const (
	// ActionRekeyStart: a supervisor started rotating the data key.
	ActionRekeyStart = "rekey_start"
	// ActionRekeyFinish: every record, image and search term is sealed under the new key and
	// the old one is forgotten.
	ActionRekeyFinish = "rekey_finish"
	// ActionOfficersSealed: the station sealed its list of officer accounts at the first login
	// after an upgrade, or renewed the recovery slot.
	ActionOfficersSealed = "officers_sealed"
	// ActionRecordsSealed: the station sealed the rows of the records saved before row seals
	// existed, at the first login after the upgrade.
	ActionRecordsSealed = "records_sealed"
	// ActionVerdictsQueued: central's verdicts arrived while nobody was logged in; they are
	// applied at the next login.
	ActionVerdictsQueued = "verdicts_queued"
)

// KeyAuditActions lists the key-management actions, for the audit browser's filter.
func KeyAuditActions() []string {
	return []string{ActionRekeyStart, ActionRekeyFinish, ActionOfficersSealed, ActionRecordsSealed}
}

// The columns of an officer's account the station vouches for, named when one differs from
// what it wrote (OfficerTampered.What), and the account-wide findings.
const (
	TamperRole         = "role"
	TamperDisabled     = "disabled"
	TamperMustChange   = "must_change"
	TamperFullName     = "full_name"
	TamperCreated      = "created_at"
	TamperSlot         = "slot"
	TamperUnknown      = "unknown"
	TamperMissing      = "missing"
	TamperRollback     = "rollback"
	TamperRoster       = "roster"
	TamperStaleKey     = "stale_key"
	TamperRecoverySlot = "recovery_slot"
)

// TamperFinding is the What whose text an OfficerTampered error carries, so that the audit
// browser can show the trail's English detail in the officer's language.
func TamperFinding(text string) (string, bool) {
	for what, t := range tamperText {
		if t == text {
			return what, true
		}
	}
	return "", false
}

// TamperFindings lists every What, for the screens' translations.
func TamperFindings() []string {
	return []string{TamperRole, TamperDisabled, TamperMustChange, TamperFullName, TamperCreated, TamperSlot, TamperUnknown,
		TamperMissing, TamperRollback, TamperRoster, TamperStaleKey, TamperRecoverySlot}
}

var tamperText = map[string]string{
	TamperRole:         "the role in the database was changed outside the station",
	TamperDisabled:     "whether the account is disabled was changed outside the station",
	TamperMustChange:   "the forced password change was changed outside the station",
	TamperFullName:     "the name was changed outside the station",
	TamperCreated:      "the creation date was changed outside the station",
	TamperSlot:         "the key slot was changed, put back or removed outside the station",
	TamperUnknown:      "the account was added outside the station",
	TamperMissing:      "the account was deleted outside the station",
	TamperRollback:     "the accounts were put back from an earlier copy (the audit trail records later changes)",
	TamperRoster:       "the station's sealed list of accounts is missing or damaged",
	TamperStaleKey:     "the key slot does not open the station's current data (altered, or from before a key rotation)",
	TamperRecoverySlot: "the recovery slot was changed outside the station",
}

// OfficerTampered is an officer's row or key slot that differs from what the station last
// wrote: an edit of the file, or a row put back from an older copy.
type OfficerTampered struct {
	Username string // "" for the accounts as a whole or the recovery slot
	What     string // one of the Tamper constants
}

func (e *OfficerTampered) Error() string {
	text, ok := tamperText[e.What]
	if !ok {
		text = "was changed outside the station"
	}
	if e.Username == "" {
		return "officer accounts: " + text
	}
	return "officer " + e.Username + ": " + text
}

func (e *OfficerTampered) Unwrap() error { return ErrOfficerTampered }

// KeyRotation says what a data key rotation did.
type KeyRotation struct {
	Generation int      // the data key's generation now
	Records    int      // records sealed again by this run
	Resumed    bool     // it finished a rotation started earlier
	Dropped    []string // officers whose key slots could not take the new key: a supervisor resets their passwords
	Unreadable []string // sealed values that opened under no key (altered in the file), left as they were
	// WALPending: the write-ahead log could not be emptied yet (the database was busy), so
	// pages sealed under the old key may stay in it until the next checkpoint.
	WALPending bool
}
