package enroll

import (
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// crockford is Crockford's base-32 alphabet: no I, L, O or U, so a code read out over the
// phone or copied by hand cannot be mistaken for another.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// RecordCode is the short code printed on the citizen's receipt and read out over the phone:
// the record id's first 45 bits (all random in a version-4 UUID) as nine Crockford base-32
// characters in three groups, "K7Q-M3X-D9A". It is derived, never stored apart, so the
// station and central compute the same code. 45 bits keep the chance that two of a station's
// 200 000 records share a code near 1 in 1 800; a lookup that finds two shows both.
func RecordCode(id string) string {
	b, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(b) < 6 {
		return ""
	}
	var v uint64
	for _, x := range b[:6] {
		v = v<<8 | uint64(x)
	}
	v >>= 3 // 48 → 45 bits
	var out [11]byte
	n := 0
	for i := 8; i >= 0; i-- {
		out[n] = crockford[(v>>(5*uint(i)))&31]
		n++
		if i == 6 || i == 3 {
			out[n] = '-'
			n++
		}
	}
	return string(out[:])
}

// ParseRecordCode reads a code as someone typed it: any case, with or without dashes or
// spaces, O for 0 and I or L for 1 as Crockford allows. It returns the canonical form.
func ParseRecordCode(s string) (string, bool) {
	var clean []byte
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 0x7f || strings.IndexByte(crockford, byte(r)) < 0 {
			return "", false
		}
		clean = append(clean, byte(r))
	}
	if len(clean) != 9 {
		return "", false
	}
	return string(clean[0:3]) + "-" + string(clean[3:6]) + "-" + string(clean[6:9]), true
}

// RecordQuery is the records screen's search. Text is one of: a whole personal ID number or
// its first 6 to 11 digits, a phone number, a record code, or words of the name in any order
// with or without diacritics ("nguyen an" finds "Nguyễn Văn An"). Zero fields do not filter.
type RecordQuery struct {
	Text   string
	Status Status
	From   time.Time // created at or after
	To     time.Time // created before
	Limit  int       // default 200
}

// OfficerDay is one officer's work on one day, for the supervisor's numbers.
type OfficerDay struct {
	Officer  string // username
	FullName string
	Created  int // records started that day
	Complete int // of those, saved with consent (whatever happened to them since)
	Drafts   int // of those, still unfinished
}

// ReviewItem is a record a supervisor should look at: fingers excused or prints accepted
// below the quality floor.
type ReviewItem struct {
	Summary
	Exceptions []FingerException
	Accepted   []FingerCapture // images stripped; who accepted and why
}

// What can go wrong with a record the officer asked for; the screens say each in the officer's
// language.
var (
	ErrRecordNotFound = errors.New("record not found")
	ErrNotDraft       = errors.New("record is no longer a draft")
	ErrStillDraft     = errors.New("the record is still a draft: continue it from the drafts")
	ErrAlreadySent    = errors.New("the record was already sent to central and can no longer be corrected here")
	ErrReasonRequired = errors.New("a reason is required")
	ErrNotInReview    = errors.New("the record is not waiting for a supervisor's review")
	// ErrRecordTampered: a record's status, dates, markers or set of images differ from what
	// the station last wrote (edited, or an older copy put back, with a database tool); the
	// store's error names the record.
	ErrRecordTampered = errors.New("the record was changed outside the station: its status, dates or images are not the ones the station wrote; restore the database from a backup and tell a supervisor")
	// ErrImageMissing: the record's sealed document lists a picture whose image row is gone.
	ErrImageMissing = errors.New("its image is missing from the database, which was changed outside the station")
	// ErrPurgeUnfinished: records were purged, but readers kept the write-ahead log from being
	// emptied, so the deleted data is still in it until the station retries (every few
	// seconds, and at the next purge or start).
	// ErrDiskFull: the disk holding the database is full; nothing was written.
	ErrDiskFull = errors.New("the disk is full: nothing was saved, and what was saved before is intact; free some space and save again")
	// ErrDatabaseReadOnly: the database file cannot be written (permissions, a read-only disk).
	ErrDatabaseReadOnly = errors.New("the database file cannot be written (read-only file or disk): nothing was saved; ask the technician to make it writable")
	// ErrDatabaseDamaged: SQLite found the file damaged.
	ErrDatabaseDamaged = errors.New("the database file is damaged: stop using this station and ask the technician to restore it from a backup")
	ErrPurgeUnfinished = errors.New("purged, but the deleted data is still in the database's write-ahead log: it is wiped at the next quiet moment; run the purge again to check")
)

// Lengths of free text kept in a record: an address as long as any on a card, a note or a
// reason of a few sentences. Typed or scanned text past them is refused, not cut.
const (
	MaxAddressLength = 300
	MaxNoteLength    = 500
)

// checkLength refuses text longer than max characters, naming the field.
func checkLength(field Field, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return fieldErr(field, CodeTooLong, "length", n, "max", max)
	}
	return nil
}
