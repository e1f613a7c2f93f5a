package enroll

import "strings"

// RegisterEntry is one citizen in central's citizen register (the national population
// database's identity part): what a level-2 record's identity is checked against.
type RegisterEntry struct {
	PersonalID  PersonalID
	FullName    string
	DateOfBirth Date
	Gender      Gender
}

// CheckIdentity compares a record's identity with the register's entry and returns the first
// disagreement as a rejection reason, or a zero Reason when they agree. Names are compared
// after normalisation and case folding: "NGUYỄN VĂN AN" typed from the card is the register's
// "Nguyễn Văn An", but "Nguyen Van An" without its diacritics is another name.
func (r RegisterEntry) CheckIdentity(c Citizen) Reason {
	switch {
	case r.PersonalID != c.PersonalID:
		return Reason{Code: ReasonNotInRegister}
	case !equalNames(r.FullName, c.FullName):
		return Reason{Code: ReasonNameMismatch}
	case r.DateOfBirth != c.DateOfBirth:
		return Reason{Code: ReasonDOBMismatch}
	case r.Gender != c.Gender:
		return Reason{Code: ReasonGenderMismatch}
	}
	return Reason{}
}

func equalNames(a, b string) bool {
	return strings.EqualFold(NormalizeText(a), NormalizeText(b))
}

// CheckCaptures is central's biometric gate: the portrait is there, and every finger of the
// record's set is captured at an acceptable quality (or accepted by a supervisor) or excused
// by an exception with a reason. It returns the first problem.
func (e *Enrollment) CheckCaptures() Reason {
	if e.Portrait == nil || len(e.Portrait.JPEG) == 0 {
		return Reason{Code: ReasonPortraitMissing}
	}
	if len(e.FingerSet) == 0 {
		return Reason{Code: ReasonRecordInvalid, Detail: "no finger set"}
	}
	for _, p := range e.FingerSet {
		if f, ok := e.Finger(p); ok {
			if len(f.PNG) == 0 {
				return Reason{Code: ReasonFingerMissing, Finger: p}
			}
			if !f.Acceptable() {
				return Reason{Code: ReasonFingerQuality, Finger: p}
			}
			continue
		}
		if x, ok := e.Exception(p); ok && x.Check() == nil {
			continue
		}
		return Reason{Code: ReasonFingerMissing, Finger: p}
	}
	return Reason{}
}
