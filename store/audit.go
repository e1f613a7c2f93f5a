package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
)

// entryHash chains an entry to the previous one: SHA-256 over the previous hash and every
// field, each length-prefixed so no two different entries encode alike.
func entryHash(prev []byte, seq, at int64, officer, action, record, detail string) []byte {
	h := sha256.New()
	field := func(b []byte) {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		h.Write(b)
	}
	field(prev)
	field(binary.BigEndian.AppendUint64(nil, uint64(seq)))
	field(binary.BigEndian.AppendUint64(nil, uint64(at)))
	for _, s := range []string{officer, action, record, detail} {
		field([]byte(s))
	}
	return h.Sum(nil)
}

// appendAudit adds an entry inside tx, so the entry and the change it records commit together.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, officer, action, record, detail string) error {
	var seq int64
	prev := make([]byte, sha256.Size) // the first entry chains to zeros
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit: %w", err)
	}
	seq++
	at := s.now().UnixMilli()
	hash := entryHash(prev, seq, at, officer, action, record, detail)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, at, officer, action, record_id, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, seq, at, officer, action, record, detail, prev, hash)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('audit_head', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, fmt.Sprintf("%d:%x", seq, hash))
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Audit records an officer's action that changes nothing else (viewing a record, logging out,
// a supervisor's acceptance).
func (s *Store) Audit(ctx context.Context, officer, action, recordID, detail string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, officer, action, recordID, detail) })
}

// AuditBreak says where the chain is broken.
type AuditBreak struct {
	Seq    int64
	Reason string
}

func (b *AuditBreak) Error() string { return fmt.Sprintf("audit entry %d: %s", b.Seq, b.Reason) }

// VerifyAudit walks the whole trail and returns the number of entries, or an *AuditBreak naming
// the first entry that was edited, removed or put out of order.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, officer, action, record_id, detail, prev_hash, hash FROM audit ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("verify audit: %w", err)
	}
	defer rows.Close()
	prev := make([]byte, sha256.Size)
	var want int64 = 1
	for rows.Next() {
		var e enroll.AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Officer, &e.Action, &e.RecordID, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return want - 1, fmt.Errorf("verify audit: %w", err)
		}
		switch {
		case e.Seq != want:
			return want - 1, &AuditBreak{Seq: want, Reason: fmt.Sprintf("missing (the next entry present is %d)", e.Seq)}
		case !bytes.Equal(e.PrevHash, prev):
			return want - 1, &AuditBreak{Seq: e.Seq, Reason: "does not chain to the entry before it"}
		case !bytes.Equal(e.Hash, entryHash(e.PrevHash, e.Seq, at, e.Officer, e.Action, e.RecordID, e.Detail)):
			return want - 1, &AuditBreak{Seq: e.Seq, Reason: "its contents were changed"}
		}
		prev = e.Hash
		want++
	}
	if err := rows.Err(); err != nil {
		return want - 1, fmt.Errorf("verify audit: %w", err)
	}
	// The last entry's hash is also kept in settings, so removing entries from the end shows.
	head, err := s.Setting(ctx, "audit_head")
	if err != nil {
		return want - 1, err
	}
	if head != "" && head != fmt.Sprintf("%d:%x", want-1, prev) {
		return want - 1, &AuditBreak{Seq: want, Reason: fmt.Sprintf("entries after %d are missing (the recorded head is %s)", want-1, head)}
	}
	return want - 1, nil
}

// AuditTrail lists entries matching the filter, newest first.
func (s *Store) AuditTrail(ctx context.Context, f enroll.AuditFilter) ([]enroll.AuditEntry, error) {
	var where []string
	var args []any
	for col, v := range map[string]string{"officer": f.Officer, "action": f.Action, "record_id": f.RecordID} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.To.UnixMilli())
	}
	q := `SELECT seq, at, officer, action, record_id, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, limitOr(f.Limit))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	var out []enroll.AuditEntry
	for rows.Next() {
		var e enroll.AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Officer, &e.Action, &e.RecordID, &e.Detail); err != nil {
			return nil, fmt.Errorf("read audit: %w", err)
		}
		e.At = time.UnixMilli(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
