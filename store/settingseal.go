package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/wardpolice/enroll"
)

// The settings the station acts on (how long biometrics are kept, when a session locks, how
// many wrong passwords lock an account, and the station's identity) are kept in the clear for
// the login screen, which runs before any key is known, and sealed under the data key as a
// supervisor last set them. With a login, the sealed value is the one used, and a clear value
// that differs is reported (SettingTampered) rather than obeyed.

// sealedSettingKeys are the settings sealed.
var sealedSettingKeys = []string{enroll.SettingOffice, enroll.SettingStation, enroll.SettingRetentionDays,
	enroll.SettingIdleMinutes, enroll.SettingLockAttempts, enroll.SettingLockMinutes}

const fieldSettings = "settings"

// SettingTampered names a setting whose clear value differs from the sealed one.
type SettingTampered struct {
	Key, Clear, Sealed string
}

func (e *SettingTampered) Error() string {
	return fmt.Sprintf("setting %s is %q in the file but %q as a supervisor last set it: %v", e.Key, e.Clear, e.Sealed, enroll.ErrSettingTampered)
}

func (e *SettingTampered) Unwrap() error { return enroll.ErrSettingTampered }

// sealSettings seals the settings as tx leaves them.
func sealSettings(ctx context.Context, tx *sql.Tx, k *keys) error {
	values := map[string]string{}
	for _, key := range sealedSettingKeys {
		var v string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return fmt.Errorf("seal settings: %w", err)
		}
		values[key] = v
	}
	if err := putSealed(ctx, tx, k, "settings_seal", fieldSettings, values); err != nil {
		return fmt.Errorf("seal settings: %w", err)
	}
	return nil
}

// putSealed seals v, as JSON, into table's one row (id 1, column sealed): the officers'
// roster and the settings.
func putSealed(ctx context.Context, tx *sql.Tx, k *keys, table, field string, v any) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO `+table+` (id, sealed) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed`, k.seal("", field, plain))
	return err
}

// sealedSetting is key's value as a supervisor last set it ("" when never set). It needs a
// login; a seal missing where the station keeps one, or altered, is tampering too.
func (s *Store) sealedSetting(ctx context.Context, k *keys, key string) (string, error) {
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT sealed FROM settings_seal WHERE id = 1`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		r, rerr := loadRoster(ctx, s.db, k)
		if rerr != nil || r == nil || !r.RowsSealed {
			return "", errNoSettingsSeal // a station upgraded and not yet logged in to
		}
		return "", &SettingTampered{Key: key, Clear: "", Sealed: "(the sealed settings were removed)"}
	}
	if err != nil {
		return "", fmt.Errorf("sealed settings: %w", err)
	}
	plain, err := k.open("", fieldSettings, sealed)
	if errors.Is(err, enroll.ErrStationLocked) {
		return "", err
	}
	var values map[string]string
	if err != nil || json.Unmarshal(plain, &values) != nil {
		return "", &SettingTampered{Key: key, Sealed: "(the sealed settings do not open)"}
	}
	return values[key], nil
}

var errNoSettingsSeal = errors.New("no sealed settings yet")

// checkedSetting reads key: with a login, as a supervisor set it, and a different clear value
// is reported with the sealed value; without one, the clear value.
func (s *Store) checkedSetting(ctx context.Context, key string) (string, error) {
	clearValue, err := s.Setting(ctx, key)
	if err != nil {
		return "", err
	}
	k, err := s.keys()
	if err != nil {
		return clearValue, nil
	}
	sealed, err := s.sealedSetting(ctx, k, key)
	switch {
	case errors.Is(err, errNoSettingsSeal), errors.Is(err, enroll.ErrStationLocked):
		return clearValue, nil
	case err != nil:
		return clearValue, err
	case sealed != clearValue:
		return sealed, &SettingTampered{Key: key, Clear: clearValue, Sealed: sealed}
	}
	return clearValue, nil
}

// numeric parses a numeric setting's value; fallback when unset. A supervisor's setting
// outside the range a supervisor may choose (edited in the file: the login screen reads it
// before any key is known) gives the fallback too.
func numeric(key, v string, fallback int) (int, error) {
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fallback, fmt.Errorf("setting %s: %q is not a number", key, v)
	}
	for _, d := range enroll.NumericSettings() {
		if d.Key == key && (n < d.Min || n > d.Max) {
			return fallback, fmt.Errorf("setting %s: %d is out of range (%d-%d)", key, n, d.Min, d.Max)
		}
	}
	return n, nil
}
