package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// results is what a run found.
type results struct {
	Seed    uint64
	Wanted  int
	Epochs  int
	Elapsed time.Duration
	Points  []*pointResult
	// Problems: every failed check, with the kill it followed.
	Problems []string
	Records  struct{ Completed, Verified, Rejected, Purged, Drafts int }
	// Adopted: records a killed process had created without announcing them (the kill landed
	// after the commit), found once and taken into the ledger.
	Adopted int
	// Reads: records read back whole (every image decrypted) in the checks after kills.
	Reads                                                  int
	Lost, Duplicated, Undecryptable, IntegrityFailures     int
	AuditBreaks, Reviewed, ImportUndecided, CentralBatches int
	Leftovers                                              int
	AuditEntries                                           int64
	// Passes counts the checks by how many sync passes it took until every record was decided.
	Passes map[int]int
	out    io.Writer
}

type pointResult struct {
	point
	Kills, Inside, After, Missed, Attempts, Problems int
	Phases                                           map[string]int
	Time                                             time.Duration
}

func newResults(cfg config) *results {
	r := &results{Seed: cfg.Seed, Wanted: cfg.Kills, Passes: map[int]int{}, out: os.Stdout}
	for _, p := range points {
		r.Points = append(r.Points, &pointResult{point: p, Phases: map[string]int{}})
	}
	return r
}

func (r *results) point(name string) *pointResult {
	for _, p := range r.Points {
		if p.Name == name {
			return p
		}
	}
	panic("unknown point " + name)
}

// problem records a failed check.
func (r *results) problem(it *iteration, format string, args ...any) {
	msg := fmt.Sprintf("after %v: %s", it, fmt.Sprintf(format, args...))
	r.Problems = append(r.Problems, msg)
	if it != nil {
		it.problems++
	}
	if r.out != nil {
		fmt.Fprintln(r.out, "PROBLEM", msg)
	}
}

func (r *results) kills() (n int) {
	for _, p := range r.Points {
		n += p.Kills
	}
	return n
}

func phases(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func (r *results) passes() string {
	var ks []int
	for k := range r.Passes {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%d pass%s: %d", k, map[bool]string{true: "es"}[k > 1], r.Passes[k]))
	}
	return strings.Join(parts, ", ")
}

// print writes the results as a plain table.
func (r *results) print(w io.Writer) {
	fmt.Fprintf(w, "\ncrash harness, seed %d: %d kills landed of %d wanted, %d epochs, %s (%s, %d CPUs)\n\n",
		r.Seed, r.kills(), r.Wanted, r.Epochs, r.Elapsed.Round(time.Second), runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(w, "%-15s %-17s %5s %6s %6s %8s %8s %6s  %s\n", "point", "process", "kills", "inside", "after", "attempts", "problems", "time", "aimed at")
	for _, p := range r.Points {
		fmt.Fprintf(w, "%-15s %-17s %5d %6d %6d %8d %8d %6s  %s\n", p.Name, p.Process, p.Kills, p.Inside, p.After, p.Attempts, p.Problems,
			p.Time.Round(time.Second), phases(p.Phases))
		if p.Missed > 0 {
			fmt.Fprintf(w, "  %d kills at %s never landed in %d attempts each\n", p.Missed, p.Name, attemptsPerKill)
		}
	}
	fmt.Fprintf(w, "\nrecords saved complete %d: verified %d (purged %d of them), rejected by central %d; unfinished drafts %d\n",
		r.Records.Completed, r.Records.Verified+r.Records.Purged, r.Records.Purged, r.Records.Rejected, r.Records.Drafts)
	fmt.Fprintf(w, "records read back whole after kills %d; created by a killed process before it could say so %d\n", r.Reads, r.Adopted)
	fmt.Fprintf(w, "lost %d, duplicated %d, undecryptable or missing images %d, integrity failures %d, audit breaks %d\n",
		r.Lost, r.Duplicated, r.Undecryptable, r.IntegrityFailures, r.AuditBreaks)
	fmt.Fprintf(w, "sync passes until every record was decided: %s; records an examiner had to decide: %d\n", r.passes(), r.Reviewed)
	if r.ImportUndecided > 0 {
		fmt.Fprintf(w, "records central import left undecided after a killed import: %d\n", r.ImportUndecided)
	}
	if r.Leftovers > 0 {
		fmt.Fprintf(w, "batch files left in the outbox after central had them: %d\n", r.Leftovers)
	}
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, "\nno problems found")
		return
	}
	fmt.Fprintf(w, "\n%d problems:\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  "+p)
	}
}

// markdown writes the results as the table docs/reliability.md keeps.
func (r *results) markdown(w io.Writer) {
	fmt.Fprintf(w, "Seed %d: %d kills landed of %d wanted, %d epochs, %s on %s/%s with %d CPUs.\n\n",
		r.Seed, r.kills(), r.Wanted, r.Epochs, r.Elapsed.Round(time.Second), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintln(w, "| point | process killed | kills | inside the operation | after it returned | attempts | problems | aimed at |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
	attempts := 0
	for _, p := range r.Points {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d | %s |\n", p.Name, p.Process, p.Kills, p.Inside, p.After, p.Attempts, p.Problems, phases(p.Phases))
		attempts += p.Attempts
	}
	fmt.Fprintf(w, "| **total** | | **%d** | | | %d | **%d** | |\n\n", r.kills(), attempts, len(r.Problems))
	fmt.Fprintf(w, "- Records saved complete: %d; verified by central %d (purged at the station %d), rejected by central %d; unfinished drafts %d.\n",
		r.Records.Completed, r.Records.Verified+r.Records.Purged, r.Records.Purged, r.Records.Rejected, r.Records.Drafts)
	fmt.Fprintf(w, "- Records read back whole (every image decrypted) in the checks: %d; created by a killed process after its commit and before it could say so: %d.\n", r.Reads, r.Adopted)
	fmt.Fprintf(w, "- Lost %d, duplicated %d, undecryptable or missing images %d, integrity_check failures %d, audit breaks %d.\n",
		r.Lost, r.Duplicated, r.Undecryptable, r.IntegrityFailures, r.AuditBreaks)
	fmt.Fprintf(w, "- Sync passes until every record was decided: %s. Records an examiner decided: %d.\n", r.passes(), r.Reviewed)
	if r.ImportUndecided > 0 {
		fmt.Fprintf(w, "- Records a killed `central import` left stored but undecided after the import was run again: %d.\n", r.ImportUndecided)
	}
	if r.Leftovers > 0 {
		fmt.Fprintf(w, "- Batch files left in the station's outbox after central had the batch: %d.\n", r.Leftovers)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "\nProblems (%d):\n\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(w, "- %s\n", strings.ReplaceAll(p, "\n", " "))
		}
	}
}
