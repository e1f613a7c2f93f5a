package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// rawDB opens the station's file as someone with the sqlite3 tool would.
func rawDB(t *testing.T, s *Store) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+s.path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func rawExec(t *testing.T, raw *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := raw.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestEditedRowIsRefused: each clear column the station acts on, edited in the file, makes the
// record refused with its code named, by every path that acts on it.
func TestEditedRowIsRefused(t *testing.T) {
	ctx := context.Background()
	past := time.Now().Add(-90 * 24 * time.Hour).UnixMilli()
	for _, c := range []struct {
		name string
		edit string
		args []any
	}{
		{"complete made a draft again", `UPDATE enrollments SET status = 'draft' WHERE id = ?`, nil},
		{"delivered long ago, to be purged", `UPDATE enrollments SET delivered_at = ?, delivered_by = 'central' WHERE id = ?`, []any{past}},
		{"step moved", `UPDATE enrollments SET step = 1 WHERE id = ?`, nil},
		{"completion date moved", `UPDATE enrollments SET completed_at = ? WHERE id = ?`, []any{past}},
		{"central's reason added", `UPDATE enrollments SET central_reason = '{"Code":"other"}' WHERE id = ?`, nil},
		{"marked purged", `UPDATE enrollments SET purged_at = ? WHERE id = ?`, []any{past}},
		{"officer changed", `UPDATE enrollments SET officer = 'minh.pv' WHERE id = ?`, nil},
		{"seal removed", "", nil},
		{"portrait deleted", `DELETE FROM images WHERE enrollment_id = ? AND kind = 'portrait'`, nil},
		{"image media type changed", `UPDATE images SET media_type = 'image/png' WHERE enrollment_id = ? AND kind = 'portrait'`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t)
			e := completeRecord(t, "Nguyễn Văn An", "001087012345")
			if err := s.Complete(ctx, e); err != nil {
				t.Fatal(err)
			}
			raw := rawDB(t, s)
			if c.edit == "" {
				// Whoever holds the file drops the guard against NULL first.
				rawExec(t, raw, `DROP TRIGGER enrollments_row_mac`)
				rawExec(t, raw, `UPDATE enrollments SET row_mac = NULL WHERE id = ?`, e.ID)
			} else {
				rawExec(t, raw, c.edit, append(c.args, e.ID)...)
			}
			var tampered *RecordTampered
			_, err := s.Get(ctx, e.ID)
			if !errors.As(err, &tampered) || !errors.Is(err, enroll.ErrRecordTampered) || tampered.Code != enroll.RecordCode(e.ID) ||
				!strings.Contains(err.Error(), enroll.RecordCode(e.ID)) {
				t.Fatalf("Get: %v", err)
			}
			if err := s.Reopen(ctx, "lan.nt", e.ID, "sai tên"); !errors.Is(err, enroll.ErrRecordTampered) {
				t.Errorf("Reopen: %v", err)
			}
			if err := s.AddBatch(ctx, "lan.nt", enroll.Batch{ID: "b1", Seq: 1, File: "x"}, []Sent{{ID: e.ID, Revision: "r"}}); err == nil {
				t.Errorf("AddBatch took it")
			}
			e.Citizen.Address = "Số 1 Hà Nội"
			if err := s.SaveDraft(ctx, e); err == nil {
				t.Errorf("a save sealed the edit")
			}
			n, err := s.Purge(ctx, "system")
			if n != 0 {
				t.Errorf("purged %d records", n)
			}
			if c.name == "delivered long ago, to be purged" && (!errors.Is(err, enroll.ErrRecordTampered) || !strings.Contains(err.Error(), "1 records not purged")) {
				t.Errorf("purge: %v, want the record kept and named", err)
			}
		})
	}
}

// TestOlderCiphertextIsRefused: an older document or image of the same record (which opens:
// it was sealed for that record) put back in the file is refused.
func TestOlderCiphertextIsRefused(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, s)
	var oldDoc, oldPrint []byte
	if err := raw.QueryRow(`SELECT data FROM documents WHERE enrollment_id = ?`, e.ID).Scan(&oldDoc); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT data FROM images WHERE enrollment_id = ? AND kind = 'finger' AND position = ?`, e.ID, int(enroll.RightIndex)).Scan(&oldPrint); err != nil {
		t.Fatal(err)
	}
	// The officer corrects the address and retakes the right index.
	e.Citizen.Address = "Số 9 Khâm Thiên, Hà Nội"
	f, _ := e.Finger(enroll.RightIndex)
	f.PNG = append(append([]byte(nil), f.PNG...), 0) // another capture
	e.SetFinger(f)
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, e.ID); err != nil || got.Citizen.Address != "Số 9 Khâm Thiên, Hà Nội" {
		t.Fatalf("the corrected record: %v", err)
	}
	var newDoc, newPrint []byte
	raw.QueryRow(`SELECT data FROM documents WHERE enrollment_id = ?`, e.ID).Scan(&newDoc)
	raw.QueryRow(`SELECT data FROM images WHERE enrollment_id = ? AND kind = 'finger' AND position = ?`, e.ID, int(enroll.RightIndex)).Scan(&newPrint)

	rawExec(t, raw, `UPDATE documents SET data = ? WHERE enrollment_id = ?`, oldDoc, e.ID)
	if _, err := s.Get(ctx, e.ID); !errors.Is(err, enroll.ErrRecordTampered) {
		t.Fatalf("older document put back: %v", err)
	}
	rawExec(t, raw, `UPDATE documents SET data = ? WHERE enrollment_id = ?`, newDoc, e.ID)
	rawExec(t, raw, `UPDATE images SET data = ? WHERE enrollment_id = ? AND kind = 'finger' AND position = ?`, oldPrint, e.ID, int(enroll.RightIndex))
	if _, err := s.Get(ctx, e.ID); !errors.Is(err, enroll.ErrRecordTampered) {
		t.Fatalf("older print put back: %v", err)
	}
	// Put as it was, it reads again: the refusal was about the content, not a broken state.
	rawExec(t, raw, `UPDATE images SET data = ? WHERE enrollment_id = ? AND kind = 'finger' AND position = ?`, newPrint, e.ID, int(enroll.RightIndex))
	if _, err := s.Get(ctx, e.ID); err != nil {
		t.Fatalf("restored: %v", err)
	}
}

// TestWholeRowRolledBack: the whole record put back as it was before its last change (row,
// seal, document and images from an older copy of the file) is refused: its seal predates the
// record's last change in the audit trail.
func TestWholeRowRolledBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, s)
	type snapshot struct {
		status                 string
		step                   int
		completed, updated     sql.NullInt64
		mac, summary, document []byte
	}
	take := func() snapshot {
		var sn snapshot
		if err := raw.QueryRow(`SELECT e.status, e.step, e.completed_at, e.updated_at, e.row_mac, e.summary, d.data
			FROM enrollments e JOIN documents d ON d.enrollment_id = e.id WHERE e.id = ?`, e.ID).
			Scan(&sn.status, &sn.step, &sn.completed, &sn.updated, &sn.mac, &sn.summary, &sn.document); err != nil {
			t.Fatal(err)
		}
		return sn
	}
	before := take()
	// A supervisor corrects it: it is a draft again, to be checked with the citizen.
	if err := s.Reopen(ctx, "lan.nt", e.ID, "sai địa chỉ"); err != nil {
		t.Fatal(err)
	}
	if after := take(); after.status != string(enroll.StatusDraft) {
		t.Fatalf("reopened record is %s", after.status)
	}
	// Someone puts the complete copy back, seal included, to have it sent as it was.
	rawExec(t, raw, `UPDATE enrollments SET status = ?, step = ?, completed_at = ?, updated_at = ?, row_mac = ?, summary = ? WHERE id = ?`,
		before.status, before.step, before.completed, before.updated, before.mac, before.summary, e.ID)
	rawExec(t, raw, `UPDATE documents SET data = ? WHERE enrollment_id = ?`, before.document, e.ID)
	if _, err := s.Get(ctx, e.ID); !errors.Is(err, enroll.ErrRecordTampered) {
		t.Fatalf("the whole older row: %v", err)
	}
}

// TestRowsSealedOnceAfterUpgrade: records saved before row seals existed are sealed at the
// first login; a seal removed afterwards is not given again.
func TestRowsSealedOnceAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, s)
	// As an older version left it: no seal, and a roster that does not claim any.
	k, _ := s.keys()
	if err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := loadRoster(ctx, tx, k)
		if err != nil {
			return err
		}
		r.RowsSealed = false
		return s.sealRoster(ctx, tx, k, *r)
	}); err != nil {
		t.Fatal(err)
	}
	rawExec(t, raw, `DROP TRIGGER enrollments_row_mac`)
	rawExec(t, raw, `UPDATE enrollments SET row_mac = NULL`)
	s.Lock()
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, e.ID); err != nil {
		t.Fatalf("an upgraded record after the first login: %v", err)
	}
	assertActions(t, s, enroll.ActionRecordsSealed, 1)
	// Now a seal removed is tampering, at the next login too.
	rawExec(t, raw, `UPDATE enrollments SET row_mac = NULL, status = 'draft'`)
	s.Lock()
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, e.ID); !errors.Is(err, enroll.ErrRecordTampered) {
		t.Fatalf("a seal removed after the upgrade: %v", err)
	}
}

// TestEditedSettingIsNotObeyed: a setting edited in the file (retention cut to purge early,
// lock-out raised to allow guessing) is not used once someone logs in: the supervisor's value
// is, and the edit is reported with both values.
func TestEditedSettingIsNotObeyed(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetNumericSetting(ctx, "lan.nt", enroll.SettingRetentionDays, 30); err != nil {
		t.Fatal(err)
	}
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, "lan.nt", e.ID); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, s)
	rawExec(t, raw, `UPDATE settings SET value = '1' WHERE key = ?`, enroll.SettingRetentionDays)
	rawExec(t, raw, `INSERT INTO settings (key, value) VALUES (?, '1000') ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		enroll.SettingLockAttempts)
	days, err := s.NumericSetting(ctx, enroll.SettingRetentionDays, 7)
	var tampered *SettingTampered
	if days != 30 || !errors.As(err, &tampered) || tampered.Key != enroll.SettingRetentionDays || tampered.Clear != "1" || tampered.Sealed != "30" {
		t.Fatalf("retention: %d, %v", days, err)
	}
	if n, err := s.NumericSetting(ctx, enroll.SettingLockAttempts, 5); n != 5 || !errors.Is(err, enroll.ErrSettingTampered) {
		t.Fatalf("lock-out attempts: %d, %v", n, err)
	}
	// Two days later, the edited one-day retention would purge the record: it does not.
	s.now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	if n, err := s.Purge(ctx, "system"); n != 0 || !errors.Is(err, enroll.ErrSettingTampered) {
		t.Fatalf("purge under the edited retention: %d %v", n, err)
	}
	// The supervisor sets it again: sealed anew, obeyed.
	if err := s.SetNumericSetting(ctx, "lan.nt", enroll.SettingRetentionDays, 1); err != nil {
		t.Fatal(err)
	}
	if n, err := s.NumericSetting(ctx, enroll.SettingRetentionDays, 7); n != 1 || err != nil {
		t.Fatalf("after the supervisor set it: %d %v", n, err)
	}
	// Without a login the clear value serves the login screen, within the range a
	// supervisor may choose.
	s.Lock()
	if n, err := s.NumericSetting(ctx, enroll.SettingLockAttempts, 5); n != 5 || err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("locked: %d %v", n, err)
	}
	rawExec(t, raw, `UPDATE settings SET value = '3' WHERE key = ?`, enroll.SettingLockAttempts)
	if n, err := s.NumericSetting(ctx, enroll.SettingLockAttempts, 5); n != 3 || err != nil {
		t.Fatalf("locked: %d %v", n, err)
	}
}
