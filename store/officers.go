package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/wardpolice/enroll"
)

// PasswordParams are argon2id's cost parameters.
type PasswordParams struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultPasswordParams follow RFC 9106's second recommendation (t=3, m=64 MiB), with two
// lanes for the two-core station PCs: about a tenth of a second per login there, which an
// officer does not notice and an attacker with a copied database pays per guess.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 2}
}

func hashPassword(pw string, p PasswordParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword verifies pw against a PHC-format argon2id hash, using the parameters stored
// in the hash so that raising the defaults does not lock anyone out.
func checkPassword(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("password hash: not an argon2id PHC string")
	}
	var v int
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, fmt.Errorf("password hash: unsupported version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("password hash: key: %w", err)
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// CreateOfficer adds an account.
func (s *Store) CreateOfficer(ctx context.Context, n enroll.OfficerForm) (enroll.Officer, error) {
	if err := n.Check(); err != nil {
		return enroll.Officer{}, err
	}
	if n.Role != enroll.RoleOfficer && n.Role != enroll.RoleSupervisor {
		return enroll.Officer{}, fmt.Errorf("create officer %s: unknown role %q", n.Username, n.Role)
	}
	hash, err := hashPassword(n.Password, s.kdf)
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("create officer %s: %w", n.Username, err)
	}
	name, _ := enroll.NormalizeName(n.FullName)
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO officers (username, full_name, role, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?)`, n.Username, name, string(n.Role), hash, now.UnixMilli()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, n.Username, ActionOfficerCreate, "", "role "+string(n.Role))
	})
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return enroll.Officer{}, fmt.Errorf("create officer %s: %w", n.Username, enroll.ErrOfficerExists)
		}
		return enroll.Officer{}, fmt.Errorf("create officer %s: %w", n.Username, err)
	}
	return enroll.Officer{Username: n.Username, FullName: name, Role: n.Role, CreatedAt: now}, nil
}

// OfficerCount tells whether the station has been set up (no officers means first run).
func (s *Store) OfficerCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM officers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count officers: %w", err)
	}
	return n, nil
}

// Authenticate checks a login. A wrong user name costs the same time as a wrong password, so
// the answer's timing does not reveal which user names exist. After lockAfter failures in a
// row the account is locked for lockFor, whatever password is given; every attempt is audited.
func (s *Store) Authenticate(ctx context.Context, username, password string) (enroll.Officer, error) {
	var o enroll.Officer
	var hash, role string
	var created, lockedUntil int64
	var failed int
	username = strings.TrimSpace(strings.ToLower(username))
	err := s.db.QueryRowContext(ctx, `SELECT username, full_name, role, password_hash, disabled, created_at,
		failed_logins, locked_until FROM officers WHERE username = ?`, username).
		Scan(&o.Username, &o.FullName, &role, &hash, &o.Disabled, &created, &failed, &lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		dummy, _ := hashPassword("x", s.kdf)
		checkPassword(password, dummy)
		s.Audit(ctx, username, ActionLoginFailed, "", "unknown user name")
		return enroll.Officer{}, enroll.ErrBadLogin
	}
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, err)
	}
	now := s.now()
	if now.UnixMilli() < lockedUntil {
		s.Audit(ctx, o.Username, ActionLoginFailed, "", "account locked")
		return enroll.Officer{}, enroll.ErrLockedOut
	}
	ok, err := checkPassword(password, hash)
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, err)
	}
	if !ok {
		return enroll.Officer{}, s.loginFailed(ctx, o.Username, failed+1, now)
	}
	if o.Disabled {
		s.Audit(ctx, o.Username, ActionLoginFailed, "", "account disabled")
		return enroll.Officer{}, enroll.ErrDisabled
	}
	o.Role = enroll.Role(role)
	o.CreatedAt = time.UnixMilli(created)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET failed_logins = 0, locked_until = 0 WHERE username = ?`, o.Username); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, o.Username, ActionLogin, "", "")
	})
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, err)
	}
	return o, nil
}

// loginFailed counts a wrong password and locks the account when the count reaches lockAfter.
func (s *Store) loginFailed(ctx context.Context, username string, failed int, now time.Time) error {
	result, detail := enroll.ErrBadLogin, fmt.Sprintf("wrong password (%d in a row)", failed)
	var until int64
	if s.lockAfter > 0 && failed >= s.lockAfter {
		until = now.Add(s.lockFor).UnixMilli()
		failed = 0
		result, detail = enroll.ErrLockedOut, fmt.Sprintf("wrong password; locked for %s", s.lockFor)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET failed_logins = ?, locked_until = ? WHERE username = ?`,
			failed, until, username); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, username, ActionLoginFailed, "", detail)
	})
	if err != nil {
		return fmt.Errorf("log in %s: %w", username, err)
	}
	return result
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
