package intake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
)

// Manual review: a record whose fingers the matcher cannot decide waits, still "received"
// for its station, until an examiner at central verifies or rejects it. The examiner's
// decision, who made it and when, stays beside the scores that called for it.

// flagForReview holds the record's copy for an examiner, with the comparisons that need one.
func (c *Central) flagForReview(ctx context.Context, k recordKey, revision string, fingers []fingerComparison) error {
	b, err := json.Marshal(fingers)
	if err != nil {
		return err
	}
	_, err = c.db.exec(ctx, `INSERT INTO reviews (station, record_id, revision, flagged_at, fingers) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (station, record_id, revision) DO NOTHING`, k.Station, k.ID, revision, c.now().UnixMilli(), string(b))
	if err != nil {
		return fmt.Errorf("flag for manual review: %w", err)
	}
	c.log.Info("manual review", "station", k.Station, "record", k.ID, "fingers", string(b))
	return nil
}

// Review is a record waiting for an examiner.
type Review struct {
	Station, ID string
	PersonalID  enroll.PersonalID
	FullName    string
	Flagged     time.Time
	Fingers     []FingerScore
}

// FingerScore is one finger's comparison with the register's reference: the matcher's score
// and its band (match, no_match, uncertain, or no_reference when the register holds none).
type FingerScore struct {
	Finger  enroll.FingerPosition
	Score   float64
	Outcome string // FingerMatch, FingerNoMatch, FingerUncertain, FingerNoReference or FingerUnusable
}

// Reviews lists the records waiting for an examiner, oldest first.
func (c *Central) Reviews(ctx context.Context) ([]Review, error) {
	rows, err := c.db.query(ctx, `SELECT v.station, v.record_id, v.flagged_at, v.fingers, r.document FROM reviews v
		JOIN records r ON r.station = v.station AND r.id = v.record_id AND r.revision = v.revision
		WHERE v.decided_at IS NULL AND r.status = ? ORDER BY v.flagged_at, v.station, v.record_id`, string(enroll.StatusReceived))
	if err != nil {
		return nil, fmt.Errorf("manual reviews: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var at int64
		var fingers string
		var doc []byte
		if err := rows.Scan(&r.Station, &r.ID, &at, &fingers, &doc); err != nil {
			return nil, err
		}
		r.Flagged = time.UnixMilli(at).UTC()
		var cmp []fingerComparison
		if err := json.Unmarshal([]byte(fingers), &cmp); err != nil {
			return nil, fmt.Errorf("review of %s: %w", r.ID, err)
		}
		for _, f := range cmp {
			r.Fingers = append(r.Fingers, FingerScore{Finger: f.Finger, Score: f.Score, Outcome: f.Outcome})
		}
		var e enroll.Enrollment
		if err := json.Unmarshal(doc, &e); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.ID, err)
		}
		r.PersonalID, r.FullName = e.Citizen.PersonalID, e.Citizen.FullName
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrNotInReview: the record is not waiting for an examiner (decided already, or never held).
var ErrNotInReview = errors.New("the record is not waiting for manual review")

// DecideReview records an examiner's decision on a held record: verified (reason zero) or
// rejected for reason. The one-account-per-citizen rule holds for an examiner too.
func (c *Central) DecideReview(ctx context.Context, station, id string, reason enroll.Reason, examiner string) error {
	if strings.TrimSpace(examiner) == "" {
		return errors.New("decide review: the examiner's name is required")
	}
	k := recordKey{station, id}
	e, revision, err := c.record(ctx, k)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("decide review: station %s has no record %s at central", station, id)
	}
	if err != nil {
		return fmt.Errorf("decide review: %w", err)
	}
	open, err := c.inReview(ctx, k, revision)
	if err != nil {
		return err
	}
	if !open {
		return fmt.Errorf("decide review of %s %s: %w", station, id, ErrNotInReview)
	}
	if reason.IsZero() {
		if r, err := c.alreadyEnrolled(ctx, e); err != nil {
			return err
		} else if !r.IsZero() {
			return fmt.Errorf("decide review of %s %s: cannot verify: %s", station, id, r.Error())
		}
	}
	status, why := verdictOf(reason)
	now := c.now().UnixMilli()
	err = c.db.inTx(ctx, func(t tx) error {
		res, err := decide(ctx, t, k, revision, reason, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotInReview
		}
		_, err = t.exec(ctx, `UPDATE reviews SET decided_at = ?, decision = ?, reason = ?, examiner = ? WHERE station = ? AND record_id = ? AND revision = ?`,
			now, string(status), why, examiner, station, id, revision)
		return err
	})
	switch {
	case err != nil && uniqueViolation(err):
		return fmt.Errorf("decide review of %s %s: cannot verify: the citizen was verified in another record meanwhile", station, id)
	case err != nil:
		return fmt.Errorf("decide review of %s %s: %w", station, id, err)
	}
	c.log.Info("manual review decided", "station", station, "record", id, "decision", string(status), "examiner", examiner)
	return nil
}
