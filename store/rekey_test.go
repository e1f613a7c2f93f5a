package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"errors"
	mrand "math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// oldHolder is a copy of the session's keys, as someone who once logged in could keep it.
func oldHolder(t *testing.T, s *Store) *keys {
	t.Helper()
	k, err := s.keys()
	if err != nil {
		t.Fatal(err)
	}
	c, err := newKeysAt(k.generation(), append([]byte(nil), k.cur.data...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRekeyReSealsEverything: after a rotation every record, image and search term is under
// the new key and readable, the station-wide sealed values too (review queue, signing key,
// roster), every slot opens the new key without anyone having typed its password, the old key
// opens nothing, and the rotation is audited.
func TestRekeyReSealsEverything(t *testing.T) {
	ctx := context.Background()
	s := stationWithOfficers(t)
	records := manyRecords(t, 70)
	for _, e := range records {
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	draft := &enroll.Enrollment{Officer: "lan.nt", Station: "HN-DD-01", Step: enroll.StepContact}
	draft.Citizen.FullName = "Đỗ Thị Hương"
	if err := s.SaveDraft(ctx, draft); err != nil {
		t.Fatal(err)
	}
	if q, err := s.ReviewQueue(ctx, 100); err != nil || len(q) != 70 { // every record has an excused finger
		t.Fatalf("review queue: %d %v", len(q), err)
	}
	_, signing, _ := ed25519.GenerateKey(rand.Reader)
	if err := s.Provision(ctx, "lan.nt", Provisioning{Station: "HN-DD-01", File: []byte(`{"Format":1}`), Endorsement: []byte("e")}, signing); err != nil {
		t.Fatal(err)
	}
	old := oldHolder(t, s)

	var steps [][2]int
	rep, err := s.Rekey(ctx, "lan.nt", func(done, total int) { steps = append(steps, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Generation != 2 || rep.Records != 71 || rep.Resumed || len(rep.Dropped) != 0 || len(rep.Unreadable) != 0 {
		t.Errorf("report %+v", rep)
	}
	if len(steps) != 3 || steps[2] != [2]int{71, 71} {
		t.Errorf("progress %v, want batches of %d up to 71 of 71", steps, rekeyBatch)
	}
	status, err := s.KeyStatus(ctx)
	if err != nil || len(status) != 1 || status[2] == 0 {
		t.Errorf("sealed values by generation: %v %v", status, err)
	}
	if n, total := openableValues(t, s, old); n != 0 {
		t.Errorf("the old key opens %d of %d sealed values", n, total)
	}
	var pending []byte
	s.db.QueryRow(`SELECT pending FROM review_queue`).Scan(&pending)
	if _, err := old.open("", fieldReviewPending, pending); err == nil {
		t.Error("the old key opens the review queue")
	}
	var slotsLeft, nextLeft int
	s.db.QueryRow(`SELECT count(*) FROM key_slots WHERE generation != 2`).Scan(&slotsLeft)
	s.db.QueryRow(`SELECT count(*) FROM key_slots WHERE next_wrapped IS NOT NULL`).Scan(&nextLeft)
	if slotsLeft != 0 || nextLeft != 0 {
		t.Errorf("%d slots not on the new key, %d with a next key left", slotsLeft, nextLeft)
	}

	// Everything reads back, is found by the new index key, and signs.
	for _, e := range records[:5] {
		got, err := s.Get(ctx, e.ID)
		if err != nil || got.Citizen.FullName != e.Citizen.FullName || string(got.Portrait.JPEG) != string(e.Portrait.JPEG) {
			t.Fatalf("record after the rotation: %v", err)
		}
		if hits, err := s.ByPersonalID(ctx, e.Citizen.PersonalID); err != nil || len(hits) != 1 {
			t.Errorf("by ID number: %v %v", hits, err)
		}
	}
	if hits, err := s.Search(ctx, "do thi huong", 10); err != nil || len(hits) != 1 || hits[0].ID != draft.ID {
		t.Errorf("draft by name: %v %v", hits, err)
	}
	if q, err := s.ReviewQueue(ctx, 100); err != nil || len(q) != 70 {
		t.Errorf("review queue after: %d %v", len(q), err)
	}
	if got, err := s.SigningKey(ctx); err != nil || !got.Equal(signing) {
		t.Errorf("signing key after: %v", err)
	}
	// Mai and Hùng log in with their own passwords: their slots got the new key from its
	// public half.
	s.Lock()
	for user, pw := range map[string]string{"mai.tt": maiPassword, "hung.lv": hungPassword, "lan.nt": "matkhau2026"} {
		if _, err := s.Authenticate(ctx, user, pw); err != nil {
			t.Errorf("%s after the rotation: %v", user, err)
		}
	}
	if got, err := s.Get(ctx, records[0].ID); err != nil || got.Citizen.PersonalID != records[0].Citizen.PersonalID {
		t.Errorf("read after logging in again: %v", err)
	}
	assertActions(t, s, enroll.ActionRekeyStart, 1)
	assertActions(t, s, enroll.ActionRekeyFinish, 1)

	// Only a supervisor rotates.
	if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rekey(ctx, "mai.tt", nil); !errors.Is(err, enroll.ErrNotSupervisor) {
		t.Errorf("an officer rotated the key: %v", err)
	}
}

// TestRekeyResumesWhereItStopped: a rotation stopped before it began, after each number of
// batches, and at whatever point a timer falls (in a batch, at its end), is finished by the next login (anyone's, even the station restarted),
// which the officer's own slot makes possible: it holds the next key already.
func TestRekeyResumesWhereItStopped(t *testing.T) {
	ctx := context.Background()
	for _, stopAfter := range []int{0, 1, 2, 3, -1, -1, -1} {
		path := filepath.Join(t.TempDir(), "station.db")
		s, err := Open(ctx, path, fastKDF)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Init(ctx, testSetup()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOfficer(ctx, "lan.nt", enroll.OfficerForm{Username: "mai.tt", FullName: "Trần Thị Mai",
			Role: enroll.RoleOfficer, Password: maiPassword, Confirm: maiPassword}); err != nil {
			t.Fatal(err)
		}
		records := manyRecords(t, 100)
		for _, e := range records {
			if err := s.Complete(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		old := oldHolder(t, s)
		stop, cancel := context.WithCancel(ctx)
		switch stopAfter {
		case 0:
			cancel()
		case -1:
			stop, cancel = context.WithTimeout(ctx, time.Duration(5+mrand.IntN(60))*time.Millisecond)
		}
		batches := 0
		_, err = s.Rekey(stop, "lan.nt", func(done, total int) {
			if batches++; batches == stopAfter {
				cancel()
			}
		})
		cancel()
		if stopAfter >= 0 && err == nil {
			t.Fatalf("stopped after %d batches, the rotation finished", stopAfter)
		}
		timed := stopAfter == -1
		if timed {
			stopAfter = batches // or one more, when the timer fell between a commit and its report
		}
		s.Close()

		s, err = Open(ctx, path, fastKDF)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.PendingRekey(ctx)
		status, _ := s.KeyStatus(ctx)
		if p != nil && !timed && p.Done != stopAfter*rekeyBatch || p != nil && p.Done%rekeyBatch != 0 && p.Done != 100 ||
			!timed && stopAfter > 0 && (p == nil || status[1] == 0 || status[2] == 0) {
			t.Fatalf("after %d batches: pending %+v, sealed by generation %v", stopAfter, p, status)
		}
		if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); err != nil {
			t.Fatalf("login after %d batches: %v", stopAfter, err)
		}
		if p, _ := s.PendingRekey(ctx); p != nil {
			t.Fatalf("the login left the rotation unfinished: %+v", p)
		}
		status, _ = s.KeyStatus(ctx)
		gen, _ := s.KeyGeneration(ctx)
		if len(status) != 1 || status[gen] == 0 || gen != 2 && p != nil {
			t.Errorf("after the login: generation %d, sealed by generation %v", gen, status)
		}
		t.Logf("stopped after %d batches: pending %v, generation %d", stopAfter, p != nil, gen)
		if gen == 2 {
			if n, _ := openableValues(t, s, old); n != 0 {
				t.Errorf("the old key opens %d values", n)
			}
			assertActions(t, s, enroll.ActionRekeyFinish, 1)
			trail, _ := s.AuditTrail(ctx, enroll.AuditFilter{Action: enroll.ActionRekeyFinish})
			if p != nil && (len(trail) != 1 || trail[0].Officer != "mai.tt") {
				t.Errorf("finish audited as %+v", trail)
			}
		}
		for _, e := range records {
			if _, err := s.Get(ctx, e.ID); err != nil {
				t.Fatalf("record after resuming: %v", err)
			}
		}
		if hits, err := s.ByPersonalID(ctx, records[99].Citizen.PersonalID); err != nil || len(hits) != 1 {
			t.Errorf("search after resuming: %v %v", hits, err)
		}
		s.Close()
	}
}

// TestRecoveryKeyOpensDataAfterRekey: the recovery key printed at set-up keeps working after
// rotations, and finishes one left unfinished.
func TestRecoveryKeyOpensDataAfterRekey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	s, err := Open(ctx, path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	rk, err := s.init(ctx, testSetup())
	if err != nil {
		t.Fatal(err)
	}
	records := manyRecords(t, 40)
	for _, e := range records {
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := s.Rekey(ctx, "lan.nt", nil); err != nil {
			t.Fatal(err)
		}
	}
	// A third rotation stops after its first batch; every password is then forgotten.
	stop, cancel := context.WithCancel(ctx)
	if _, err := s.Rekey(stop, "lan.nt", func(int, int) { cancel() }); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Recover(ctx, rk.String(), "lan.nt", "moi-mat-khau-9", "moi-mat-khau-9"); err != nil {
		t.Fatalf("recovery after two rotations and a third interrupted: %v", err)
	}
	if gen, _ := s.KeyGeneration(ctx); gen != 4 {
		t.Errorf("generation %d after recovery, want 4", gen)
	}
	if p, _ := s.PendingRekey(ctx); p != nil {
		t.Errorf("recovery left the rotation unfinished: %+v", p)
	}
	for _, e := range records {
		if got, err := s.Get(ctx, e.ID); err != nil || got.Citizen.FullName != e.Citizen.FullName {
			t.Fatalf("record after recovery: %v", err)
		}
	}
	s.Lock()
	if _, err := s.Authenticate(ctx, "lan.nt", "moi-mat-khau-9"); err != nil {
		t.Errorf("the new password: %v", err)
	}
}

// TestStationFromBeforeKeyRotation: a station whose slots wrap the data key directly under
// the password's and the recovery key's keys, and has no roster, keeps working: the first login
// seals the roster and converts that officer's slot; a rotation asks for the recovery key once
// to renew the recovery slot, and drops the slots it cannot carry over, naming their officers.
func TestStationFromBeforeKeyRotation(t *testing.T) {
	ctx := context.Background()
	s := stationWithOfficers(t)
	rk := recoveryKeyOf(t, s)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	// Make it what an earlier build left: slots of the old kind, no roster.
	k, _ := s.keys()
	dk := append([]byte(nil), k.cur.data...)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for user, pw := range map[string]string{"lan.nt": "matkhau2026", "mai.tt": maiPassword, "hung.lv": hungPassword} {
			salt := make([]byte, 16)
			rand.Read(salt)
			w, err := wrap(s.passwordKEK(pw, salt, s.kdf), dk, officerSlot(user))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE key_slots SET salt = ?, params = ?, public = NULL, secret = NULL, wrapped = ? WHERE name = ?`,
				salt, s.kdf.String(), w, officerSlot(user)); err != nil {
				return err
			}
		}
		salt := make([]byte, 16)
		rand.Read(salt)
		kek, _ := recoveryKEK(rk[:], salt)
		w, _ := wrap(kek, dk, recoverySlot)
		if _, err := tx.Exec(`UPDATE key_slots SET salt = ?, public = NULL, wrapped = ? WHERE name = ?`, salt, w, recoverySlot); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM officer_roster`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatalf("first login after the upgrade: %v", err)
	}
	assertActions(t, s, enroll.ActionOfficersSealed, 1)
	var public []byte
	s.db.QueryRow(`SELECT public FROM key_slots WHERE name = 'officer:lan.nt'`).Scan(&public)
	if public == nil {
		t.Error("the login did not convert the slot")
	}
	// Hùng logs in too (his slot converted); Mai does not before the rotation.
	if _, err := s.Authenticate(ctx, "hung.lv", hungPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rekey(ctx, "lan.nt", nil); !errors.Is(err, enroll.ErrRecoverySlotOld) {
		t.Fatalf("rotation with the old recovery slot: %v", err)
	}
	wrong := rk
	wrong[0] ^= 1
	if err := s.UpgradeRecovery(ctx, "lan.nt", wrong.String()); !errors.Is(err, enroll.ErrBadRecoveryKey) {
		t.Fatalf("renewal with a wrong key: %v", err)
	}
	if err := s.UpgradeRecovery(ctx, "lan.nt", rk.String()); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Rekey(ctx, "lan.nt", nil)
	if err != nil || !slices.Equal(rep.Dropped, []string{"mai.tt"}) {
		t.Fatalf("rotation: %+v %v", rep, err)
	}
	if _, err := s.Authenticate(ctx, "mai.tt", maiPassword); !errors.Is(err, enroll.ErrBadLogin) {
		t.Errorf("the dropped slot: %v", err)
	}
	if err := s.ResetPassword(ctx, "lan.nt", "mai.tt", "mai-moi-2026", "mai-moi-2026"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if _, err := s.Authenticate(ctx, "mai.tt", "mai-moi-2026"); err != nil {
		t.Errorf("after the reset: %v", err)
	}
	s.Lock()
	if err := s.Recover(ctx, rk.String(), "hung.lv", "hung-moi-2026", "hung-moi-2026"); err != nil {
		t.Fatalf("recovery after the rotation: %v", err)
	}
	if got, err := s.Get(ctx, e.ID); err != nil || got.Citizen.FullName != "Nguyễn Văn An" {
		t.Errorf("read after recovery: %v", err)
	}
}

// TestKeyHolderAfterLock: the session's holder is emptied and zeroed by Lock; work that still
// holds it fails as "station locked" instead of using the zeroed keys.
func TestKeyHolderAfterLock(t *testing.T) {
	s := openTest(t)
	k, _ := s.keys()
	data, index := k.cur.data, k.cur.index
	sealed := k.seal("r", "f", []byte("x"))
	s.Lock()
	if !slices.Equal(data, make([]byte, 32)) || !slices.Equal(index, make([]byte, 32)) {
		t.Error("Lock left key bytes in memory")
	}
	if _, err := k.open("r", "f", sealed); !errors.Is(err, enroll.ErrStationLocked) {
		t.Errorf("open after Lock: %v", err)
	}
	if k.seal("r", "f", []byte("x")) != nil || k.blind("n:an") != nil {
		t.Error("seal or blind after Lock gave a value")
	}
	if err := k.usable(); !errors.Is(err, enroll.ErrStationLocked) {
		t.Errorf("usable after Lock: %v", err)
	}
	if _, err := s.keys(); !errors.Is(err, enroll.ErrStationLocked) {
		t.Errorf("keys after Lock: %v", err)
	}
}
