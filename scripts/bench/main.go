// Command bench measures every budget of DESIGN.md §9, and the figures issue 19 adds to them,
// and prints one table: what, budget, measured, pass or fail, and the machine's load average
// when the row was measured.
//
//	go run ./scripts/bench                 the full run (6-9 minutes on 2 cores, plus about 13
//	                                       minutes building the cached databases the first time)
//	go run ./scripts/bench -quick          smaller counts, 3-5 minutes (what CI can run)
//	go run ./scripts/bench -only 'xvfb|wal' -out /tmp/table.md
//
// Rows come from the packages' benchmarks (go test -bench, whose custom metrics give the
// percentiles), from a real station window under Xvfb driven by the keyboard with xdotool
// (start-up time and resident memory read from /proc), from `station demo` saving records
// back to back (the WAL's size sampled from outside) and from the matcher's evaluation. The
// databases of 10 000 and 200 000 records take minutes to build; they are kept in -cache
// (default $TMPDIR/enroll-bench-cache) and reused by later runs. docs/performance.md says how
// each row is measured and holds the latest full table.
//
// Needs what the station needs (bash .ci/deps) plus xdotool and xclip for the Xvfb rows. The
// exit status is 1 when a budget is missed or a row could not be measured.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// config is what a run measures and where.
type config struct {
	Quick   bool
	Only    *regexp.Regexp // groups to run (all when nil)
	Cache   string         // databases kept between runs
	Work    string         // this run's files
	Keep    bool           // keep Work afterwards
	Out     string         // also write the table here
	Starts  int            // timed starts of the station
	Display int            // Xvfb display number (0: the first free from 90)
	Verbose bool
	Root    string // the module's folder
	Log     io.Writer
}

// group is one measurement that yields rows; name is what -only matches.
type group struct {
	name string
	run  func(*config) []row
}

var groups = []group{
	{"xvfb", measureStation},
	{"stepchange", measureStepChange},
	{"capture", measureCapture},
	{"preview", measurePreview},
	{"portrait", measurePortrait},
	{"save", measureSave},
	{"search", measureSearch},
	{"batch", measureBatch},
	{"upload", measureUpload},
	{"matcher", measureMatcher},
	{"fnmr", measureFNMR},
	{"wal", measureWAL},
	{"uisuite", measureUISuite},
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	os.Exit(run(cfg))
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := &config{Log: os.Stderr}
	only := fs.String("only", "", "measure only the groups matching this regular expression: "+groupNames())
	fs.BoolVar(&cfg.Quick, "quick", false, "smaller record counts and fewer repetitions (a few minutes; the table says which rows)")
	fs.StringVar(&cfg.Cache, "cache", filepath.Join(os.TempDir(), "enroll-bench-cache"), "folder that keeps the 10 000- and 200 000-record databases between runs")
	fs.StringVar(&cfg.Work, "work", "", "folder for this run's files (default: a new temporary folder)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work folder (screenshots of a failed Xvfb run are kept anyway)")
	fs.StringVar(&cfg.Out, "out", "", "also write the table (Markdown) to this file")
	fs.IntVar(&cfg.Starts, "starts", 0, "timed starts of the station (default 7, quick 3)")
	fs.IntVar(&cfg.Display, "display", 0, "X display number for Xvfb (default: the first free one from :90)")
	fs.BoolVar(&cfg.Verbose, "v", false, "show the commands run and their output")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./scripts/bench [-quick] [-only REGEXP] [-cache DIR] [-out FILE] [-v]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return nil, fmt.Errorf("-only: %w", err)
		}
		cfg.Only = re
	}
	if cfg.Starts == 0 {
		cfg.Starts = 7
		if cfg.Quick {
			cfg.Starts = 3
		}
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	cfg.Root = root
	return cfg, nil
}

func groupNames() string {
	var names []string
	for _, g := range groups {
		names = append(names, g.name)
	}
	return strings.Join(names, ", ")
}

// moduleRoot is the folder of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(data), "module github.com/wardpolice/enroll\n") {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("run from inside the github.com/wardpolice/enroll checkout")
		}
		dir = up
	}
}

func run(cfg *config) int {
	if cfg.Work == "" {
		dir, err := os.MkdirTemp("", "enroll-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
		cfg.Work = dir
	} else if err := os.MkdirAll(cfg.Work, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if err := os.MkdirAll(cfg.Cache, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	// An interrupt stops the children (they are in this process group) and leaves the work
	// folder for a look.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cleanupChildren()
		fmt.Fprintln(os.Stderr, "bench: interrupted; files in", cfg.Work)
		os.Exit(130)
	}()
	m := describeMachine(cfg.Root)
	began := time.Now()
	fmt.Fprintf(cfg.Log, "bench: %s run; work folder %s; cached databases in %s\n", mode(cfg), cfg.Work, cfg.Cache)
	var rows []row
	for _, g := range groups {
		if cfg.Only != nil && !cfg.Only.MatchString(g.name) {
			continue
		}
		fmt.Fprintf(cfg.Log, "bench: measuring %s (load average %s)\n", g.name, loadAverage())
		t0 := time.Now()
		got := g.run(cfg)
		load := loadAverage()
		for i := range got {
			if got[i].Load == "" {
				got[i].Load = load
			}
		}
		rows = append(rows, got...)
		fmt.Fprintf(cfg.Log, "bench: %s done in %s\n", g.name, time.Since(t0).Round(time.Second))
	}
	cleanupChildren()
	m.LoadEnd = loadAverage()
	m.Took = time.Since(began)
	table := formatTable(cfg, m, rows)
	fmt.Print(table)
	if cfg.Out != "" {
		if err := os.WriteFile(cfg.Out, []byte(table), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
	status := 0
	for _, r := range rows {
		if r.Result == fail || r.Result == unmeasured {
			status = 1
		}
	}
	if cfg.Keep || keepWork {
		fmt.Fprintln(os.Stderr, "bench: files kept in", cfg.Work)
	} else {
		os.RemoveAll(cfg.Work)
	}
	return status
}

// keepWork is set when a measurement left files (screenshots) worth a look.
var keepWork bool

func mode(cfg *config) string {
	if cfg.Quick {
		return "quick"
	}
	return "full"
}

// pick is the full run's value, or the quick run's.
func pick[T any](cfg *config, full, quick T) T {
	if cfg.Quick {
		return quick
	}
	return full
}

func (cfg *config) logf(format string, args ...any) {
	if cfg.Verbose {
		fmt.Fprintf(cfg.Log, format+"\n", args...)
	}
}
