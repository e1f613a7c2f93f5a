package enroll

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Central's verdict on a record, as it travels back to the station (status pull or
// acknowledgement file): which status the record reached and, for a rejection, why in words
// an officer can act on. Reasons are codes, not text, so each station shows them in its own
// language; none of them carries personal data.
const (
	ReasonNotInRegister   = "not_in_register"  // no citizen with this ID number
	ReasonNameMismatch    = "name_mismatch"    // the register's name differs
	ReasonDOBMismatch     = "dob_mismatch"     // the register's date of birth differs
	ReasonGenderMismatch  = "gender_mismatch"  // the register's gender differs
	ReasonPortraitMissing = "portrait_missing" // no portrait image
	ReasonFingerMissing   = "finger_missing"   // a required finger has neither image nor exception ({finger})
	ReasonFingerQuality   = "finger_quality"   // a print below the threshold nobody accepted ({finger})
	ReasonFingerMismatch  = "finger_mismatch"  // the print is not the register's reference for that finger ({finger})
	ReasonRecordInvalid   = "record_invalid"   // the record fails the station's own validation ({detail})
	ReasonRecordConflict  = "record_conflict"  // a changed copy of a record central already accepted
	ReasonAlreadyEnrolled = "already_enrolled" // the citizen already has a verified level-2 record ({detail}: where)
	ReasonOther           = "other"            // anything else; Detail says what
)

// Reason is why central refused a record.
type Reason struct {
	Code   string
	Finger FingerPosition `json:",omitempty"`
	Detail string         `json:",omitempty"` // plain words, for codes that need them
}

func (r Reason) IsZero() bool { return r.Code == "" }

// TranslationKey selects the officer's message ("reason.<code>").
func (r Reason) TranslationKey() string { return "reason." + r.Code }

// Params fills the message's placeholders.
func (r Reason) Params() map[string]any {
	p := map[string]any{"detail": r.Detail}
	if r.Finger.Valid() {
		p["finger"] = r.Finger
	}
	return p
}

// Error gives the English text, for logs and the command line.
func (r Reason) Error() string {
	tmpl, ok := englishReasons[r.Code]
	if !ok {
		tmpl = r.Code + ": {detail}"
	}
	return strings.TrimSuffix(Fill(tmpl, r.Params(), renderEnglish), ": ")
}

var englishReasons = map[string]string{
	ReasonNotInRegister:   "the ID number is not in the citizen register; check it against the card",
	ReasonNameMismatch:    "the name does not match the citizen register; check it against the card",
	ReasonDOBMismatch:     "the date of birth does not match the citizen register; check it against the card",
	ReasonGenderMismatch:  "the gender does not match the citizen register; check it against the card",
	ReasonPortraitMissing: "the portrait is missing; take it again",
	ReasonFingerMissing:   "the {finger} is missing; capture it or record an exception",
	ReasonFingerQuality:   "the {finger} print is below the quality threshold; capture it again",
	ReasonFingerMismatch:  "the {finger} print does not match the citizen ID database; check the person against the card and capture the finger again",
	ReasonRecordInvalid:   "the record is incomplete: {detail}",
	ReasonRecordConflict:  "central already holds a different copy of this record",
	ReasonAlreadyEnrolled: "the citizen already has a verified level-2 account ({detail}); do not enrol them again",
	ReasonOther:           "{detail}",
}

// ReasonCodes lists every code, for the translation catalogue's completeness test.
func ReasonCodes() []string {
	codes := make([]string, 0, len(englishReasons))
	for c := range englishReasons {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// Verdict is central's status for one record. Revision is the hash of the copy central
// judged (the batch manifest's content hash), so a verdict on an older copy of a record that
// was corrected and sent again is never applied to the new one.
type Verdict struct {
	ID       string
	Revision string
	Status   Status // received, verified or rejected
	Reason   Reason `json:",omitzero"`
}

// Check accepts only the statuses central reports.
func (v Verdict) Check() error {
	switch v.Status {
	case StatusReceived, StatusVerified:
		return nil
	case StatusRejected:
		if v.Reason.IsZero() {
			return fmt.Errorf("record %s: rejected without a reason", v.ID)
		}
		return nil
	}
	return fmt.Errorf("record %s: %q is not a status central reports", v.ID, v.Status)
}

// BatchState is where a built batch is on its way to central.
type BatchState string

const (
	BatchReady    BatchState = "ready"    // built, encrypted and signed; waits for upload or export
	BatchUploaded BatchState = "uploaded" // central has it whole
	BatchRefused  BatchState = "refused"  // central refused it; its records went back to complete
)

func (s BatchState) TranslationKey() string { return "batch." + string(s) }

// Batch is a station's record of one batch file.
type Batch struct {
	ID         string
	Seq        int64
	CreatedAt  time.Time
	Records    int
	Size       int64
	File       string // path of the batch file in the station's outbox
	State      BatchState
	UploadURL  string // the tus upload, once created: resuming asks it for its offset
	Sent       int64  // bytes central has confirmed
	UploadedAt time.Time
	ExportedAt time.Time
	Reason     string // central's words when it refused the batch
}

// Sync audit actions.
const (
	ActionProvision    = "sync_provision"
	ActionBatchCreate  = "batch_create"
	ActionBatchUpload  = "batch_upload"
	ActionBatchRefused = "batch_refused"
	ActionBatchExport  = "batch_export"
	ActionAckImport    = "ack_import"
	ActionRecordStatus = "record_status"
)

// Sync errors a station shows in words.
var (
	ErrNotProvisioned = errors.New("this station is not connected to a central system yet: a supervisor provisions it")
	// ErrProvisionFile: the file given to provision the station is not one central wrote for
	// a station, or it is damaged.
	ErrProvisionFile = errors.New("not a provisioning file, or a damaged one: use the CODE-provision.json file that central station add wrote")
	// ErrProvisionUsed: the provisioning file was used already (its one-time key is gone).
	ErrProvisionUsed = errors.New("this provisioning file was used already: ask central for a new one (central station add CODE --reissue)")
	// ErrProvisionUnreadable: the provisioning file cannot be read (no such file, no access).
	ErrProvisionUnreadable = errors.New("the provisioning file cannot be read: check its path and the removable disk")
	// ErrCentralUnreachable: the network or central is down; records stay safe on the
	// station and sync tries again by itself.
	ErrCentralUnreachable = errors.New("central cannot be reached; records are kept on this station and sent when it can")
	// ErrCentralBusy: central answered but asks the station to wait (overloaded, or holding
	// as many of this station's unfinished uploads as it may): records stay safe and sync
	// tries again by itself, later.
	ErrCentralBusy = errors.New("central is busy and asks this station to wait; records are kept on this station and sent later")
	// ErrCentralRefusedStation: central does not accept this station's certificate (removed,
	// or provisioned again since): a supervisor provisions the station with a new file.
	ErrCentralRefusedStation = errors.New("central does not accept this station any more; a supervisor must provision it again")
	// ErrWrongCentral: the server at the station's central address shows a certificate from
	// another central's authority: the address, or the provisioning file, is for another
	// central. Nothing was sent; retrying changes nothing until a supervisor fixes it.
	ErrWrongCentral = errors.New("the server at central's address belongs to another central system; a supervisor must check central's address or load the provisioning file of the central this station reports to")
	// ErrSyncRunning: another sync pass holds this station's database (the window's
	// background sync and `station sync` in a terminal); nothing was done.
	ErrSyncRunning = errors.New("another sync is running on this station; try again in a moment")
)

// Binding is the central a station is provisioned for.
type Binding struct {
	Station string
	Central string // its address
	At      time.Time
	By      string // the supervisor who provisioned it
}

// SyncState is what the station's screens show of sync in progress.
type SyncState struct {
	Running     bool      // a pass is under way
	Uploading   string    // the batch being sent, if any
	Sent, Size  int64     // its progress in bytes
	LastSuccess time.Time // the last pass that reached central
	LastError   error     // the last pass's trouble; nil once a pass succeeds
}

// SyncCounts counts a station's records by where they are on the way to central.
type SyncCounts struct {
	Waiting   int // complete, not yet in a batch
	InBatches int // in a batch not yet at central
	AtCentral int // uploaded or received: awaiting central's verdict
	Verified  int
	Returned  int // drafts central sent back
}
