// Command crash is the crash harness: it kills the enrollment station and the central server
// with SIGKILL at random points, hundreds of times, and after every kill checks that nothing
// was lost, duplicated or left half done.
//
//	go run ./scripts/crash                 240 kills (about 10 minutes on 2 cores)
//	go run ./scripts/crash -short          20 kills, one of each kind at least (what CI runs)
//	go run ./scripts/crash -kills 400 -seed 7 -report /tmp/crash.md
//
// Station kills hit a worker process (`crash worker`, this program) that opens the station
// database and works through the same store and courier calls the station's window and
// commands make — a wizard step saved, a record completed, a batch built, an upload, central's
// verdicts applied, a purge — announcing each operation so the harness can aim. Central kills
// hit the real `central serve` during an upload and its ingest, and `central import` during
// an import from removable media. After every kill the harness reopens the station database
// as the station would, runs PRAGMA integrity_check, logs in, reads every record back (each
// image decrypted), checks that each record saved complete exists exactly once and never went
// backwards, verifies the audit trail as `station audit verify` does, then runs the real
// `station sync` against a live central and checks central's database: every record there
// once, whole, decided, and agreeing with the station; every batch stored whole or refused.
//
// The schedule (which point, which occurrence, how long after it begins) comes from -seed;
// the timing of the processes themselves does not repeat exactly. The exit status is 1 when
// any check failed; the table at the end says where.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

// config is what a run does.
type config struct {
	Kills    int      // kills to land
	Seed     uint64   // schedule and delays
	PerEpoch int      // kills before a fresh station and central are set up
	Work     string   // work folder ("" for a temporary one)
	Keep     bool     // keep the work folder
	Report   string   // also write the results as Markdown here
	Verbose  bool     // one line per kill
	Only     []string // points to kill at (all when empty)
}

const shortKills = 20

func main() {
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		if err := runWorker(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "crash worker:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return
		}
		fmt.Fprintln(os.Stderr, "crash:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := run(ctx, cfg, os.Stdout)
	if res != nil {
		res.print(os.Stdout)
		if cfg.Report != "" {
			f, ferr := os.Create(cfg.Report)
			if ferr == nil {
				res.markdown(f)
				ferr = f.Close()
			}
			if ferr != nil {
				fmt.Fprintln(os.Stderr, "crash: report:", ferr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		os.Exit(1)
	}
	if len(res.Problems) > 0 {
		fmt.Fprintf(os.Stderr, "crash: %d problems found (listed above)\n", len(res.Problems))
		os.Exit(1)
	}
}

func parseFlags(args []string, errOut io.Writer) (config, error) {
	fs := flag.NewFlagSet("crash", flag.ContinueOnError)
	fs.SetOutput(errOut)
	cfg := config{}
	fs.IntVar(&cfg.Kills, "kills", 240, "kills to land (at least one at every point)")
	short := fs.Bool("short", false, fmt.Sprintf("the short version CI runs: %d kills", shortKills))
	fs.Uint64Var(&cfg.Seed, "seed", uint64(time.Now().UnixNano()%1e9), "seed of the schedule (printed at the start; the same seed, the same schedule)")
	fs.IntVar(&cfg.PerEpoch, "epoch", 40, "kills before a fresh station and central are set up")
	fs.StringVar(&cfg.Work, "work", "", "work folder (default: a temporary folder, removed at the end unless -keep or a check failed)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work folder")
	fs.StringVar(&cfg.Report, "report", "", "also write the results as Markdown to this file")
	fs.BoolVar(&cfg.Verbose, "v", false, "print a line for every kill")
	only := fs.String("only", "", "kill only at these points (comma-separated: "+pointNames()+")")
	fs.Usage = func() {
		fmt.Fprintln(errOut, "usage: go run ./scripts/crash [-short] [-kills N] [-seed S] [-epoch N] [-only P,…] [-report FILE] [-work DIR] [-keep] [-v]")
		fs.PrintDefaults()
		fmt.Fprintln(errOut, "\nThe points (docs/reliability.md):")
		for _, p := range points {
			fmt.Fprintf(errOut, "  %-15s %s: %s\n", p.Name, p.Process, p.What)
		}
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *short {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["kills"] {
			cfg.Kills = shortKills
		}
	}
	if *only != "" {
		for _, name := range strings.Split(*only, ",") {
			name = strings.TrimSpace(name)
			if !knownPoint(name) {
				return cfg, fmt.Errorf("-only: no point %q (the points: %s)", name, pointNames())
			}
			cfg.Only = append(cfg.Only, name)
		}
	}
	if cfg.Kills < len(cfg.points()) {
		return cfg, fmt.Errorf("-kills %d: at least %d, one for every point", cfg.Kills, len(cfg.points()))
	}
	if cfg.PerEpoch < 1 {
		return cfg, fmt.Errorf("-epoch %d: at least 1", cfg.PerEpoch)
	}
	return cfg, nil
}

// points are the points this run kills at.
func (cfg config) points() []point {
	if len(cfg.Only) == 0 {
		return points
	}
	var ps []point
	for _, p := range points {
		for _, name := range cfg.Only {
			if p.Name == name {
				ps = append(ps, p)
				break
			}
		}
	}
	return ps
}

func knownPoint(name string) bool {
	for _, p := range points {
		if p.Name == name {
			return true
		}
	}
	return false
}

func pointNames() string {
	var names []string
	for _, p := range points {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}
