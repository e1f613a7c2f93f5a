package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// Attacks on the officers' rows and slots, made as someone with the file and the sqlite3 tool
// would: through a connection of their own, with the station's guards dropped where they are
// in the way.

func attacker(t *testing.T, s *Store) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", s.path)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1) // its temporary tables live on one connection
	t.Cleanup(func() { raw.Close() })
	return raw
}

func attack(t *testing.T, raw *sql.DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// dropGuards removes migration 0009's triggers, as an attacker in the way of them would.
func dropGuards(t *testing.T, raw *sql.DB) {
	t.Helper()
	rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE 'audit%'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		attack(t, raw, `DROP TRIGGER `+n)
	}
}

const (
	maiPassword  = "mai-pass-2026"
	hungPassword = "hung-pass-2026"
)

// stationWithOfficers is a station with supervisor lan.nt (logged in), officer mai.tt and
// supervisor hung.lv.
func stationWithOfficers(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s := openTest(t, opts...)
	ctx := context.Background()
	for _, f := range []enroll.OfficerForm{
		{Username: "mai.tt", FullName: "Trần Thị Mai", Role: enroll.RoleOfficer, Password: maiPassword, Confirm: maiPassword},
		{Username: "hung.lv", FullName: "Lê Văn Hùng", Role: enroll.RoleSupervisor, Password: hungPassword, Confirm: hungPassword},
	} {
		if _, err := s.CreateOfficer(ctx, "lan.nt", f); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func wantTampered(t *testing.T, err error, user, what string) {
	t.Helper()
	var te *enroll.OfficerTampered
	if !errors.As(err, &te) || te.Username != user || te.What != what || !errors.Is(err, enroll.ErrOfficerTampered) {
		t.Fatalf("got %v, want officer %q tampered (%s)", err, user, what)
	}
	want := (&enroll.OfficerTampered{Username: user, What: what}).Error()
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q does not say %q", err, want)
	}
}

// TestRoleEditedInTheFileIsRefused: `UPDATE officers SET role='supervisor'` neither logs the
// officer in as a supervisor nor lets their session act as one.
func TestRoleEditedInTheFileIsRefused(t *testing.T) {
	ctx := context.Background()
	s := stationWithOfficers(t)
	raw := attacker(t, s)
	s.Lock()
	if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); err != nil {
		t.Fatal(err)
	}
	attack(t, raw, `UPDATE officers SET role = 'supervisor' WHERE username = 'mai.tt'`)

	// In the session she already has: a supervisor's work is refused by name.
	_, err := s.CreateOfficer(ctx, "mai.tt", enroll.OfficerForm{Username: "ghost", FullName: "Ma Văn Quỷ", Role: enroll.RoleSupervisor,
		Password: "ghost-pass-2026", Confirm: "ghost-pass-2026"})
	wantTampered(t, err, "mai.tt", enroll.TamperRole)
	wantTampered(t, s.ResetPassword(ctx, "mai.tt", "lan.nt", "chiem-quyen-1", "chiem-quyen-1"), "mai.tt", enroll.TamperRole)
	wantTampered(t, s.SetDisabled(ctx, "mai.tt", "lan.nt", true), "mai.tt", enroll.TamperRole)
	_, err = s.Rekey(ctx, "mai.tt", nil)
	wantTampered(t, err, "mai.tt", enroll.TamperRole)

	// At her next login.
	s.Lock()
	_, err = s.Authenticate(ctx, "mai.tt", maiPassword)
	wantTampered(t, err, "mai.tt", enroll.TamperRole)
	if got := err.Error(); got != "log in mai.tt: officer mai.tt: the role in the database was changed outside the station" {
		t.Errorf("message %q", got)
	}
	if s.Unlocked() {
		t.Error("the refused login unlocked the store")
	}
	// A supervisor sees it in the list of accounts, and nothing else.
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	found, err := s.VerifyOfficers(ctx)
	if err != nil || len(found) != 1 || found[0].Username != "mai.tt" || found[0].What != enroll.TamperRole {
		t.Errorf("verify: %v %v", found, err)
	}
	assertActions(t, s, enroll.ActionOfficerCreate, 2) // the ghost was never created
}

// TestEveryAttestedColumnIsNamed: an edit of each clear column, an added or deleted row, a
// slot swapped, and the roster deleted are each found and named.
func TestEveryAttestedColumnIsNamed(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, user, what string
		edit             []string
	}{
		{"name", "mai.tt", enroll.TamperFullName, []string{`UPDATE officers SET full_name = 'Trần Thị Mây' WHERE username = 'mai.tt'`}},
		{"created", "mai.tt", enroll.TamperCreated, []string{`UPDATE officers SET created_at = created_at - 86400000 WHERE username = 'mai.tt'`}},
		{"must change", "mai.tt", enroll.TamperMustChange, []string{`UPDATE officers SET must_change = 1 - must_change WHERE username = 'mai.tt'`}},
		{"added", "ghost", enroll.TamperUnknown, []string{`INSERT INTO officers (username, full_name, role, created_at) VALUES ('ghost', 'Ma', 'supervisor', 0)`}},
		{"deleted", "hung.lv", enroll.TamperMissing, []string{`DELETE FROM key_slots WHERE name = 'officer:hung.lv'`, `DELETE FROM officers WHERE username = 'hung.lv'`}},
		// Hùng's slot (his password's) under Mai's name would open nothing (each slot's
		// secrets are bound to its name); the roster names it before anything is tried.
		{"slot swapped", "mai.tt", enroll.TamperSlot, []string{`UPDATE key_slots SET public = (SELECT public FROM key_slots WHERE name = 'officer:hung.lv')
			WHERE name = 'officer:mai.tt'`}},
		{"roster deleted", "", enroll.TamperRoster, []string{`DELETE FROM officer_roster`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := stationWithOfficers(t)
			raw := attacker(t, s)
			attack(t, raw, c.edit...)
			if c.what != enroll.TamperRoster {
				found, err := s.VerifyOfficers(ctx)
				if err != nil || len(found) != 1 || found[0].Username != c.user || found[0].What != c.what {
					t.Fatalf("verify: %v %v", found, err)
				}
			}
			if c.user != "mai.tt" && c.what != enroll.TamperRoster {
				return
			}
			s.Lock()
			_, err := s.Authenticate(ctx, "mai.tt", maiPassword)
			if c.what == enroll.TamperSlot {
				// Her own private key no longer matches the public key on record.
				wantTampered(t, err, "mai.tt", enroll.TamperSlot)
				return
			}
			wantTampered(t, err, c.user, c.what)
		})
	}
}

// TestSwappedPublicKeyGetsNoNewKey: a public key of the attacker's put into a slot would be
// given the next data key by a rotation; the rotation refuses, naming the slot, and so does it
// for the recovery slot.
func TestSwappedPublicKeyGetsNoNewKey(t *testing.T) {
	ctx := context.Background()
	for _, slot := range []string{"officer:mai.tt", recoverySlot} {
		s := stationWithOfficers(t)
		raw := attacker(t, s)
		_, pub, err := newSlotPair()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`UPDATE key_slots SET public = ? WHERE name = ?`, pub, slot); err != nil {
			t.Fatal(err)
		}
		_, err = s.Rekey(ctx, "lan.nt", nil)
		if slot == recoverySlot {
			wantTampered(t, err, "", enroll.TamperRecoverySlot)
		} else {
			wantTampered(t, err, "mai.tt", enroll.TamperSlot)
		}
		if gen, _ := s.KeyGeneration(ctx); gen != 1 {
			t.Errorf("generation %d after a refused rotation", gen)
		}
	}
}

// snapshotOfficers copies what an attacker would keep to put back later: the accounts, their
// slots and the roster.
func snapshotOfficers(t *testing.T, raw *sql.DB, tag string) {
	t.Helper()
	attack(t, raw, `CREATE TEMP TABLE officers_`+tag+` AS SELECT * FROM officers`,
		`CREATE TEMP TABLE slots_`+tag+` AS SELECT * FROM key_slots`,
		`CREATE TEMP TABLE roster_`+tag+` AS SELECT * FROM officer_roster`)
}

// restoreOfficers puts a snapshot back: the slots and the accounts' state, and the roster
// when asked.
func restoreOfficers(t *testing.T, raw *sql.DB, tag string, roster bool) {
	t.Helper()
	attack(t, raw, `DELETE FROM key_slots`, `INSERT INTO key_slots SELECT * FROM temp.slots_`+tag,
		`UPDATE officers SET disabled = (SELECT disabled FROM temp.officers_`+tag+` o WHERE o.username = officers.username),
			must_change = (SELECT must_change FROM temp.officers_`+tag+` o WHERE o.username = officers.username)`)
	if roster {
		attack(t, raw, `DELETE FROM officer_roster`, `INSERT INTO officer_roster SELECT * FROM temp.roster_`+tag)
	}
}

// TestDisabledOfficerOpensNothing: disabling deletes the slot; the old password opens
// nothing; the slot put back (with the row, and with the roster too) is refused; after a
// rotation, the data key the slot gave opens no record, and everything put back still opens
// nothing.
func TestDisabledOfficerOpensNothing(t *testing.T) {
	ctx := context.Background()
	s := stationWithOfficers(t)
	for _, e := range manyRecords(t, 40) {
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// What Mai could keep: her slot's data key, and a copy of the file's accounts.
	opened, err := s.openOfficerSlot(ctx, "mai.tt", maiPassword)
	if err != nil {
		t.Fatal(err)
	}
	kept := opened.k
	raw := attacker(t, s)
	dropGuards(t, raw)
	snapshotOfficers(t, raw, "kept")

	if err := s.SetDisabled(ctx, "lan.nt", "mai.tt", true); err != nil {
		t.Fatal(err)
	}
	if has, _ := s.HasKeySlot(ctx, "mai.tt"); has {
		t.Fatal("a disabled officer kept a key slot")
	}
	if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); !errors.Is(err, enroll.ErrDisabled) {
		t.Errorf("disabled officer's login: %v", err)
	}
	snapshotOfficers(t, raw, "station")
	// Her row and slot put back: the roster says otherwise.
	restoreOfficers(t, raw, "kept", false)
	_, err = s.Authenticate(ctx, "mai.tt", maiPassword)
	wantTampered(t, err, "mai.tt", enroll.TamperDisabled)
	// The roster put back too: the audit trail has the disabling after it.
	restoreOfficers(t, raw, "kept", true)
	_, err = s.Authenticate(ctx, "mai.tt", maiPassword)
	wantTampered(t, err, "mai.tt", enroll.TamperRollback)

	// The accounts as the station wrote them; a supervisor rotates the key.
	restoreOfficers(t, raw, "station", true)
	if _, err := s.Rekey(ctx, "lan.nt", nil); err != nil {
		t.Fatal(err)
	}
	if n, total := openableValues(t, s, kept); n != 0 || total < 40*3 {
		t.Errorf("the key Mai kept opens %d of %d sealed values after the rotation", n, total)
	}
	// Her old slot, row and roster put back open nothing.
	restoreOfficers(t, raw, "kept", true)
	if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); !errors.Is(err, enroll.ErrOfficerTampered) {
		t.Errorf("login with everything put back after the rotation: %v", err)
	}
}

// openableValues counts the records' sealed values that k opens, and all of them.
func openableValues(t *testing.T, s *Store, k *keys) (n, total int) {
	t.Helper()
	rows, err := s.db.Query(`SELECT id, 'summary', summary FROM enrollments WHERE summary IS NOT NULL
		UNION ALL SELECT enrollment_id, 'document', data FROM documents
		UNION ALL SELECT enrollment_id, 'image:' || kind || ':' || position, data FROM images`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, field string
		var sealed []byte
		if err := rows.Scan(&id, &field, &sealed); err != nil {
			t.Fatal(err)
		}
		total++
		if _, err := k.open(id, field, sealed); err == nil {
			n++
		}
	}
	return n, total
}

// TestReenabledOfficerGetsANewSlotAtReset: enabling gives no slot back; the supervisor's
// reset writes a new one.
func TestReenabledOfficerGetsANewSlotAtReset(t *testing.T) {
	ctx := context.Background()
	s := stationWithOfficers(t)
	if err := s.SetDisabled(ctx, "lan.nt", "mai.tt", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, "lan.nt", "mai.tt", false); err != nil {
		t.Fatal(err)
	}
	if has, _ := s.HasKeySlot(ctx, "mai.tt"); has {
		t.Fatal("enabling gave a slot back")
	}
	if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); !errors.Is(err, enroll.ErrBadLogin) {
		t.Errorf("re-enabled officer with the old password: %v", err)
	}
	if err := s.ResetPassword(ctx, "lan.nt", "mai.tt", "mai-moi-2026", "mai-moi-2026"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	o, err := s.Authenticate(ctx, "mai.tt", "mai-moi-2026")
	if err != nil || !o.MustChange {
		t.Fatalf("after the reset: %+v %v", o, err)
	}
}

// TestParallelWrongPasswordsLockTheAccount: twenty wrong passwords at once against the file
// lock the account (each counts: one statement), and every one is audited.
func TestParallelWrongPasswordsLockTheAccount(t *testing.T) {
	ctx := context.Background()
	s := stationWithOfficers(t, WithLockout(5, 15*time.Minute))
	s.Lock()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = s.Authenticate(ctx, "mai.tt", fmt.Sprintf("sai-mat-khau-%d", i)) })
	}
	wg.Wait()
	locked := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, enroll.ErrLockedOut):
			locked++
		case !errors.Is(err, enroll.ErrBadLogin):
			t.Errorf("wrong password: %v", err)
		}
	}
	if locked == 0 {
		t.Error("no attempt reported the lock-out")
	}
	if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); !errors.Is(err, enroll.ErrLockedOut) {
		t.Errorf("right password after 20 wrong ones in parallel: %v", err)
	}
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	trail, _ := s.AuditTrail(ctx, enroll.AuditFilter{Officer: "mai.tt", Action: enroll.ActionLoginFailed, Limit: 100})
	if len(trail) != 21 { // 20 and the right password refused
		t.Errorf("%d failed logins audited, want 21", len(trail))
	}
}

// TestChangePasswordCountsTowardsLockOut: the change-password dialog's check of the current
// password is a login attempt like any other.
func TestChangePasswordCountsTowardsLockOut(t *testing.T) {
	ctx := context.Background()
	s := stationWithOfficers(t, WithLockout(3, 15*time.Minute))
	for i := 1; i <= 3; i++ {
		err := s.ChangePassword(ctx, "mai.tt", "doan-mo-123", "mai-moi-2026", "mai-moi-2026")
		want := enroll.ErrBadLogin
		if i == 3 {
			want = enroll.ErrLockedOut
		}
		if !errors.Is(err, want) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if err := s.ChangePassword(ctx, "mai.tt", maiPassword, "mai-moi-2026", "mai-moi-2026"); !errors.Is(err, enroll.ErrLockedOut) {
		t.Errorf("change with the right password while locked: %v", err)
	}
	if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); !errors.Is(err, enroll.ErrLockedOut) {
		t.Errorf("login while locked: %v", err)
	}
	trail, _ := s.AuditTrail(ctx, enroll.AuditFilter{Officer: "mai.tt", Limit: 100})
	var failed []string
	for _, e := range trail {
		if e.Action == enroll.ActionLoginFailed {
			failed = append(failed, e.Detail)
		}
	}
	if len(failed) != 5 || failed[2] != "wrong password; locked for 15m0s" {
		t.Errorf("audited: %q", failed)
	}
}

// TestRecoveryCountsTowardsLockOut: wrong recovery keys count against the account they
// name; once locked, even the right key waits.
func TestRecoveryCountsTowardsLockOut(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return clock }), WithLockout(3, 10*time.Minute))
	rk := recoveryKeyOf(t, s)
	s.Lock()
	wrong := rk
	wrong[5] ^= 0x40
	for i := 1; i <= 3; i++ {
		err := s.Recover(ctx, wrong.String(), "lan.nt", "moi-mat-khau-9", "moi-mat-khau-9")
		want := enroll.ErrBadRecoveryKey
		if i == 3 {
			want = enroll.ErrLockedOut
		}
		if !errors.Is(err, want) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if err := s.Recover(ctx, rk.String(), "lan.nt", "moi-mat-khau-9", "moi-mat-khau-9"); !errors.Is(err, enroll.ErrLockedOut) {
		t.Fatalf("right key while locked: %v", err)
	}
	clock = clock.Add(10 * time.Minute)
	if err := s.Recover(ctx, rk.String(), "lan.nt", "moi-mat-khau-9", "moi-mat-khau-9"); err != nil {
		t.Fatal(err)
	}
	assertActions(t, s, enroll.ActionRecovery, 5) // three wrong keys, one while locked, one right
}

// recoveryKeyOf sets a known recovery key on a test station (the one Init made was not kept).
func recoveryKeyOf(t *testing.T, s *Store) RecoveryKey {
	t.Helper()
	rk, _ := newRecoveryKey()
	k, err := s.keys()
	if err != nil {
		t.Fatal(err)
	}
	err = s.inTx(context.Background(), func(tx *sql.Tx) error {
		if err := s.writeRecoverySlot(context.Background(), tx, rk, k); err != nil {
			return err
		}
		return s.writeRoster(context.Background(), tx, k)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rk
}

// TestLockDuringSaveNeverUsesZeroedKeys: the idle lock racing saves (run with -race). A save
// either commits whole, with every search term under the real index key, or fails with the
// station locked; no term is ever computed under a zeroed key, and nothing is half written.
func TestLockDuringSaveNeverUsesZeroedKeys(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	k, _ := s.keys()
	ref, err := newKeysAt(1, append([]byte(nil), k.cur.data...))
	if err != nil {
		t.Fatal(err)
	}
	zero := &keys{cur: &keyGen{gen: 1, index: make([]byte, 32)}}

	stop := make(chan struct{})
	var locks int
	var lockerDone sync.WaitGroup
	lockerDone.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			time.Sleep(time.Duration(500+locks%7*700) * time.Microsecond)
			s.Lock()
			locks++
			if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
				t.Error(err)
				return
			}
		}
	})
	type outcome struct {
		e   *enroll.Enrollment
		err error
	}
	var mu sync.Mutex
	var outcomes []outcome
	var savers sync.WaitGroup
	for w := range 3 {
		savers.Go(func() {
			for i := range 60 {
				for !s.Unlocked() { // the lock screen's wait: saves start with a key
					time.Sleep(100 * time.Microsecond)
				}
				e := completeRecord(t, fmt.Sprintf("Nguyễn Văn %s Lâm", givenNames[(w*60+i)%len(givenNames)]), fmt.Sprintf("0010870%05d", w*1000+i))
				e.Status = enroll.StatusDraft
				err := s.SaveDraft(ctx, e)
				mu.Lock()
				outcomes = append(outcomes, outcome{e, err})
				mu.Unlock()
			}
		})
	}
	savers.Wait()
	close(stop)
	lockerDone.Wait()
	if !s.Unlocked() {
		if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
			t.Fatal(err)
		}
	}
	saved, before, during := 0, 0, 0
	for _, o := range outcomes {
		if o.err == nil {
			saved++
			continue
		}
		msg := o.err.Error()
		switch {
		case errors.Is(o.err, enroll.ErrStationLocked):
			before++
		case strings.Contains(msg, "the station was locked"):
			during++
		default:
			t.Errorf("save failed otherwise: %v", o.err)
		}
	}
	t.Logf("%d locks; %d saves committed, %d refused as locked before starting, %d stopped mid-save", locks, saved, before, during)
	if saved == 0 {
		t.Fatal("no save committed")
	}
	// Every term in the file belongs to a committed record, none was computed under a zeroed
	// key, and each committed record has all its real terms (the rest are random dummies).
	committed := map[string]bool{}
	want := map[string]bool{}
	zeroTerms := map[string]bool{}
	for _, o := range outcomes {
		for _, term := range searchTerms(summaryOf(o.e)) {
			zeroTerms[string(zero.blind(term))] = true
			if o.err == nil {
				want[o.e.ID+string(ref.blind(term))] = true
			}
		}
		if o.err == nil {
			committed[o.e.ID] = true
		}
	}
	rows, err := s.db.Query(`SELECT term, enrollment_id FROM search_terms`)
	if err != nil {
		t.Fatal(err)
	}
	perRecord := map[string]int{}
	for rows.Next() {
		var term []byte
		var id string
		rows.Scan(&term, &id)
		perRecord[id]++
		if zeroTerms[string(term)] {
			t.Fatalf("record %s has a search term computed under a zeroed key", id)
		}
		if !committed[id] {
			t.Errorf("record %s has terms but its save failed", id)
		}
		delete(want, id+string(term))
	}
	rows.Close()
	if len(want) > 0 {
		t.Errorf("%d real terms of committed records missing", len(want))
	}
	for id, n := range perRecord {
		if n != termsPerRecord {
			t.Errorf("record %s has %d terms, want %d", id, n, termsPerRecord)
		}
	}
	var records int
	s.db.QueryRow(`SELECT count(*) FROM enrollments`).Scan(&records)
	if records != saved {
		t.Errorf("%d records in the file, %d saves committed", records, saved)
	}
	for _, o := range outcomes {
		if o.err == nil {
			if _, err := s.Get(ctx, o.e.ID); err != nil {
				t.Errorf("committed record: %v", err)
			}
		}
	}
}

var givenNames = []string{"An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Hòa", "Khánh", "Lan", "Minh", "Nam", "Phong",
	"Quân", "Sơn", "Thảo", "Trung", "Tuấn", "Vân", "Xuân", "Yến"}

// manyRecords makes n complete records with distinct names and ID numbers.
func manyRecords(t *testing.T, n int) []*enroll.Enrollment {
	t.Helper()
	var out []*enroll.Enrollment
	for i := range n {
		name := fmt.Sprintf("Phạm %s %s", givenNames[i%len(givenNames)], givenNames[(i/len(givenNames))%len(givenNames)])
		out = append(out, completeRecord(t, name, fmt.Sprintf("0010870%05d", 50000+i)))
	}
	return out
}

// TestNewOfficerReplacesTheSupervisorsPassword: a new account's password is the one the
// supervisor chose, so the officer must replace it at the first login, with another one: the
// audit trail's entries in their name are then theirs alone.
func TestNewOfficerReplacesTheSupervisorsPassword(t *testing.T) {
	ctx := context.Background()
	s := stationWithOfficers(t)
	o, err := s.Authenticate(ctx, "mai.tt", maiPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !o.MustChange {
		t.Fatal("a new officer may keep the password the supervisor chose")
	}
	err = s.ChangePassword(ctx, "mai.tt", maiPassword, maiPassword, maiPassword)
	if fe, ok := enroll.AsFieldError(err); !ok || fe.Code != enroll.CodePasswordSame {
		t.Fatalf("the same password again: %v, want %s", err, enroll.CodePasswordSame)
	}
	if err := s.ChangePassword(ctx, "mai.tt", maiPassword, "mai-moi-2026", "mai-moi-2026"); err != nil {
		t.Fatal(err)
	}
	if o, err = s.Authenticate(ctx, "mai.tt", "mai-moi-2026"); err != nil || o.MustChange {
		t.Fatalf("after the change: must change %v (%v)", o.MustChange, err)
	}
}

// TestLockOutSaysUntilWhen: the lock-out error carries the time the lock ends, so the screen
// can tell the officer when to try again.
func TestLockOutSaysUntilWhen(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	s := stationWithOfficers(t, WithLockout(2, 15*time.Minute), WithClock(func() time.Time { return now }))
	var err error
	for range 2 {
		_, err = s.Authenticate(ctx, "mai.tt", "sai-mat-khau-1")
	}
	for _, err := range []error{err, func() error { _, err := s.Authenticate(ctx, "mai.tt", maiPassword); return err }()} {
		var lo *enroll.LockedOut
		if !errors.As(err, &lo) || !errors.Is(err, enroll.ErrLockedOut) || !lo.Until.Equal(now.Add(15*time.Minute)) {
			t.Fatalf("%v: want locked out until %v", err, now.Add(15*time.Minute))
		}
	}
}
