package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wardpolice/enroll"
)

// ErrNotFound is returned for an unknown record id.
var ErrNotFound = enroll.ErrRecordNotFound

// ErrNotDraft is returned when saving a draft over a record that has left draft.
var ErrNotDraft = enroll.ErrNotDraft

// document is the part of a record kept as JSON: everything but the list columns and image
// bytes. Image metadata stays here so that a record reads back whole.
type document struct {
	Citizen      enroll.Citizen
	Email        string                      `json:",omitempty"`
	Integrations []enroll.IntegrationRequest `json:",omitempty"`
	FingerSet    []enroll.FingerPosition
	Fingers      []enroll.FingerCapture   `json:",omitempty"` // PNG bytes cleared
	Exceptions   []enroll.FingerException `json:",omitempty"`
	Portrait     *enroll.Portrait         `json:",omitempty"` // JPEG bytes cleared
	Consent      bool
	ConsentAt    time.Time `json:",omitzero"`
}

func docOf(e *enroll.Enrollment) ([]byte, error) {
	w := e.WithoutImages()
	return json.Marshal(document{Citizen: e.Citizen, Email: e.Email, Integrations: e.Integrations, FingerSet: e.FingerSet,
		Fingers: w.Fingers, Exceptions: e.Exceptions, Portrait: w.Portrait, Consent: e.Consent, ConsentAt: e.ConsentAt})
}

// SaveDraft stores the record as a draft, creating it (and its id) on first save. Wizard
// steps call it after every step, so a crash loses at most the step being entered.
func (s *Store) SaveDraft(ctx context.Context, e *enroll.Enrollment) error {
	return s.save(ctx, e, enroll.StatusDraft)
}

// Complete validates the record and moves it from draft to complete in one transaction.
// It returns enroll.ValidationErrors when something is missing, and the record stays a draft.
func (s *Store) Complete(ctx context.Context, e *enroll.Enrollment) error {
	if errs := e.CheckComplete(enroll.DateOf(s.now())); len(errs) > 0 {
		return errs
	}
	return s.save(ctx, e, enroll.StatusComplete)
}

func (s *Store) save(ctx context.Context, e *enroll.Enrollment, to enroll.Status) error {
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("save record: %w", err)
	}
	now := s.now().UTC()
	fresh := e.ID == ""
	if fresh {
		e.ID = uuid.NewString()
		e.CreatedAt = now
	}
	doc, err := docOf(e)
	if err != nil {
		return fmt.Errorf("save record %s: %w", e.ID, err)
	}
	plainSum := summaryOf(e)
	sum, err := json.Marshal(plainSum)
	if err != nil {
		return fmt.Errorf("save record %s: %w", e.ID, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var current string
		err := tx.QueryRowContext(ctx, `SELECT status FROM enrollments WHERE id = ?`, e.ID).Scan(&current)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			current = ""
		case err != nil:
			return err
		}
		if current != "" && current != string(enroll.StatusDraft) {
			return ErrNotDraft
		}
		if current != "" {
			// Saving over a draft edited outside the station would seal the edit as ours.
			if err := checkRow(ctx, tx, k, e.ID); err != nil {
				return err
			}
		}
		if to != enroll.StatusDraft {
			if err := enroll.CheckMove(enroll.StatusDraft, to); err != nil {
				return err
			}
		}
		var completed any
		if to == enroll.StatusComplete {
			completed = now.UnixMilli()
		}
		// Every save may change the fingers, so the review queue looks at the record again.
		_, err = tx.ExecContext(ctx, `INSERT INTO enrollments
			(id, status, step, station, officer, created_at, updated_at, completed_at, summary, code)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET status = excluded.status, step = excluded.step,
				updated_at = excluded.updated_at, completed_at = excluded.completed_at, summary = excluded.summary,
				review_examined = 0`,
			e.ID, string(to), int(e.Step), e.Station, e.Officer, e.CreatedAt.UnixMilli(), now.UnixMilli(), completed,
			k.seal(e.ID, fieldSummary, padJSON(sum, summaryBucket)), enroll.RecordCode(e.ID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO documents (enrollment_id, data) VALUES (?, ?)
			ON CONFLICT (enrollment_id) DO UPDATE SET data = excluded.data`, e.ID, k.seal(e.ID, fieldDocument, padJSON(doc, documentBucket))); err != nil {
			return err
		}
		if err := writeSearchTerms(ctx, tx, k, e.ID, plainSum, now.UnixMilli()); err != nil {
			return err
		}
		action := enroll.ActionRecordEdit
		switch {
		case to == enroll.StatusComplete:
			action = enroll.ActionRecordComplete
		case current == "":
			action = enroll.ActionRecordCreate
		}
		if err := s.appendAudit(ctx, tx, e.Officer, action, e.ID, fmt.Sprintf("step %d", e.Step)); err != nil {
			return err
		}
		if err := writeImages(ctx, tx, k, e); err != nil {
			return err
		}
		return sealRow(ctx, tx, k, e.ID)
	})
	if err != nil {
		// A new record that was not saved gives its id back (the next try makes it anew); the
		// error still names the one it would have had.
		err = fmt.Errorf("save record %s as %s: %w", enroll.RecordCode(e.ID), to, err)
		if fresh {
			e.ID = ""
		}
		return err
	}
	e.Status = to
	e.UpdatedAt = now
	if to == enroll.StatusComplete {
		e.CompletedAt = now
	}
	return nil
}

// Sealed field names: the associated data that ties each sealed value to its place.
const (
	fieldSummary  = "summary"
	fieldDocument = "document"
)

func imageField(kind string, position int) string { return fmt.Sprintf("image:%s:%d", kind, position) }

// summary is the sealed part of a list row.
type summary struct {
	PersonalID enroll.PersonalID `json:",omitempty"`
	FullName   string            `json:",omitempty"`
	Phone      string            `json:",omitempty"`
}

func summaryOf(e *enroll.Enrollment) summary {
	return summary{PersonalID: e.Citizen.PersonalID, FullName: e.Citizen.FullName, Phone: e.Phone}
}

// writeImages brings the record's stored images in line with the ones it holds now: a retaken
// finger or portrait replaces its row, one no longer held goes, and an unchanged one is left
// as it is. A draft is saved after every step, so re-sealing and rewriting every image each
// time wrote the images to the WAL again and again (2.1 times their size per enrollment).
func writeImages(ctx context.Context, tx *sql.Tx, k *keys, e *enroll.Enrollment) error {
	type slot struct {
		kind string
		pos  int
	}
	want := map[slot][]byte{}
	media := map[string]string{"portrait": "image/jpeg", "finger": "image/png"}
	if e.Portrait != nil && len(e.Portrait.JPEG) > 0 {
		want[slot{"portrait", 0}] = e.Portrait.JPEG
	}
	for _, f := range e.Fingers {
		want[slot{"finger", int(f.Position)}] = f.PNG
	}
	rows, err := tx.QueryContext(ctx, `SELECT kind, position, data FROM images WHERE enrollment_id = ?`, e.ID)
	if err != nil {
		return err
	}
	stored := map[slot][]byte{}
	for rows.Next() {
		var sl slot
		var sealed []byte
		if err := rows.Scan(&sl.kind, &sl.pos, &sealed); err != nil {
			rows.Close()
			return err
		}
		stored[sl] = sealed
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for sl, sealed := range stored {
		img, held := want[sl]
		if held {
			// Opening it to see whether it is the same picture is cheap next to sealing
			// and writing ~100 KB again.
			if old, err := k.open(e.ID, imageField(sl.kind, sl.pos), sealed); err == nil && bytes.Equal(old, img) {
				delete(want, sl)
				continue
			}
		}
		if !held {
			if _, err := tx.ExecContext(ctx, `DELETE FROM images WHERE enrollment_id = ? AND kind = ? AND position = ?`,
				e.ID, sl.kind, sl.pos); err != nil {
				return err
			}
		}
	}
	for sl, img := range want {
		if _, err := tx.ExecContext(ctx, `INSERT INTO images (enrollment_id, kind, position, media_type, data) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (enrollment_id, kind, position) DO UPDATE SET media_type = excluded.media_type, data = excluded.data`,
			e.ID, sl.kind, sl.pos, media[sl.kind], k.seal(e.ID, imageField(sl.kind, sl.pos), img)); err != nil {
			return err
		}
	}
	return nil
}

// Get reads a whole record, images included. A purged record comes back as its stub: ids,
// dates and status, no personal data.
func (s *Store) Get(ctx context.Context, id string) (*enroll.Enrollment, error) {
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", id, err)
	}
	// The images are read once, by the seal's check: those opened are those it vouched for.
	type sealedImage struct {
		kind   string
		pos    int
		sealed []byte
	}
	var images []sealedImage
	if err := checkRowImages(ctx, s.db, k, id, func(kind string, pos int, sealed []byte) {
		images = append(images, sealedImage{kind, pos, sealed})
	}); err != nil {
		return nil, fmt.Errorf("read record %s: %w", id, dbFault(err))
	}
	e := &enroll.Enrollment{ID: id}
	var status string
	var step int
	var created, updated int64
	var completed sql.NullInt64
	var sealedSum, sealedDoc []byte
	var returned string
	err = s.db.QueryRowContext(ctx, `SELECT e.status, e.step, e.station, e.officer, e.created_at, e.updated_at,
			e.completed_at, e.summary, e.central_reason, d.data
		FROM enrollments e LEFT JOIN documents d ON d.enrollment_id = e.id WHERE e.id = ?`, id).
		Scan(&status, &step, &e.Station, &e.Officer, &created, &updated, &completed, &sealedSum, &returned, &sealedDoc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read record %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", id, dbFault(err))
	}
	e.Status, e.Step = enroll.Status(status), enroll.Step(step)
	e.CreatedAt, e.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	if completed.Valid {
		e.CompletedAt = time.UnixMilli(completed.Int64)
	}
	if e.Returned, err = parseReason(returned); err != nil {
		return nil, fmt.Errorf("read record %s: %w", id, err)
	}
	if sealedSum != nil {
		var sum summary
		if err := openJSON(k, id, fieldSummary, sealedSum, &sum); err != nil {
			return nil, err
		}
		e.Phone = sum.Phone
	}
	if sealedDoc == nil {
		return e, nil
	}
	var d document
	if err := openJSON(k, id, fieldDocument, sealedDoc, &d); err != nil {
		return nil, err
	}
	e.Citizen, e.Email, e.Integrations, e.FingerSet = d.Citizen, d.Email, d.Integrations, d.FingerSet
	e.Fingers, e.Exceptions, e.Portrait = d.Fingers, d.Exceptions, d.Portrait
	e.Consent, e.ConsentAt = d.Consent, d.ConsentAt

	for _, im := range images {
		data, err := k.open(id, imageField(im.kind, im.pos), im.sealed)
		if err != nil {
			return nil, err
		}
		e.AttachImage(im.kind, im.pos, data)
	}
	// The sealed document says which pictures the record has; a row gone from the images
	// table (deleted with the sqlite3 tool, say) must not read back as a record without it.
	if e.Portrait != nil && len(e.Portrait.JPEG) == 0 {
		return nil, fmt.Errorf("read record %s: the portrait: %w", id, enroll.ErrImageMissing)
	}
	for _, f := range e.Fingers {
		if len(f.PNG) == 0 {
			return nil, fmt.Errorf("read record %s: the print of finger %d: %w", id, f.Position, enroll.ErrImageMissing)
		}
	}
	return e, nil
}

func openJSON(k *keys, id, field string, sealed []byte, v any) error {
	plain, err := k.open(id, field, sealed)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("read record %s: %s: %w", id, field, err)
	}
	return nil
}

// Filter selects records for lists. Zero fields do not filter.
type Filter struct {
	Status  enroll.Status
	Officer string
	From    time.Time // created at or after
	To      time.Time // created before
	Limit   int       // default 200
}

// where is the filter as SQL conditions on enrollments e, with their arguments.
func (f Filter) where() ([]string, []any) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "e.status = ?"), append(args, string(f.Status))
	}
	if f.Officer != "" {
		where, args = append(where, "e.officer = ?"), append(args, f.Officer)
	}
	if !f.From.IsZero() {
		where, args = append(where, "e.created_at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "e.created_at < ?"), append(args, f.To.UnixMilli())
	}
	return where, args
}

const summaryColumns = `e.id, e.status, e.step, e.officer, e.created_at, e.updated_at, e.summary, e.central_reason`

// List returns records matching the filter, newest change first.
func (s *Store) List(ctx context.Context, f Filter) ([]enroll.Summary, error) {
	where, args := f.where()
	q := `SELECT ` + summaryColumns + ` FROM enrollments e`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY e.updated_at DESC LIMIT ?"
	args = append(args, limitOr(f.Limit))
	return s.summaries(ctx, q, args...)
}

func limitOr(n int) int {
	if n <= 0 {
		return 200
	}
	return n
}

// Search finds records by what an officer typed in the search box (see Find); an empty query
// finds nothing rather than listing everything. At most limit, newest change first.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]enroll.Summary, error) {
	if strings.TrimSpace(query) == "" {
		if _, err := s.keys(); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		return nil, nil
	}
	return s.Find(ctx, enroll.RecordQuery{Text: query, Limit: limit})
}

// summaries runs a query whose columns are summaryColumns, opening each row's sealed part.
func (s *Store) summaries(ctx context.Context, q string, args ...any) ([]enroll.Summary, error) {
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", dbFault(err))
	}
	defer rows.Close()
	var out []enroll.Summary
	for rows.Next() {
		r, err := scanSummary(rows, k)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list records: %w", dbFault(err))
	}
	return out, nil
}

// scanSummary reads a row that starts with summaryColumns; extra receives the columns after
// them.
func scanSummary(rows *sql.Rows, k *keys, extra ...any) (enroll.Summary, error) {
	var r enroll.Summary
	var status string
	var step int
	var created, updated int64
	var sealed []byte
	var returned string
	dest := append([]any{&r.ID, &status, &step, &r.Officer, &created, &updated, &sealed, &returned}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return r, fmt.Errorf("list records: %w", err)
	}
	var err error
	if r.Returned, err = parseReason(returned); err != nil {
		return r, fmt.Errorf("list records: %s: %w", r.ID, err)
	}
	if sealed != nil {
		var sum summary
		if err := openJSON(k, r.ID, fieldSummary, sealed, &sum); err != nil {
			return r, err
		}
		r.PersonalID, r.FullName, r.Phone = sum.PersonalID, sum.FullName, sum.Phone
	}
	r.Status, r.Step = enroll.Status(status), enroll.Step(step)
	r.CreatedAt, r.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	return r, nil
}

// CreatedSince lists records created at or after from, newest change first (the home screen's
// "today").
func (s *Store) CreatedSince(ctx context.Context, from time.Time, limit int) ([]enroll.Summary, error) {
	return s.List(ctx, Filter{From: from, Limit: limit})
}

// Count is the number of records of any status.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM enrollments`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	return n, nil
}

// Drafts lists an officer's unfinished enrollments, most recent first, for resumption.
func (s *Store) Drafts(ctx context.Context, officer string) ([]enroll.Summary, error) {
	return s.List(ctx, Filter{Status: enroll.StatusDraft, Officer: officer})
}

// DeleteDraft discards a draft the officer abandoned. Only drafts can be deleted this way.
func (s *Store) DeleteDraft(ctx context.Context, officer, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM enrollments WHERE id = ? AND status = ?`, id, string(enroll.StatusDraft))
		if err != nil {
			return fmt.Errorf("delete draft %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("delete draft %s: %w", id, ErrNotFound)
		}
		return s.appendAudit(ctx, tx, officer, enroll.ActionDraftDelete, id, "")
	})
}

// ByPersonalID lists the records on this station for a personal ID number, newest first: the
// duplicate guard's question, answered from the blind index.
func (s *Store) ByPersonalID(ctx context.Context, id enroll.PersonalID) ([]enroll.Summary, error) {
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("records of %s: %w", id, err)
	}
	q, args := termSource(k, termID+string(id), nil, nil, nil, 20)
	return s.summaries(ctx, `SELECT `+summaryColumns+` FROM enrollments e WHERE e.id IN (`+q+`)
		ORDER BY e.updated_at DESC, e.id LIMIT 20`, args...)
}
