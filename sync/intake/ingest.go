package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/batch"
	"github.com/wardpolice/enroll/sync/provision"
)

// Sources of a batch, for the intake log.
const (
	SourceUpload = "upload"
	SourceImport = "import"
)

// refusal is a batch central will not store, with the reason the station and the operator read.
type refusal struct{ reason string }

func (r *refusal) Error() string { return r.reason }

func refuse(format string, args ...any) error { return &refusal{fmt.Sprintf(format, args...)} }

// From says where a batch came from: the station whose certificate uploaded it and the batch
// id it named when it created the upload, or removable media (both empty).
type From struct {
	Source  string // SourceUpload or SourceImport
	Station string // the uploading station, authenticated by mutual TLS; "" for an import
	Batch   string // the batch id the upload's metadata named; "" for an import
}

// Ingest takes one whole batch file: it checks who sent it (the endorsement of its signing key
// by a certificate central issued to that station and still trusts, and for an upload, that
// the connected station is the batch's), the signature over every byte, that the batch is new
// (its id and the station's sequence number unused), decrypts it and checks every record's
// hash, then stores batch, records and images in one transaction and verifies the records. A
// batch refused at any check leaves nothing stored but a line in the intake log, filed under
// the station that proved itself: the uploader, or the batch's station once its endorsement
// and signature hold (a forged header cannot make another station's batch look refused). The
// same batch again is a duplicate: a success that stores nothing. The error is for trouble on
// central's side (database, disk): the batch may be offered again.
func (c *Central) Ingest(ctx context.Context, path string, from From) (Outcome, error) {
	out, stored, err := c.ingest(ctx, path, from)
	var ref *refusal
	switch {
	case errors.As(err, &ref):
		out.Outcome, out.Reason = ack.BatchRefused, ref.reason
	case err != nil:
		return out, fmt.Errorf("ingest %s: %w", path, err)
	}
	if from.Batch != "" {
		// Logged under the id the upload named, which is what its station will ask about.
		out.ID = from.Batch
	}
	if out.ID == "" {
		out.ID = strings.TrimSuffix(filepathBase(path), ".batch")
	}
	if _, err := c.db.exec(ctx, `INSERT INTO intake_log (at, station, batch_id, source, outcome, reason) VALUES (?, ?, ?, ?, ?, ?)`,
		c.now().UnixMilli(), out.Station, out.ID, from.Source, out.Outcome, out.Reason); err != nil {
		return out, fmt.Errorf("ingest %s: intake log: %w", path, err)
	}
	attrs := []any{"id", out.ID, "station", out.Station, "source", from.Source, "outcome", out.Outcome}
	if out.Outcome == ack.BatchRefused {
		// A refused batch is a station's trouble (tampered, foreign, replayed, removed) that an
		// operator looks into: a warning, with central's reason.
		c.log.Warn("batch refused", append(attrs, "reason", out.Reason)...)
		return out, nil
	}
	if out.Outcome == ack.BatchDuplicate {
		c.log.Info("batch already stored", attrs...)
		return out, nil
	}
	// The batch is stored and logged: offered again it would be a duplicate, so an error here
	// would make the station retry for nothing. What stays undecided is picked up by the next
	// VerifyPending (the server's sweep, or the end of an import).
	var t tally
	var verr error
	if len(stored) > 0 { // none would mean every received record at central
		t, verr = c.verifyPending(ctx, stored)
	}
	attrs = append(attrs, "records", len(stored), "verified", t.verified, "rejected", t.rejected, "review", t.review)
	if verr != nil {
		c.log.Warn("batch stored, verification pending", append(attrs, "pending", len(stored)-t.decided(), "err", verr)...)
		return out, nil
	}
	c.log.Info("batch stored", attrs...)
	return out, nil
}

// Outcome is what central did with a batch, and whose it was: the station that proved itself
// (empty when none did).
type Outcome struct {
	ack.BatchOutcome
	Station string
	Records []string // ids of the records it stored now
}

// recordKey names a record at central: ids are unique per station only.
type recordKey struct{ Station, ID string }

func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func (c *Central) ingest(ctx context.Context, path string, from From) (Outcome, []recordKey, error) {
	out := Outcome{Station: from.Station}
	f, err := os.Open(path)
	if err != nil {
		return out, nil, err
	}
	defer f.Close()
	h, err := batch.ReadHeader(f)
	if err != nil {
		return out, nil, refuse("not a readable batch: %v", err)
	}
	out.ID = h.ID
	if from.Station != "" && from.Station != h.Station {
		return out, nil, refuse("station %s sent a batch of station %s", from.Station, h.Station)
	}
	if from.Batch != "" && from.Batch != h.ID {
		return out, nil, refuse("the upload named batch %s, the file is batch %s", from.Batch, h.ID)
	}
	cert, err := provision.CheckEndorsement(h.Endorsement, c.keys.CA.Pool(), h.Station, h.SigningKey, c.now())
	if err != nil {
		return out, nil, refuse("batch %s: %v", h.ID, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return out, nil, err
	}
	sum := sha256.New()
	_, m, err := batch.Verify(io.TeeReader(f, sum), h.SigningKey)
	if err != nil {
		return out, nil, refuse("batch %s: %v", h.ID, err)
	}
	// Endorsed and signed: the batch is the station's, whatever happens next.
	out.Station = h.Station
	if _, err := io.Copy(sum, f); err != nil {
		return out, nil, err
	}
	size, _ := f.Seek(0, io.SeekCurrent)
	digest := hex.EncodeToString(sum.Sum(nil))
	if m.Batch != h.ID || m.Station != h.Station || m.Seq != h.Seq {
		return out, nil, refuse("batch %s: the manifest names batch %s #%d of %s, the header batch %s #%d of %s",
			h.ID, m.Batch, m.Seq, m.Station, h.ID, h.Seq, h.Station)
	}
	// The same batch again is a duplicate whatever became of its station since.
	var same int
	if err := c.db.queryRow(ctx, `SELECT count(*) FROM batches WHERE station = ? AND id = ? AND sha256 = ?`,
		h.Station, h.ID, digest).Scan(&same); err != nil {
		return out, nil, err
	}
	if same > 0 {
		out.Outcome = ack.BatchDuplicate
		return out, nil, nil
	}
	if _, err := c.trustEndorser(ctx, cert); errors.Is(err, ErrStationRefused) {
		return out, nil, refuse("batch %s: %v", h.ID, err)
	} else if err != nil {
		// Central could not look the station up: the batch may be offered again.
		return out, nil, err
	}
	// The endorsement key is used once, when the station is provisioned; the first signing key
	// central sees from a station is the one it keeps until the station is re-issued.
	var pinned []byte
	if err := c.db.queryRow(ctx, `SELECT signing_key FROM stations WHERE code = ?`, h.Station).Scan(&pinned); err != nil {
		return out, nil, err
	}
	if pinned != nil && !bytes.Equal(pinned, h.SigningKey) {
		return out, nil, refuse("batch %s: signed with a key other than the one station %s signs with: refused (provision the station anew if it was set up again)", h.ID, h.Station)
	}
	// Signed by the station's key: its audit head is its word, kept whatever becomes of the
	// batch (a replay refused just below is exactly what a rolled-back station sends).
	if err := c.noteAuditHead(ctx, h, m); err != nil {
		return out, nil, err
	}
	if _, err := c.seen(ctx, h, digest); err != nil {
		return out, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return out, nil, err
	}
	var stored []recordKey
	now := c.now().UnixMilli()
	err = c.db.inTx(ctx, func(t tx) error {
		stored = stored[:0]
		if _, err := t.exec(ctx, `INSERT INTO batches (id, station, seq, sha256, size, records, created_at, received_at, source, signing_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.ID, h.Station, h.Seq, digest, size, len(m.Records), h.Created.UnixMilli(), now,
			from.Source, []byte(h.SigningKey)); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE stations SET last_seen = ?, signing_key = coalesce(signing_key, ?) WHERE code = ?`, now, []byte(h.SigningKey), h.Station); err != nil {
			return err
		}
		err := batch.Open(f, c.keys.Batch, m, func(e *enroll.Enrollment, entry batch.Entry) error {
			if e.Station != h.Station {
				return refuse("batch %s: record %s says it was made at station %s", h.ID, e.ID, e.Station)
			}
			if e.ID != entry.ID {
				return refuse("batch %s: record %s is listed as %s", h.ID, e.ID, entry.ID)
			}
			fresh, err := storeRecord(ctx, t, h.ID, entry.SHA256, e, now)
			if fresh {
				stored = append(stored, recordKey{h.Station, e.ID})
			}
			return err
		})
		if err == nil && c.storeFault != nil {
			err = c.storeFault(h.Station, h.ID)
		}
		return err
	})
	var ref *refusal
	switch {
	case errors.As(err, &ref):
		return out, nil, err
	case err != nil && isBatchError(err):
		return out, nil, refuse("batch %s: %v", h.ID, err)
	case err != nil:
		// Another central process may have stored the same batch meanwhile.
		if dup, derr := c.seen(ctx, h, digest); dup && derr == nil {
			out.Outcome = ack.BatchDuplicate
			return out, nil, nil
		}
		return out, nil, err
	}
	out.Outcome = ack.BatchReceived
	for _, k := range stored {
		out.Records = append(out.Records, k.ID)
	}
	return out, stored, nil
}

// uniqueViolation recognises a unique constraint refusing a row, in SQLite's words or
// PostgreSQL's code.
func uniqueViolation(err error) bool {
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// isBatchError tells a fault in the batch (decryption, hashes, structure) from central's own.
func isBatchError(err error) bool {
	for _, e := range []error{batch.ErrNotBatch, batch.ErrTruncated, batch.ErrSignature, batch.ErrDecrypt, batch.ErrHash, batch.ErrMalformed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// seen reports whether central already stored this batch. A batch id or a station sequence
// number already used by other content is a replay or a forgery, refused.
func (c *Central) seen(ctx context.Context, h batch.Header, digest string) (bool, error) {
	var sum string
	var at int64
	err := c.db.queryRow(ctx, `SELECT sha256, received_at FROM batches WHERE station = ? AND id = ?`, h.Station, h.ID).Scan(&sum, &at)
	switch {
	case err == nil && sum == digest:
		return true, nil
	case err == nil:
		return false, refuse("batch %s: central received a different batch with this id on %s: refused as a replay",
			h.ID, time.UnixMilli(at).UTC().Format(time.DateTime))
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	var other string
	err = c.db.queryRow(ctx, `SELECT id, received_at FROM batches WHERE station = ? AND signing_key = ? AND seq = ?`,
		h.Station, []byte(h.SigningKey), h.Seq).Scan(&other, &at)
	switch {
	case err == nil:
		return false, refuse("batch %s: station %s's batch number %d was already used by batch %s on %s: refused as a replay",
			h.ID, h.Station, h.Seq, other, time.UnixMilli(at).UTC().Format(time.DateTime))
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	return false, nil
}

// storeRecord writes one record and its images. A record central already holds in the same
// revision is left as it is; a new revision replaces a rejected one (the officer corrected
// it); any other change to a record central accepted is refused with the batch.
func storeRecord(ctx context.Context, t tx, batchID, revision string, e *enroll.Enrollment, now int64) (bool, error) {
	var have, status string
	err := t.queryRow(ctx, `SELECT revision, status FROM records WHERE station = ? AND id = ?`, e.Station, e.ID).Scan(&have, &status)
	switch {
	case err == nil && have == revision:
		return false, nil
	case err == nil && status != string(enroll.StatusRejected):
		return false, refuse("batch %s: record %s: %s", batchID, e.ID, enroll.Reason{Code: enroll.ReasonRecordConflict}.Error())
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	doc, err := documentOf(e)
	if err != nil {
		return false, err
	}
	if have != "" {
		if _, err := t.exec(ctx, `DELETE FROM images WHERE station = ? AND record_id = ?`, e.Station, e.ID); err != nil {
			return false, err
		}
		_, err = t.exec(ctx, `UPDATE records SET batch_id = ?, revision = ?, personal_id = ?, status = ?, reason = '',
			document = ?, received_at = ?, decided_at = NULL WHERE station = ? AND id = ?`,
			batchID, revision, string(e.Citizen.PersonalID), string(enroll.StatusReceived), doc, now, e.Station, e.ID)
	} else {
		_, err = t.exec(ctx, `INSERT INTO records (station, id, batch_id, revision, personal_id, status, document, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Station, e.ID, batchID, revision, string(e.Citizen.PersonalID),
			string(enroll.StatusReceived), doc, now)
	}
	if err != nil {
		return false, err
	}
	ins := `INSERT INTO images (station, record_id, kind, position, media_type, data) VALUES (?, ?, ?, ?, ?, ?)`
	if e.Portrait != nil && len(e.Portrait.JPEG) > 0 {
		if _, err := t.exec(ctx, ins, e.Station, e.ID, enroll.ImagePortrait, 0, "image/jpeg", e.Portrait.JPEG); err != nil {
			return false, err
		}
	}
	for _, f := range e.Fingers {
		if _, err := t.exec(ctx, ins, e.Station, e.ID, enroll.ImageFinger, int(f.Position), "image/png", f.PNG); err != nil {
			return false, err
		}
	}
	return true, nil
}

// documentOf is the record without its image bytes, which go to the images table.
func documentOf(e *enroll.Enrollment) ([]byte, error) {
	return json.Marshal(e.WithoutImages())
}

// record reads a stored record back whole, with the revision (content hash) of the copy.
func (c *Central) record(ctx context.Context, k recordKey) (*enroll.Enrollment, string, error) {
	id := k.ID
	var doc []byte
	var revision string
	if err := c.db.queryRow(ctx, `SELECT document, revision FROM records WHERE station = ? AND id = ?`, k.Station, k.ID).Scan(&doc, &revision); err != nil {
		return nil, "", fmt.Errorf("record %s of %s: %w", id, k.Station, err)
	}
	var e enroll.Enrollment
	if err := json.Unmarshal(doc, &e); err != nil {
		return nil, "", fmt.Errorf("record %s: %w", id, err)
	}
	rows, err := c.db.query(ctx, `SELECT kind, position, data FROM images WHERE station = ? AND record_id = ?`, k.Station, k.ID)
	if err != nil {
		return nil, "", fmt.Errorf("record %s images: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var pos int
		var data []byte
		if err := rows.Scan(&kind, &pos, &data); err != nil {
			return nil, "", err
		}
		e.AttachImage(kind, pos, data)
	}
	return &e, revision, rows.Err()
}

// VerifyPending verifies received records (the given ones, or every received record not
// waiting for an examiner when ids is empty: after a crash between storing and verifying) and
// returns how many it decided or sent to manual review.
func (c *Central) VerifyPending(ctx context.Context, ids []recordKey) (int, error) {
	t, err := c.verifyPending(ctx, ids)
	return t.decided(), err
}

// tally counts what verification made of records: verified, rejected, or held for an
// examiner.
type tally struct{ verified, rejected, review int }

func (t tally) decided() int { return t.verified + t.rejected + t.review }

// add counts one record's decision.
func (t *tally) add(d decision) {
	switch {
	case d.review:
		t.review++
	case d.reason.IsZero():
		t.verified++
	default:
		t.rejected++
	}
}

// verifyPending is VerifyPending, counting each kind of decision.
func (c *Central) verifyPending(ctx context.Context, ids []recordKey) (tally, error) {
	var t tally
	if len(ids) == 0 {
		rows, err := c.db.query(ctx, `SELECT station, id FROM records WHERE status = ? AND NOT EXISTS (
			SELECT 1 FROM reviews r WHERE r.station = records.station AND r.record_id = records.id
				AND r.revision = records.revision AND r.decided_at IS NULL)`, string(enroll.StatusReceived))
		if err != nil {
			return t, fmt.Errorf("records to verify: %w", err)
		}
		for rows.Next() {
			var k recordKey
			if err := rows.Scan(&k.Station, &k.ID); err != nil {
				rows.Close()
				return t, err
			}
			ids = append(ids, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return t, err
		}
	}
	// A record that cannot be verified now stays received for the next sweep; it must not hold
	// back the records after it, which may be other stations' (their acknowledgements wait
	// on every record being decided).
	var errs []error
	for _, k := range ids {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		d, err := c.verifyOne(ctx, k)
		if err != nil {
			c.log.Warn("verify", "station", k.Station, "record", k.ID, "err", err)
			errs = append(errs, fmt.Errorf("record %s of %s: %w", k.ID, k.Station, err))
			continue
		}
		t.add(d)
	}
	if len(errs) > 0 {
		return t, fmt.Errorf("verify: %d of %d records left undecided: %w", len(ids)-t.decided(), len(ids), errors.Join(errs...))
	}
	return t, nil
}

// verifyOne decides one received record: verified, rejected with its reason, or held for an
// examiner; it returns the decision.
func (c *Central) verifyOne(ctx context.Context, k recordKey) (decision, error) {
	e, revision, err := c.record(ctx, k)
	if err != nil {
		return decision{}, err
	}
	d, err := c.verify(ctx, e)
	if err != nil {
		return decision{}, err
	}
	if d.review {
		return d, c.flagForReview(ctx, k, revision, d.fingers)
	}
	_, err = decide(ctx, c.db, k, revision, d.reason, c.now().UnixMilli())
	if err != nil && d.reason.IsZero() && uniqueViolation(err) {
		// Another central process verified the same citizen a moment ago: decide again.
		if d, err = c.verify(ctx, e); err == nil {
			_, err = decide(ctx, c.db, k, revision, d.reason, c.now().UnixMilli())
		}
	}
	return d, err
}

// execer is the database or a transaction.
type execer interface {
	exec(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// verdictOf is the status and the reason column of a decision: verified when reason is
// zero, rejected for reason otherwise.
func verdictOf(reason enroll.Reason) (enroll.Status, string) {
	if reason.IsZero() {
		return enroll.StatusVerified, ""
	}
	b, _ := json.Marshal(reason)
	return enroll.StatusRejected, string(b)
}

// decide records central's verdict on a received record's copy (see verdictOf), at now.
func decide(ctx context.Context, q execer, k recordKey, revision string, reason enroll.Reason, now int64) (sql.Result, error) {
	status, why := verdictOf(reason)
	return q.exec(ctx, `UPDATE records SET status = ?, reason = ?, decided_at = ? WHERE station = ? AND id = ? AND status = ? AND revision = ?`,
		string(status), why, now, k.Station, k.ID, string(enroll.StatusReceived), revision)
}

// decision is what verification concluded: a reason to reject (zero: verified), or that an
// examiner must look at the fingers compared.
type decision struct {
	reason  enroll.Reason
	review  bool
	fingers []fingerComparison
}

// verify is central's verification step: the record is whole and valid, the citizen is in the
// register with the same identity, the captures pass the biometric gate, the captured fingers
// are the register's citizen's, and the citizen has no other level-2 account.
func (c *Central) verify(ctx context.Context, e *enroll.Enrollment) (decision, error) {
	reject := func(r enroll.Reason) (decision, error) { return decision{reason: r}, nil }
	if errs := e.CheckComplete(enroll.DateOf(c.now())); len(errs) > 0 {
		return reject(enroll.Reason{Code: enroll.ReasonRecordInvalid, Detail: errs.Error()})
	}
	entry, ok, err := c.lookup(ctx, e.Citizen.PersonalID)
	if err != nil {
		return decision{}, err
	}
	if !ok {
		return reject(enroll.Reason{Code: enroll.ReasonNotInRegister})
	}
	if r := entry.CheckIdentity(e.Citizen); !r.IsZero() {
		return reject(r)
	}
	if r := e.CheckCaptures(); !r.IsZero() {
		return reject(r)
	}
	fingers, err := c.compareFingers(ctx, e)
	if err != nil {
		return decision{}, err
	}
	switch verdict, r := decideFingers(fingers); verdict {
	case fingersRejected:
		return decision{reason: r, fingers: fingers}, nil
	case fingersReview:
		return decision{review: true, fingers: fingers}, nil
	}
	if r, err := c.alreadyEnrolled(ctx, e); err != nil || !r.IsZero() {
		return decision{reason: r, fingers: fingers}, err
	}
	return decision{fingers: fingers}, nil
}

// alreadyEnrolled enforces one level-2 account per citizen: a second verified record would be
// a second account.
func (c *Central) alreadyEnrolled(ctx context.Context, e *enroll.Enrollment) (enroll.Reason, error) {
	var station string
	var decided sql.NullInt64
	err := c.db.queryRow(ctx, `SELECT station, decided_at FROM records WHERE personal_id = ? AND status = ?
		AND NOT (station = ? AND id = ?) LIMIT 1`, string(e.Citizen.PersonalID), string(enroll.StatusVerified), e.Station, e.ID).
		Scan(&station, &decided)
	switch {
	case err == nil:
		return enroll.Reason{Code: enroll.ReasonAlreadyEnrolled,
			Detail: station + " " + time.UnixMilli(decided.Int64).UTC().Format(time.DateOnly)}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return enroll.Reason{}, err
	}
	return enroll.Reason{}, nil
}
