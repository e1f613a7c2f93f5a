package enroll

import (
	"sort"
	"time"
)

// Status is where a record is in its life. Sync and retention move it past complete.
type Status string

const (
	StatusDraft    Status = "draft"    // being entered; saved after every wizard step
	StatusComplete Status = "complete" // consent given and saved; waits for a batch
	StatusBatched  Status = "batched"  // sealed into a sync batch
	StatusUploaded Status = "uploaded" // the batch reached central's upload endpoint
	StatusReceived Status = "received" // central acknowledged and stored it
	StatusVerified Status = "verified" // central checked it against the register
	StatusRejected Status = "rejected" // central refused it, with a reason; back to the officer
	StatusPurged   Status = "purged"   // personal data and biometrics deleted after confirmation
)

func (s Status) TranslationKey() string { return "status." + string(s) }

// Statuses lists every status in the order a record goes through them (the Records tab's
// filter and `station records --status` offer them so).
func Statuses() []Status {
	return []Status{StatusDraft, StatusComplete, StatusBatched, StatusUploaded, StatusReceived, StatusVerified,
		StatusRejected, StatusPurged}
}

// next lists where a status may go. A rejected record goes back to draft so the officer can
// correct it; a batch that failed to upload returns its records to complete.
func next(s Status) []Status {
	switch s {
	case StatusDraft:
		return []Status{StatusComplete}
	case StatusComplete:
		return []Status{StatusBatched, StatusDraft}
	case StatusBatched:
		return []Status{StatusUploaded, StatusComplete}
	case StatusUploaded:
		return []Status{StatusReceived, StatusBatched}
	case StatusReceived:
		return []Status{StatusVerified, StatusRejected}
	case StatusVerified:
		return []Status{StatusPurged}
	case StatusRejected:
		return []Status{StatusDraft, StatusPurged}
	}
	return nil
}

// CanMove reports whether a record may go from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range next(from) {
		if s == to {
			return true
		}
	}
	return false
}

// CheckMove is CanMove as an error for the store to return.
func CheckMove(from, to Status) error {
	if !CanMove(from, to) {
		return fieldErr(FieldStatus, CodeTransitionNotAllowed, "from", string(from), "to", string(to))
	}
	return nil
}

// Step is a wizard step; a draft remembers the last one finished so the officer resumes there.
type Step int

const (
	StepIdentify Step = iota
	StepContact
	StepPortrait
	StepFingers
	StepReview
	StepSaved
)

func (s Step) TranslationKey() string {
	return "step." + [...]string{"identify", "contact", "portrait", "fingers", "review", "saved"}[s]
}

// Portrait is the stored face image.
type Portrait struct {
	JPEG       []byte // the 3:4 crop
	Width      int
	Height     int
	Device     string
	CapturedAt time.Time
	// Checks are the portrait requirements as measured on the picture taken; Override is the
	// officer's reason for keeping it although one failed.
	Checks   []PortraitCheck `json:",omitempty"`
	Override string          `json:",omitempty"`
}

// PortraitCheck is one requirement measured on a portrait (face count, size, centring, tilt,
// sharpness, exposure, contrast, background).
type PortraitCheck struct {
	Name  string
	Pass  bool
	Value float64
}

// Enrollment is one level-2 account request: the record an officer creates and central
// verifies. ID is a random UUID assigned when the draft is first saved and never changes, so
// that a record can be synced, resent and acknowledged without ever being duplicated.
type Enrollment struct {
	ID           string
	Status       Status
	Step         Step // next step to show when resuming a draft
	Station      string
	Officer      string // username of the officer who created it
	CreatedAt    time.Time
	UpdatedAt    time.Time
	CompletedAt  time.Time
	Citizen      Citizen
	Phone        string
	Email        string
	Integrations []IntegrationRequest
	Portrait     *Portrait
	// FingerSet is the fingers this enrollment must capture (Level2Fingers or TenPrint).
	FingerSet  []FingerPosition
	Fingers    []FingerCapture
	Exceptions []FingerException
	Consent    bool
	ConsentAt  time.Time
	// Returned is central's reason when it rejected the record and sent it back to the
	// officer as a draft; cleared once central verifies it.
	Returned Reason `json:",omitzero"`
}

// Blank tells whether nothing has been captured for the record yet: no identity, contact,
// integration, portrait, finger or exception. A new enrollment left before its first step
// holds is blank; it is not worth a draft.
func (e *Enrollment) Blank() bool {
	return e.Citizen == (Citizen{}) && e.Phone == "" && e.Email == "" && len(e.Integrations) == 0 &&
		e.Portrait == nil && len(e.Fingers) == 0 && len(e.Exceptions) == 0
}

// Finger returns the capture for a position, if any.
func (e *Enrollment) Finger(p FingerPosition) (FingerCapture, bool) {
	for _, f := range e.Fingers {
		if f.Position == p {
			return f, true
		}
	}
	return FingerCapture{}, false
}

// Exception returns the exception for a position, if any.
func (e *Enrollment) Exception(p FingerPosition) (FingerException, bool) {
	for _, x := range e.Exceptions {
		if x.Position == p {
			return x, true
		}
	}
	return FingerException{}, false
}

// SetFinger keeps one capture per position and clears any exception for it.
func (e *Enrollment) SetFinger(c FingerCapture) {
	e.ClearFinger(c.Position)
	e.Fingers = append(e.Fingers, c)
	sort.Slice(e.Fingers, func(i, j int) bool { return e.Fingers[i].Position < e.Fingers[j].Position })
}

// SetException replaces any capture of the finger by an exception.
func (e *Enrollment) SetException(x FingerException) {
	e.ClearFinger(x.Position)
	e.Exceptions = append(e.Exceptions, x)
	sort.Slice(e.Exceptions, func(i, j int) bool { return e.Exceptions[i].Position < e.Exceptions[j].Position })
}

// ClearFinger removes the capture and exception for a position (retake).
func (e *Enrollment) ClearFinger(p FingerPosition) {
	fs := e.Fingers[:0]
	for _, f := range e.Fingers {
		if f.Position != p {
			fs = append(fs, f)
		}
	}
	e.Fingers = fs
	xs := e.Exceptions[:0]
	for _, x := range e.Exceptions {
		if x.Position != p {
			xs = append(xs, x)
		}
	}
	e.Exceptions = xs
}

// CheckContact validates the contact step's data.
func (e *Enrollment) CheckContact() ValidationErrors {
	var errs ValidationErrors
	if _, err := NormalizePhone(e.Phone); err != nil {
		errs.add(err)
	}
	if _, err := NormalizeEmail(e.Email); err != nil {
		errs.add(err)
	}
	if len(errs) == 0 {
		errs.add(CheckContact(e.Phone, e.Email))
	}
	for _, r := range e.Integrations {
		errs.add(r.Check())
	}
	return errs
}

// CheckFingers validates that every finger of the set is captured or excused.
func (e *Enrollment) CheckFingers() ValidationErrors {
	var errs ValidationErrors
	for _, p := range e.FingerSet {
		if f, ok := e.Finger(p); ok {
			if !f.Acceptable() {
				errs.add(fieldErr(FieldFingers, CodeFingerQualityLow, "finger", p, "score", f.Quality.Score,
					"min", MinFingerQuality, "try", f.Attempts, "tries", MaxFingerTries))
			}
			errs.add(checkLength(FieldFingerReason, f.AcceptedReason, MaxNoteLength))
			continue
		}
		if x, ok := e.Exception(p); ok {
			errs.add(x.Check())
			continue
		}
		errs.add(fieldErr(FieldFingers, CodeFingerMissing, "finger", p))
	}
	return errs
}

// CheckComplete is everything a record needs before it may leave draft: valid identity
// (re-validated, since a draft may have been edited), contact, portrait, fingers, consent.
func (e *Enrollment) CheckComplete(today Date) ValidationErrors {
	_, errs := e.Citizen.Form().Validate(today)
	errs = append(errs, e.CheckContact()...)
	if e.Portrait == nil || len(e.Portrait.JPEG) == 0 {
		errs.add(fieldErr(FieldPortrait, CodePortraitMissing))
	} else {
		errs.add(checkLength(FieldPortrait, e.Portrait.Override, MaxNoteLength))
	}
	if len(e.FingerSet) == 0 {
		errs.add(fieldErr(FieldFingers, CodeRequired))
	}
	errs = append(errs, e.CheckFingers()...)
	if !e.Consent {
		errs.add(fieldErr(FieldConsent, CodeConsentMissing))
	}
	return errs
}

// Summary is what lists and search results show: no images.
type Summary struct {
	ID         string
	Status     Status
	Step       Step
	PersonalID PersonalID
	FullName   string
	Phone      string
	Officer    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Returned   Reason // central's reason, for a draft it sent back
}

// Image kinds, as stored and sent apart from the record.
const (
	ImagePortrait = "portrait" // position 0
	ImageFinger   = "finger"   // position 1-10
)

// WithoutImages is a copy of the record whose captures carry no image bytes, for storing or
// sending the bytes apart; the record itself is untouched.
func (e *Enrollment) WithoutImages() Enrollment {
	d := *e
	d.Fingers = make([]FingerCapture, len(e.Fingers))
	for i, f := range e.Fingers {
		f.PNG = nil
		d.Fingers[i] = f
	}
	if e.Portrait != nil {
		p := *e.Portrait
		p.JPEG = nil
		d.Portrait = &p
	}
	return d
}

// AttachImage puts image bytes read apart back into the record's portrait or finger capture.
func (e *Enrollment) AttachImage(kind string, position int, data []byte) {
	switch {
	case kind == ImagePortrait && e.Portrait != nil:
		e.Portrait.JPEG = data
	case kind == ImageFinger:
		for i := range e.Fingers {
			if int(e.Fingers[i].Position) == position {
				e.Fingers[i].PNG = data
			}
		}
	}
}
