package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wardpolice/enroll"
)

// Data key rotation. A supervisor rotates the key after disabling an officer (whose slot is
// gone, but who may have kept the key their slot gave), or when a copy of the file may have
// left with a password. A new random data key of the next generation is sealed to every
// remaining slot's public key; then every record's sealed summary, document and images are
// opened and sealed again under it and its search terms recomputed with its index key, in
// batches of rekeyBatch records, each batch one transaction that also records the last record
// done; last come the station-wide sealed values, the slots' switch to the new key and the
// roster, in one transaction. Only then is the old key forgotten.
//
// A rotation killed at any point resumes: the next login (any officer's, the recovery key's,
// or `station rekey`'s) finds the unfinished rotation and the next key in its own slot, and
// carries on from the last batch committed. Until then no value is lost: each value says which
// generation sealed it and the session holds both.

// rekeyBatch records are re-sealed per transaction: with images about 130 KB a record, a few
// megabytes per commit, so the write lock is never held long and a kill loses little.
const rekeyBatch = 32

// RekeyReport says what a rotation did.
type RekeyReport = enroll.KeyRotation

// RekeyState is an unfinished rotation, as anyone can read it without a login.
type RekeyState struct {
	Generation int
	Done       int
	Total      int
	StartedBy  string
	StartedAt  time.Time
}

// PendingRekey returns the unfinished rotation, or nil.
func (s *Store) PendingRekey(ctx context.Context) (*RekeyState, error) {
	var r RekeyState
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT generation, done, total, started_by, started_at FROM rekey WHERE id = 1`).
		Scan(&r.Generation, &r.Done, &r.Total, &r.StartedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("key rotation: %w", err)
	}
	r.StartedAt = time.UnixMilli(at)
	return &r, nil
}

// KeyGeneration is the data key's current generation, readable without a login.
func (s *Store) KeyGeneration(ctx context.Context) (int, error) {
	var gen int
	if err := s.db.QueryRowContext(ctx, `SELECT generation FROM data_key WHERE id = 1`).Scan(&gen); err != nil {
		return 0, fmt.Errorf("data key generation: %w", err)
	}
	return gen, nil
}

// sealedSingle is a sealed value outside the records' tables: every non-NULL value of column
// in table is re-sealed by a rotation, for (record, field).
type sealedSingle struct{ table, column, record, field string }

var sealedSingles = []sealedSingle{
	{"review_queue", "pending", "", fieldReviewPending},
	{"sync_config", "signing_key", "", fieldSigningKey},
}

// resealOnRekey adds a sealed value for rotations to carry over (call it from an init func):
// parts of the store that keep a secret sealed under the data key (a key for the audit trail,
// say) register it here.
func resealOnRekey(table, column, record, field string) {
	sealedSingles = append(sealedSingles, sealedSingle{table, column, record, field})
}

// Rekey rotates the data key, or finishes a rotation left unfinished; actor is the supervisor
// logged in. progress, when set, is told the records done and the total after each batch.
func (s *Store) Rekey(ctx context.Context, actor string, progress func(done, total int)) (RekeyReport, error) {
	k, err := s.keys()
	if err != nil {
		return RekeyReport{}, fmt.Errorf("rotate data key: %w", err)
	}
	var rep RekeyReport
	pending, err := s.PendingRekey(ctx)
	if err != nil {
		return rep, err
	}
	if pending == nil {
		if rep.Dropped, err = s.startRekey(ctx, k, actor); err != nil {
			return rep, fmt.Errorf("rotate data key: %w", err)
		}
	} else {
		rep.Resumed = true
	}
	more, err := s.runRekey(ctx, k, actor, progress)
	rep.Records, rep.Unreadable = more.Records, more.Unreadable
	rep.Dropped = append(rep.Dropped, more.Dropped...)
	rep.Generation, rep.WALPending = more.Generation, more.WALPending
	if err != nil {
		return rep, fmt.Errorf("rotate data key: %w", err)
	}
	return rep, nil
}

// startRekey makes the next data key and seals it to every slot, in one transaction. Before
// that, every slot is checked against the roster: the next key is sealed to each slot's public
// key, and a public key swapped into the file would receive it. A slot from before public-key
// slots cannot be given the key without its password: it is deleted, and its officer named.
func (s *Store) startRekey(ctx context.Context, k *keys, actor string) ([]string, error) {
	dk := make([]byte, dataKeySize)
	rand.Read(dk)
	var dropped []string
	var next uint32
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		dropped = nil
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		if err := refuseDuringRekey(ctx, tx); err != nil {
			return err
		}
		found, err := checkOfficers(ctx, tx, k, nil, true)
		if err != nil {
			return err
		}
		if len(found) > 0 {
			return found[0]
		}
		var gen uint32
		if err := tx.QueryRowContext(ctx, `SELECT generation FROM data_key WHERE id = 1`).Scan(&gen); err != nil {
			return err
		}
		if gen != k.generation() {
			return fmt.Errorf("the data key is at generation %d, this session holds %d: log in again", gen, k.generation())
		}
		next = gen + 1
		slots, err := allSlots(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range slots {
			switch {
			case r.public != nil:
				w, err := sealToSlot(r.public, r.name, next, dk)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE key_slots SET next_wrapped = ? WHERE name = ?`, w, r.name); err != nil {
					return err
				}
			case r.name == recoverySlot:
				return enroll.ErrRecoverySlotOld
			default:
				if _, err := tx.ExecContext(ctx, `DELETE FROM key_slots WHERE name = ?`, r.name); err != nil {
					return err
				}
				dropped = append(dropped, officerOf(r.name))
			}
		}
		var total int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM enrollments`).Scan(&total); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rekey (id, generation, total, started_at, started_by) VALUES (1, ?, ?, ?, ?)`,
			next, total, s.now().UnixMilli(), actor); err != nil {
			return err
		}
		// The roster (with the dropped slots) is still sealed under the current key; from the
		// next statement on, the database takes only values of the next generation.
		if err := s.officerChange(ctx, tx, k, actor, enroll.ActionRekeyStart, "", ""); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE data_key SET generation = ?, header = ? WHERE id = 1`, next, sealHeader(next))
		return err
	})
	if err != nil {
		clear(dk)
		return nil, err
	}
	g, err := deriveGen(next, dk)
	if err != nil {
		return dropped, err
	}
	return dropped, k.rotate(g)
}

func allSlots(ctx context.Context, q sqlRunner) ([]slotRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, salt, params, public, secret, wrapped, next_wrapped, generation
		FROM key_slots ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []slotRow
	for rows.Next() {
		var r slotRow
		if err := rows.Scan(&r.name, &r.salt, &r.params, &r.public, &r.secret, &r.wrap, &r.next, &r.gen); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// finishRekey finishes an unfinished rotation with a holder a login just opened (it is
// unlock's first step). A holder without the next key (a slot written by another process
// while the rotation ran) cannot.
func (s *Store) finishRekey(ctx context.Context, k *keys, actor string) error {
	var gen uint32
	err := s.db.QueryRowContext(ctx, `SELECT generation FROM rekey WHERE id = 1`).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("key rotation: %w", err)
	}
	if k.generation() != gen {
		return fmt.Errorf("finish key rotation: %w", enroll.ErrRotationUnfinished)
	}
	if _, err := s.runRekey(ctx, k, actor, nil); err != nil {
		return fmt.Errorf("finish key rotation: %w", err)
	}
	return nil
}

// runRekey re-seals the records from where the rotation stopped, then finishes it.
func (s *Store) runRekey(ctx context.Context, k *keys, actor string, progress func(done, total int)) (RekeyReport, error) {
	var rep RekeyReport
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		n, done, total, err := s.rekeyRecords(ctx, k, &rep)
		if err != nil {
			return rep, err
		}
		if n == 0 {
			break
		}
		rep.Records += n
		if progress != nil {
			progress(done, total)
		}
	}
	if err := s.endRekey(ctx, k, actor, &rep); err != nil {
		return rep, err
	}
	k.endRotation()
	rep.Generation = int(k.generation())
	// Pages the re-sealing replaced still hold the old ciphertext in the write-ahead log until
	// a checkpoint copies the new ones over them (secure_delete zeroes the database file's
	// freed pages); the old key could open them.
	// The background checkpointer or a reader may hold it for a moment: a few tries.
	rep.WALPending = true
	for try := 0; try < 20 && rep.WALPending; try++ {
		if try > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		busy, _, _, err := s.checkpoint(ctx, s.db, "TRUNCATE")
		rep.WALPending = err != nil || busy != 0
	}
	return rep, nil
}

// rekeyRecords re-seals the next batch of records in one transaction and moves the rotation's
// mark past them. It returns how many records it did, and the rotation's progress.
func (s *Store) rekeyRecords(ctx context.Context, k *keys, rep *RekeyReport) (n, done, total int, err error) {
	var unreadable []string
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		unreadable = nil
		var gen uint32
		var last string
		err := tx.QueryRowContext(ctx, `SELECT generation, last_id, done, total FROM rekey WHERE id = 1`).Scan(&gen, &last, &done, &total)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // another process (a login elsewhere) finished the rotation
		}
		if err != nil {
			return err
		}
		if gen != k.generation() {
			return enroll.ErrRotationUnfinished
		}
		ids, err := queryIDs(ctx, tx, `SELECT id FROM enrollments WHERE id > ? ORDER BY id LIMIT ?`, last, rekeyBatch)
		if err != nil {
			return err
		}
		if unreadable, err = resealRecords(ctx, tx, k, ids); err != nil {
			return err
		}
		n = len(ids)
		if n == 0 {
			return nil
		}
		done += n
		total = max(total, done)
		_, err = tx.ExecContext(ctx, `UPDATE rekey SET last_id = ?, done = ?, total = ? WHERE id = 1`, ids[n-1], done, total)
		return err
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("re-seal records: %w", err)
	}
	rep.Unreadable = append(rep.Unreadable, unreadable...)
	return n, done, total, nil
}

// reseal opens a value under whichever generation sealed it and seals it under the current
// one. ok is false for a value no held key opens (altered in the file): it is left as it is,
// there being nothing to carry over.
func reseal(k *keys, record, field string, sealed []byte) (out []byte, ok bool, err error) {
	plain, err := k.open(record, field, sealed)
	if errors.Is(err, enroll.ErrStationLocked) {
		return nil, false, err
	}
	if err != nil {
		return nil, false, nil
	}
	defer clear(plain)
	out = k.seal(record, field, plain)
	if out == nil {
		return nil, false, enroll.ErrStationLocked
	}
	return out, true, nil
}

// resealRecords re-seals the records ids, returning the values it could not open.
func resealRecords(ctx context.Context, tx *sql.Tx, k *keys, ids []string) ([]string, error) {
	var unreadable []string
	for _, id := range ids {
		bad, err := resealRecord(ctx, tx, k, id)
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", id, err)
		}
		unreadable = append(unreadable, bad...)
	}
	return unreadable, nil
}

// resealRecord re-seals one record's summary, document and images and rewrites its search
// terms under the current index key. It returns the values it could not open.
func resealRecord(ctx context.Context, tx *sql.Tx, k *keys, id string) ([]string, error) {
	var bad []string
	// A record edited outside the station keeps its old row seal, which fails for good once
	// the old key is forgotten, instead of being sealed anew under the new one.
	tampered := false
	if err := checkRow(ctx, tx, k, id); err != nil {
		var t *RecordTampered
		if !errors.As(err, &t) {
			return nil, err
		}
		tampered = true
		bad = append(bad, id+" row")
	}
	var updated int64
	var sum, doc []byte
	err := tx.QueryRowContext(ctx, `SELECT e.updated_at, e.summary, d.data FROM enrollments e
		LEFT JOIN documents d ON d.enrollment_id = e.id WHERE e.id = ?`, id).Scan(&updated, &sum, &doc)
	if err != nil {
		return nil, err
	}
	if sum != nil {
		out, ok, err := reseal(k, id, fieldSummary, sum)
		if err != nil {
			return nil, err
		}
		if ok {
			var plain summary
			if err := openJSON(k, id, fieldSummary, out, &plain); err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET summary = ? WHERE id = ?`, out, id); err != nil {
				return nil, err
			}
			if err := writeSearchTerms(ctx, tx, k, id, plain, updated); err != nil {
				return nil, err
			}
		} else {
			bad = append(bad, id+" "+fieldSummary)
		}
	}
	if doc != nil {
		out, ok, err := reseal(k, id, fieldDocument, doc)
		if err != nil {
			return nil, err
		}
		if ok {
			if _, err := tx.ExecContext(ctx, `UPDATE documents SET data = ? WHERE enrollment_id = ?`, out, id); err != nil {
				return nil, err
			}
		} else {
			bad = append(bad, id+" "+fieldDocument)
		}
	}
	type image struct {
		kind   string
		pos    int
		sealed []byte
	}
	var images []image
	rows, err := tx.QueryContext(ctx, `SELECT kind, position, data FROM images WHERE enrollment_id = ?`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var im image
		if err := rows.Scan(&im.kind, &im.pos, &im.sealed); err != nil {
			rows.Close()
			return nil, err
		}
		images = append(images, im)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, im := range images {
		field := imageField(im.kind, im.pos)
		out, ok, err := reseal(k, id, field, im.sealed)
		if err != nil {
			return nil, err
		}
		if !ok {
			bad = append(bad, id+" "+field)
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE images SET data = ? WHERE enrollment_id = ? AND kind = ? AND position = ?`,
			out, id, im.kind, im.pos); err != nil {
			return nil, err
		}
	}
	if !tampered {
		if err := sealRow(ctx, tx, k, id); err != nil {
			return nil, err
		}
	}
	return bad, nil
}

// endRekey finishes a rotation in one transaction: records a writer sealed under the old key
// after their batch (none, while the database's guards stand) are re-sealed, then the
// station-wide sealed values; every slot switches to the new key (a slot that has none, being
// written meanwhile by a process that did not know of the rotation, is deleted and its officer
// named); the roster is sealed under the new key and the rotation's row deleted. From the
// commit on, no slot gives the old key.
func (s *Store) endRekey(ctx context.Context, k *keys, actor string, rep *RekeyReport) error {
	var dropped, unreadable []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		dropped, unreadable = nil, nil
		var gen uint32
		err := tx.QueryRowContext(ctx, `SELECT generation FROM rekey WHERE id = 1`).Scan(&gen)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // finished by another process meanwhile
		}
		if err != nil {
			return err
		}
		if gen != k.generation() {
			return enroll.ErrRotationUnfinished
		}
		head := sealHeader(gen)
		stale, err := queryIDs(ctx, tx, `SELECT id FROM enrollments WHERE summary IS NOT NULL AND substr(summary, 1, 5) IS NOT ?
			UNION SELECT enrollment_id FROM documents WHERE substr(data, 1, 5) IS NOT ?`, head, head)
		if err != nil {
			return err
		}
		if unreadable, err = resealRecords(ctx, tx, k, stale); err != nil {
			return err
		}
		for _, v := range sealedSingles {
			if err := resealColumn(ctx, tx, k, v); err != nil {
				return fmt.Errorf("%s.%s: %w", v.table, v.column, err)
			}
		}
		slots, err := allSlots(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range slots {
			if r.next == nil {
				if _, err := tx.ExecContext(ctx, `DELETE FROM key_slots WHERE name = ?`, r.name); err != nil {
					return err
				}
				dropped = append(dropped, officerOf(r.name))
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE key_slots SET wrapped = next_wrapped, next_wrapped = NULL, generation = ?
				WHERE name = ?`, gen, r.name); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rekey`); err != nil {
			return err
		}
		return s.officerChange(ctx, tx, k, actor, enroll.ActionRekeyFinish, "", "")
	})
	if err != nil {
		return fmt.Errorf("finish key rotation: %w", err)
	}
	rep.Dropped = append(rep.Dropped, dropped...)
	rep.Unreadable = append(rep.Unreadable, unreadable...)
	return nil
}

// resealColumn re-seals every value of a station-wide sealed column.
func resealColumn(ctx context.Context, tx *sql.Tx, k *keys, v sealedSingle) error {
	rows, err := tx.QueryContext(ctx, `SELECT rowid, `+v.column+` FROM `+v.table+` WHERE `+v.column+` IS NOT NULL`)
	if err != nil {
		return err
	}
	type value struct {
		rowid  int64
		sealed []byte
	}
	var values []value
	for rows.Next() {
		var x value
		if err := rows.Scan(&x.rowid, &x.sealed); err != nil {
			rows.Close()
			return err
		}
		values = append(values, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, x := range values {
		out, ok, err := reseal(k, v.record, v.field, x.sealed)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("opens under no key held: altered in the file")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+v.table+` SET `+v.column+` = ? WHERE rowid = ?`, out, x.rowid); err != nil {
			return err
		}
	}
	return nil
}

// KeyStatus counts the sealed values of the records' tables and the station-wide ones by the
// data key generation that sealed them (format 1 values count as generation 1). It reads only
// the values' first bytes and needs no login: `station rekey --status` shows it, and a test
// uses it to see that nothing is left under an old key.
func (s *Store) KeyStatus(ctx context.Context) (map[int]int, error) {
	parts := []string{
		`SELECT substr(summary, 1, 5) AS v FROM enrollments WHERE summary IS NOT NULL`,
		`SELECT substr(data, 1, 5) FROM documents`,
		`SELECT substr(data, 1, 5) FROM images`,
		`SELECT substr(sealed, 1, 5) FROM officer_roster`,
	}
	for _, v := range sealedSingles {
		parts = append(parts, `SELECT substr(`+v.column+`, 1, 5) FROM `+v.table+` WHERE `+v.column+` IS NOT NULL`)
	}
	union := parts[0]
	for _, p := range parts[1:] {
		union += " UNION ALL " + p
	}
	rows, err := s.db.QueryContext(ctx, `SELECT v FROM (`+union+`)`)
	if err != nil {
		return nil, fmt.Errorf("key status: %w", err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var head []byte
		if err := rows.Scan(&head); err != nil {
			return nil, fmt.Errorf("key status: %w", err)
		}
		gen, _, ok := sealedGen(head)
		if !ok {
			out[0]++ // not a sealed value at all
			continue
		}
		out[int(gen)]++
	}
	return out, rows.Err()
}
