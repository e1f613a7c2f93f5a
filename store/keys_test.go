package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

func TestRecoveryKeyOpensDataAfterEveryPasswordIsLost(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	s, err := Open(ctx, path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := s.init(ctx, testSetup())
	if err != nil {
		t.Fatal(err)
	}
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Every password is forgotten. A restarted station is locked: nothing personal reads.
	s, err = Open(ctx, path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Get(ctx, e.ID); !errors.Is(err, enroll.ErrStationLocked) {
		t.Fatalf("read while locked: %v", err)
	}
	if _, err := s.Search(ctx, "nguyen", 10); !errors.Is(err, enroll.ErrStationLocked) {
		t.Fatalf("search while locked: %v", err)
	}
	wrong := rk
	wrong[0] ^= 1
	if err := s.Recover(ctx, wrong.String(), "lan.nt", "moi-mat-khau-9", "moi-mat-khau-9"); !errors.Is(err, enroll.ErrBadRecoveryKey) {
		t.Fatalf("wrong recovery key: %v", err)
	}
	// The key as an officer would type it from the paper: lower case, spaces for dashes.
	typed := strings.ToLower(strings.ReplaceAll(rk.String(), "-", " "))
	parsed, err := ParseRecoveryKey(typed)
	if err != nil || parsed != rk {
		t.Fatalf("parse %q: %v", typed, err)
	}
	if err := s.Recover(ctx, typed, "lan.nt", "moi-mat-khau-9", "moi-mat-khau-9"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, e.ID)
	if err != nil || got.Citizen.FullName != "Nguyễn Văn An" || !bytes.Equal(got.Portrait.JPEG, e.Portrait.JPEG) {
		t.Fatalf("after recovery: %+v, %v", got, err)
	}
	s.Lock()
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); !errors.Is(err, enroll.ErrBadLogin) {
		t.Errorf("old password after recovery: %v", err)
	}
	if _, err := s.Authenticate(ctx, "lan.nt", "moi-mat-khau-9"); err != nil {
		t.Errorf("new password after recovery: %v", err)
	}
	if res, err := s.Search(ctx, "nguyen van an", 10); err != nil || len(res) != 1 {
		t.Errorf("search after recovery: %v %v", res, err)
	}
	assertActions(t, s, enroll.ActionRecovery, 2) // the wrong key and the right one
}

func assertActions(t *testing.T, s *Store, action string, want int) {
	t.Helper()
	trail, err := s.AuditTrail(context.Background(), enroll.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range trail {
		if e.Action == action {
			n++
		}
	}
	if n != want {
		t.Errorf("%d %s entries in the trail, want %d", n, action, want)
	}
	if _, err := s.VerifyAudit(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestPasswordChangeRewrapsOnlyThatSlot(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return clock }))
	if _, err := s.CreateOfficer(ctx, "lan.nt", enroll.OfficerForm{Username: "hung.lv", FullName: "Lê Văn Hùng",
		Role: enroll.RoleOfficer, Password: "hung-2026-pw", Confirm: "hung-2026-pw"}); err != nil {
		t.Fatal(err)
	}
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	before := rawRows(t, s, `SELECT name || ':' || hex(wrapped) || hex(salt) FROM key_slots
		UNION ALL SELECT hex(summary) FROM enrollments UNION ALL SELECT hex(data) FROM documents UNION ALL SELECT hex(data) FROM images`)

	clock = clock.Add(time.Hour)
	if err := s.ChangePassword(ctx, "hung.lv", "wrong-pw-123", "hung-new-pw-7", "hung-new-pw-7"); !errors.Is(err, enroll.ErrBadLogin) {
		t.Fatalf("change with a wrong current password: %v", err)
	}
	err := s.ChangePassword(ctx, "hung.lv", "hung-2026-pw", "short7", "short7")
	if fe, ok := enroll.AsFieldError(err); !ok || fe.Code != enroll.CodePasswordShort {
		t.Fatalf("weak new password: %v", err)
	}
	if err := s.ChangePassword(ctx, "hung.lv", "hung-2026-pw", "hung-new-pw-7", "hung-new-pw-7"); err != nil {
		t.Fatal(err)
	}
	after := rawRows(t, s, `SELECT name || ':' || hex(wrapped) || hex(salt) FROM key_slots
		UNION ALL SELECT hex(summary) FROM enrollments UNION ALL SELECT hex(data) FROM documents UNION ALL SELECT hex(data) FROM images`)
	changed := 0
	for v := range after {
		if !before[v] {
			changed++
			if !strings.HasPrefix(v, "officer:hung.lv:") {
				t.Errorf("changed besides hung.lv's slot: %.40s…", v)
			}
		}
	}
	if changed != 1 || len(after) != len(before) {
		t.Errorf("%d values changed (want 1: the slot), %d → %d values", changed, len(before), len(after))
	}
	s.Lock()
	if _, err := s.Authenticate(ctx, "hung.lv", "hung-2026-pw"); !errors.Is(err, enroll.ErrBadLogin) {
		t.Errorf("old password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "hung.lv", "hung-new-pw-7"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if got, err := s.Get(ctx, e.ID); err != nil || got.Citizen.PersonalID != "001087012345" {
		t.Errorf("data after the change: %v", err)
	}
	trail, _ := s.AuditTrail(ctx, enroll.AuditFilter{Limit: 100})
	for _, a := range trail {
		if a.Action == enroll.ActionPasswordChange && (a.Officer != "hung.lv" || !a.At.Equal(clock)) {
			t.Errorf("password change audited as %+v", a)
		}
	}
	assertActions(t, s, enroll.ActionPasswordChange, 1)
}

func rawRows(t *testing.T, s *Store, q string) map[string]bool {
	t.Helper()
	rows, err := s.db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out[v] = true
	}
	return out
}

func TestSupervisorManagesOfficers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	form := func(user, pw string, role enroll.Role) enroll.OfficerForm {
		return enroll.OfficerForm{Username: user, FullName: "Trần Thị Mai", Role: role, Password: pw, Confirm: pw}
	}
	if _, err := s.CreateOfficer(ctx, "lan.nt", form("mai.tt", "mai-pass-2026", enroll.RoleOfficer)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOfficer(ctx, "mai.tt", form("khac.tt", "khac-pass-2026", enroll.RoleOfficer)); !errors.Is(err, enroll.ErrNotSupervisor) {
		t.Errorf("an officer created an account: %v", err)
	}
	if err := s.SetDisabled(ctx, "lan.nt", "lan.nt", true); !errors.Is(err, enroll.ErrSelfDisable) {
		t.Errorf("supervisor disabled themselves: %v", err)
	}
	if _, err := s.CreateOfficer(ctx, "lan.nt", form("son.pv", "son-pass-2026", enroll.RoleSupervisor)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "son.pv", "lan.nt", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "lan.nt", "son.pv", true); !errors.Is(err, enroll.ErrNotSupervisor) {
		t.Errorf("a disabled supervisor acted: %v", err)
	}
	if err := s.SetDisabled(ctx, "son.pv", "lan.nt", false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "lan.nt", "mai.tt", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "mai.tt", "mai-pass-2026"); !errors.Is(err, enroll.ErrDisabled) {
		t.Errorf("disabled officer logged in: %v", err)
	}
	if err := s.SetDisabled(ctx, "lan.nt", "mai.tt", false); err != nil {
		t.Fatal(err)
	}
	// A reset: the officer logs in with the supervisor's password and must choose their own.
	if err := s.ResetPassword(ctx, "lan.nt", "mai.tt", "tam-thoi-2026", "tam-thoi-2026"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	o, err := s.Authenticate(ctx, "mai.tt", "tam-thoi-2026")
	if err != nil || !o.MustChange {
		t.Fatalf("after reset: %+v %v", o, err)
	}
	if err := s.ChangePassword(ctx, "mai.tt", "tam-thoi-2026", "mai-rieng-2026", "mai-rieng-2026"); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Authenticate(ctx, "mai.tt", "mai-rieng-2026"); err != nil || o.MustChange {
		t.Errorf("after the change: %+v %v", o, err)
	}
	list, err := s.Officers(ctx)
	if err != nil || len(list) != 3 || list[0].Role != enroll.RoleSupervisor {
		t.Errorf("officers: %+v %v", list, err)
	}
	assertActions(t, s, enroll.ActionOfficerCreate, 2)
	assertActions(t, s, enroll.ActionOfficerDisable, 2)
	assertActions(t, s, enroll.ActionOfficerEnable, 2)
	assertActions(t, s, enroll.ActionOfficerReset, 1)
}

func TestSealedValuesAreBoundToTheirRecord(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a, b := completeRecord(t, "Nguyễn Văn An", "001087012345"), completeRecord(t, "Trần Văn Anh", "036087000002")
	for _, e := range []*enroll.Enrollment{a, b} {
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Someone with the file copies b's sealed document over a's.
	if _, err := s.db.Exec(`UPDATE documents SET data = (SELECT data FROM documents WHERE enrollment_id = ?) WHERE enrollment_id = ?`,
		b.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	// The row seal refuses the record first; under it, the document itself does not open in
	// another record (as when a row is sealed again over the moved document).
	if _, err := s.Get(ctx, a.ID); !errors.Is(err, enroll.ErrRecordTampered) {
		t.Errorf("moved document opened: %v", err)
	}
	resealForTest(t, s, a.ID)
	if _, err := s.Get(ctx, a.ID); err == nil || !strings.Contains(err.Error(), "sealed for another record") {
		t.Errorf("moved document opened: %v", err)
	}
	if got, err := s.Get(ctx, b.ID); err != nil || got.Citizen.FullName != "Trần Văn Anh" {
		t.Errorf("untouched record: %v", err)
	}
}

func TestRecoveryKeyText(t *testing.T) {
	rk, err := newRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	text := rk.String()
	if len(text) != 52+12 || strings.Count(text, "-") != 12 {
		t.Errorf("recovery key text %q", text)
	}
	for _, bad := range []string{"", "ABCD", text + "A", strings.Replace(text, text[:1], "1", 1)} {
		if _, err := ParseRecoveryKey(bad); err == nil || !strings.HasPrefix(err.Error(), "recovery key: ") {
			t.Errorf("parse %q: %v", bad, err)
		}
	}
}

func FuzzParseRecoveryKey(f *testing.F) {
	f.Add("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-IIII-JJJJ-KKKK-LLLL-MMMM")
	f.Add("aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm")
	f.Add("0000-1111")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseRecoveryKey(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "recovery key: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		again, err := ParseRecoveryKey(k.String())
		if err != nil || again != k {
			t.Fatalf("%q parsed, but its own text %q does not: %v", s, k.String(), err)
		}
	})
}

// TestPlainPreReleaseDatabaseIsRefused: a database set up before encryption existed is not
// migrated (its records would be dropped or left in the clear); Open says so and changes
// nothing.
func TestPlainPreReleaseDatabaseIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for v, name := range []string{"0001_initial.sql", "0002_audit.sql", "0003_lockout.sql"} {
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatal(name, err)
		}
		raw.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, v+1)
	}
	if _, err := raw.Exec(`INSERT INTO officers (username, full_name, role, password_hash, created_at)
		VALUES ('lan.nt', 'Nguyễn Thị Lan', 'supervisor', 'x', 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := Open(context.Background(), path); !errors.Is(err, ErrPlainDatabase) {
		t.Fatalf("open a plain pre-release database: %v", err)
	}
	raw, _ = sql.Open("sqlite3", path)
	defer raw.Close()
	var officers, version int
	raw.QueryRow(`SELECT count(*) FROM officers`).Scan(&officers)
	raw.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&version)
	if officers != 1 || version != 3 {
		t.Errorf("the refused database was changed: %d officers, schema version %d", officers, version)
	}
}
