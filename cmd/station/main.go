// Command station is the level-2 e-ID enrollment station: the desktop application officers use
// at ward police offices, and its command-line tools.
//
//	station [--db FILE] [--lang vi|en]          open the station window
//	station version                             print the version
//	station init --office O --code C --user U --name N   set up a new station (as the first run)
//	station recover --user U                    new password for a supervisor, with the recovery key
//	station purge --user U                      delete delivered records past the grace period
//	station rekey --user U | --status           rotate the data key, or show what it seals
//	station demo --records N [--db FILE] [--user U]  add N synthetic complete enrollments
//	station bench [--db FILE] [--user U] [--runs N]  time record searches on a database
//	station audit verify [--user U]             check the audit trail (its MACs with a supervisor's password)
//	station devices                             list the capture devices found
//	station capture --out FILE.png              capture one print from the first reader
//	station portrait --in PHOTO --out CROP.jpg  check a photo as a portrait and write the crop
//	station quality FILE.png [--ppi N]          score a finger image as a capture is scored
//	station records --user U [--find TEXT]      list the records with their codes and ids
//	station provision FILE --user U             bind the station to central (supervisor)
//	station sync [--user U]                     build batches (when logged in), upload, pull statuses
//	station export --to DIR --user U            write ready batches to removable media
//	station import-ack FILE                     apply central's acknowledgement file
//	station receipt CODE --out FILE.pdf --user U  write a saved record's receipt
//
// station help lists them; station COMMAND --help gives a command's flags and exit statuses.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/cmd/internal/cli"
	"github.com/wardpolice/enroll/device/camera"
	"github.com/wardpolice/enroll/device/plug"
	"github.com/wardpolice/enroll/device/qr"
	"github.com/wardpolice/enroll/device/reader"
	"github.com/wardpolice/enroll/device/sim"
	"github.com/wardpolice/enroll/device/usb"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/courier"
	"github.com/wardpolice/enroll/sync/register"
	"github.com/wardpolice/enroll/ui"
	_ "github.com/wardpolice/enroll/ui/posixlocale" // before Fyne reads the locale
	"github.com/wardpolice/enroll/ui/winmax"
)

// version matches FyneApp.toml (a test checks).
const version = "0.1.0"

func main() {
	// The station's database and outbox hold citizens' data and its client key: nothing it
	// creates is for other users of the machine.
	syscall.Umask(0o077)
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		os.Exit(report(os.Stderr, err))
	}
}

// report prints a failed command's error (a usage mistake with the command's help after it)
// and returns the exit status.
func report(w io.Writer, err error) int {
	fmt.Fprintln(w, "station:", err)
	var u *cli.UsageError
	if errors.As(err, &u) {
		fmt.Fprintln(w)
		u.Help(w)
	}
	return exitStatus(err)
}

// exitStatus is 2 for a command that cannot run (a usage mistake, input that could not be
// read at all, or output that cannot be written), 1 for every other failure.
func exitStatus(err error) int {
	var u *cli.UsageError
	if errors.Is(err, errUnreadable) || errors.Is(err, errCannotWrite) || errors.As(err, &u) {
		return 2
	}
	return 1
}

func run(args []string, in io.Reader, out io.Writer) error {
	dbInUse = ""
	err := dispatch(args, in, out)
	if helpAsked(err) {
		return nil
	}
	return explainFault(err, dbInUse)
}

func dispatch(args []string, in io.Reader, out io.Writer) error {
	if len(args) > 0 && cli.IsHelp(args[0]) {
		return help(args[1:], in, out)
	}
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = append([]string{"version"}, args[1:]...) // as the version command
	}
	cmd, args, err := splitCommand(args)
	if err != nil {
		return err
	}
	switch cmd {
	case "gui":
		return runGUI(args, out)
	case "version":
		if err := newFlags("version").parse(args, out); err != nil {
			return err
		}
		fmt.Fprintln(out, versionLine())
		return nil
	case "init":
		return runInit(args, in, out)
	case "recover":
		return runRecover(args, in, out)
	case "purge":
		return runPurge(args, in, out)
	case "rekey":
		return runRekey(args, in, out)
	case "demo":
		return runDemo(args, in, out)
	case "bench":
		return runBench(args, in, out)
	case "audit":
		return runAudit(args, in, out)
	case "devices":
		return runDevices(args, out)
	case "capture":
		return runCapture(args, out)
	case "portrait":
		return runPortrait(args, out)
	case "quality":
		return runQuality(args, out)
	case "records":
		return runRecords(args, in, out)
	case "provision":
		return runProvision(args, in, out)
	case "sync":
		return runSync(args, in, out)
	case "export":
		return runExport(args, in, out)
	case "import-ack":
		return runImportAck(args, in, out)
	case "receipt":
		return runReceipt(args, in, out)
	}
	if cli.IsHelp(cmd) {
		return help(args, in, out)
	}
	return &cli.UsageError{Err: fmt.Errorf("unknown command %q (station help lists the commands)", cmd), Help: usage}
}

// help is `station help [COMMAND]`: the list of commands, or one command's own help.
func help(args []string, in io.Reader, out io.Writer) error {
	switch {
	case len(args) == 0:
		usage(out)
		return nil
	case len(args) > 1:
		return &cli.UsageError{Err: fmt.Errorf("help: one command at a time (got %s)", strings.Join(args, " ")), Help: usage}
	}
	c, ok := lookup(args[0])
	switch {
	case !ok:
		return &cli.UsageError{Err: fmt.Errorf("help: unknown command %q (station help lists the commands)", args[0]), Help: usage}
	case c.Name == "help":
		usage(out)
		return nil
	}
	return dispatch([]string{c.Name, "--help"}, in, out)
}

// splitCommand finds the command word. The usage line puts the window's flags first
// (station [--db FILE] …), so flags may come before a command too (station --db FILE rekey
// --status): they are handed to the command after its word, and the command's own flag set
// accepts or refuses them. Without a command word, everything is the window's.
func splitCommand(args []string) (cmd string, rest []string, err error) {
	if len(args) == 0 {
		return "gui", nil, nil
	}
	if !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:], nil
	}
	// The window's flag set tells which leading arguments are flags and which are their values.
	fs, _ := guiFlags()
	if err := fs.Parse(args); err != nil {
		if !helpAsked(err) {
			for _, a := range args {
				if c, ok := lookup(a); ok && c.Name != "help" && c.Name != "gui" {
					return "", nil, &cli.UsageError{Err: fmt.Errorf("%v: give the command first, then its flags: station %s [flags]", err, c.Name),
						Help: usage}
				}
			}
		}
		return "gui", args, nil // the window's flag set says what is wrong, with its help
	}
	left := fs.Args()
	used := len(args) - len(left)
	if len(left) == 0 || args[used-1] == "--" {
		return "gui", args, nil
	}
	return left[0], append(append([]string(nil), args[:used]...), left[1:]...), nil
}

// defaultDB is where the station keeps its database: $STATION_DB, else the user's data folder.
func defaultDB() string {
	if p := os.Getenv("STATION_DB"); p != "" {
		return p
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "enrollment-station", "station.db")
}

func openStore(ctx context.Context, path string, opts ...store.Option) (*store.Store, error) {
	if err := checkDBPath(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	dbInUse = path
	st, err := store.Open(ctx, path, opts...)
	return st, openFault(path, err)
}

var errNoDatabase = errors.New("no station database")

// openExisting opens a station database that must already exist (tools never create one).
func openExisting(ctx context.Context, path string) (*store.Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// The path once: the stat error would only repeat it.
		return nil, fmt.Errorf("%w at %s: set one up with station init (or the window's first run), or name the right file with --db FILE", errNoDatabase, path)
	} else if err != nil {
		return nil, fmt.Errorf("open the station database: %w", err)
	}
	if err := checkDBPath(path); err != nil {
		return nil, err
	}
	dbInUse = path
	st, err := store.Open(ctx, path)
	return st, openFault(path, err)
}

// guiMemoryLimit is the Go heap's soft limit in the window (see runGUI).
const (
	guiMemoryLimit = 96 << 20
	guiGCPercent   = 50
)

// guiOptions are the window's flags.
type guiOptions struct {
	db, lang *string
	simSeed  *uint64
}

func guiFlags() (*flags, guiOptions) {
	fs := newFlags("gui")
	return fs, guiOptions{
		db:      fs.String("db", defaultDB(), "database file"),
		lang:    fs.String("lang", ui.LangVI, "interface language (vi or en)"),
		simSeed: fs.Uint64("sim-seed", 0, "seed for the simulated devices (0: random); the same seed replays the same captures"),
	}
}

func runGUI(args []string, out io.Writer) error {
	fs, opt := guiFlags()
	if err := fs.parse(args, out); err != nil {
		return err
	}
	db, lang, simSeed := opt.db, opt.lang, opt.simSeed
	if *lang != ui.LangVI && *lang != ui.LangEN {
		return fs.Mistake("--lang %q: vi or en", *lang)
	}
	// Before anything is created: the window library panics on a display it cannot open.
	if err := checkDisplay(os.Getenv("DISPLAY"), os.Getenv("WAYLAND_DISPLAY")); err != nil {
		return err
	}
	// The station's budget is 200 MB resident, of which the window library and its software
	// renderer take about 140 MB that Go does not manage. Left to its default, the collector
	// lets the heap grow to twice what is live (the preview allocates a frame's checks 12
	// times a second): a soft limit makes it collect before the heap passes ~100 MB.
	// GOMEMLIMIT still overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(guiMemoryLimit)
	}
	// With 30-40 MB live on the portrait step, the default GOGC of 100 lets the heap reach
	// twice that before a collection. The checks reuse their buffers, so the preview
	// allocates a few MB a second and collecting at 1.5× costs little.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(guiGCPercent)
	}
	// Reading the face and landmark cascades takes 20-130 ms: it runs beside opening the
	// database and looking for devices, so that the login window comes up sooner.
	type finder struct {
		f   *biometric.FaceFinder
		err error
	}
	facesReady := make(chan finder, 1)
	go func() {
		f, err := biometric.NewFaceFinder(assets.FaceCascade(), assets.PupilCascade(), assets.LandmarkCascades())
		facesReady <- finder{f, err}
	}()
	// argon2id's 64 MiB of a login would otherwise stay resident for minutes (issue 19).
	st, err := openStore(context.Background(), *db, store.WithAfterKeyDerivation(debug.FreeOSMemory))
	if err != nil {
		return err
	}
	defer st.Close()
	tr, err := ui.NewTranslator(assets.Translations(), *lang)
	if err != nil {
		return err
	}
	a := app.NewWithID("vn.wardpolice.enrollstation")
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon()))
	w := a.NewWindow(tr.T("app.title"))
	// An office screen is 1366×768 or larger; the window opens maximised (the size below is
	// what it returns to when un-maximised, and still fits a 1280×720 projector).
	w.Resize(fyne.NewSize(1280, 720))
	a.Lifecycle().SetOnStarted(func() {
		if err := winmax.Maximise(w); err != nil {
			fmt.Fprintln(os.Stderr, "station:", err)
		}
	})
	// The reader follows the USB bus: a supported reader is used when plugged in; a station
	// that never saw one runs on its simulated reader, and every capture screen says which.
	// The camera follows /dev/video* the same way: the first V4L2 camera that opens is used;
	// a station that never saw one runs on the simulated camera, and the screens say so.
	opts := sim.DefaultScannerOptions()
	if *simSeed != 0 {
		opts.Seed = *simSeed
	}
	scanner := reader.New(sim.NewScanner(opts), openFound)
	if found, err := usb.Scan(readerModels()); err == nil {
		scanner.Update(found)
	} else {
		fmt.Fprintln(os.Stderr, "station: looking for fingerprint readers:", err)
	}
	cam := camera.NewSwitch(sim.NewCamera(nil), camera.OpenV4L2)
	if paths, err := camera.Paths(); err == nil {
		logCameraErrors(cam.Update(paths))
	} else {
		fmt.Fprintln(os.Stderr, "station: looking for cameras:", err)
	}
	defer scanner.Close()
	defer cam.Close()
	ready := <-facesReady
	if ready.err != nil {
		return ready.err
	}
	faces := ready.f
	// Sync runs beside the officer's work: batches are built while someone is logged in, sent
	// and answered whether or not anyone is.
	syncer := courier.New(st, outboxOf(*db))
	docs := &desktopDocuments{}
	defer docs.Close()
	s := ui.New(w, ui.Config{Store: st, Scanner: scanner, Camera: cam, Faces: faces, ReadQR: qr.Read, Tr: tr, Sync: syncer,
		Documents: docs})
	scanner.OnChange = func(plug.State, enroll.DeviceInfo) { fyne.Do(s.DevicesChanged) }
	cam.OnChange = func(plug.State, enroll.DeviceInfo) { fyne.Do(s.DevicesChanged) }
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go usb.Watch(ctx, readerModels(), time.Second, nil, scanner.Update)
	go camera.Watch(ctx, time.Second, func(paths []string) { logCameraErrors(cam.Update(paths)) })
	go syncer.Run(ctx, time.Minute, 15*time.Minute)
	s.Start()
	w.ShowAndRun()
	return nil
}

func runDemo(args []string, in io.Reader, out io.Writer) error {
	fs := newFlags("demo")
	db := fs.String("db", defaultDB(), "database file")
	n := fs.Int("records", 1000, "how many enrollments to add")
	var seed seedFlag
	fs.Var(&seed, "seed", "seed `S`, a whole number: the same S gives the same people (default: random; the seed used is printed on standard error)")
	days := fs.Int("days", 60, "spread the records' dates over this many past days")
	user := fs.String("user", "", "supervisor of a station already set up ("+passwordFrom+")")
	reg := fs.String("register", "", "also write the demo citizen register (CSV) for central, which differs for 30 % of the citizens: of every 20, "+
		"2 absent, 2 with another date of birth, 1 with another name, 1 with another person's fingerprints")
	if err := fs.parse(args, out); err != nil {
		return err
	}
	if *n < 0 {
		return fs.Mistake("--records must not be negative")
	}
	if *days < 0 {
		return fs.Mistake("--days must not be negative")
	}
	if !seed.set {
		seed.v = uint64(time.Now().UnixNano())
	}
	// The people depend on the seed alone: printed, a run can be repeated.
	fmt.Fprintf(os.Stderr, "station: demo seed %d (--seed %d gives the same people)\n", seed.v, seed.v)
	var regw *register.Writer
	if *reg != "" {
		f, err := os.Create(*reg)
		if err != nil {
			return fmt.Errorf("demo: register: %w", err)
		}
		defer f.Close()
		if regw, err = register.NewWriter(f); err != nil {
			return err
		}
		defer func() {
			if err := regw.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "station: demo register:", err)
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	clock := time.Now()
	st, err := openStore(ctx, *db, store.WithClock(func() time.Time { return clock }))
	if err != nil {
		return err
	}
	defer st.Close()
	if count, err := st.OfficerCount(ctx); err != nil {
		return err
	} else if count > 0 {
		if *user == "" {
			return fs.Mistake("%s is already set up: give --user SUPERVISOR to add records to it, or --db FILE for a new demo station", *db)
		}
		if err := logIn(ctx, st, *user, newConsole(in, out), true); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	gen := demo.Generator{Store: st, Records: *n, Seed: seed.v, Span: time.Duration(*days) * 24 * time.Hour,
		SetClock: func(t time.Time) { clock = t }, Progress: out, Actor: *user, Register: regw}
	return gen.Run(ctx)
}

func runBench(args []string, in io.Reader, out io.Writer) error {
	fs := newFlags("bench")
	db := fs.String("db", defaultDB(), "database file")
	user := fs.String("user", demo.Officer, "officer who logs in ("+passwordFrom+"); demo.officer is the supervisor station demo creates")
	runs := fs.Int("runs", 200, "runs per query")
	if err := fs.parse(args, out); err != nil {
		return err
	}
	if *runs < 1 {
		return fs.Mistake("--runs must be at least 1")
	}
	ctx := context.Background()
	st, err := openExisting(ctx, *db)
	if errors.Is(err, errNoDatabase) {
		return fmt.Errorf("bench: no station database at %s: create one with: station demo --records 10000 --db %s", *db, *db)
	} else if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer st.Close()
	if err := logIn(ctx, st, *user, newConsole(in, out), false); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	n, err := st.Count(ctx)
	if err != nil {
		return err
	}
	queries, err := demo.SearchQueries(ctx, st)
	if err != nil {
		return err
	}
	ts, err := demo.MeasureSearch(ctx, st, queries, *runs)
	if err != nil {
		return err
	}
	demo.PrintTimings(out, n, ts)
	return nil
}

// seedFlag is a seed given on the command line, or none: then a random one is drawn.
type seedFlag struct {
	v   uint64
	set bool
}

func (s *seedFlag) String() string {
	if s == nil || !s.set {
		return "random"
	}
	return strconv.FormatUint(s.v, 10)
}

func (s *seedFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return errors.New("want a whole number from 0 to 18446744073709551615")
	}
	s.v, s.set = n, true
	return nil
}

// logCameraErrors notes camera nodes that would not open: a camera's metadata node is one of
// those on every UVC camera, a camera busy in another program another.
func logCameraErrors(errs []error) {
	for _, err := range errs {
		fmt.Fprintln(os.Stderr, "station:", err)
	}
}
