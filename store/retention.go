package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wardpolice/enroll"
)

// Retention reads the grace period (station setting, in days; by default a week: long enough
// to answer a question about a fresh enrollment, short enough that a stolen station holds
// little).
func (s *Store) Retention(ctx context.Context) (time.Duration, error) {
	days, err := s.NumericSetting(ctx, enroll.SettingRetentionDays, enroll.NumericSettingDefault(enroll.SettingRetentionDays))
	if err != nil {
		return 0, err
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// SetNumericSetting changes one of the supervisor's settings (enroll.NumericSettings), within
// its range; only a supervisor may, and it is audited.
func (s *Store) SetNumericSetting(ctx context.Context, actor, key string, value int) error {
	var def *enroll.NumericSetting
	for _, d := range enroll.NumericSettings() {
		if d.Key == key {
			def = &d
		}
	}
	if def == nil {
		return fmt.Errorf("setting %s: not a setting a supervisor may change", key)
	}
	if value < def.Min || value > def.Max {
		return fmt.Errorf("setting %s: %d is out of range (%d-%d)", key, value, def.Min, def.Max)
	}
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, strconv.Itoa(value)); err != nil {
			return err
		}
		if err := sealSettings(ctx, tx, k); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, enroll.ActionSettingChange, "", fmt.Sprintf("%s %d", key, value))
	})
}

// NumericSetting reads one of the supervisor's settings; fallback when unset. With a login it
// is the value a supervisor set: a value edited in the file is not used, and is reported
// (SettingTampered, with the supervisor's value returned).
func (s *Store) NumericSetting(ctx context.Context, key string, fallback int) (int, error) {
	v, err := s.checkedSetting(ctx, key)
	n, nerr := numeric(key, v, fallback)
	if err != nil {
		return n, err
	}
	return n, nerr
}

// MarkDelivered records that central has the record. Until sync exists a supervisor's mark
// stands in for central's confirmation; either starts the retention clock. Drafts cannot be
// marked: they were never sent.
func (s *Store) MarkDelivered(ctx context.Context, actor, id string) error {
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("mark %s delivered: %w", id, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		return resealAfter(ctx, tx, k, id, func() error {
			res, err := tx.ExecContext(ctx, `UPDATE enrollments SET delivered_at = ?, delivered_by = ?
				WHERE id = ? AND status NOT IN ('draft', 'purged') AND delivered_at IS NULL`, s.now().UnixMilli(), actor, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return enroll.ErrNotDeliverable
			}
			return s.appendAudit(ctx, tx, actor, enroll.ActionRecordDelivered, id, "")
		})
	})
	if err != nil {
		return fmt.Errorf("mark %s delivered: %w", id, err)
	}
	return nil
}

// Purge deletes the personal data and biometrics of every record delivered more than the
// grace period ago, keeping a stub (id, dates, status purged, officer) and the audit trail.
// Deleted bytes are overwritten in the file (secure_delete) and the WAL is checkpointed and
// truncated, so the sealed data does not linger anywhere in the database's files. actor is
// the supervisor, or "system" for the automatic run after login.
func (s *Store) Purge(ctx context.Context, actor string) (int, error) {
	k, err := s.keys()
	if err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	grace, err := s.Retention(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := s.now().Add(-grace).UnixMilli()
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM enrollments
		WHERE delivered_at IS NOT NULL AND purged_at IS NULL AND delivered_at <= ?`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("purge: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	// A record whose row does not match its seal may have had its delivered date moved into
	// the past: it is kept, and named, rather than purged early.
	var kept []error
	purged := 0
	for _, id := range ids {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if err := checkRow(ctx, tx, k, id); err != nil {
				return err
			}
			return s.purgeOne(ctx, tx, k, actor, id)
		})
		var tampered *RecordTampered
		switch {
		case errors.As(err, &tampered):
			kept = append(kept, err)
			continue
		case err != nil:
			return purged, fmt.Errorf("purge %s: %w", id, err)
		}
		purged++
	}
	if purged > 0 {
		s.purgePending.Store(true)
	}
	if s.purgePending.Load() {
		if !s.finishPurge(ctx) {
			s.committed() // the checkpointer keeps trying
			return purged, fmt.Errorf("purge: %w", enroll.ErrPurgeUnfinished)
		}
	}
	if len(kept) > 0 {
		return purged, fmt.Errorf("purge: %d records not purged: %w", len(kept), errors.Join(kept...))
	}
	return purged, nil
}

// checkpointBusyWait is how long a purge's checkpoint waits for readers before it leaves the
// rest to the retries.
const checkpointBusyWait = 250 * time.Millisecond

// settingPurgeWALPending marks, in the same transaction as each purge, that the WAL may hold
// the purged pages until a truncating checkpoint succeeds; it survives a restart.
const settingPurgeWALPending = "purge_wal_pending"

// finishPurge empties the WAL so that no frame of purged data is left in it, and clears the
// marker. It reports false when readers kept the checkpoint from finishing: the caller (a
// purge, or the checkpointer's retry) tries again later.
func (s *Store) finishPurge(ctx context.Context) bool {
	if err := s.truncateWAL(ctx); err != nil {
		return false
	}
	// The marker's own deletion writes a settings page to the fresh WAL: no record data.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, settingPurgeWALPending); err != nil {
		return false
	}
	s.purgePending.Store(false)
	return true
}

func (s *Store) purgeOne(ctx context.Context, tx *sql.Tx, k *keys, actor, id string) error {
	for _, q := range []string{
		`DELETE FROM images WHERE enrollment_id = ?`,
		`DELETE FROM documents WHERE enrollment_id = ?`,
		`DELETE FROM search_terms WHERE enrollment_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = ?, summary = NULL, purged_at = ? WHERE id = ?`,
		string(enroll.StatusPurged), s.now().UnixMilli(), id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, '1')
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingPurgeWALPending); err != nil {
		return err
	}
	if err := s.appendAudit(ctx, tx, actor, enroll.ActionPurge, id, "personal data and biometrics deleted"); err != nil {
		return err
	}
	return sealRow(ctx, tx, k, id)
}

// truncateWAL copies the WAL into the database file and empties it, so no frame holding
// deleted data stays in the WAL file.
//
// A reader in the way would make the checkpoint wait out the connection's whole busy timeout
// (10 s, meant for writers queueing behind each other), freezing the purge button; this
// checkpoint waits a moment only, and a busy answer is retried later instead.
func (s *Store) truncateWAL(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", checkpointBusyWait.Milliseconds())); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
	busy, logged, _, err := s.checkpoint(ctx, conn, "TRUNCATE")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: the database is busy; the WAL still holds %d pages", logged)
	}
	return nil
}
