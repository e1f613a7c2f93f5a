package intake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/biometric/minutiae"
)

// Fingerprint verification: level 2 exists because central confirms that the person at the
// counter is the holder of the ID number, by comparing each finger the officer captured with
// the reference print of the same finger taken when the citizen's card was issued.
//
// Each comparison falls in one of three bands of the matcher's score (docs/matcher.md):
//   - a match at or above minutiae.Threshold, which 0.1 % of different fingers reach;
//   - a clear non-match below minutiae.LenientThreshold, under which 99 % of different fingers
//     and about 0.2 % of impressions of the same finger fall;
//   - uncertain in between: too close to call by machine.
//
// The record is verified when every finger compared matches; rejected, naming a finger that
// clearly does not match, when none matches and at least one clearly does not (the prints are
// someone else's); and held for an examiner (manual review) otherwise: a finger that matches
// beside one that clearly does not (a finger captured in the wrong place, or one poor
// impression), an uncertain score, or no reference to compare with.

// Outcomes of one finger's comparison (FingerScore.Outcome): the bands an examiner reads.
const (
	FingerMatch       = "match"
	FingerNoMatch     = "no_match"
	FingerUncertain   = "uncertain"
	FingerNoReference = "no_reference"
	// The station's image could not be read or yields no minutiae: a fault of the record,
	// which the officer fixes by capturing the finger again.
	FingerUnusable = "unusable"
)

// fingerComparison is one captured finger against the register's reference for its position.
type fingerComparison struct {
	Finger  enroll.FingerPosition `json:"finger"`
	Score   float64               `json:"score"`
	Outcome string                `json:"outcome"`
	Problem string                `json:"problem,omitempty"` // why an unusable capture is
}

// fingerDecision is what the comparisons decide for a record.
type fingerDecision int

const (
	fingersVerified fingerDecision = iota
	fingersRejected
	fingersReview
)

// decideFingers applies the rule above; for a rejection the reason names the first finger of
// the record's set that clearly does not match. A capture central cannot read rejects the
// record before any of that: no examiner can judge a print that is not there, and waiting
// would leave the station without an answer.
func decideFingers(cmp []fingerComparison) (fingerDecision, enroll.Reason) {
	for _, c := range cmp {
		if c.Outcome == FingerUnusable {
			return fingersRejected, enroll.Reason{Code: enroll.ReasonFingerQuality, Finger: c.Finger, Detail: c.Problem}
		}
	}
	var matched, failed, compared int
	var first enroll.FingerPosition
	for _, c := range cmp {
		switch c.Outcome {
		case FingerMatch:
			matched++
			compared++
		case FingerNoMatch:
			failed++
			compared++
			if first == 0 {
				first = c.Finger
			}
		case FingerUncertain:
			compared++
		}
	}
	switch {
	case compared > 0 && matched == compared && compared == len(cmp):
		return fingersVerified, enroll.Reason{}
	case matched == 0 && failed > 0:
		return fingersRejected, enroll.Reason{Code: enroll.ReasonFingerMismatch, Finger: first}
	}
	return fingersReview, enroll.Reason{}
}

// bandOf places a score in its band.
func bandOf(s minutiae.Score) string {
	switch {
	case s >= minutiae.Threshold:
		return FingerMatch
	case s < minutiae.LenientThreshold:
		return FingerNoMatch
	}
	return FingerUncertain
}

// compareFingers compares every captured finger of the record's set with the register's
// reference for its position. Fingers excused by an exception are not compared. The
// extractions run side by side: they are most of the work of verifying a record. An image the
// station sent that cannot be decoded or measured is an outcome of the comparison
// (FingerUnusable), not an error: the error is kept for central's own faults, which must not
// be mistaken for a verdict on the record.
func (c *Central) compareFingers(ctx context.Context, e *enroll.Enrollment) ([]fingerComparison, error) {
	refs, err := c.references(ctx, e.Citizen.PersonalID)
	if err != nil {
		return nil, err
	}
	var out []fingerComparison
	var work []int
	var captures []enroll.FingerCapture
	for _, p := range e.FingerSet {
		f, ok := e.Finger(p)
		if !ok {
			continue
		}
		out = append(out, fingerComparison{Finger: p, Outcome: FingerNoReference})
		if refs[p] != nil {
			work = append(work, len(out)-1)
			captures = append(captures, f)
		}
	}
	var wg sync.WaitGroup
	for i, at := range work {
		wg.Go(func() {
			s, err := compareCapture(captures[i], refs[out[at].Finger])
			if err != nil {
				out[at].Outcome, out[at].Problem = FingerUnusable, err.Error()
				return
			}
			out[at].Score, out[at].Outcome = float64(s), bandOf(s)
		})
	}
	wg.Wait()
	return out, ctx.Err()
}

// compareCapture extracts the captured print's minutiae at the resolution its reader
// reported and compares them with the reference.
func compareCapture(f enroll.FingerCapture, ref *minutiae.Template) (minutiae.Score, error) {
	img, ppi, err := biometric.DecodeFingerPNG(f.PNG)
	if err != nil {
		return 0, err
	}
	if f.PPI > 0 {
		ppi = f.PPI
	}
	if ppi <= 0 {
		return 0, errors.New("the capture's resolution is unknown")
	}
	t, err := minutiae.Extract(img, ppi)
	if err != nil {
		return 0, err
	}
	return minutiae.Match(t, ref), nil
}

// references reads the register's reference templates of one citizen, by finger position.
func (c *Central) references(ctx context.Context, id enroll.PersonalID) (map[enroll.FingerPosition]*minutiae.Template, error) {
	rows, err := c.db.query(ctx, `SELECT position, template FROM register_prints WHERE personal_id = ?`, string(id))
	if err != nil {
		return nil, fmt.Errorf("reference prints: %w", err)
	}
	defer rows.Close()
	refs := map[enroll.FingerPosition]*minutiae.Template{}
	for rows.Next() {
		var pos int
		var b []byte
		if err := rows.Scan(&pos, &b); err != nil {
			return nil, err
		}
		t, err := minutiae.ParseTemplate(b)
		if err != nil {
			return nil, fmt.Errorf("reference print %d of %s: %w", pos, id, err)
		}
		refs[enroll.FingerPosition(pos)] = t
	}
	return refs, rows.Err()
}

// inReview says whether the record's copy is waiting for an examiner.
func (c *Central) inReview(ctx context.Context, k recordKey, revision string) (bool, error) {
	var n int
	err := c.db.queryRow(ctx, `SELECT count(*) FROM reviews WHERE station = ? AND record_id = ? AND revision = ? AND decided_at IS NULL`,
		k.Station, k.ID, revision).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("review of %s: %w", k.ID, err)
	}
	return n > 0, nil
}
