package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/wardpolice/enroll"
)

// Sealed field of the station's signing key (not a record's: the record id is empty).
const fieldSigningKey = "sync:signing-key"

// Provisioning is the central this station is bound to, as stored.
type Provisioning struct {
	Station       string
	File          []byte // the provisioning file as central wrote it
	SigningPublic ed25519.PublicKey
	Endorsement   []byte
	At            time.Time
	By            string
}

// Provision binds the station to a central: the provisioning file, and the station's new
// batch-signing key (sealed under the data key) with the endorsement of it by the file's
// client certificate. Only a supervisor may; provisioning again replaces the binding.
// The file must be for this station's code.
func (s *Store) Provision(ctx context.Context, actor string, p Provisioning, signingKey ed25519.PrivateKey) error {
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	code, err := s.Setting(ctx, enroll.SettingStation)
	if err != nil {
		return err
	}
	if p.Station != code {
		return fmt.Errorf("provision: the file is for station %s; this station is %s: ask central for this station's file", p.Station, code)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_config (id, station, provisioning, signing_key, signing_public,
				endorsement, provisioned_at, provisioned_by) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET station = excluded.station, provisioning = excluded.provisioning,
				signing_key = excluded.signing_key, signing_public = excluded.signing_public,
				endorsement = excluded.endorsement, provisioned_at = excluded.provisioned_at,
				provisioned_by = excluded.provisioned_by`,
			p.Station, p.File, k.seal("", fieldSigningKey, signingKey.Seed()), []byte(signingKey.Public().(ed25519.PublicKey)),
			p.Endorsement, s.now().UnixMilli(), actor)
		if err != nil {
			return err
		}
		if err := sealConfig(ctx, tx, k); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, enroll.ActionProvision, "", "station "+p.Station)
	})
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	return nil
}

// Provisioning reads the binding; enroll.ErrNotProvisioned when there is none. It needs no
// login: uploads and status pulls run while nobody is logged in.
func (s *Store) Provisioning(ctx context.Context) (*Provisioning, error) {
	var p Provisioning
	var pub []byte
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT station, provisioning, signing_public, endorsement, provisioned_at, provisioned_by
		FROM sync_config WHERE id = 1`).Scan(&p.Station, &p.File, &pub, &p.Endorsement, &at, &p.By)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, enroll.ErrNotProvisioned
	}
	if err != nil {
		return nil, fmt.Errorf("read provisioning: %w", err)
	}
	p.SigningPublic, p.At = pub, time.UnixMilli(at)
	return &p, nil
}

// VerifiedProvisioning reads the binding and checks it is the one a supervisor provisioned
// (its seal, made with the data key): what batches are encrypted to and what central's
// acknowledgements are checked against when they change records. It needs a login.
func (s *Store) VerifiedProvisioning(ctx context.Context) (*Provisioning, error) {
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("read provisioning: %w", err)
	}
	p, err := s.Provisioning(ctx)
	if err != nil {
		return nil, err
	}
	msg, mac, err := configMessage(ctx, s.db)
	if err != nil {
		return nil, err
	}
	good, err := k.checkRowMAC(msg, mac)
	if err != nil {
		return nil, fmt.Errorf("read provisioning: %w", err)
	}
	if !good {
		return nil, fmt.Errorf("read provisioning: %w", ErrConfigTampered)
	}
	return p, nil
}

// ErrConfigTampered: the binding to central differs from what a supervisor provisioned.
var ErrConfigTampered = fmt.Errorf("the station's binding to central was changed outside the station: provision the station again (%w)", enroll.ErrRecordTampered)

// configMessage is what the binding's seal covers.
func configMessage(ctx context.Context, q sqlRunner) (msg, mac []byte, err error) {
	var station, by string
	var file, pub, endorsement, signing []byte
	var at int64
	err = q.QueryRowContext(ctx, `SELECT station, provisioning, signing_key, signing_public, endorsement, provisioned_at,
		provisioned_by, mac FROM sync_config WHERE id = 1`).Scan(&station, &file, &signing, &pub, &endorsement, &at, &by, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, enroll.ErrNotProvisioned
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read provisioning: %w", err)
	}
	b := []byte("enroll/v1 sync_config\x00")
	for _, v := range [][]byte{[]byte(station), file, signing, pub, endorsement, []byte(by)} {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return binary.AppendVarint(b, at), mac, nil
}

// sealConfig seals the binding as tx leaves it.
func sealConfig(ctx context.Context, tx *sql.Tx, k *keys) error {
	msg, _, err := configMessage(ctx, tx)
	if errors.Is(err, enroll.ErrNotProvisioned) {
		return nil
	}
	if err != nil {
		return err
	}
	mac := k.rowMAC(msg)
	if mac == nil {
		return fmt.Errorf("seal provisioning: %w", enroll.ErrStationLocked)
	}
	_, err = tx.ExecContext(ctx, `UPDATE sync_config SET mac = ? WHERE id = 1`, mac)
	return err
}

// SigningKey opens the station's batch-signing key; it needs a login.
func (s *Store) SigningKey(ctx context.Context) (ed25519.PrivateKey, error) {
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	var sealed []byte
	err = s.db.QueryRowContext(ctx, `SELECT signing_key FROM sync_config WHERE id = 1`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, enroll.ErrNotProvisioned
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	seed, err := k.open("", fieldSigningKey, sealed)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key: %d bytes sealed, want %d", len(seed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Unbatched lists complete records waiting for a batch, oldest first.
func (s *Store) Unbatched(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM enrollments WHERE status = ? ORDER BY completed_at, id LIMIT ?`,
		string(enroll.StatusComplete), limitOr(limit))
}

func (s *Store) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	return queryIDs(ctx, s.db, q, args...)
}

// queryIDs runs a query of one text column, in a transaction or not.
func queryIDs(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// NextBatchSeq is the sequence number the next batch's header carries.
func (s *Store) NextBatchSeq(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(seq) FROM batches`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("next batch number: %w", err)
	}
	return seq.Int64 + 1, nil
}

// syncLockPoll is how often SyncLock asks again for a lock another pass holds.
const syncLockPoll = 50 * time.Millisecond

// SyncLock makes this caller the only one syncing with this database, in this process or any
// other: the station's window syncs in the background while an officer may type `station sync`
// in a terminal, and two passes at once would number two batches alike, pack the same records
// twice, or delete a batch file the other has just written. The lock is an flock on a file
// beside the database, which the system releases when its holder exits, even killed. When
// another holds it, SyncLock waits up to wait, then returns enroll.ErrSyncRunning. The caller
// must call release once done.
func (s *Store) SyncLock(ctx context.Context, wait time.Duration) (release func(), err error) {
	path := s.path + "-sync.lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sync lock %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	for {
		// Each call opens the file anew: flock locks belong to the open file, so two callers
		// in one process exclude each other like two processes do.
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("sync lock %s: %w", path, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			f.Close()
			return nil, enroll.ErrSyncRunning
		}
		t := time.NewTimer(min(left, syncLockPoll))
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("waiting for another sync to finish: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Sent is one record in a batch: its id and the hash of the copy the batch carries.
type Sent struct {
	ID       string
	Revision string
}

// AddBatch records a built batch (its file already durable in the outbox) and moves its
// records from complete to batched, in one transaction. A record that is no longer complete
// fails the whole batch: the file is then discarded and built again.
func (s *Store) AddBatch(ctx context.Context, actor string, b enroll.Batch, records []Sent) error {
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("record batch %s: %w", b.ID, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO batches (id, seq, created_at, records, size, file, state)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, b.ID, b.Seq, b.CreatedAt.UnixMilli(), len(records), b.Size, b.File, string(enroll.BatchReady))
		if seqTaken(err) {
			// Another pass numbered its batch alike, one that did not take SyncLock (an
			// older program on the same file): the officer hears that a sync is running,
			// not SQLite's words; this batch is built again at the next pass.
			return fmt.Errorf("batch number %d was taken meanwhile: %w", b.Seq, enroll.ErrSyncRunning)
		}
		if err != nil {
			return err
		}
		for _, r := range records {
			if err := resealAfter(ctx, tx, k, r.ID, func() error {
				res, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = ?, batch_id = ?, sent_revision = ?
					WHERE id = ? AND status = ?`, string(enroll.StatusBatched), b.ID, r.Revision, r.ID, string(enroll.StatusComplete))
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return fmt.Errorf("record %s is no longer complete", r.ID)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, actor, enroll.ActionBatchCreate, "", fmt.Sprintf("batch %s #%d: %d records, %d bytes", b.ID, b.Seq, len(records), b.Size))
	})
	if err != nil {
		return fmt.Errorf("record batch %s: %w", b.ID, err)
	}
	return nil
}

// seqTaken tells the unique constraint on batches.seq refusing a row.
func seqTaken(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && e.ExtendedCode == sqlite3.ErrConstraintUnique && strings.Contains(e.Error(), "batches.seq")
}

const batchColumns = `id, seq, created_at, records, size, file, state, upload_url, sent, uploaded_at, exported_at, reason`

// Batches lists batches in the given states (all when none), newest first.
func (s *Store) Batches(ctx context.Context, states ...enroll.BatchState) ([]enroll.Batch, error) {
	q := `SELECT ` + batchColumns + ` FROM batches`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (?` + strings.Repeat(", ?", len(states)-1) + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY seq DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	defer rows.Close()
	var out []enroll.Batch
	for rows.Next() {
		var b enroll.Batch
		var created int64
		var uploaded, exported sql.NullInt64
		var state string
		if err := rows.Scan(&b.ID, &b.Seq, &created, &b.Records, &b.Size, &b.File, &state, &b.UploadURL, &b.Sent,
			&uploaded, &exported, &b.Reason); err != nil {
			return nil, fmt.Errorf("list batches: %w", err)
		}
		b.State, b.CreatedAt = enroll.BatchState(state), time.UnixMilli(created)
		if uploaded.Valid {
			b.UploadedAt = time.UnixMilli(uploaded.Int64)
		}
		if exported.Valid {
			b.ExportedAt = time.UnixMilli(exported.Int64)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BatchFiles is the batch files the outbox must keep: those of batches still to send. The
// outbox drops any other, which a crash left between writing a batch and recording it, or
// between settling a batch (central has it, or refused it) and deleting its file: a file
// that would otherwise keep records' personal data and biometrics after their purge.
func (s *Store) BatchFiles(ctx context.Context) (map[string]bool, error) {
	files, err := s.ids(ctx, `SELECT file FROM batches WHERE state = ?`, string(enroll.BatchReady))
	if err != nil {
		return nil, fmt.Errorf("list batch files: %w", err)
	}
	m := make(map[string]bool, len(files))
	for _, f := range files {
		m[f] = true
	}
	return m, nil
}

// SetUploadProgress remembers the upload's URL and how much central has, so an upload
// interrupted by a crash resumes where central stands.
func (s *Store) SetUploadProgress(ctx context.Context, id, url string, sent int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE batches SET upload_url = ?, sent = ? WHERE id = ?`, url, sent, id)
	if err != nil {
		return fmt.Errorf("batch %s: record upload progress: %w", id, err)
	}
	return nil
}

// BatchUploaded marks a batch as held whole by central and moves its records on to uploaded.
// Already uploaded is not an error: an acknowledgement and an upload may both say so.
func (s *Store) BatchUploaded(ctx context.Context, actor, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ids, settled, err := s.settleBatch(ctx, tx, actor, id, enroll.StatusUploaded,
			`UPDATE batches SET state = ?, uploaded_at = ?, sent = size, reason = ''`, string(enroll.BatchUploaded), s.now().UnixMilli())
		if err != nil || !settled {
			return err
		}
		return s.appendAudit(ctx, tx, actor, enroll.ActionBatchUpload, "", fmt.Sprintf("batch %s: %d records", id, len(ids)))
	})
	if err != nil {
		return fmt.Errorf("batch %s uploaded: %w", id, err)
	}
	return nil
}

// BatchRefused records central's refusal of a whole batch: nothing of it was stored, so its
// records go back to complete and the next batch carries them again.
func (s *Store) BatchRefused(ctx context.Context, actor, id, reason string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, settled, err := s.settleBatch(ctx, tx, actor, id, enroll.StatusComplete,
			`UPDATE batches SET state = ?, reason = ?`, string(enroll.BatchRefused), reason)
		if err != nil || !settled {
			return err
		}
		return s.appendAudit(ctx, tx, actor, enroll.ActionBatchRefused, "", fmt.Sprintf("batch %s: %s", id, reason))
	})
	if err != nil {
		return fmt.Errorf("batch %s refused: %w", id, err)
	}
	return nil
}

// settleBatch ends a ready batch with update (an UPDATE … SET clause and its arguments) and
// moves its batched records to `to`, one audited step each. settled is false when the batch
// was no longer ready: someone settled it first.
func (s *Store) settleBatch(ctx context.Context, tx *sql.Tx, actor, id string, to enroll.Status, update string, args ...any) (moved []string, settled bool, err error) {
	res, err := tx.ExecContext(ctx, update+` WHERE id = ? AND state = ?`, append(args, id, string(enroll.BatchReady))...)
	if err != nil {
		return nil, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, false, nil
	}
	ids, err := queryIDs(ctx, tx, `SELECT id FROM enrollments WHERE batch_id = ? AND status = ?`, id, string(enroll.StatusBatched))
	if err != nil {
		return nil, false, err
	}
	k, err := s.keys()
	if err != nil {
		// Uploads finish while nobody is logged in; a record's status changes with its row
		// seal, so its records follow the batch at the next login (catchUpBatches).
		return ids, true, nil
	}
	for _, rid := range ids {
		if err := s.moveSealed(ctx, tx, k, actor, rid, enroll.StatusBatched, to); err != nil {
			return nil, false, err
		}
	}
	return ids, true, nil
}

// moveSealed is move for a record whose row seal is checked before and renewed after.
func (s *Store) moveSealed(ctx context.Context, tx *sql.Tx, k *keys, actor, id string, from, to enroll.Status) error {
	return resealAfter(ctx, tx, k, id, func() error { return s.move(ctx, tx, actor, id, from, to) })
}

// catchUpBatches moves the records of batches settled while nobody was logged in to where
// their batch says: uploaded, or back to complete when central refused it.
func (s *Store) catchUpBatches(ctx context.Context, k *keys) error {
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, b.state FROM enrollments e JOIN batches b ON b.id = e.batch_id
		WHERE e.status = ? AND b.state IN (?, ?) ORDER BY e.id`, string(enroll.StatusBatched), string(enroll.BatchUploaded), string(enroll.BatchRefused))
	if err != nil {
		return fmt.Errorf("records of settled batches: %w", err)
	}
	type move struct{ id, state string }
	var moves []move
	for rows.Next() {
		var m move
		if err := rows.Scan(&m.id, &m.state); err != nil {
			rows.Close()
			return err
		}
		moves = append(moves, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range moves {
		to := enroll.StatusUploaded
		if m.state == string(enroll.BatchRefused) {
			to = enroll.StatusComplete
		}
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			return s.moveSealed(ctx, tx, k, "system", m.id, enroll.StatusBatched, to)
		})
		var tampered *RecordTampered
		switch {
		case errors.As(err, &tampered):
			// It stays where it is, refused whenever it is opened: the login goes on.
		case err != nil:
			return fmt.Errorf("record %s of a settled batch: %w", m.id, err)
		}
	}
	return nil
}

// QueuedAck is central's signed acknowledgement kept for the next login.
type QueuedAck struct {
	Seq    int64
	At     time.Time
	Source string
	Data   []byte
}

// QueueAck keeps central's signed acknowledgement, as it arrived, for the next login: its
// verdicts change records, which needs the data key. source says where it came from (a status
// pull, or a file's name).
func (s *Store) QueueAck(ctx context.Context, source string, data []byte, verdicts int) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO verdict_inbox (received_at, source, ack) VALUES (?, ?, ?)`,
			s.now().UnixMilli(), source, data); err != nil {
			return fmt.Errorf("keep central's verdicts: %w", err)
		}
		return s.appendAudit(ctx, tx, "system", enroll.ActionVerdictsQueued, "", fmt.Sprintf("%d verdicts from %s", verdicts, source))
	})
}

// QueuedAcks lists the kept acknowledgements, oldest first.
func (s *Store) QueuedAcks(ctx context.Context) ([]QueuedAck, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, received_at, source, ack FROM verdict_inbox ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("kept verdicts: %w", err)
	}
	defer rows.Close()
	var out []QueuedAck
	for rows.Next() {
		var q QueuedAck
		var at int64
		if err := rows.Scan(&q.Seq, &at, &q.Source, &q.Data); err != nil {
			return nil, err
		}
		q.At = time.UnixMilli(at)
		out = append(out, q)
	}
	return out, rows.Err()
}

// DropQueuedAck forgets a kept acknowledgement once applied (or found not to be central's).
func (s *Store) DropQueuedAck(ctx context.Context, seq int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM verdict_inbox WHERE seq = ?`, seq); err != nil {
		return fmt.Errorf("kept verdicts: %w", err)
	}
	return nil
}

// BatchExported notes that a batch was written to removable media.
func (s *Store) BatchExported(ctx context.Context, actor, id, dir string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET exported_at = ? WHERE id = ?`, s.now().UnixMilli(), id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, enroll.ActionBatchExport, "", fmt.Sprintf("batch %s to %s", id, dir))
	})
}

// AwaitingVerdict lists records central has or may have but has not judged: those of
// uploaded batches, and those still in a batch that may have reached central before a crash.
func (s *Store) AwaitingVerdict(ctx context.Context) ([]string, error) {
	ids, err := s.ids(ctx, `SELECT e.id FROM enrollments e WHERE e.status IN (?, ?, ?) ORDER BY e.id`,
		string(enroll.StatusBatched), string(enroll.StatusUploaded), string(enroll.StatusReceived))
	if err != nil {
		return nil, fmt.Errorf("records awaiting central: %w", err)
	}
	return ids, nil
}

// Applied counts what ApplyVerdicts changed.
type Applied struct {
	Received, Verified, Rejected int
	Unchanged                    int // already there, stale, or about another copy
}

// ApplyVerdicts moves records along central's verdicts, each record in one transaction with
// an audit entry per step: batched → uploaded → received → verified, or → rejected → draft
// with central's reason for the officer. A verified record is handed to retention. A verdict
// about another copy of the record (Revision differs from what was sent) or one the record
// has already passed is ignored, so verdicts may be applied twice or late.
func (s *Store) ApplyVerdicts(ctx context.Context, actor string, verdicts []enroll.Verdict) (Applied, error) {
	var a Applied
	var refused []error
	k, err := s.keys()
	if err != nil {
		// A status changes only with its row seal: the caller keeps central's signed answer
		// for the next login (QueueAck).
		return a, fmt.Errorf("apply central's verdicts: %w", err)
	}
	for _, v := range verdicts {
		if err := v.Check(); err != nil {
			return a, fmt.Errorf("apply verdicts: %w", err)
		}
		var changed bool
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var status, revision string
			err := tx.QueryRowContext(ctx, `SELECT status, sent_revision FROM enrollments WHERE id = ?`, v.ID).Scan(&status, &revision)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			if revision != v.Revision {
				return nil
			}
			path := verdictPath(enroll.Status(status), v.Status)
			changed = len(path) > 1
			if !changed {
				return nil
			}
			return resealAfter(ctx, tx, k, v.ID, func() error {
				for i := 1; i < len(path); i++ {
					if err := s.move(ctx, tx, actor, v.ID, path[i-1], path[i]); err != nil {
						return err
					}
				}
				switch v.Status {
				case enroll.StatusVerified:
					_, err := tx.ExecContext(ctx, `UPDATE enrollments SET delivered_at = ?, delivered_by = 'central', central_reason = ''
						WHERE id = ?`, s.now().UnixMilli(), v.ID)
					return err
				case enroll.StatusRejected:
					reason, err := json.Marshal(v.Reason)
					if err != nil {
						return err
					}
					// Back to the first step: the officer checks the record through again.
					_, err = tx.ExecContext(ctx, `UPDATE enrollments SET central_reason = ?, completed_at = NULL, step = ?
						WHERE id = ?`, string(reason), int(enroll.StepIdentify), v.ID)
					return err
				}
				return nil
			})
		})
		var tampered *RecordTampered
		if errors.As(err, &tampered) {
			// The other verdicts still apply; this record is refused wherever it is opened.
			refused = append(refused, err)
			a.Unchanged++
			continue
		}
		if err != nil {
			return a, fmt.Errorf("apply central's verdict on %s: %w", v.ID, err)
		}
		switch {
		case !changed:
			a.Unchanged++
		case v.Status == enroll.StatusVerified:
			a.Verified++
		case v.Status == enroll.StatusRejected:
			a.Rejected++
		default:
			a.Received++
		}
	}
	if len(refused) > 0 {
		return a, fmt.Errorf("apply central's verdicts: %d records not changed: %w", len(refused), errors.Join(refused...))
	}
	return a, nil
}

// verdictPath is the chain of statuses from a record's status to where central's verdict puts
// it (a rejection ends back in draft). Only the first element when there is nothing to do.
func verdictPath(from, verdict enroll.Status) []enroll.Status {
	chain := []enroll.Status{enroll.StatusBatched, enroll.StatusUploaded, enroll.StatusReceived}
	switch verdict {
	case enroll.StatusVerified:
		chain = append(chain, enroll.StatusVerified)
	case enroll.StatusRejected:
		chain = append(chain, enroll.StatusRejected, enroll.StatusDraft)
	}
	for i, st := range chain {
		if st == from {
			return chain[i:]
		}
	}
	return []enroll.Status{from}
}

// move is one status transition with its audit entry.
func (s *Store) move(ctx context.Context, tx *sql.Tx, actor, id string, from, to enroll.Status) error {
	if err := enroll.CheckMove(from, to); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = ? WHERE id = ? AND status = ?`,
		string(to), id, string(from))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("record %s is not %s", id, from)
	}
	if err := touchRecord(ctx, tx, id, s.now().UnixMilli()); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, actor, enroll.ActionRecordStatus, id, fmt.Sprintf("%s → %s", from, to))
}

// parseReason reads the central_reason column.
func parseReason(s string) (enroll.Reason, error) {
	var r enroll.Reason
	if s == "" {
		return r, nil
	}
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return r, fmt.Errorf("central's reason %q: %w", s, err)
	}
	return r, nil
}

// SyncCounts counts records by where they are on the way to central.
func (s *Store) SyncCounts(ctx context.Context) (enroll.SyncCounts, error) {
	var c enroll.SyncCounts
	err := s.db.QueryRowContext(ctx, `SELECT
			coalesce(sum(status = 'complete'), 0), coalesce(sum(status = 'batched'), 0),
			coalesce(sum(status IN ('uploaded', 'received')), 0), coalesce(sum(status = 'verified'), 0),
			coalesce(sum(status = 'draft' AND central_reason != ''), 0)
		FROM enrollments`).Scan(&c.Waiting, &c.InBatches, &c.AtCentral, &c.Verified, &c.Returned)
	if err != nil {
		return c, fmt.Errorf("count sync states: %w", err)
	}
	return c, nil
}

// Returned lists the drafts central sent back, with its reasons, newest first: every
// officer's, since a supervisor follows them up.
func (s *Store) Returned(ctx context.Context) ([]enroll.Summary, error) {
	return s.summaries(ctx, `SELECT `+summaryColumns+` FROM enrollments e
		WHERE e.status = ? AND e.central_reason != '' ORDER BY e.updated_at DESC LIMIT 500`, string(enroll.StatusDraft))
}
