package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// batchOf completes records and puts them in a batch, as the courier does.
func batchOf(t *testing.T, s *Store, seq int64, names ...string) (enroll.Batch, []Sent) {
	t.Helper()
	ctx := context.Background()
	ids := []string{"001087000101", "001187000102", "001087000103", "001187000104"}
	var sent []Sent
	for i, n := range names {
		e := completeRecord(t, n, ids[i])
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, Sent{ID: e.ID, Revision: strings.Repeat(string(rune('a'+i)), 64)})
	}
	b := enroll.Batch{ID: "batch-" + string(rune('0'+seq)), Seq: seq, CreatedAt: time.Now(), Size: 1000, File: "/outbox/b"}
	if err := s.AddBatch(ctx, "lan.nt", b, sent); err != nil {
		t.Fatal(err)
	}
	return b, sent
}

func statusOf(t *testing.T, s *Store, id string) enroll.Status {
	t.Helper()
	e, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e.Status
}

// TestVerdictsMoveRecords: central's verdicts move records along the statuses, one audited
// step at a time; a verified record starts retention, a rejected one is back in the drafts at
// the first step with the reason; applying the same verdicts again changes nothing.
func TestVerdictsMoveRecords(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	b, sent := batchOf(t, s, 1, "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường")
	for _, r := range sent {
		if got := statusOf(t, s, r.ID); got != enroll.StatusBatched {
			t.Fatalf("%s is %s after AddBatch, want batched", r.ID, got)
		}
	}
	if err := s.AddBatch(ctx, "lan.nt", enroll.Batch{ID: "again", Seq: 2, File: "x"}, sent[:1]); err == nil {
		t.Fatal("a record already in a batch went into another")
	}
	if err := s.BatchUploaded(ctx, "system", b.ID); err != nil {
		t.Fatal(err)
	}
	verdicts := []enroll.Verdict{
		{ID: sent[0].ID, Revision: sent[0].Revision, Status: enroll.StatusVerified},
		{ID: sent[1].ID, Revision: sent[1].Revision, Status: enroll.StatusRejected, Reason: enroll.Reason{Code: enroll.ReasonFingerMissing, Finger: enroll.LeftIndex}},
		{ID: sent[2].ID, Revision: sent[2].Revision, Status: enroll.StatusReceived},
		{ID: "no-such-record", Revision: "x", Status: enroll.StatusVerified},
	}
	a, err := s.ApplyVerdicts(ctx, "system", verdicts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Verified != 1 || a.Rejected != 1 || a.Received != 1 || a.Unchanged != 1 {
		t.Fatalf("applied %+v", a)
	}
	if got := statusOf(t, s, sent[0].ID); got != enroll.StatusVerified {
		t.Errorf("verified record is %s", got)
	}
	back, err := s.Get(ctx, sent[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.Status != enroll.StatusDraft || back.Step != enroll.StepIdentify || back.Returned.Code != enroll.ReasonFingerMissing ||
		back.Returned.Finger != enroll.LeftIndex {
		t.Fatalf("rejected record: %s at step %d, reason %+v", back.Status, back.Step, back.Returned)
	}
	if got := statusOf(t, s, sent[2].ID); got != enroll.StatusReceived {
		t.Errorf("received record is %s", got)
	}
	// Every step is its own audit entry.
	trail, err := s.AuditTrail(ctx, enroll.AuditFilter{RecordID: sent[1].ID, Action: enroll.ActionRecordStatus})
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range trail {
		steps = append(steps, e.Detail)
	}
	sort.Strings(steps)
	if got, want := strings.Join(steps, ","), "batched → uploaded,received → rejected,rejected → draft,uploaded → received"; got != want {
		t.Errorf("audited steps %s, want %s", got, want)
	}
	// Again: nothing moves.
	again, err := s.ApplyVerdicts(ctx, "system", verdicts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Unchanged != 4 {
		t.Fatalf("second application changed things: %+v", again)
	}
	// Retention has the verified record: it is purged once the grace period passed.
	s.now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
	if n, err := s.Purge(ctx, "system"); err != nil || n != 1 {
		t.Fatalf("purge after verification: %d %v", n, err)
	}
	// The returned draft, corrected and completed again, goes in a new batch; a late verdict
	// about the copy central rejected does not touch it.
	s.now = time.Now
	back.Citizen.Address = "Số 5 Kim Liên, Hà Nội"
	if err := s.Complete(ctx, back); err != nil {
		t.Fatal(err)
	}
	b2 := enroll.Batch{ID: "batch-2", Seq: 2, CreatedAt: time.Now(), Size: 500, File: "/outbox/b2"}
	if err := s.AddBatch(ctx, "lan.nt", b2, []Sent{{ID: back.ID, Revision: strings.Repeat("f", 64)}}); err != nil {
		t.Fatal(err)
	}
	stale, err := s.ApplyVerdicts(ctx, "system", verdicts[1:2])
	if err != nil || stale.Unchanged != 1 {
		t.Fatalf("a verdict on the old copy: %+v %v", stale, err)
	}
	if got := statusOf(t, s, back.ID); got != enroll.StatusBatched {
		t.Fatalf("a verdict on the old copy moved the new one to %s", got)
	}
}

// TestBatchRefusedReturnsRecords: a refused batch's records are complete again, ready for
// the next batch, and the batch says why.
func TestBatchRefusedReturnsRecords(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	b, sent := batchOf(t, s, 1, "Nguyễn Văn An", "Trần Thị Bình")
	if err := s.BatchRefused(ctx, "system", b.ID, "signature invalid"); err != nil {
		t.Fatal(err)
	}
	for _, r := range sent {
		if got := statusOf(t, s, r.ID); got != enroll.StatusComplete {
			t.Errorf("%s is %s after the refusal, want complete", r.ID, got)
		}
	}
	ids, err := s.Unbatched(ctx, 10)
	if err != nil || len(ids) != 2 {
		t.Fatalf("unbatched after refusal: %v %v", ids, err)
	}
	batches, err := s.Batches(ctx, enroll.BatchRefused)
	if err != nil || len(batches) != 1 || batches[0].Reason != "signature invalid" {
		t.Fatalf("refused batches %+v %v", batches, err)
	}
	if seq, _ := s.NextBatchSeq(ctx); seq != 2 {
		t.Errorf("next batch number %d: a refused batch's number is never reused", seq)
	}
}

// TestProvisionSealsTheSigningKey: only a supervisor provisions, for this station's code;
// the signing key is sealed (unreadable without a login) and the binding readable without one.
func TestProvisionSealsTheSigningKey(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	p := Provisioning{Station: "HN-DD-01", File: []byte(`{"Format":1}`), SigningPublic: pub, Endorsement: []byte("e")}
	if _, err := s.Provisioning(ctx); !errors.Is(err, enroll.ErrNotProvisioned) {
		t.Fatalf("before provisioning: %v", err)
	}
	if err := s.Provision(ctx, "lan.nt", Provisioning{Station: "HN-XX-09", File: p.File}, key); err == nil || !strings.Contains(err.Error(), "HN-XX-09") {
		t.Fatalf("another station's file: %v", err)
	}
	if _, err := s.CreateOfficer(ctx, "lan.nt", enroll.OfficerForm{Username: "minh.pv", FullName: "Phạm Văn Minh", Role: enroll.RoleOfficer,
		Password: "matkhau2027", Confirm: "matkhau2027"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Provision(ctx, "minh.pv", p, key); !errors.Is(err, enroll.ErrNotSupervisor) {
		t.Fatalf("an officer provisioned: %v", err)
	}
	if err := s.Provision(ctx, "lan.nt", p, key); err != nil {
		t.Fatal(err)
	}
	got, err := s.SigningKey(ctx)
	if err != nil || !got.Equal(key) {
		t.Fatalf("signing key read back: %v", err)
	}
	s.Lock()
	if _, err := s.SigningKey(ctx); !errors.Is(err, enroll.ErrStationLocked) {
		t.Fatalf("signing key without a login: %v", err)
	}
	b, err := s.Provisioning(ctx)
	if err != nil || b.Station != "HN-DD-01" || b.By != "lan.nt" || !b.SigningPublic.Equal(pub) {
		t.Fatalf("binding without a login: %+v %v", b, err)
	}
	var sealed []byte
	if err := s.db.QueryRow(`SELECT signing_key FROM sync_config`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), string(key.Seed())) {
		t.Fatal("the signing key is stored in the clear")
	}
}

// TestOpenMakesTheDatabasePrivate: a database an earlier build left readable by others is
// made private when opened.
func TestOpenMakesTheDatabasePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	s, err := Open(context.Background(), path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("after opening: %v %v", st.Mode(), err)
	}
}

// TestSyncLockIsOnePerDatabase: one sync at a time per database file, whichever handle or
// process asks: another hears plainly that a sync is running (or, waiting, that it stopped
// waiting), and gets the lock once the first lets it go.
func TestSyncLockIsOnePerDatabase(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	other, err := Open(ctx, s.path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	release, err := s.SyncLock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]*Store{"another handle": other, "the same handle": s} {
		if _, err := st.SyncLock(ctx, 0); err != enroll.ErrSyncRunning {
			t.Fatalf("%s took the sync lock while it was held: %v; want %v", name, err, enroll.ErrSyncRunning)
		}
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := other.SyncLock(stopped, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("a wait whose context ended: %v", err)
	}
	release()
	again, err := other.SyncLock(ctx, 0)
	if err != nil {
		t.Fatalf("the lock once released: %v", err)
	}
	again()
}

// TestBatchNumberTakenMeanwhile: a batch recorded under a number another pass took meanwhile
// (one that did not take the sync lock) says that a sync is running, not SQLite's words, and
// leaves its records as they were.
func TestBatchNumberTakenMeanwhile(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	batchOf(t, s, 1, "Nguyễn Văn An")
	e := completeRecord(t, "Trần Thị Bình", "001187000102")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	err := s.AddBatch(ctx, "lan.nt", enroll.Batch{ID: "second", Seq: 1, CreatedAt: time.Now(), Size: 1000, File: "/outbox/c"},
		[]Sent{{ID: e.ID, Revision: strings.Repeat("f", 64)}})
	if !errors.Is(err, enroll.ErrSyncRunning) || strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("a batch under a number taken: %v; want ErrSyncRunning in words", err)
	}
	if got := statusOf(t, s, e.ID); got != enroll.StatusComplete {
		t.Fatalf("its record is %s, want still complete", got)
	}
}
