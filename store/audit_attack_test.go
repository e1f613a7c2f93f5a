package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
)

// The attacks of issue 16 on the audit trail, each against a real database file: the station
// writes some history and closes; the attacker opens the file with the sqlite3 driver (as with
// the sqlite3 tool: the triggers dropped, the unkeyed chain and audit_head recomputed where
// that helps them); the station opens the file again and verifies, first without a key (what
// `station audit verify` sees before a password) and then logged in.

const (
	auditUser = "lan.nt"
	auditPass = "matkhau2026"
)

// auditStation sets up a station in dir with some history: set-up, a login, a record, views,
// a session lock and an entry written while locked. It closes the store and returns the path.
func auditStation(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "station.db")
	s := reopenStation(t, path)
	if _, err := s.Init(context.Background(), testSetup()); err != nil {
		t.Fatal(err)
	}
	auditWork(t, s)
	s.Close()
	return path
}

// auditWork is an officer's session: log in, save a record, look at it, lock, and one entry
// while locked.
func auditWork(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Authenticate(ctx, auditUser, auditPass); err != nil {
		t.Fatal(err)
	}
	e := completeRecord(t, "Lê Thị Hoa", "001187012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Audit(ctx, auditUser, enroll.ActionRecordView, e.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	s.Lock()
	if err := s.Audit(ctx, auditUser, enroll.ActionSessionLock, "", "idle"); err != nil {
		t.Fatal(err)
	}
}

func reopenStation(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// attacker opens the file behind the station's back, drops the append-only triggers and runs
// stmts; rechain then recomputes the unkeyed chain and audit_head, as the hash is public.
func tamperFile(t *testing.T, path string, rechain bool, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append([]string{`DROP TRIGGER IF EXISTS audit_no_update`, `DROP TRIGGER IF EXISTS audit_no_delete`}, stmts...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if rechain {
		recomputeChain(t, db)
	}
}

func recomputeChain(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`SELECT seq, at, officer, action, record_id, detail FROM audit ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		seq, at                         int64
		officer, action, record, detail string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.at, &r.officer, &r.action, &r.record, &r.detail); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	rows.Close()
	prev := make([]byte, sha256.Size)
	for _, r := range all {
		h := entryHash(prev, r.seq, r.at, r.officer, r.action, r.record, r.detail)
		if _, err := db.Exec(`UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?`, prev, h, r.seq); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
	if len(all) > 0 {
		last := all[len(all)-1].seq
		if _, err := db.Exec(`UPDATE settings SET value = ? WHERE key = 'audit_head'`, fmt.Sprintf("%d:%x", last, prev)); err != nil {
			t.Fatal(err)
		}
	}
}

// fileNumber reads one number straight from the file.
func fileNumber(t *testing.T, path, query string, args ...any) int64 {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return n
}

// lastSeq is the trail's length.
func lastEntry(t *testing.T, path string) int64 {
	return fileNumber(t, path, `SELECT coalesce(max(seq), 0) FROM audit`)
}

// seqOf finds the first entry with action (and kind, when given).
func entryOf(t *testing.T, path, action, kind string) int64 {
	return fileNumber(t, path, `SELECT seq FROM audit WHERE (? = '' OR action = ?) AND (? = '' OR mac_kind = ?) ORDER BY seq LIMIT 1`,
		action, action, kind, kind)
}

// check runs verify and requires a break of fault at seq (seq < 0: any entry) among what it
// reports, and that the report says whether the MACs were checked.
func verifyWants(t *testing.T, s *Store, keyed bool, fault AuditFault, seq int64) *AuditReport {
	t.Helper()
	r, err := s.CheckAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Keyed != keyed {
		t.Errorf("keyed = %v, want %v", r.Keyed, keyed)
	}
	for _, b := range r.Breaks {
		if b.Fault == fault && (seq < 0 || b.Seq == seq) {
			return r
		}
	}
	t.Errorf("keyed=%v: want a %q break at entry %d, got %s", keyed, fault, seq, breakList(r))
	return r
}

func breakList(r *AuditReport) string {
	var out []string
	for _, b := range r.Breaks {
		out = append(out, fmt.Sprintf("[%s] %v", b.Fault, b))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

func logIn(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.Authenticate(context.Background(), auditUser, auditPass); err != nil {
		t.Fatal(err)
	}
}

// loginAlarm logs in and requires the login to have recorded, as an alarm entry, damage
// described with want.
func logInAlarm(t *testing.T, s *Store, want string) *AuditReport {
	t.Helper()
	logIn(t, s)
	r := verifyWants(t, s, true, FaultAlarm, -1)
	if !strings.Contains(breakList(r), want) {
		t.Errorf("the login's alarm does not say %q: %s", want, breakList(r))
	}
	return r
}

// forgeAfter is the statement that appends a forged entry after entry n, chained to it; with
// a MAC (and its kind) lifted from entry n, or with none, as a key-less process writes.
func forgeAfter(n int64, withMAC bool) string {
	cols, vals := "", ""
	if withMAC {
		cols, vals = ", mac, mac_kind, mac_key, anchored", ", mac, mac_kind, mac_key, anchored"
	}
	return fmt.Sprintf(`INSERT INTO audit (seq, at, officer, action, record_id, detail, prev_hash, hash%s)
		SELECT seq + 1, at + 1000, 'hung.lv', 'purge', '', '', hash, hash%s FROM audit WHERE seq = %d`, cols, vals, n)
}

func TestAuditAttackTriggersDropped(t *testing.T) {
	path := auditStation(t)
	tamperFile(t, path, false)
	s := reopenStation(t, path)
	verifyWants(t, s, false, FaultGuards, 0)
	logIn(t, s)
	verifyWants(t, s, true, FaultGuards, 0)
}

// A forged entry appended with a MAC lifted from a real one: without the key it looks like any
// other; with it, its MAC does not hold.
func TestAuditAttackForgedEntryWithMAC(t *testing.T) {
	path := auditStation(t)
	n := lastEntry(t, path)
	tamperFile(t, path, true, forgeAfter(n, true))
	s := reopenStation(t, path)
	// Before a login: the MAC is beyond the head file, so it can only be forged.
	r := logInAlarm(t, s, fmt.Sprintf("entry %d carries a MAC this station did not make: forged", n+1))
	if !hasBreakAt(r, n+1, FaultForged, FaultRewritten) {
		t.Errorf("verify does not name entry %d: %s", n+1, breakList(r))
	}
}

// A forged entry with a MAC appended while a supervisor is logged in: the administration
// screen's check (VerifyAudit, keyed) names it forged, as it lies beyond the head file.
func TestAuditAttackForgedEntryWhileLoggedIn(t *testing.T) {
	path := auditStation(t)
	s := reopenStation(t, path)
	logIn(t, s)
	n := lastEntry(t, path)
	tamperFile(t, path, true, forgeAfter(n, true))
	verifyWants(t, s, true, FaultForged, n+1)
	_, err := s.VerifyAudit(context.Background())
	var br *AuditBreak
	if !errors.As(err, &br) || br.Seq != n+1 || br.Fault != FaultForged {
		t.Errorf("VerifyAudit: %v", err)
	}
}

func hasBreakAt(r *AuditReport, seq int64, faults ...AuditFault) bool {
	for _, b := range r.Breaks {
		if b.Seq == seq && slices.Contains(faults, b.Fault) {
			return true
		}
	}
	return false
}

// A forged entry appended without a MAC, as a station process nobody had logged in to would
// write it: no key tells the two apart, so verify never calls it authentic. Before a login it is
// waiting to be countersigned; the login countersigns it as found (not its own), and verify
// lists it for a supervisor.
func TestAuditAttackForgedEntryWithoutMAC(t *testing.T) {
	path := auditStation(t)
	n := lastEntry(t, path)
	tamperFile(t, path, true, forgeAfter(n, false))
	s := reopenStation(t, path)
	r, err := s.CheckAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Unsigned != 1 || r.FirstUnsigned != n+1 {
		t.Errorf("before a login: %d unsigned from %d, want the forged entry %d", r.Unsigned, r.FirstUnsigned, n+1)
	}
	logIn(t, s)
	r, err = s.CheckAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.FoundSeqs, []int64{n + 1}) || r.Found != 1 {
		t.Errorf("after a login: found %v, want the forged entry %d named", r.FoundSeqs, n+1)
	}
	if r.Own != 2 { // set-up, and the login: written before their process had a key
		t.Errorf("own %d, want 2 (the login's own entry is not found)", r.Own)
	}
}

func TestAuditAttackEntryRewritten(t *testing.T) {
	for _, kind := range []string{macLive, macLocked, macOwn} {
		t.Run(kind, func(t *testing.T) {
			path := auditStation(t)
			seq := entryOf(t, path, "", kind)
			if kind == macLive {
				seq = entryOf(t, path, enroll.ActionRecordView, kind)
			}
			tamperFile(t, path, true, fmt.Sprintf(`UPDATE audit SET officer = 'hung.lv', detail = 'x' WHERE seq = %d`, seq))
			s := reopenStation(t, path)
			// The chain and audit_head were recomputed: without the key nothing shows.
			if r, err := s.CheckAudit(context.Background()); err != nil || hasFault(r, FaultAltered, FaultRewritten) {
				t.Errorf("without the key: %v %s", err, breakList(r))
			}
			logIn(t, s)
			verifyWants(t, s, true, FaultRewritten, seq)
		})
	}
}

func hasFault(r *AuditReport, faults ...AuditFault) bool {
	for _, b := range r.Breaks {
		if slices.Contains(faults, b.Fault) {
			return true
		}
	}
	return false
}

// An entry edited without recomputing anything is named even without the key.
func TestAuditAttackEntryEditedNaively(t *testing.T) {
	path := auditStation(t)
	seq := entryOf(t, path, enroll.ActionRecordView, "")
	tamperFile(t, path, false, fmt.Sprintf(`UPDATE audit SET detail = 'x' WHERE seq = %d`, seq))
	s := reopenStation(t, path)
	verifyWants(t, s, false, FaultAltered, seq)
}

func TestAuditAttackEntryDeleted(t *testing.T) {
	t.Run("gap", func(t *testing.T) {
		path := auditStation(t)
		seq := entryOf(t, path, enroll.ActionRecordView, "")
		tamperFile(t, path, false, fmt.Sprintf(`DELETE FROM audit WHERE seq = %d`, seq))
		s := reopenStation(t, path)
		verifyWants(t, s, false, FaultMissing, seq)
		logIn(t, s)
		verifyWants(t, s, true, FaultMissing, seq)
	})
	t.Run("renumbered and rechained", func(t *testing.T) {
		path := auditStation(t)
		seq := entryOf(t, path, enroll.ActionRecordView, "")
		n := lastEntry(t, path)
		tamperFile(t, path, true, fmt.Sprintf(`DELETE FROM audit WHERE seq = %d`, seq),
			fmt.Sprintf(`UPDATE audit SET seq = seq - 1 WHERE seq > %d`, seq))
		s := reopenStation(t, path)
		// One entry fewer than the head file names: shown even without the key.
		verifyWants(t, s, false, FaultRolledBack, n)
		logIn(t, s)
		verifyWants(t, s, true, FaultRewritten, seq)
	})
}

func TestAuditAttackTrailDeleted(t *testing.T) {
	path := auditStation(t)
	tamperFile(t, path, false, `DELETE FROM audit`, `DELETE FROM settings WHERE key = 'audit_head'`)
	s := reopenStation(t, path)
	verifyWants(t, s, false, FaultDeleted, 1)
	verifyWants(t, s, false, FaultRolledBack, 1)
	// The login recorded that the database was far behind its head file before it wrote
	// the head file anew.
	logInAlarm(t, s, "rolled back or cut short")
}

func TestAuditAttackTailTruncated(t *testing.T) {
	t.Run("audit_head left", func(t *testing.T) {
		path := auditStation(t)
		n := lastEntry(t, path)
		tamperFile(t, path, false, fmt.Sprintf(`DELETE FROM audit WHERE seq > %d`, n-2))
		s := reopenStation(t, path)
		verifyWants(t, s, false, FaultTruncated, n-1)
	})
	t.Run("audit_head rewritten", func(t *testing.T) {
		path := auditStation(t)
		n := lastEntry(t, path)
		tamperFile(t, path, true, fmt.Sprintf(`DELETE FROM audit WHERE seq > %d`, n-2))
		s := reopenStation(t, path)
		r := verifyWants(t, s, false, FaultRolledBack, n-1)
		if !strings.Contains(breakList(r), fmt.Sprintf("reached entry %d, the database ends at %d", n, n-2)) {
			t.Errorf("the cut is not named: %s", breakList(r))
		}
		logInAlarm(t, s, fmt.Sprintf("the audit head file says the trail reached entry %d", n))
	})
}

// The whole file put back to an older copy: the database is consistent in itself, only the
// head file beside it shows that history went missing, and the login records it so that
// the evidence outlives the head file's next update.
func TestAuditAttackFileRolledBack(t *testing.T) {
	path := auditStation(t)
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := lastEntry(t, path)
	s := reopenStation(t, path)
	auditWork(t, s)
	s.Close()
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	s = reopenStation(t, path)
	// A failed login meanwhile writes past the head file's entry without a MAC.
	s.Authenticate(context.Background(), auditUser, "wrong-password")
	verifyWants(t, s, false, FaultRolledBack, -1)
	logInAlarm(t, s, "rolled back")
	if lastEntry(t, path) <= n {
		t.Fatal("no entries after the rollback")
	}
	// The alarm stays in the trail after the head file has moved on.
	if err := s.Audit(context.Background(), auditUser, enroll.ActionRecordView, "", ""); err != nil {
		t.Fatal(err)
	}
	verifyWants(t, s, true, FaultAlarm, -1)
}

func TestAuditAttackHeadFileDeleted(t *testing.T) {
	path := auditStation(t)
	if err := os.Remove(path + ".audit-head"); err != nil {
		t.Fatal(err)
	}
	s := reopenStation(t, path)
	verifyWants(t, s, false, FaultHeadFile, 0)
	logInAlarm(t, s, "head file beside the database is missing")
}

func TestAuditAttackHeadFileReplacedWithOlder(t *testing.T) {
	path := auditStation(t)
	old, err := os.ReadFile(path + ".audit-head")
	if err != nil {
		t.Fatal(err)
	}
	s := reopenStation(t, path)
	auditWork(t, s)
	s.Close()
	if err := os.WriteFile(path+".audit-head", old, 0o600); err != nil {
		t.Fatal(err)
	}
	s = reopenStation(t, path)
	r := verifyWants(t, s, false, FaultHeadFile, 0)
	if !strings.Contains(breakList(r), "older copy") {
		t.Errorf("not named as an older copy: %s", breakList(r))
	}
	logInAlarm(t, s, "put back to an older copy")
}

// A head file written to match a rolled-back database: the numbers agree, the tag does not.
func TestAuditAttackHeadFileForged(t *testing.T) {
	path := auditStation(t)
	n := lastEntry(t, path)
	tamperFile(t, path, true, fmt.Sprintf(`DELETE FROM audit WHERE seq > %d`, n-2))
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	var h headFile
	if err := db.QueryRow(`SELECT seq, mac FROM audit WHERE mac IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&h.Seq, &h.MAC); err != nil {
		t.Fatal(err)
	}
	db.Close()
	h.Tag = make([]byte, sha256.Size)
	if err := os.WriteFile(path+".audit-head", h.encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := reopenStation(t, path)
	if r, _ := s.CheckAudit(context.Background()); hasFault(r, FaultHeadFile, FaultRolledBack) {
		t.Errorf("without the key the forged numbers agree: %s", breakList(r))
	}
	logInAlarm(t, s, "not tagged by this station's audit key")
}

// Entries written while locked are authenticated: in a process that had a login, under the
// locked-session key at once; in one that had none, by its next login, as its own. An entry
// another key-less process wrote is countersigned too, as found.
func TestAuditLockedEntriesAuthenticatedAtNextLogin(t *testing.T) {
	ctx := context.Background()
	path := auditStation(t) // its last entry was written while locked
	s := reopenStation(t, path)
	s.Authenticate(ctx, auditUser, "wrong-password")
	s.Audit(ctx, auditSystem, enroll.ActionBatchUpload, "", "batch x")
	other := reopenStation(t, path) // e.g. station sync without --user, at the same time
	other.Audit(ctx, auditSystem, enroll.ActionBatchUpload, "", "batch y")
	other.Close()
	r, err := s.CheckAudit(ctx)
	if err != nil || len(r.Breaks) > 0 || r.Unsigned != 3 || r.Locked != 1 {
		t.Fatalf("before the login: %v %s, %d unsigned, %d locked; want 3 waiting, 1 locked", err, breakList(r), r.Unsigned, r.Locked)
	}
	logIn(t, s)
	s.Lock()
	s.Audit(ctx, auditUser, enroll.ActionSessionLock, "", "idle")
	logIn(t, s)
	r, err = s.CheckAudit(ctx)
	if err != nil || len(r.Breaks) > 0 {
		t.Fatalf("%v %s", err, breakList(r))
	}
	// own: set-up, then this process's failed login, upload and first login; locked: the two
	// session locks and the login after the second (written before it unlocked); found: the
	// other process's upload.
	if !r.Keyed || r.Unsigned != 0 || r.Locked != 3 || r.Own != 4 || r.Found != 1 || r.FoundSeqs[0] != entryOf(t, path, enroll.ActionBatchUpload, macFound) {
		t.Errorf("report %+v", r)
	}
	var kind string
	if err := s.db.QueryRow(`SELECT mac_kind FROM audit WHERE detail = 'batch y'`).Scan(&kind); err != nil || kind != macFound {
		t.Errorf("other process's entry: %q %v", kind, err)
	}
}

// An entry this process wrote without a key, changed in the file before its login could
// countersign it: the login records it.
func TestAuditAttackOwnEntryChangedBeforeCountersign(t *testing.T) {
	ctx := context.Background()
	path := auditStation(t)
	s := reopenStation(t, path)
	s.Audit(ctx, auditSystem, enroll.ActionBatchUpload, "", "batch x")
	seq := lastEntry(t, path)
	tamperFile(t, path, true, fmt.Sprintf(`UPDATE audit SET detail = 'batch z' WHERE seq = %d`, seq))
	logInAlarm(t, s, fmt.Sprintf("entry %d, written by this station while nobody was logged in, was changed", seq))
}

// downgrade makes a keyed database look like one from before this scheme: schema, key and
// MACs gone, the old trigger back.
func unkeyAudit(t *testing.T, path string) {
	t.Helper()
	tamperFile(t, path, false,
		`DROP INDEX audit_unsigned`, `DROP TABLE audit_key`,
		`ALTER TABLE audit DROP COLUMN mac`, `ALTER TABLE audit DROP COLUMN mac_kind`,
		`ALTER TABLE audit DROP COLUMN mac_key`, `ALTER TABLE audit DROP COLUMN anchored`,
		`DELETE FROM schema_migrations WHERE version = 8`,
		`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END`,
		`CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END`)
}

// A trail from before the upgrade is countersigned at the first login after it, as old: only
// as good as the unkeyed chain was, and verify says how many entries that is.
func TestAuditUpgradeCountersignsOldEntries(t *testing.T) {
	path := auditStation(t)
	n := lastEntry(t, path)
	unkeyAudit(t, path)
	os.Remove(path + ".audit-head") // the old build never wrote one
	s := reopenStation(t, path)
	r, err := s.CheckAudit(context.Background())
	if err != nil || len(r.Breaks) > 0 || r.Unsigned != n {
		t.Fatalf("upgraded, before a login: %v %s, %d unsigned", err, breakList(r), r.Unsigned)
	}
	logIn(t, s)
	r, err = s.CheckAudit(context.Background())
	if err != nil || len(r.Breaks) > 0 || r.Old != n || r.Own != 1 || r.Unsigned != 0 {
		t.Fatalf("after the first login: %v %s %+v", err, breakList(r), r)
	}
}

// The same done by an attacker who leaves the head file: the login finds a head file but no
// audit key.
func TestAuditAttackDowngrade(t *testing.T) {
	path := auditStation(t)
	unkeyAudit(t, path)
	s := reopenStation(t, path)
	verifyWants(t, s, false, FaultHeadFile, 0)
	logInAlarm(t, s, "exists but the database has no audit key")
}

// A data key rotation re-seals the audit key with the station's other sealed values: the
// trail stays verifiable, and new entries are authenticated under the same audit key.
func TestAuditSurvivesKeyRotation(t *testing.T) {
	ctx := context.Background()
	path := auditStation(t)
	s := reopenStation(t, path)
	logIn(t, s)
	if _, err := s.Rekey(ctx, auditUser, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, auditUser, enroll.ActionRecordView, "", "after the rotation"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	logIn(t, s)
	r, err := s.CheckAudit(ctx)
	if err != nil || len(r.Breaks) > 0 || !r.Keyed || r.Unsigned != 0 {
		t.Fatalf("after a rotation: %v %s %+v", err, breakList(r), r)
	}
}

// Not an attack: a station set up again at the path of an old one finds that one's head file,
// which belongs to no trail of the new database and is simply replaced.
func TestAuditNewStationAtAnOldPath(t *testing.T) {
	path := auditStation(t)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
	s := reopenStation(t, path)
	if _, err := s.Init(context.Background(), testSetup()); err != nil {
		t.Fatal(err)
	}
	auditWork(t, s)
	logIn(t, s)
	if r, err := s.CheckAudit(context.Background()); err != nil || len(r.Breaks) > 0 {
		t.Fatalf("%v %s", err, breakList(r))
	}
}
