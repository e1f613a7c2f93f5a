package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/wardpolice/enroll"
)

// TestDiskFullKeepsWhatWasSaved: the disk fills up while an officer saves; the save fails
// with a message that says so, nothing saved before is touched, and once there is room again
// the same record saves.
func TestDiskFullKeepsWhatWasSaved(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	s := openAt(t, path)
	first := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, first); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The disk now has room for a few pages, not for another record's images.
	s = openAt(t, path, withMaxPages(pages+2))
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	second := completeRecord(t, "Trần Thị Bình", "001187000102")
	err := s.SaveDraft(ctx, second)
	if !errors.Is(err, enroll.ErrDiskFull) {
		t.Fatalf("save on a full disk: %v", err)
	}
	if !regexp.MustCompile(`^save record [0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3} as draft: `).MatchString(err.Error()) {
		t.Errorf("the failed save does not name the record it would have made: %v", err)
	}
	if second.ID != "" {
		t.Fatalf("a failed first save left the record an id %s", second.ID)
	}
	if got, err := s.Get(ctx, first.ID); err != nil || got.Citizen.FullName != "Nguyễn Văn An" || len(got.Fingers) != 1 {
		t.Fatalf("the record saved before: %v", err)
	}
	if n, err := s.Count(ctx); err != nil || n != 1 {
		t.Fatalf("%d records after the failed save (%v)", n, err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Space freed: the same record, still on the officer's screen, saves.
	s = openAt(t, path)
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, second); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx); n != 2 {
		t.Fatalf("%d records once there is room", n)
	}
}

// TestReadOnlyDatabaseSaysSo: a database file that cannot be written (read-only disk or
// permissions) opens for reading, and the first write (the login's audit entry, a save) fails
// with a message that says so, not SQLite's words.
func TestReadOnlyDatabaseSaysSo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "station.db")
	s := openAt(t, path)
	s.Close()
	ro, err := Open(ctx, path, fastKDF, withReadOnly())
	if err == nil {
		defer ro.Close()
		_, err = ro.Authenticate(ctx, "lan.nt", "matkhau2026")
		if err == nil {
			err = ro.SaveDraft(ctx, completeRecord(t, "Nguyễn Văn An", "001087012345"))
		}
	}
	if !errors.Is(err, enroll.ErrDatabaseReadOnly) {
		t.Fatalf("a read-only database: %v", err)
	}
}

// TestDamagedFileSaysSo: a page of the file overwritten (a failing disk, a bad copy) makes
// reads fail with "damaged: restore from a backup", not a crash or SQLite's words.
func TestDamagedFileSaysSo(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	s := openAt(t, path)
	var ids []string
	for i, n := range []string{"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"} {
		e := completeRecord(t, n, []string{"001087012345", "001187000102", "001087000103"}[i])
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	s.Close() // closing checkpoints the WAL into the file
	// Overwrite every page after the first few (the schema stays readable) with garbage.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	for off := int64(8 * 4096); off < st.Size(); off += 3 * 4096 {
		f.WriteAt(junk, off)
	}
	f.Close()
	s, err = Open(ctx, path, fastKDF)
	if err == nil {
		defer s.Close()
		_, err = s.Authenticate(ctx, "lan.nt", "matkhau2026")
		for _, id := range ids {
			if err != nil {
				break
			}
			_, err = s.Get(ctx, id)
		}
		if err == nil {
			err = s.IntegrityCheck(ctx)
		}
	}
	if !errors.Is(err, enroll.ErrDatabaseDamaged) {
		t.Fatalf("a damaged file: %v", err)
	}
}

// TestClockJumpsLoseNothing: the clock jumps back a day and forward a week between saves (a
// flat CMOS battery, then a time server): records save, complete, correct and read back, the
// row seals and the audit hold, and nothing is purged that central did not verify.
func TestClockJumpsLoseNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return now }))
	a := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.SaveDraft(ctx, a); err != nil {
		t.Fatal(err)
	}
	now = now.Add(-24 * time.Hour) // back a day
	if err := s.Complete(ctx, a); err != nil {
		t.Fatal(err)
	}
	b := completeRecord(t, "Trần Thị Bình", "001187000102")
	if err := s.Complete(ctx, b); err != nil {
		t.Fatal(err)
	}
	now = now.Add(7 * 24 * time.Hour) // forward a week
	if err := s.Reopen(ctx, "lan.nt", b.ID, "sai địa chỉ"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(-3 * time.Hour)
	b.Citizen.Address = "Số 3 Kim Liên, Hà Nội"
	if err := s.Complete(ctx, b); err != nil {
		t.Fatal(err)
	}
	now = now.Add(400 * 24 * time.Hour) // a year ahead: still nothing delivered, nothing purged
	if n, err := s.Purge(ctx, "system"); n != 0 || err != nil {
		t.Fatalf("purge after the jump: %d %v", n, err)
	}
	for _, id := range []string{a.ID, b.ID} {
		e, err := s.Get(ctx, id)
		if err != nil || e.Status != enroll.StatusComplete || len(e.Fingers) != 1 || e.Portrait == nil {
			t.Fatalf("record %s after the clock jumps: %v", id, err)
		}
	}
	if n, err := s.VerifyAudit(ctx); err != nil || n == 0 {
		t.Fatalf("audit after the clock jumps: %d %v", n, err)
	}
}

// openAt opens (setting up on first use) the station database at path.
func openAt(t *testing.T, path string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, append([]Option{fastKDF}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if n, err := s.OfficerCount(context.Background()); err != nil {
		t.Fatal(err)
	} else if n == 0 {
		if _, err := s.Init(context.Background(), testSetup()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestWALStaysUnderBudgetWhileSavingContinuously: saves that never pause (a bulk import, the
// demo generator) kept the background checkpoint waiting and the WAL grew to hundreds of MB;
// it now stays under its 64 MB budget while 100 MB of records are saved back to back.
func TestWALStaysUnderBudgetWhileSavingContinuously(t *testing.T) {
	if testing.Short() {
		t.Skip("saves 100 MB of records; skipped with -short")
	}
	ctx := context.Background()
	s := openTest(t)
	var peak int64
	print := make([]byte, 500<<10)
	for i := range 200 {
		e := completeRecord(t, "Nguyễn Văn An", "001087012345")
		rand.Read(print)
		f, _ := e.Finger(enroll.RightIndex)
		f.PNG = print
		e.SetFinger(f)
		if err := s.Complete(ctx, e); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		peak = max(peak, s.walSize())
	}
	if peak >= checkpointWALMax {
		t.Fatalf("the WAL reached %d MB while saving; the budget is %d MB", peak>>20, checkpointWALMax>>20)
	}
	t.Logf("WAL peak %.1f MB over 200 saves of 0.5 MB", float64(peak)/(1<<20))
}

// TestFaultNamedOnce: an error already named (a transaction's body named it, then the
// transaction) is not named again around itself.
func TestFaultNamedOnce(t *testing.T) {
	for _, c := range []struct {
		code  sqlite3.ErrNo
		named error
	}{{sqlite3.ErrFull, enroll.ErrDiskFull}, {sqlite3.ErrReadonly, enroll.ErrDatabaseReadOnly}, {sqlite3.ErrNotADB, enroll.ErrDatabaseDamaged}} {
		once := dbFault(sqlite3.Error{Code: c.code})
		twice := fmt.Errorf("log in demo.officer: %w", dbFault(once))
		if !errors.Is(twice, c.named) || strings.Count(twice.Error(), c.named.Error()) != 1 {
			t.Errorf("%v: %v", c.code, twice)
		}
	}
}
