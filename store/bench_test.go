package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/sim"
)

// BenchmarkLogin times a login with the production argon2id cost: opening the officer's key
// slot (which is the password check) and recording the login.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "login.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Init(ctx, testSetup()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealOpen times sealing and opening a 100 KB image, the per-image cost encryption
// adds to a save and a read.
func BenchmarkSealOpen(b *testing.B) {
	k, err := newKeys(make([]byte, dataKeySize))
	if err != nil {
		b.Fatal(err)
	}
	img := make([]byte, 100<<10)
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		sealed := k.seal("0b7c1a52-0000-4000-8000-000000000000", imageField("finger", 2), img)
		if _, err := k.open("0b7c1a52-0000-4000-8000-000000000000", imageField("finger", 2), sealed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpgrade times what opening and the first login do once to a station database that
// an older build filled: codes for every record, and every record's search terms rewritten.
// $BENCH_RECORDS records (default DESIGN §9's 200 000).
func BenchmarkUpgrade(b *testing.B) {
	ctx := context.Background()
	n := 200000
	if v, err := strconv.Atoi(os.Getenv("BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	s := rawStation(b, n)
	k, _ := s.keys()
	b.Run("codes", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := s.db.ExecContext(ctx, `UPDATE enrollments SET code = ''`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := s.backfillCodes(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reindex", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := s.db.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, settingSearchIndex); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := s.reindex(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// rawStation is an unlocked station with n demo citizens' records written straight into the
// tables, a minute apart, one in twenty a draft: only the enrollment rows and their sealed
// summaries, no terms, codes, documents or audit (the upgrade fills in the first two).
func rawStation(tb testing.TB, n int) *Store {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(tb.TempDir(), "raw.db"), WithBulkLoad(), fastKDF)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Init(ctx, testSetup()); err != nil {
		tb.Fatal(err)
	}
	k, _ := s.keys()
	pop, err := sim.NewPopulation(ctx, 5, 1)
	if err != nil {
		tb.Fatal(err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			c, err := pop.Citizen()
			if err != nil {
				return err
			}
			id := uuid.NewString()
			sum, _ := json.Marshal(summary{PersonalID: c.PersonalID, FullName: c.FullName, Phone: fmt.Sprintf("09%08d", i)})
			status, completed := enroll.StatusComplete, any(int64(i)*60000)
			if i%20 == 0 {
				status, completed = enroll.StatusDraft, nil
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO enrollments (id, status, step, station, officer, created_at,
					updated_at, completed_at, summary) VALUES (?, ?, 0, 'HN-DD-01', 'lan.nt', ?, ?, ?, ?)`,
				id, string(status), int64(i)*60000, int64(i)*60000, completed, k.seal(id, fieldSummary, sum)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
