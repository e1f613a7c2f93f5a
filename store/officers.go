package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
)

// PasswordParams are argon2id's cost parameters for officers' key slots.
type PasswordParams struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultPasswordParams follow RFC 9106's second recommendation (t=3, m=64 MiB), with two
// lanes for the two-core station PCs: 0.44 s per login on the reference machine
// (BenchmarkLogin), once per session for the officer and per guess for an attacker with a
// copied database.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 2}
}

func (p PasswordParams) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

func parseParams(s string) (PasswordParams, error) {
	var p PasswordParams
	if _, err := fmt.Sscanf(s, "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, fmt.Errorf("key slot parameters %q: %w", s, err)
	}
	if p.Time == 0 || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) {
		return p, fmt.Errorf("key slot parameters %q: out of range", s)
	}
	return p, nil
}

// unlock keeps the data key in memory for the session; Lock forgets it. Search terms written
// under an older scheme are rewritten first (only the key can compute them), so that every
// search of the session finds old records by the new ways too; if that fails the store stays
// as it was and the login fails.
func (s *Store) unlock(ctx context.Context, dataKey []byte) error {
	k, err := newKeys(dataKey)
	if err != nil {
		return err
	}
	if err := s.reindex(ctx, k); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.k != nil && !bytes.Equal(s.k.data, dataKey) {
		return errors.New("unlock: a key slot holds a different data key")
	}
	s.k = k
	return nil
}

// Lock forgets the data key: until the next login nothing personal can be read or written.
// The station calls it on logout and when the session locks.
func (s *Store) Lock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.k != nil {
		clear(s.k.data)
		clear(s.k.index)
	}
	s.k = nil
}

// Unlocked tells whether a login has unwrapped the data key.
func (s *Store) Unlocked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.k != nil
}

func (s *Store) keys() (*keys, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.k == nil {
		return nil, enroll.ErrStationLocked
	}
	return s.k, nil
}

// writeSlot stores (or replaces) an officer's key slot for password.
func (s *Store) writeSlot(ctx context.Context, tx *sql.Tx, username, password string, dataKey []byte) error {
	salt := make([]byte, 16)
	rand.Read(salt)
	name := officerSlot(username)
	w, err := wrap(passwordKEK(password, salt, s.kdf), dataKey, name)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO key_slots (name, salt, params, wrapped, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET salt = excluded.salt, params = excluded.params, wrapped = excluded.wrapped,
			created_at = excluded.created_at`, name, salt, s.kdf.String(), w, s.now().UnixMilli())
	return err
}

// openSlot returns the data key if password opens username's slot. A wrong password and a
// missing slot cost the same argon2id work.
func (s *Store) openSlot(ctx context.Context, username, password string) ([]byte, error) {
	name := officerSlot(username)
	var salt, wrapped []byte
	var params string
	err := s.db.QueryRowContext(ctx, `SELECT salt, params, wrapped FROM key_slots WHERE name = ?`, name).
		Scan(&salt, &params, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		passwordKEK(password, make([]byte, 16), s.kdf)
		return nil, enroll.ErrBadLogin
	}
	if err != nil {
		return nil, fmt.Errorf("key slot %s: %w", name, err)
	}
	p, err := parseParams(params)
	if err != nil {
		return nil, err
	}
	dk, err := unwrap(passwordKEK(password, salt, p), wrapped, name)
	if err != nil {
		return nil, enroll.ErrBadLogin
	}
	return dk, nil
}

// Init sets up a new station in one transaction: office and code, a fresh random data key, the
// first supervisor's key slot and the recovery slot. It returns the recovery key, to be shown
// once and kept on paper: it is the only way back in if every password is lost. The store is
// unlocked afterwards.
func (s *Store) Init(ctx context.Context, setup enroll.StationSetup) (string, error) {
	rk, err := s.init(ctx, setup)
	if err != nil {
		return "", err
	}
	return rk.String(), nil
}

func (s *Store) init(ctx context.Context, setup enroll.StationSetup) (RecoveryKey, error) {
	setup = setup.Normalize()
	if err := setup.Check(); err != nil {
		return RecoveryKey{}, err
	}
	dk := make([]byte, dataKeySize)
	rand.Read(dk)
	rk, err := newRecoveryKey()
	if err != nil {
		return RecoveryKey{}, err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	kek, err := recoveryKEK(rk[:], salt)
	if err != nil {
		return RecoveryKey{}, err
	}
	rw, err := wrap(kek, dk, recoverySlot)
	if err != nil {
		return RecoveryKey{}, err
	}
	sup := setup.Supervisor
	name, _ := enroll.NormalizeName(sup.FullName)
	now := s.now().UnixMilli()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM officers`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errors.New("this station is already set up")
		}
		for k, v := range map[string]string{enroll.SettingOffice: setup.Office, enroll.SettingStation: setup.Code} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO key_slots (name, salt, params, wrapped, created_at) VALUES (?, ?, '', ?, ?)`,
			recoverySlot, salt, rw, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO officers (username, full_name, role, created_at) VALUES (?, ?, ?, ?)`,
			sup.Username, name, string(enroll.RoleSupervisor), now); err != nil {
			return err
		}
		if err := s.writeSlot(ctx, tx, sup.Username, sup.Password, dk); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, sup.Username, enroll.ActionStationInit, "", "station "+setup.Code+"; supervisor "+sup.Username)
	})
	if err != nil {
		return RecoveryKey{}, fmt.Errorf("set up station: %w", err)
	}
	return rk, s.unlock(ctx, dk)
}

// CreateOfficer adds an account; actor is the supervisor doing it. The new officer's slot
// wraps the data key already in memory, so the store must be unlocked.
func (s *Store) CreateOfficer(ctx context.Context, actor string, n enroll.OfficerForm) (enroll.Officer, error) {
	n.Username = strings.TrimSpace(n.Username)
	if err := n.Check(); err != nil {
		return enroll.Officer{}, err
	}
	if n.Role != enroll.RoleOfficer && n.Role != enroll.RoleSupervisor {
		return enroll.Officer{}, fmt.Errorf("create officer %s: unknown role %q", n.Username, n.Role)
	}
	k, err := s.keys()
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("create officer %s: %w", n.Username, err)
	}
	name, _ := enroll.NormalizeName(n.FullName)
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireSupervisor(ctx, tx, actor); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO officers (username, full_name, role, created_at) VALUES (?, ?, ?, ?)`,
			n.Username, name, string(n.Role), now.UnixMilli()); err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return enroll.ErrOfficerExists
			}
			return err
		}
		if err := s.writeSlot(ctx, tx, n.Username, n.Password, k.data); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, actor, enroll.ActionOfficerCreate, "", n.Username+" as "+string(n.Role))
	})
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("create officer %s: %w", n.Username, err)
	}
	return enroll.Officer{Username: n.Username, FullName: name, Role: n.Role, CreatedAt: now}, nil
}

func requireSupervisor(ctx context.Context, tx *sql.Tx, actor string) error {
	var role string
	var disabled bool
	err := tx.QueryRowContext(ctx, `SELECT role, disabled FROM officers WHERE username = ?`, actor).Scan(&role, &disabled)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (disabled || role != string(enroll.RoleSupervisor)) {
		return enroll.ErrNotSupervisor
	}
	return err
}

// OfficerCount tells whether the station has been set up (no officers means first run).
func (s *Store) OfficerCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM officers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count officers: %w", err)
	}
	return n, nil
}

// Officers lists every account, supervisors first.
func (s *Store) Officers(ctx context.Context) ([]enroll.Officer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT username, full_name, role, disabled, must_change, created_at
		FROM officers ORDER BY role DESC, username`)
	if err != nil {
		return nil, fmt.Errorf("list officers: %w", err)
	}
	defer rows.Close()
	var out []enroll.Officer
	for rows.Next() {
		var o enroll.Officer
		var role string
		var created int64
		if err := rows.Scan(&o.Username, &o.FullName, &role, &o.Disabled, &o.MustChange, &created); err != nil {
			return nil, fmt.Errorf("list officers: %w", err)
		}
		o.Role, o.CreatedAt = enroll.Role(role), time.UnixMilli(created)
		out = append(out, o)
	}
	return out, rows.Err()
}

// Authenticate checks a login by opening the officer's key slot with the password, and keeps
// the data key for the session. A wrong user name costs the same time as a wrong password, so
// the answer's timing does not reveal which user names exist. After lockAfter failures in a
// row the account is locked for lockFor, whatever password is given; every attempt is audited.
func (s *Store) Authenticate(ctx context.Context, username, password string) (enroll.Officer, error) {
	var o enroll.Officer
	var role string
	var created, lockedUntil int64
	var failed int
	username = strings.TrimSpace(strings.ToLower(username))
	err := s.db.QueryRowContext(ctx, `SELECT username, full_name, role, disabled, must_change, created_at,
		failed_logins, locked_until FROM officers WHERE username = ?`, username).
		Scan(&o.Username, &o.FullName, &role, &o.Disabled, &o.MustChange, &created, &failed, &lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		s.openSlot(ctx, "\x00no such officer", password)
		s.Audit(ctx, username, enroll.ActionLoginFailed, "", "unknown user name")
		return enroll.Officer{}, enroll.ErrBadLogin
	}
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, err)
	}
	now := s.now()
	if now.UnixMilli() < lockedUntil {
		s.Audit(ctx, o.Username, enroll.ActionLoginFailed, "", "account locked")
		return enroll.Officer{}, enroll.ErrLockedOut
	}
	dk, err := s.openSlot(ctx, o.Username, password)
	if errors.Is(err, enroll.ErrBadLogin) {
		return enroll.Officer{}, s.loginFailed(ctx, o.Username, failed+1, now)
	}
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, err)
	}
	if o.Disabled {
		s.Audit(ctx, o.Username, enroll.ActionLoginFailed, "", "account disabled")
		return enroll.Officer{}, enroll.ErrDisabled
	}
	o.Role = enroll.Role(role)
	o.CreatedAt = time.UnixMilli(created)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET failed_logins = 0, locked_until = 0 WHERE username = ?`, o.Username); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, o.Username, enroll.ActionLogin, "", "")
	})
	if err == nil {
		err = s.unlock(ctx, dk)
	}
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, err)
	}
	return o, nil
}

// loginFailed counts a wrong password and locks the account when the count reaches lockAfter.
func (s *Store) loginFailed(ctx context.Context, username string, failed int, now time.Time) error {
	result, detail := enroll.ErrBadLogin, fmt.Sprintf("wrong password (%d in a row)", failed)
	// The station's settings, when a supervisor set them, else the store's options.
	lockAfter, _ := s.NumericSetting(ctx, enroll.SettingLockAttempts, s.lockAfter)
	minutes, _ := s.NumericSetting(ctx, enroll.SettingLockMinutes, int(s.lockFor/time.Minute))
	lockFor := time.Duration(minutes) * time.Minute
	var until int64
	if lockAfter > 0 && failed >= lockAfter {
		until = now.Add(lockFor).UnixMilli()
		failed = 0
		result, detail = enroll.ErrLockedOut, fmt.Sprintf("wrong password; locked for %s", lockFor)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET failed_logins = ?, locked_until = ? WHERE username = ?`,
			failed, until, username); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, username, enroll.ActionLoginFailed, "", detail)
	})
	if err != nil {
		return fmt.Errorf("log in %s: %w", username, err)
	}
	return result
}

// ChangePassword lets an officer choose a new password, given the current one. Only their own
// key slot is rewrapped; nothing else is re-encrypted.
func (s *Store) ChangePassword(ctx context.Context, username, current, next, confirm string) error {
	if err := enroll.CheckPassword(next, confirm); err != nil {
		return err
	}
	dk, err := s.openSlot(ctx, username, current)
	if err != nil {
		return fmt.Errorf("change password of %s: %w", username, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.writeSlot(ctx, tx, username, next, dk); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET must_change = 0 WHERE username = ?`, username); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, username, enroll.ActionPasswordChange, "", "")
	})
	if err != nil {
		return fmt.Errorf("change password of %s: %w", username, err)
	}
	return nil
}

// ResetPassword is a supervisor setting a forgotten password: the officer's slot is rewrapped
// from the data key in memory, the lock-out is cleared, and the officer must choose a new
// password at the next login.
func (s *Store) ResetPassword(ctx context.Context, actor, username, password, confirm string) error {
	if err := enroll.CheckPassword(password, confirm); err != nil {
		return err
	}
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("reset password of %s: %w", username, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireSupervisor(ctx, tx, actor); err != nil {
			return err
		}
		return s.resetSlot(ctx, tx, actor, username, password, k.data, actor != username)
	})
	if err != nil {
		return fmt.Errorf("reset password of %s: %w", username, err)
	}
	return nil
}

func (s *Store) resetSlot(ctx context.Context, tx *sql.Tx, actor, username, password string, dk []byte, mustChange bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE officers SET must_change = ?, failed_logins = 0, locked_until = 0
		WHERE username = ?`, mustChange, username)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return enroll.ErrUnknownOfficer
	}
	if err := s.writeSlot(ctx, tx, username, password, dk); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, actor, enroll.ActionOfficerReset, "", username)
}

// SetDisabled turns an account off or back on. A disabled officer's slot stays (so enabling
// them again needs no new password) but their logins are refused. Supervisors cannot disable
// themselves or the last active supervisor, so the station always has someone to manage it.
func (s *Store) SetDisabled(ctx context.Context, actor, username string, disabled bool) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireSupervisor(ctx, tx, actor); err != nil {
			return err
		}
		if disabled && actor == username {
			return enroll.ErrSelfDisable
		}
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM officers WHERE username = ?`, username).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return enroll.ErrUnknownOfficer
		}
		if err != nil {
			return err
		}
		if disabled && role == string(enroll.RoleSupervisor) {
			var active int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM officers WHERE role = 'supervisor' AND disabled = 0
				AND username != ?`, username).Scan(&active); err != nil {
				return err
			}
			if active == 0 {
				return enroll.ErrLastSupervisor
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET disabled = ? WHERE username = ?`, disabled, username); err != nil {
			return err
		}
		action := enroll.ActionOfficerEnable
		if disabled {
			action = enroll.ActionOfficerDisable
		}
		return s.appendAudit(ctx, tx, actor, action, "", username)
	})
	if err != nil {
		return fmt.Errorf("change account %s: %w", username, err)
	}
	return nil
}

// Recover opens the data with the recovery key (as typed from the paper) after passwords were
// lost, and gives the supervisor username a new password (their slot rewrapped). The store is
// unlocked afterwards.
func (s *Store) Recover(ctx context.Context, key, username, password, confirm string) error {
	rk, err := ParseRecoveryKey(key)
	if err != nil {
		return fmt.Errorf("recover: %w", enroll.ErrBadRecoveryKey)
	}
	if err := enroll.CheckPassword(password, confirm); err != nil {
		return err
	}
	var salt, wrapped []byte
	err = s.db.QueryRowContext(ctx, `SELECT salt, wrapped FROM key_slots WHERE name = ?`, recoverySlot).Scan(&salt, &wrapped)
	if err != nil {
		return fmt.Errorf("recover: recovery slot: %w", err)
	}
	kek, err := recoveryKEK(rk[:], salt)
	if err != nil {
		return err
	}
	dk, err := unwrap(kek, wrapped, recoverySlot)
	if err != nil {
		s.Audit(ctx, username, enroll.ActionRecovery, "", "wrong recovery key")
		return fmt.Errorf("recover: %w", enroll.ErrBadRecoveryKey)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM officers WHERE username = ?`, username).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) || err == nil && role != string(enroll.RoleSupervisor) {
			return enroll.ErrNotSupervisor
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET disabled = 0 WHERE username = ?`, username); err != nil {
			return err
		}
		if err := s.appendAudit(ctx, tx, username, enroll.ActionRecovery, "", "data opened with the recovery key"); err != nil {
			return err
		}
		return s.resetSlot(ctx, tx, username, username, password, dk, false)
	})
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	return s.unlock(ctx, dk)
}

// OfficerRole returns an account's role, or ErrNotFound.
func (s *Store) OfficerRole(ctx context.Context, username string) (enroll.Role, error) {
	var role string
	err := s.db.QueryRowContext(ctx, `SELECT role FROM officers WHERE username = ?`, username).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("officer %s: %w", username, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("officer %s: %w", username, err)
	}
	return enroll.Role(role), nil
}
