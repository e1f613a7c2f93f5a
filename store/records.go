package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardpolice/enroll"
)

// ErrAlreadySent is a correction asked for a record that has left the station's hands: it is
// in a batch or at central, and only central can send it back.
var ErrAlreadySent = enroll.ErrAlreadySent

// ErrReasonRequired is a correction without a reason.
var ErrReasonRequired = enroll.ErrReasonRequired

// Reopen takes a saved record not yet sent back to draft for correction by actor: the wizard
// starts again at the first step, and the record becomes actor's, who answers for the
// corrected version. Only a complete record qualifies: a draft is enroll.ErrStillDraft, a
// batched or later one ErrAlreadySent (it is with central). The courier may be putting the
// record into a batch at this very moment, so the status is checked and changed in the same
// transaction (and AddBatch re-checks on its side): whichever commits first wins, and the
// other fails.
func (s *Store) Reopen(ctx context.Context, actor, id, reason string) error {
	reason, err := checkNote(reason, true)
	if err != nil {
		return fmt.Errorf("correct record %s: %w", id, err)
	}
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("correct record %s: %w", id, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var disabled bool
		err := tx.QueryRowContext(ctx, `SELECT disabled FROM officers WHERE username = ?`, actor).Scan(&disabled)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return enroll.ErrUnknownOfficer
		case err == nil && disabled:
			return enroll.ErrDisabled
		}
		if err != nil {
			return err
		}
		var status string
		err = tx.QueryRowContext(ctx, `SELECT status FROM enrollments WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := checkRow(ctx, tx, k, id); err != nil {
			return err
		}
		switch enroll.Status(status) {
		case enroll.StatusComplete:
		case enroll.StatusDraft:
			return enroll.ErrStillDraft
		default:
			return ErrAlreadySent
		}
		if err := enroll.CheckMove(enroll.StatusComplete, enroll.StatusDraft); err != nil {
			return err
		}
		// The status condition repeats the check above, so that the update could not apply to
		// a record batched meanwhile even in a transaction that did not take the write lock first.
		res, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = ?, step = ?, officer = ?, completed_at = NULL
			WHERE id = ? AND status = ?`, string(enroll.StatusDraft), int(enroll.StepIdentify), actor, id, status)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrAlreadySent
		}
		if err := touchRecord(ctx, tx, id, s.now().UnixMilli()); err != nil {
			return err
		}
		if err := s.appendAudit(ctx, tx, actor, enroll.ActionRecordCorrect, id, reason); err != nil {
			return err
		}
		return sealRow(ctx, tx, k, id)
	})
	if err != nil {
		return fmt.Errorf("correct record %s: %w", id, err)
	}
	return nil
}

// OfficerDays counts each officer's records created in [from, to), every officer listed (with
// zeros when they made none), by user name. A zero from or to does not bound. A record counts
// for the officer it belongs to now: a corrected record belongs to whoever corrected it.
func (s *Store) OfficerDays(ctx context.Context, from, to time.Time) ([]enroll.OfficerDay, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	rows, err := s.db.QueryContext(ctx, `SELECT o.username, o.full_name,
			coalesce(c.created, 0), coalesce(c.complete, 0), coalesce(c.drafts, 0)
		FROM officers o LEFT JOIN (
			SELECT officer, count(*) AS created, sum(status != ?) AS complete, sum(status = ?) AS drafts
			FROM enrollments WHERE created_at >= ? AND created_at < ? GROUP BY officer
		) c ON c.officer = o.username
		ORDER BY o.username`, string(enroll.StatusDraft), string(enroll.StatusDraft), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("officers' records: %w", err)
	}
	defer rows.Close()
	var out []enroll.OfficerDay
	for rows.Next() {
		var d enroll.OfficerDay
		if err := rows.Scan(&d.Officer, &d.FullName, &d.Created, &d.Complete, &d.Drafts); err != nil {
			return nil, fmt.Errorf("officers' records: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("officers' records: %w", err)
	}
	return out, nil
}

// checkNote trims a reason or note an officer typed and refuses one that is missing (when
// required) or longer than the domain allows: text past the limit is refused, not cut.
func checkNote(s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", ErrReasonRequired
	}
	if n := utf8.RuneCountInString(s); n > enroll.MaxNoteLength {
		return "", fmt.Errorf("the text is %d characters long; at most %d fit", n, enroll.MaxNoteLength)
	}
	return s, nil
}
