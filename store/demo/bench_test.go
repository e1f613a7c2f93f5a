package demo

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/wardpolice/enroll/device/sim"
	"github.com/wardpolice/enroll/store"
)

// benchStore opens $STATION_BENCH_DB (e.g. made by `station demo --records 10000`) or builds a
// fresh database of $BENCH_RECORDS (default 10 000) demo records.
func benchStore(b *testing.B) (*store.Store, int) {
	b.Helper()
	ctx := context.Background()
	if path := os.Getenv("STATION_BENCH_DB"); path != "" {
		st, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		// The demo printed its officer's password when it made the database.
		if _, err := st.Authenticate(ctx, Officer, os.Getenv("STATION_BENCH_PASSWORD")); err != nil {
			b.Fatalf("log in as %s with $STATION_BENCH_PASSWORD: %v", Officer, err)
		}
		n, _ := st.Count(ctx)
		return st, n
	}
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	clock := time.Now()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), store.WithBulkLoad(),
		store.WithClock(func() time.Time { return clock }),
		store.WithPasswordParams(store.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	g := Generator{Store: st, Records: n, Seed: 7, Span: 60 * 24 * time.Hour, SetClock: func(t time.Time) { clock = t }}
	if err := g.Run(ctx); err != nil {
		b.Fatal(err)
	}
	return st, n
}

// BenchmarkSearch times each kind of search an officer makes; ns/op is per search.
func BenchmarkSearch(b *testing.B) {
	st, n := benchStore(b)
	b.Logf("%d records", n)
	ctx := context.Background()
	queries, err := SearchQueries(ctx, st)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range queries {
		b.Run(q, func(b *testing.B) { benchQuery(b, st, q) })
	}
}

// benchQuery times one search (limit 200, as the home screen asks); besides ns/op it reports
// the 99th percentile, the budget's figure, and how many records the search found.
func benchQuery(b *testing.B, st *store.Store, q string) {
	ctx := context.Background()
	var took []time.Duration
	var found int
	for b.Loop() {
		t0 := time.Now()
		res, err := st.Search(ctx, q, 200)
		took = append(took, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		found = len(res)
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(found), "results")
}

// timeCompletes saves a new complete demo record per benchmark iteration and returns each
// save's time, sorted; after, when set, runs after each save outside the timer.
func timeCompletes(b *testing.B, st *store.Store, after func()) []time.Duration {
	ctx := context.Background()
	pop, err := sim.NewPopulation(ctx, 3, 8)
	if err != nil {
		b.Fatal(err)
	}
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		e, err := pop.Enrollment(Station, Officer, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		if err := st.Complete(ctx, e); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
		if after != nil {
			b.StopTimer()
			after()
			b.StartTimer()
		}
	}
	slices.Sort(took)
	return took
}

// BenchmarkComplete times saving a complete record (two fingers and a portrait) with
// synchronous=FULL, as the wizard does; p99-ms is the budget's figure.
func BenchmarkComplete(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "save.db"),
		store.WithPasswordParams(store.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	g := Generator{Store: st, Records: 0}
	if err := g.Run(ctx); err != nil {
		b.Fatal(err)
	}
	took := timeCompletes(b, st, nil)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "p90-ms")
}

// BenchmarkSearchLarge times search among DESIGN §9's 200 000 records ($BENCH_RECORDS to
// change), on a database built in the benchmark's temporary folder (BenchmarkSearchCached
// keeps it between runs). The records are demo citizens saved as drafts without images:
// search reads only blind terms and list rows, and 200 000 records with images would fill
// 40 GB.
func BenchmarkSearchLarge(b *testing.B) {
	benchSearch(b, cachedDB(b, "", benchRecords(200000), true))
}
