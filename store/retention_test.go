package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

func TestPurgeAfterGracePeriodLeavesAStubAndNoBytes(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return clock }))
	kept, gone := completeRecord(t, "Trần Văn Anh", "036087000002"), completeRecord(t, "Nguyễn Văn An", "001087012345")
	draft := completeRecord(t, "Lê Thị Hoa", "001187000009")
	for _, e := range []*enroll.Enrollment{kept, gone} {
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveDraft(ctx, draft); err != nil {
		t.Fatal(err)
	}
	var sealedPortrait []byte
	s.db.QueryRow(`SELECT data FROM images WHERE enrollment_id = ? AND kind = 'portrait'`, gone.ID).Scan(&sealedPortrait)

	if err := s.MarkDelivered(ctx, "lan.nt", draft.ID); !errors.Is(err, enroll.ErrNotDeliverable) {
		t.Errorf("a draft marked delivered: %v", err)
	}
	if err := s.SetNumericSetting(ctx, "lan.nt", enroll.SettingRetentionDays, 3651); err == nil {
		t.Error("a retention of 3651 days accepted")
	}
	if err := s.SetNumericSetting(ctx, "lan.nt", enroll.SettingRetentionDays, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, "lan.nt", gone.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, "lan.nt", gone.ID); !errors.Is(err, enroll.ErrNotDeliverable) {
		t.Errorf("marked twice: %v", err)
	}
	clock = clock.Add(3*24*time.Hour - time.Minute)
	if n, err := s.Purge(ctx, "system"); err != nil || n != 0 {
		t.Fatalf("purge inside the grace period: %d, %v", n, err)
	}
	clock = clock.Add(time.Minute)
	if n, err := s.Purge(ctx, "system"); err != nil || n != 1 {
		t.Fatalf("purge after the grace period: %d, %v", n, err)
	}

	stub, err := s.Get(ctx, gone.ID)
	if err != nil || stub.Status != enroll.StatusPurged || stub.Citizen.FullName != "" || stub.Portrait != nil ||
		len(stub.Fingers) != 0 || stub.Phone != "" || !stub.CreatedAt.Equal(gone.CreatedAt) || stub.Officer != "lan.nt" {
		t.Errorf("stub: %+v %v", stub, err)
	}
	if res, _ := s.Search(ctx, "001087012345", 10); len(res) != 0 {
		t.Errorf("purged record still found: %+v", res)
	}
	if got, err := s.Get(ctx, kept.ID); err != nil || got.Portrait == nil || got.Citizen.FullName != "Trần Văn Anh" {
		t.Errorf("undelivered record touched: %v", err)
	}
	var images, docs, terms int
	s.db.QueryRow(`SELECT (SELECT count(*) FROM images WHERE enrollment_id = ?1), (SELECT count(*) FROM documents WHERE enrollment_id = ?1),
		(SELECT count(*) FROM search_terms WHERE enrollment_id = ?1)`, gone.ID).Scan(&images, &docs, &terms)
	if images+docs+terms != 0 {
		t.Errorf("left behind: %d images, %d documents, %d terms", images, docs, terms)
	}
	// Nothing of the deleted image is left in the database file's free pages or in the WAL.
	for _, f := range []string{s.path, s.path + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if len(sealedPortrait) < 40 || bytes.Contains(raw, sealedPortrait[13:40]) {
			t.Errorf("%s still holds the purged portrait's bytes", f)
		}
	}
	assertActions(t, s, enroll.ActionPurge, 1)
	assertActions(t, s, enroll.ActionRecordDelivered, 1)
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// filesHold reports whether the database file or its WAL holds b.
func filesHold(t *testing.T, s *Store, b []byte) bool {
	t.Helper()
	for _, f := range []string{s.path, s.path + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, b) {
			return true
		}
	}
	return false
}

// TestPurgeFinishesWhenTheDatabaseIsBusy: a reader holding an old snapshot keeps the WAL from
// being emptied, so the purged ciphertext is still in the files; the purge says so, and the
// store wipes it on its own once the reader is gone.
func TestPurgeFinishesWhenTheDatabaseIsBusy(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return clock }), withPurgeRetry(200*time.Millisecond))
	gone := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	s.db.QueryRow(`SELECT data FROM images WHERE enrollment_id = ? AND kind = 'portrait'`, gone.ID).Scan(&sealed)
	if len(sealed) < 40 {
		t.Fatalf("sealed portrait of %d bytes", len(sealed))
	}
	if err := s.SetNumericSetting(ctx, "lan.nt", enroll.SettingRetentionDays, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, "lan.nt", gone.ID); err != nil {
		t.Fatal(err)
	}

	// Another connection reads, as the courier or a second window might.
	reader, err := sql.Open("sqlite3", "file:"+s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM images`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	purged, err := s.Purge(ctx, "lan.nt")
	if purged != 1 || !errors.Is(err, enroll.ErrPurgeUnfinished) {
		t.Fatalf("purge under a reader: %d, %v", purged, err)
	}
	if !filesHold(t, s, sealed[13:40]) {
		t.Fatal("the test's reader did not keep the purged bytes in the files: it proves nothing")
	}
	tx.Rollback()

	// The checkpointer's retry finishes it without another purge.
	deadline := time.Now().Add(30 * time.Second)
	for s.purgePending.Load() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if s.purgePending.Load() {
		t.Fatal("the purge was never finished in the background")
	}
	if filesHold(t, s, sealed[13:40]) {
		t.Error("the purged portrait's bytes are still in the files")
	}
	if v, _ := s.Setting(ctx, settingPurgeWALPending); v != "" {
		t.Errorf("the pending marker stayed: %q", v)
	}
	if n, err := s.Purge(ctx, "lan.nt"); n != 0 || err != nil {
		t.Errorf("the next purge: %d, %v", n, err)
	}
}
