package store

import (
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
// It is authenticated with whatever key the process holds now (entryKey); with none, the
// process remembers the entry so that its next login countersigns it as its own.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, officer, action, record, detail string) error {
	key, kind, label, err := s.entryKey(ctx, tx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer clear(key)
	if err := s.insertEntry(ctx, tx, officer, action, record, detail, key, kind, label); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// insertEntry chains an entry to the last one and MACs it under key (none when key is nil).
func (s *Store) insertEntry(ctx context.Context, tx *sql.Tx, officer, action, record, detail string, key []byte, kind string, label int64) error {
	var seq int64
	prev := make([]byte, sha256.Size) // the first entry chains to zeros
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	seq++
	at := s.now().UnixMilli()
	hash := entryHash(prev, seq, at, officer, action, record, detail)
	var mac []byte
	var anchored int64
	if key != nil {
		anchored = s.audit.anchoredSeq()
		mac = entryMAC(key, hash, kind, anchored)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, at, officer, action, record_id, detail, prev_hash, hash,
			mac, mac_kind, mac_key, anchored)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, seq, at, officer, action, record, detail, prev, hash,
		mac, kind, label, anchored)
	if err == nil {
		// The unkeyed head: it still names a tail cut short when no head file is at hand.
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('audit_head', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, fmt.Sprintf("%d:%x", seq, hash))
	}
	if err != nil {
		return err
	}
	if key == nil {
		s.audit.remember(seq, hash)
	} else {
		s.audit.markDirty()
	}
	return nil
}

// Audit records an officer's action that changes nothing else (viewing a record, logging out,
// a supervisor's acceptance).
func (s *Store) Audit(ctx context.Context, officer, action, recordID, detail string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, officer, action, recordID, detail) })
}

// AuditFault names what kind of damage an AuditBreak is.
type AuditFault string

// The faults verify reports.
const (
	FaultMissing    AuditFault = "missing"     // an entry was deleted (a gap in the numbers)
	FaultAltered    AuditFault = "altered"     // an entry's contents or chain do not match its hash
	FaultRewritten  AuditFault = "rewritten"   // an entry the station authenticated is not as it wrote it
	FaultForged     AuditFault = "forged"      // an entry claims a MAC the station never made
	FaultTruncated  AuditFault = "truncated"   // entries were deleted from the end
	FaultRolledBack AuditFault = "rolled back" // the database is older than its head file
	FaultDeleted    AuditFault = "deleted"     // the whole trail is gone
	FaultHeadFile   AuditFault = "head file"   // the head file is missing, forged or an older copy
	FaultKey        AuditFault = "audit key"   // the audit key is missing or does not open
	FaultGuards     AuditFault = "guards"      // the append-only triggers were removed
	FaultAlarm      AuditFault = "alarm"       // the station recorded damage it found at a login
)

// AuditBreak says where and how the trail is broken. Seq names the entry (0: the trail as a
// whole); Reason says what happened in words an auditor reads, Fault the same for programs.
type AuditBreak struct {
	Seq    int64
	Fault  AuditFault
	Reason string
}

func (b *AuditBreak) Error() string {
	if b.Seq == 0 {
		return "audit trail: " + b.Reason
	}
	return fmt.Sprintf("audit entry %d: %s", b.Seq, b.Reason)
}

// VerifyAudit checks the whole trail (CheckAudit) and returns the number of entries, or an
// *AuditBreak naming the first damage found. Logged in, it checks every MAC and the head file's
// tag; locked, only what the file shows by itself.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	r, err := s.CheckAudit(ctx)
	if err != nil {
		return 0, err
	}
	if len(r.Breaks) > 0 {
		return r.Entries, r.Breaks[0]
	}
	return r.Entries, nil
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
