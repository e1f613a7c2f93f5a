package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCrashShort is the crash harness's short version, run by `go test ./...` in CI: 20 kills,
// every point at least twice, each followed by the full checks (about 2-3 minutes on 2 cores,
// most of it building the station and central binaries and the first sync passes). The seed
// is new every run and printed: go run ./scripts/crash -short -seed N repeats its schedule.
func TestCrashShort(t *testing.T) {
	if testing.Short() {
		fmt.Fprintln(os.Stderr, "\n*** TestCrashShort SKIPPED under -short: the crash harness (20 SIGKILLs of station and central, "+
			"about 3 minutes) did not run; run it with: go test ./scripts/crash (or go run ./scripts/crash -short) ***")
		t.Skip("the crash harness kills real processes for minutes; run without -short")
	}
	cfg := config{Kills: shortKills, Seed: uint64(time.Now().UnixNano() % 1e9), PerEpoch: shortKills}
	if s := os.Getenv("CRASH_SEED"); s != "" {
		fmt.Sscan(s, &cfg.Seed)
	}
	res, err := run(context.Background(), cfg, logWriter{t})
	if res != nil {
		var b strings.Builder
		res.print(&b)
		t.Log(b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if n := res.kills(); n < shortKills {
		t.Errorf("%d kills landed, want %d", n, shortKills)
	}
	for _, p := range res.Points {
		if p.Kills == 0 {
			t.Errorf("no kill landed at %s", p.Name)
		}
	}
	if len(res.Problems) > 0 {
		t.Errorf("seed %d: %d problems:\n%s", cfg.Seed, len(res.Problems), strings.Join(res.Problems, "\n"))
	}
}

// logWriter sends the harness's progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = logWriter{}

// TestSchedule: every point gets its share, at least one kill each, and the total is what was
// asked for.
func TestSchedule(t *testing.T) {
	for _, kills := range []int{len(points), shortKills, 200, 240, 1001} {
		h := &harness{cfg: config{Kills: kills, Seed: 3}, rng: newRand(3)}
		s := h.schedule()
		if len(s) != kills {
			t.Errorf("%d kills: schedule of %d", kills, len(s))
		}
		per := map[string]int{}
		for _, p := range s {
			per[p.Name]++
		}
		for _, p := range points {
			if per[p.Name] == 0 {
				t.Errorf("%d kills: none at %s", kills, p.Name)
			}
			if kills >= shortKills && per[p.Name] < 2 {
				t.Errorf("%d kills: only %d at %s", kills, per[p.Name], p.Name)
			}
		}
	}
	h := &harness{cfg: config{Kills: 10, Only: []string{"purge", "upload"}}, rng: newRand(1)}
	for _, p := range h.schedule() {
		if p.Name != "purge" && p.Name != "upload" {
			t.Errorf("-only purge,upload scheduled %s", p.Name)
		}
	}
}

func TestFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-short"}, io.Discard)
	if err != nil || cfg.Kills != shortKills {
		t.Errorf("-short: %d kills, %v", cfg.Kills, err)
	}
	if cfg, err = parseFlags([]string{"-short", "-kills", "30"}, io.Discard); err != nil || cfg.Kills != 30 {
		t.Errorf("-short -kills 30: %d kills, %v", cfg.Kills, err)
	}
	if _, err := parseFlags([]string{"-only", "nowhere"}, io.Discard); err == nil {
		t.Error("-only nowhere: no error")
	}
	if _, err := parseFlags([]string{"-kills", "3"}, io.Discard); err == nil {
		t.Error("-kills 3: no error (fewer than the points)")
	}
}
