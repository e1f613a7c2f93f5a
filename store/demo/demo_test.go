package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
)

func TestGeneratorFillsAStation(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), store.WithClock(func() time.Time { return clock }),
		store.WithPasswordParams(store.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out bytes.Buffer
	g := Generator{Store: st, Records: 30, Seed: 9, Span: 30 * 24 * time.Hour, Progress: &out,
		Now: func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }, SetClock: func(t time.Time) { clock = t }}
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Count(ctx); n != 30 {
		t.Fatalf("%d records", n)
	}
	if !strings.Contains(out.String(), "created supervisor demo.officer with password") || !strings.Contains(out.String(), "recovery key ") {
		t.Errorf("no one-time password shown: %s", out.String())
	}
	list, err := st.List(ctx, store.Filter{Status: enroll.StatusComplete, Limit: 100})
	if err != nil || len(list) != 30 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	// Creation times spread over the span, oldest first.
	oldest, newest := list[len(list)-1].CreatedAt, list[0].CreatedAt
	if newest.Sub(oldest) < 25*24*time.Hour {
		t.Errorf("records span %s", newest.Sub(oldest))
	}
	e, err := st.Get(ctx, list[0].ID)
	if err != nil || e.Portrait == nil || len(e.Fingers)+len(e.Exceptions) != 2 {
		t.Fatalf("record not complete: %+v %v", e, err)
	}
	// Each record is found by its name without diacritics.
	res, err := st.Search(ctx, enroll.SearchKey(e.Citizen.FullName), 50)
	found := false
	for _, r := range res {
		found = found || r.ID == e.ID
	}
	if err != nil || !found {
		t.Errorf("%s not found by %q", e.Citizen.FullName, enroll.SearchKey(e.Citizen.FullName))
	}
	// A second run, still unlocked, adds to the same station without a new officer.
	out.Reset()
	g.Records = 5
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Count(ctx); n != 35 || strings.Contains(out.String(), "created supervisor") {
		t.Errorf("second run: %d records, output %q", n, out.String())
	}
}
