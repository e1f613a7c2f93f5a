package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wardpolice/enroll"
)

// ErrNotAwaitingReview is a review mark for a record that is not in the review queue: it has
// no excused or accepted fingers, is a draft, or was already reviewed.
var ErrNotAwaitingReview = enroll.ErrNotInReview

// The review queue is kept without a clear trace of which records have excused or
// low-quality fingers: each completed record is examined once (review_examined, the same for
// every record), and the ids of those needing a look are one sealed list, field
// fieldReviewPending of no record.
const fieldReviewPending = "review:pending"

// reviewChunk records are examined per transaction, so that the first look at a large
// station's records does not hold the write lock for seconds while officers save.
const reviewChunk = 256

// needsReview: a supervisor should see excused fingers and prints accepted below the floor.
func (d *document) needsReview() bool {
	if len(d.Exceptions) > 0 {
		return true
	}
	for _, f := range d.Fingers {
		if f.AcceptedBy != "" {
			return true
		}
	}
	return false
}

// queryRower is a *sql.DB or a *sql.Tx.
type queryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func loadPending(ctx context.Context, db queryRower, k *keys) (map[string]bool, error) {
	var sealed []byte
	err := db.QueryRowContext(ctx, `SELECT pending FROM review_queue WHERE id = 1`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := openJSON(k, "", fieldReviewPending, sealed, &ids); err != nil {
		return nil, err
	}
	pending := make(map[string]bool, len(ids))
	for _, id := range ids {
		pending[id] = true
	}
	return pending, nil
}

// storePending seals the list back, first dropping the records deleted or purged since they
// were listed (a draft deleted, a record delivered and purged unreviewed).
func storePending(ctx context.Context, tx *sql.Tx, k *keys, pending map[string]bool) error {
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	live, err := queryIDs(ctx, tx, `SELECT e.id FROM json_each(?) j JOIN enrollments e ON e.id = j.value
		WHERE e.status != ? ORDER BY e.id`, string(list), string(enroll.StatusPurged))
	if err != nil {
		return err
	}
	if live == nil {
		live = []string{}
	}
	if list, err = json.Marshal(live); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO review_queue (id, pending) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET pending = excluded.pending`, k.seal("", fieldReviewPending, list))
	return err
}

// examine looks at every record completed (or saved again) since the last look and keeps the
// pending list up to date: those needing review join it, those corrected so that they no
// longer do leave it. Each record is opened once per completion, not once per queue view.
func (s *Store) examine(ctx context.Context, k *keys) error {
	// A read first: the usual answer is "nothing new", and a transaction would take the write
	// lock to find that out.
	var fresh bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM enrollments
		WHERE review_examined = 0 AND completed_at IS NOT NULL)`).Scan(&fresh); err != nil {
		return fmt.Errorf("examine records for review: %w", err)
	}
	if !fresh {
		return nil
	}
	for {
		var n int
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			type seen struct {
				id     string
				sealed []byte
			}
			var batch []seen
			rows, err := tx.QueryContext(ctx, `SELECT e.id, d.data FROM enrollments e
				LEFT JOIN documents d ON d.enrollment_id = e.id
				WHERE e.review_examined = 0 AND e.completed_at IS NOT NULL ORDER BY e.completed_at, e.id LIMIT ?`, reviewChunk)
			if err != nil {
				return err
			}
			for rows.Next() {
				var r seen
				if err := rows.Scan(&r.id, &r.sealed); err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if n = len(batch); n == 0 {
				return nil
			}
			pending, err := loadPending(ctx, tx, k)
			if err != nil {
				return err
			}
			mark, err := tx.PrepareContext(ctx, `UPDATE enrollments SET review_examined = 1 WHERE id = ?`)
			if err != nil {
				return err
			}
			defer mark.Close()
			for _, r := range batch {
				needs := false
				if r.sealed != nil { // purged: nothing left to review
					var d document
					if err := openJSON(k, r.id, fieldDocument, r.sealed, &d); err != nil {
						return err
					}
					needs = d.needsReview()
				}
				if needs {
					pending[r.id] = true
				} else {
					delete(pending, r.id)
				}
				if _, err := mark.ExecContext(ctx, r.id); err != nil {
					return err
				}
			}
			return storePending(ctx, tx, k, pending)
		})
		if err != nil {
			return fmt.Errorf("examine records for review: %w", err)
		}
		if n < reviewChunk {
			return nil
		}
	}
}

// ReviewQueue lists the records a supervisor should look at, oldest completion first: saved
// (complete or further, not purged) with excused fingers or prints accepted below the quality
// floor, and not marked reviewed since they were last saved. A correction that keeps such
// fingers puts the record back in the queue: the corrected version has not been reviewed.
func (s *Store) ReviewQueue(ctx context.Context, limit int) ([]enroll.ReviewItem, error) {
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	if err := s.examine(ctx, k); err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	pending, err := loadPending(ctx, s.db, k)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+summaryColumns+`, d.data FROM json_each(?) j
		JOIN enrollments e ON e.id = j.value JOIN documents d ON d.enrollment_id = e.id
		WHERE e.completed_at IS NOT NULL AND e.status != ? ORDER BY e.completed_at, e.id LIMIT ?`,
		string(list), string(enroll.StatusPurged), limitOr(limit))
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	defer rows.Close()
	var out []enroll.ReviewItem
	for rows.Next() {
		var sealed []byte
		sum, err := scanSummary(rows, k, &sealed)
		if err != nil {
			return nil, fmt.Errorf("review queue: %w", err)
		}
		var d document
		if err := openJSON(k, sum.ID, fieldDocument, sealed, &d); err != nil {
			return nil, fmt.Errorf("review queue: %w", err)
		}
		item := enroll.ReviewItem{Summary: sum, Exceptions: d.Exceptions}
		// The document holds no image bytes today; stripping here keeps it so whatever the
		// document comes to carry: the queue is a list, not a viewer.
		for _, f := range (&enroll.Enrollment{Fingers: d.Fingers}).WithoutImages().Fingers {
			if f.AcceptedBy != "" {
				item.Accepted = append(item.Accepted, f)
			}
		}
		out = append(out, item)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	return out, nil
}

// MarkReviewed takes a record off the review queue: the supervisor actor has looked at its
// excused or accepted fingers. The note goes into the audit trail with the mark.
func (s *Store) MarkReviewed(ctx context.Context, actor, id, note string) error {
	note, err := checkNote(note, false)
	if err != nil {
		return fmt.Errorf("mark %s reviewed: %w", id, err)
	}
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("mark %s reviewed: %w", id, err)
	}
	// A record completed since the queue was last shown is not in the list yet; without this
	// its examination would come after the mark and put it back.
	if err := s.examine(ctx, k); err != nil {
		return fmt.Errorf("mark %s reviewed: %w", id, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		pending, err := loadPending(ctx, tx, k)
		if err != nil {
			return err
		}
		var saved bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM enrollments WHERE id = ?
			AND completed_at IS NOT NULL AND status != ?)`, id, string(enroll.StatusPurged)).Scan(&saved); err != nil {
			return err
		}
		if !pending[id] || !saved {
			return ErrNotAwaitingReview
		}
		delete(pending, id)
		if err := storePending(ctx, tx, k, pending); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, enroll.ActionRecordReviewed, id, note)
	})
	if err != nil {
		return fmt.Errorf("mark %s reviewed: %w", id, err)
	}
	return nil
}
