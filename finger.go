package enroll

import (
	"strconv"
)

// FingerPosition is the ISO/ANSI finger position code: 1 right thumb … 5 right little,
// 6 left thumb … 10 left little.
type FingerPosition int

const (
	RightThumb FingerPosition = iota + 1
	RightIndex
	RightMiddle
	RightRing
	RightLittle
	LeftThumb
	LeftIndex
	LeftMiddle
	LeftRing
	LeftLittle
)

func (p FingerPosition) Valid() bool { return p >= RightThumb && p <= LeftLittle }

// Right reports whether the finger is on the right hand.
func (p FingerPosition) Right() bool { return p <= RightLittle }

// Digit is 0 for the thumb … 4 for the little finger, whichever the hand.
func (p FingerPosition) Digit() int { return (int(p) - 1) % 5 }

func (p FingerPosition) TranslationKey() string { return "finger." + strconv.Itoa(int(p)) }

func (p FingerPosition) englishName() string {
	hand := "left"
	if p.Right() {
		hand = "right"
	}
	return hand + " " + [...]string{"thumb", "index", "middle", "ring", "little"}[p.Digit()]
}

func (p FingerPosition) String() string {
	if !p.Valid() {
		return "finger(" + strconv.Itoa(int(p)) + ")"
	}
	return p.englishName()
}

// Level2Fingers is the default capture set for a level-2 account: both index fingers.
func Level2Fingers() []FingerPosition { return []FingerPosition{RightIndex, LeftIndex} }

// TenPrint is every finger, used when level 2 comes with a first card issuance.
func TenPrint() []FingerPosition {
	return []FingerPosition{RightThumb, RightIndex, RightMiddle, RightRing, RightLittle,
		LeftThumb, LeftIndex, LeftMiddle, LeftRing, LeftLittle}
}

// ExceptionReason says why a finger could not be captured. A supervisor reviews them.
type ExceptionReason string

const (
	ExceptionAmputated ExceptionReason = "amputated"
	ExceptionInjured   ExceptionReason = "injured" // bandaged or wounded: temporary
	ExceptionUnusable  ExceptionReason = "unusable"
)

// ExceptionReasons lists them in the order the UI offers them.
func ExceptionReasons() []ExceptionReason {
	return []ExceptionReason{ExceptionAmputated, ExceptionInjured, ExceptionUnusable}
}

func (r ExceptionReason) TranslationKey() string { return "exception." + string(r) }

func (r ExceptionReason) Valid() bool {
	for _, x := range ExceptionReasons() {
		if r == x {
			return true
		}
	}
	return false
}

// Finger quality rules (DESIGN §5): below MinFingerQuality the officer retakes the print, up
// to MaxFingerTries tries, and the best try is kept; a print still below it needs a
// supervisor's acceptance with a reason (or the finger an exception).
const (
	MinFingerQuality = 40
	MaxFingerTries   = 3
)

// FingerScore is the quality measured on a capture (biometric.MeasureFinger): a 0-100 score,
// the problems found (no_finger, partial, too_dark, too_light) and the features behind it.
type FingerScore struct {
	Score    int
	Flags    []string           `json:",omitempty"`
	Features map[string]float64 `json:",omitempty"`
}

// FingerCapture is one stored finger image and what is known about how it was taken.
type FingerCapture struct {
	Position FingerPosition
	PNG      []byte // 8-bit grey, lossless, with the resolution in its pHYs chunk
	Width    int
	Height   int
	PPI      int
	Device   string // the reader's model and serial, or "simulated"
	Driver   string
	Attempts int // how many captures were taken for this finger, the kept one included
	Quality  FingerScore
	// AcceptedBy is the supervisor who accepted a print below MinFingerQuality, and why.
	AcceptedBy     string `json:",omitempty"`
	AcceptedReason string `json:",omitempty"`
}

// Acceptable reports whether the capture may be kept: good enough, or accepted by a
// supervisor.
func (c FingerCapture) Acceptable() bool {
	return c.Quality.Score >= MinFingerQuality || c.AcceptedBy != ""
}

// TriesLeft reports whether the rules allow another try of this finger.
func (c FingerCapture) TriesLeft() bool { return c.Attempts < MaxFingerTries }

// FingerException records a finger that cannot be captured and why.
type FingerException struct {
	Position FingerPosition
	Reason   ExceptionReason
	Note     string // free text from the officer, e.g. "bandaged after burn"
}

// CheckException verifies an exception is complete.
func (e FingerException) Check() error {
	if !e.Reason.Valid() {
		return fieldErr(FieldFingerReason, CodeFingerReasonMissing, "finger", e.Position)
	}
	return checkLength(FieldFingerReason, e.Note, MaxNoteLength)
}
