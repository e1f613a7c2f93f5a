package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/wardpolice/enroll"
)

// Row seals. A record's personal data and images are sealed, but what the station does with
// a record is decided by clear columns: its status (which records go into a batch, which may
// be corrected), its dates and delivered marker (when its biometrics are purged), central's
// reason. Someone with the file and a database tool could edit them, or put back an older
// copy of a document or an image (which still opens: it was sealed for that record). So
// every write of a record ends by sealing the row: an HMAC, under a key derived from the data
// key, of those columns and of the hashes of the record's sealed values. Reading a record for
// any purpose the station acts on (opening it, packing it, correcting it, purging it, applying
// central's verdict) checks the seal first and refuses a record that does not match.
//
// review_examined is left out: it only tells the review queue to look at a record again, which
// an edit can ask for harmlessly. Search terms are left out: they find records, and a record
// found is opened through its seal.

// rowChangeActions are the audit actions every write of a record appends, in SQL: the seal
// covers the newest of them (viewing or printing a record appends others, which do not count).
var rowChangeActions = "'" + strings.Join([]string{enroll.ActionRecordCreate, enroll.ActionRecordEdit, enroll.ActionRecordComplete,
	enroll.ActionRecordStatus, enroll.ActionRecordCorrect, enroll.ActionRecordDelivered, enroll.ActionPurge}, "', '") + "'"

// ErrRecordTampered wraps enroll.ErrRecordTampered with the record it is about.
type RecordTampered struct {
	ID   string
	Code string // the receipt code, to find it on screen
}

func (e *RecordTampered) Error() string {
	return fmt.Sprintf("record %s (%s): %v", e.Code, e.ID, enroll.ErrRecordTampered)
}

func (e *RecordTampered) Unwrap() error { return enroll.ErrRecordTampered }

// rowMessage is what a record's row seal covers, read in q (the writing transaction, or the
// database for a check). ok is false when the record does not exist. Each image row read is
// also handed to image when set, so that a reader of the record need not read them again.
func rowMessage(ctx context.Context, q sqlRunner, id string, image func(kind string, pos int, sealed []byte)) (msg, mac []byte, ok bool, err error) {
	head, mac, ok, err := rowHead(ctx, q, id)
	if err != nil || !ok {
		return nil, nil, ok, err
	}
	images, err := rowImages(ctx, q, id, image)
	if err != nil {
		return nil, nil, false, err
	}
	return append(head, images...), mac, true, nil
}

// sealWriter appends the seal message's fields.
type sealWriter []byte

func (b *sealWriter) str(s string) {
	*b = binary.AppendUvarint(*b, uint64(len(s)))
	*b = append(*b, s...)
}
func (b *sealWriter) num(n int64) { *b = binary.AppendVarint(*b, n) }
func (b *sealWriter) opt(n sql.NullInt64) {
	if !n.Valid {
		*b = append(*b, 0)
		return
	}
	*b = append(*b, 1)
	b.num(n.Int64)
}
func (b *sealWriter) sum(v []byte) {
	if v == nil {
		*b = append(*b, 0)
		return
	}
	h := sha256.Sum256(v)
	*b = append(append(*b, 1), h[:]...)
}

// rowHead is the first part of the seal's message: the row's columns, the hashes of its
// sealed summary and document, and the record's last change in the audit trail.
func rowHead(ctx context.Context, q sqlRunner, id string) (head, mac []byte, ok bool, err error) {
	var (
		status, station, officer, deliveredBy, sentRevision, reason, code string
		step                                                              int64
		created, updated                                                  int64
		completed, delivered, purged                                      sql.NullInt64
		batch                                                             sql.NullString
		summary, doc                                                      []byte
	)
	err = q.QueryRowContext(ctx, `SELECT e.status, e.step, e.station, e.officer, e.created_at, e.updated_at, e.completed_at,
			e.delivered_at, e.delivered_by, e.purged_at, e.batch_id, e.sent_revision, e.central_reason, e.code,
			e.summary, e.row_mac, d.data
		FROM enrollments e LEFT JOIN documents d ON d.enrollment_id = e.id WHERE e.id = ?`, id).
		Scan(&status, &step, &station, &officer, &created, &updated, &completed, &delivered, &deliveredBy, &purged,
			&batch, &sentRevision, &reason, &code, &summary, &mac, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("row seal of %s: %w", id, err)
	}
	b := sealWriter("enroll/v1 row\x00")
	b.str(id)
	b.str(status)
	b.num(step)
	b.str(station)
	b.str(officer)
	b.num(created)
	b.num(updated)
	b.opt(completed)
	b.opt(delivered)
	b.str(deliveredBy)
	b.opt(purged)
	if batch.Valid {
		b.str("batch:" + batch.String)
	} else {
		b.str("")
	}
	b.str(sentRevision)
	b.str(reason)
	b.str(code)
	b.sum(summary)
	b.sum(doc)
	// The record's last change in the audit trail: a whole row put back from an older copy
	// of the file, seal and all, was sealed when the trail ended earlier for it.
	var last int64
	q2 := `SELECT COALESCE(max(seq), 0) FROM audit WHERE record_id = ? AND action IN (` + rowChangeActions + `)`
	if err := q.QueryRowContext(ctx, q2, id).Scan(&last); err != nil {
		return nil, nil, false, fmt.Errorf("row seal of %s: audit: %w", id, err)
	}
	b.num(last)
	return b, mac, true, nil
}

// rowImages is the rest of the seal's message: each image's slot, media type and hash.
func rowImages(ctx context.Context, q sqlRunner, id string, image func(kind string, pos int, sealed []byte)) ([]byte, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, position, media_type, data FROM images WHERE enrollment_id = ?
		ORDER BY kind, position`, id)
	if err != nil {
		return nil, fmt.Errorf("row seal of %s: images: %w", id, err)
	}
	defer rows.Close()
	var b sealWriter
	for rows.Next() {
		var kind, media string
		var pos int64
		var data []byte
		if err := rows.Scan(&kind, &pos, &media, &data); err != nil {
			return nil, fmt.Errorf("row seal of %s: images: %w", id, err)
		}
		b.str("image:" + kind)
		b.num(pos)
		b.str(media)
		b.sum(data)
		if image != nil {
			image(kind, int(pos), data)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("row seal of %s: images: %w", id, err)
	}
	return b, nil
}

// sealRow seals the record's row as tx leaves it; every write of a record calls it last.
func sealRow(ctx context.Context, tx *sql.Tx, k *keys, id string) error {
	msg, _, ok, err := rowMessage(ctx, tx, id, nil)
	if err != nil || !ok {
		return err
	}
	return writeSeal(ctx, tx, k, id, msg)
}

// writeSeal stores the seal of msg as the record's.
func writeSeal(ctx context.Context, tx *sql.Tx, k *keys, id string, msg []byte) error {
	mac := k.rowMAC(msg)
	if mac == nil {
		return fmt.Errorf("seal record %s: %w", id, enroll.ErrStationLocked)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET row_mac = ? WHERE id = ?`, mac, id); err != nil {
		return fmt.Errorf("seal record %s: %w", id, err)
	}
	return nil
}

// resealAfter checks the record's seal, runs change, and seals the row as change left it,
// reading the record's images once: change must leave them as they are (a status, a date, a
// marker). A record that does not exist only runs change.
func resealAfter(ctx context.Context, tx *sql.Tx, k *keys, id string, change func() error) error {
	head, mac, ok, err := rowHead(ctx, tx, id)
	if err != nil {
		return err
	}
	if !ok {
		return change()
	}
	images, err := rowImages(ctx, tx, id, nil)
	if err != nil {
		return err
	}
	if err := checkMessage(k, id, append(head, images...), mac); err != nil {
		return err
	}
	if err := change(); err != nil {
		return err
	}
	if head, _, ok, err = rowHead(ctx, tx, id); err != nil || !ok {
		return err
	}
	return writeSeal(ctx, tx, k, id, append(head, images...))
}

// checkMessage refuses msg unless mac seals it (RecordTampered).
func checkMessage(k *keys, id string, msg, mac []byte) error {
	good, err := k.checkRowMAC(msg, mac)
	if err != nil {
		return fmt.Errorf("check record %s: %w", id, err)
	}
	if !good {
		return &RecordTampered{ID: id, Code: enroll.RecordCode(id)}
	}
	return nil
}

// checkRow refuses a record whose row does not match its seal (RecordTampered). A record that
// does not exist passes: the caller says so in its own words.
func checkRow(ctx context.Context, q sqlRunner, k *keys, id string) error {
	return checkRowImages(ctx, q, k, id, nil)
}

// checkRowImages is checkRow handing each sealed image it read to image (see rowMessage).
func checkRowImages(ctx context.Context, q sqlRunner, k *keys, id string, image func(kind string, pos int, sealed []byte)) error {
	msg, mac, ok, err := rowMessage(ctx, q, id, image)
	if err != nil || !ok {
		return err
	}
	return checkMessage(k, id, msg, mac)
}

// sealRows gives every record saved before row seals existed its seal, once: at the first
// login after the upgrade (the key is needed). The officers' roster, sealed under the data
// key, then says so (a station set up since says so from the start), and the audit entry of
// the sealing dates it, so that an older roster put back is found like any roster rollback.
// From then on a record without a seal is one whose seal was removed, refused like any other
// mismatch: deleting seals cannot make the station seal edited rows anew.
func (s *Store) sealRows(ctx context.Context, k *keys, actor string) error {
	r, err := loadRoster(ctx, s.db, k)
	if err != nil || r == nil || r.RowsSealed {
		return err // no roster yet: ensureRoster comes first, at the login
	}
	ids, err := s.ids(ctx, `SELECT id FROM enrollments WHERE row_mac IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("seal records: %w", err)
	}
	for start := 0; start == 0 || start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		last := start+500 >= len(ids)
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			for _, id := range part {
				if err := sealRow(ctx, tx, k, id); err != nil {
					return err
				}
			}
			if !last {
				return nil
			}
			if err := sealConfig(ctx, tx, k); err != nil {
				return err
			}
			if err := sealSettings(ctx, tx, k); err != nil {
				return err
			}
			if err := s.appendAudit(ctx, tx, actor, enroll.ActionRecordsSealed, "", fmt.Sprintf("%d records", len(ids))); err != nil {
				return err
			}
			r, err := loadRoster(ctx, tx, k)
			if err != nil || r == nil {
				return fmt.Errorf("seal records: the officers' roster: %v", err)
			}
			r.RowsSealed = true
			return s.sealRoster(ctx, tx, k, *r)
		}); err != nil {
			return fmt.Errorf("seal records: %w", err)
		}
	}
	return nil
}
