package courier_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/courier"
)

// TestVerdictsWhileLockedWaitForLogin: batches upload and central's verdicts arrive while
// nobody is logged in, but a record's status changes only with its row seal, which needs the
// data key: the signed acknowledgement is kept and applied at the next login, checked again
// against the provisioning a supervisor sealed. One slipped into the file by someone else is
// dropped without changing anything.
func TestVerdictsWhileLockedWaitForLogin(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStationCode(t, "HN-KL-09", 6, 21)
	s.provision(t, c)
	wantVerified, wantRejected := s.expected(t)
	if len(wantRejected) != 1 {
		t.Fatalf("the demo register should reject one of six records: %v", wantRejected)
	}
	var rejectedID string
	for id := range wantRejected {
		rejectedID = id
	}
	if _, _, err := s.courier.Build(ctx, s.supervisor); err != nil {
		t.Fatal(err)
	}
	s.st.Lock()

	// Someone with the file slips in an acknowledgement of their own making.
	forger := make([]byte, ed25519.SeedSize)
	rand.Read(forger)
	forged, err := ack.Sign(ack.Ack{Station: s.code, Issued: time.Now(), Verdicts: []enroll.Verdict{{ID: rejectedID,
		Revision: revisionOf(t, s, rejectedID), Status: enroll.StatusVerified}}}, ed25519.NewKeyFromSeed(forger))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.QueueAck(ctx, "status", forged, 1); err != nil {
		t.Fatal(err)
	}

	r, err := s.courier.Pass(ctx, courier.System)
	if err != nil {
		t.Fatalf("locked pass: %v", err)
	}
	if r.Uploaded != 1 || r.Queued != 6 || r.Applied.Verified+r.Applied.Rejected+r.Applied.Received != 0 {
		t.Fatalf("locked pass %+v: want the batch uploaded and 6 verdicts kept", r)
	}
	counts, err := s.st.SyncCounts(ctx)
	if err != nil || counts.InBatches != 6 || counts.Verified != 0 || counts.Returned != 0 {
		t.Fatalf("before the login %+v %v: nothing may have moved", counts, err)
	}

	// The supervisor logs in: the records follow their uploaded batch, the forged
	// acknowledgement (kept first) is dropped, and the pass says so.
	if _, err := s.st.Authenticate(ctx, s.supervisor, password); err != nil {
		t.Fatal(err)
	}
	if counts, _ := s.st.SyncCounts(ctx); counts.AtCentral != 6 {
		t.Fatalf("after the login %+v: the uploaded batch's records should be at central", counts)
	}
	_, err = s.courier.Pass(ctx, s.supervisor)
	if err == nil || !strings.Contains(err.Error(), "were discarded, they are not central's") {
		t.Fatalf("the forged acknowledgement: %v", err)
	}
	if e, err := s.st.Get(ctx, rejectedID); err != nil || e.Status == enroll.StatusVerified {
		t.Fatalf("the forged verdict applied: %v %v", e.Status, err)
	}
	r, err = s.courier.Pass(ctx, s.supervisor)
	if err != nil {
		t.Fatal(err)
	}
	counts, _ = s.st.SyncCounts(ctx)
	if counts.Verified != wantVerified || counts.Returned != 1 {
		t.Fatalf("after the kept verdicts %+v (pass %+v): want %d verified, 1 returned", counts, r, wantVerified)
	}
	if q, err := s.st.QueuedAcks(ctx); err != nil || len(q) != 0 {
		t.Fatalf("%d acknowledgements still kept: %v", len(q), err)
	}
	if e, err := s.st.Get(ctx, rejectedID); err != nil || e.Returned.Code != wantRejected[rejectedID] {
		t.Fatalf("the rejected record: %+v %v", e, err)
	}
}

// TestTamperedProvisioningIsRefused: central's keys swapped in the station's file (to have its
// batches encrypted to someone else, or forged verdicts accepted) stop the next batch.
func TestTamperedProvisioningIsRefused(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStationCode(t, "HN-KL-08", 2, 5)
	s.provision(t, c)
	other := newCentral(t, "")
	data, err := other.AddStation(ctx, s.code, "Kẻ giả mạo", false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", filepath.Join(s.dir, "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE sync_config SET provisioning = ?`, data); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.courier.Build(ctx, s.supervisor)
	if !errors.Is(err, enroll.ErrRecordTampered) || !strings.Contains(err.Error(), "provision the station again") {
		t.Fatalf("build with swapped provisioning: %v", err)
	}
	if ready, _ := s.st.Batches(ctx, enroll.BatchReady); len(ready) != 0 {
		t.Fatalf("%d batches built", len(ready))
	}
}

func revisionOf(t *testing.T, s *stationUnderTest, id string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(s.dir, "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rev string
	if err := db.QueryRow(`SELECT sent_revision FROM enrollments WHERE id = ?`, id).Scan(&rev); err != nil {
		t.Fatal(err)
	}
	return rev
}

// TestSettledBatchFileIsTidied: a crash between settling a batch (central has it) and deleting
// its file left the file, records and biometrics included, in the outbox for good; the next
// pass removes it.
func TestSettledBatchFileIsTidied(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStationCode(t, "HN-KL-07", 2, 13)
	s.provision(t, c)
	b := builtBatch(t, s)
	// As a kill right after the commit leaves it: settled, its file still there.
	if err := s.st.BatchUploaded(ctx, courier.System, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.File); err != nil {
		t.Fatalf("the batch file should still be there: %v", err)
	}
	if err := s.courier.Tidy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.File); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the settled batch's file is still in the outbox: %v", err)
	}
}
