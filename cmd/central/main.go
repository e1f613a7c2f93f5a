// Command central is the reference central intake server that enrollment stations sync to:
// it issues stations their provisioning files, receives their batches over mutual TLS
// (resumable tus uploads) or from removable media, verifies them against the citizen register
// and reports each record's status back.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/cmd/internal/cli"
	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/intake"
)

const version = "0.1.0"

func main() {
	// Central's folder holds keys, citizens' records and uploads: nothing it creates is for
	// other users of the machine.
	syscall.Umask(0o077)
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		os.Exit(report(os.Stderr, err))
	}
}

// run runs one command; a --help answered is no error.
func run(args []string, out, errOut io.Writer) error {
	err := dispatch(args, out, errOut)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(args []string, out, errOut io.Writer) error {
	if len(args) == 0 {
		return &cli.UsageError{Err: errors.New("no command given"), Help: usage}
	}
	cmd, args := args[0], args[1:]
	if cli.IsHelp(cmd) {
		return help(args, out, errOut)
	}
	if cmd == "--version" || cmd == "-version" {
		cmd = "version"
	}
	switch cmd {
	case "version":
		f := newBareFlags("version", out)
		if ok, err := f.parse(args); !ok || err != nil {
			return err
		}
		if err := f.args(0, ""); err != nil {
			return err
		}
		fmt.Fprintln(out, versionLine())
		return nil
	case "init":
		return runInit(args, out)
	case "station":
		return runStation(args, out)
	case "register":
		return runRegister(args, out)
	case "serve":
		return runServe(args, out, errOut)
	case "status":
		return runStatus(args, out)
	case "import":
		return runImport(args, out)
	case "audit":
		return runAudit(args, out)
	case "review":
		return runReview(args, out)
	case "eval-matcher":
		return runEvalMatcher(args, out)
	}
	if strings.HasPrefix(cmd, "-") {
		return &cli.UsageError{Err: fmt.Errorf("%s: give the command first, then its flags: central COMMAND [flags]", cmd), Help: usage}
	}
	return &cli.UsageError{Err: fmt.Errorf("unknown command %q (central help lists the commands)", cmd), Help: usage}
}

func defaultDir() string {
	if d := os.Getenv("CENTRAL_DIR"); d != "" {
		return d
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "enrollment-central")
}

func (f *flags) open(ctx context.Context) (*intake.Central, error) {
	dsn, err := f.resolveDSN()
	if err != nil {
		return nil, err
	}
	f.using = describeDB(dsn)
	return intake.Open(ctx, *f.dir, dsn)
}

func runInit(args []string, out io.Writer) error {
	f := newFlags("init", out)
	url := f.String("url", "https://127.0.0.1:8443", "the address stations reach central at (written into provisioning files)")
	name := f.String("name", "Trung tâm dữ liệu căn cước", "central system's name (its CA's subject)")
	hosts := f.String("host", "", "extra host names or addresses for the server certificate, comma-separated (localhost, 127.0.0.1 and ::1 are always in)")
	takeOver := f.Bool("take-over-database", false, "set up on a database that already holds another central's stations (they then need new provisioning files: station add CODE --reissue)")
	if ok, err := f.parse(args); !ok || err != nil {
		return err
	}
	if err := f.args(0, ""); err != nil {
		return err
	}
	u, err := neturl.Parse(*url)
	port, perr := 443, error(nil)
	if err == nil && u.Port() != "" {
		port, perr = strconv.Atoi(u.Port())
	}
	if err != nil || perr != nil || port < 1 || port > 65535 || u.Scheme != "https" || u.Hostname() == "" ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return f.Mistake("--url %q must be an https:// address with a host and an optional port, nothing after it (e.g. https://central.example.vn:8443)", *url)
	}
	// Stations check the server certificate against the host in their provisioning file.
	all := []string{"localhost", "127.0.0.1", "::1", u.Hostname()}
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			all = append(all, h)
		}
	}
	*url = "https://" + u.Host
	if err := checkDSN(f.dbArg()); err != nil {
		return f.Mistake("--db: %w", err)
	}
	if _, err := os.Stat(filepath.Join(*f.dir, "central.json")); err == nil {
		return fmt.Errorf("init: central is already set up in %s: its CA and keys are there, and the stations' certificates come from them. "+
			"Use it as it is (central serve --dir %s; central station list --dir %s shows its stations); to set up another central, "+
			"give a new folder with --dir", *f.dir, *f.dir, *f.dir)
	}
	dsn := f.dbArg()
	if dsn == "" {
		dsn = intake.DefaultDB(*f.dir)
	}
	ctx := context.Background()
	// The database first: one that cannot be used, or that belongs to another central, stops
	// init before anything is created.
	if err := checkNewDatabase(ctx, dsn, *takeOver); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	// A failure past this point removes what init created, so that it can simply be run again.
	before := snapshotFolder(*f.dir)
	done := false
	defer func() {
		if !done {
			before.undo()
		}
	}()
	if err := os.MkdirAll(*f.dir, 0o700); err != nil {
		return fmt.Errorf("init: create central folder: %w", err)
	}
	rec, err := recordDatabase(*f.dir, dsn)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := intake.Init(*f.dir, intake.Config{Name: *name, URL: *url, Hosts: all}, time.Now()); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	c, err := f.open(ctx)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	defer c.Close()
	listen, err := listenAddr(*url)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	done = true
	// The commands after init need the same database: the folder remembers it, but not a
	// password, which the hints then ask for.
	dbArg := ""
	fmt.Fprintf(out, "central set up in %s, database %s\nstations will reach it at %s\n", *f.dir, f.using, *url)
	if rec.Password {
		dbArg = ` --db "$CENTRAL_DB"`
		fmt.Fprintf(out, "the database's password is not kept in the folder: every central command needs its URL with the password,\n"+
			"e.g. export CENTRAL_DB='%s' (with the password) before the commands below\n", withPlaceholder(rec.Address))
	}
	fmt.Fprintf(out, "next: central register load FILE.csv --dir %[1]s%[2]s, then central station add CODE --name NAME --dir %[1]s%[2]s,\n"+
		"then central serve --dir %[1]s%[2]s (it listens at %[3]s; --listen ADDR for another address, e.g. behind a proxy)\n",
		*f.dir, dbArg, listen)
	return nil
}

func runStation(args []string, out io.Writer) error {
	sub, args, err := group("station", args, out)
	if err != nil {
		return err
	}
	ctx := context.Background()
	switch sub {
	case "add":
		f := newFlags("station add", out)
		name := f.String("name", "", "the station's office, e.g. \"Công an phường Kim Liên\"")
		to := f.String("out", "", "provisioning file to write (default CODE.provision.json in the current folder)")
		reissue := f.Bool("reissue", false, "give a registered station a new certificate (the old one stops working)")
		if ok, err := f.parse(args); !ok || err != nil {
			return err
		}
		if err := f.args(1, "exactly one station code, e.g. HN-KL-01"); err != nil {
			return err
		}
		code := strings.ToUpper(f.Arg(0))
		if err := enroll.CheckStationCode(code); err != nil {
			if fe, ok := enroll.AsFieldError(err); ok {
				err = errors.New(strings.TrimPrefix(fe.Error(), string(fe.Field)+": ")) // the code is the argument, not a field
			}
			return f.Mistake("%w", err)
		}
		if enroll.NormalizeText(*name) == "" {
			return f.Mistake("say which office the station serves: --name NAME (e.g. --name \"Công an phường Kim Liên\")")
		}
		if *to == "" {
			*to = code + ".provision.json"
		}
		// The file is opened first: a station registered without its file would be stuck.
		file, err := os.OpenFile(*to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("station add: provisioning file: %w", err)
		}
		defer file.Close()
		c, err := f.open(ctx)
		if err != nil {
			os.Remove(*to)
			return fmt.Errorf("station add: %w", err)
		}
		defer c.Close()
		data, err := c.AddStation(ctx, code, *name, *reissue)
		if err != nil {
			os.Remove(*to)
			return fmt.Errorf("station add: %w", err)
		}
		if _, err := file.Write(data); err != nil {
			return fmt.Errorf("station add: write %s: %w (run again with --reissue)", *to, err)
		}
		if err := file.Close(); err != nil {
			return fmt.Errorf("station add: write %s: %w (run again with --reissue)", *to, err)
		}
		fmt.Fprintf(out, "station %s registered\nprovisioning file: %s (it holds the station's private key: carry it to that station, provision it, then delete it)\n", code, *to)
		return nil
	case "remove":
		f := newFlags("station remove", out)
		if ok, err := f.parse(args); !ok || err != nil {
			return err
		}
		if err := f.args(1, "exactly one station code"); err != nil {
			return err
		}
		c, err := f.open(ctx)
		if err != nil {
			return fmt.Errorf("station remove: %w", err)
		}
		defer c.Close()
		if err := c.RemoveStation(ctx, strings.ToUpper(f.Arg(0))); err != nil {
			return fmt.Errorf("station remove: %w", err)
		}
		fmt.Fprintf(out, "station %s removed: its connections and batches are refused from now on\n", strings.ToUpper(f.Arg(0)))
		return nil
	case "list":
		f := newFlags("station list", out)
		if ok, err := f.parse(args); !ok || err != nil {
			return err
		}
		if err := f.args(0, ""); err != nil {
			return err
		}
		c, err := f.open(ctx)
		if err != nil {
			return fmt.Errorf("station list: %w", err)
		}
		defer c.Close()
		list, err := c.Stations(ctx)
		if err != nil {
			return fmt.Errorf("station list: %w", err)
		}
		if len(list) == 0 {
			fmt.Fprintln(out, "no station is registered yet (central station add CODE --name NAME registers one)")
		}
		for _, s := range list {
			state := "active"
			if !s.Active {
				state = "removed " + s.RemovedAt.Format(time.DateOnly)
			}
			seen := "never"
			if !s.LastSeen.IsZero() {
				seen = s.LastSeen.Format(time.DateTime)
			}
			fmt.Fprintf(out, "%-16s %-10s last batch %-19s %s\n", s.Code, state, seen, s.Name)
		}
		return nil
	}
	return fmt.Errorf("station: %q has no handler", sub) // group() accepts only the table's subcommands
}

func runRegister(args []string, out io.Writer) error {
	_, args, err := group("register", args, out)
	if err != nil {
		return err
	}
	f := newFlags("register load", out)
	if ok, err := f.parse(args); !ok || err != nil {
		return err
	}
	if err := f.args(1, "one CSV file"); err != nil {
		return err
	}
	in, err := os.Open(f.Arg(0))
	if err != nil {
		return fmt.Errorf("register load: %w", err)
	}
	defer in.Close()
	ctx := context.Background()
	c, err := f.open(ctx)
	if err != nil {
		return fmt.Errorf("register load: %w", err)
	}
	defer c.Close()
	n, err := c.LoadRegister(ctx, in)
	if err != nil {
		return fmt.Errorf("register load: %w", err)
	}
	fmt.Fprintf(out, "register: %d citizens loaded, %d reference prints\n", n.Citizens, n.Prints)
	return nil
}

func runServe(args []string, out, errOut io.Writer) error {
	f := newFlags("serve", out)
	listen := f.String("listen", "", "address to listen on, HOST:PORT or :PORT for every interface (default: the host and port of the --url central init was given)")
	sweep := f.Duration("sweep", 30*time.Second, "how often to finish uploads a crash left behind")
	if ok, err := f.parse(args); !ok || err != nil {
		return err
	}
	if err := f.args(0, ""); err != nil {
		return err
	}
	if *sweep <= 0 {
		return f.Mistake("--sweep must be more than 0 (e.g. 30s)")
	}
	if *listen != "" {
		if err := checkListen(*listen); err != nil {
			return f.Mistake("--listen %q: %v", *listen, err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := f.open(ctx)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer c.Close()
	addr := *listen
	if addr == "" {
		// Where stations were told central is (their provisioning files carry this URL).
		if addr, err = listenAddr(c.Config().URL); err != nil {
			return fmt.Errorf("serve: %w (give the address to listen on with --listen HOST:PORT)", err)
		}
	}
	err = c.Serve(ctx, addr, errOut, *sweep, func(a net.Addr) {
		fmt.Fprintf(out, "central serving stations on https://%s (mutual TLS), database %s\n", a, f.using)
	})
	if err != nil && *listen == "" {
		return fmt.Errorf("serve: %w (the address is the one of central's URL, %s; give another with --listen HOST:PORT, or :PORT for every interface)",
			err, c.Config().URL)
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// checkListen tells a --listen address that cannot be listened on as written: HOST:PORT or
// :PORT, the port a number from 0 to 65535.
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want HOST:PORT, or :PORT for every interface (e.g. 0.0.0.0:8443 or :8443)")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q: want a number from 1 to 65535", port)
	}
	return nil
}

// listenAddr is the host and port of central's URL (port 443 when it names none): where
// central listens unless told otherwise.
func listenAddr(url string) (string, error) {
	u, err := neturl.Parse(url)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("central's URL %q names no host", url)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

func runStatus(args []string, out io.Writer) error {
	f := newFlags("status", out)
	if ok, err := f.parse(args); !ok || err != nil {
		return err
	}
	if err := f.args(0, ""); err != nil {
		return err
	}
	ctx := context.Background()
	c, err := f.open(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	defer c.Close()
	n, err := c.Count(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	total := 0
	for _, k := range n.Records {
		total += k
	}
	fmt.Fprintf(out, "stations  %d active\nbatches   %d stored, %d refused\nrecords   %d\n", n.Stations, n.Batches, n.Refused, total)
	for _, s := range []enroll.Status{enroll.StatusReceived, enroll.StatusVerified, enroll.StatusRejected} {
		fmt.Fprintf(out, "  %-9s %d\n", s, n.Records[s])
		if s == enroll.StatusReceived && n.Review > 0 {
			fmt.Fprintf(out, "    %-17s %d  (an examiner decides: central review list)\n", "manual review", n.Review)
		}
	}
	codes := make([]string, 0, len(n.Reasons))
	for code := range n.Reasons {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		split := false
		for _, p := range enroll.TenPrint() {
			r := enroll.Reason{Code: code, Finger: p}
			if k := n.ByFinger[r]; k > 0 {
				fmt.Fprintf(out, "    %-17s %d  (%s)\n", code, k, r)
				split = true
			}
		}
		if !split {
			fmt.Fprintf(out, "    %-17s %d  (%s)\n", code, n.Reasons[code], aggregateReason(code))
		}
	}
	return nil
}

// aggregateReasons say what a reason means for every record counted under it, where the
// reason's own text has a {detail} or {finger} of one record's (which a count has none of).
var aggregateReasons = map[string]string{
	enroll.ReasonAlreadyEnrolled: "the citizen already has a verified level-2 account; each record's reason says where; do not enrol them again",
	enroll.ReasonRecordInvalid:   "the record is incomplete; each record's reason says what is missing",
	enroll.ReasonOther:           "other reasons, given in words by an examiner",
	enroll.ReasonFingerMismatch:  "a finger's print does not match the citizen ID database; check the person against the card and capture that finger again",
	enroll.ReasonFingerMissing:   "a finger is missing; capture it or record an exception",
	enroll.ReasonFingerQuality:   "a finger's print is below the quality threshold; capture it again",
}

// aggregateReason is the text `central status` gives beside a reason's count.
func aggregateReason(code string) string {
	if s, ok := aggregateReasons[code]; ok {
		return s
	}
	return enroll.Reason{Code: code}.Error()
}

func runImport(args []string, out io.Writer) error {
	f := newFlags("import", out)
	if ok, err := f.parse(args); !ok || err != nil {
		return err
	}
	if err := f.args(1, "the folder the station exported to"); err != nil {
		return err
	}
	dir := f.Arg(0)
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("import: %w (give the folder the station exported to)", err)
	} else if !st.IsDir() {
		return fmt.Errorf("import: %s is a file; give the folder the station exported to", dir)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.batch"))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("import: no .batch files in %s (the station writes them with: station export --to DIR)", dir)
	}
	sort.Strings(files)
	ctx := context.Background()
	c, err := f.open(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer c.Close()
	byStation := map[string][]ack.BatchOutcome{}
	counts := map[string]int{}
	for _, p := range files {
		o, err := c.Ingest(ctx, p, intake.From{Source: intake.SourceImport})
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		line := fmt.Sprintf("%s: %s", filepath.Base(p), o.Outcome)
		if o.Reason != "" {
			line += ": " + o.Reason
		}
		fmt.Fprintln(out, line)
		counts[o.Outcome]++
		if o.Station != "" {
			byStation[o.Station] = append(byStation[o.Station], o.BatchOutcome)
		}
	}
	// Records a killed import stored but did not verify come back as duplicates now: verify
	// whatever is still undecided before the acknowledgements say what became of them.
	if _, err := c.VerifyPending(ctx, nil); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for station, outcomes := range byStation {
		var ids []string
		for _, o := range outcomes {
			ids = append(ids, o.ID)
		}
		verdicts, err := c.BatchVerdicts(ctx, station, ids)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		data, err := c.Ack(station, outcomes, verdicts)
		if err != nil {
			return fmt.Errorf("import: acknowledgement for %s: %w", station, err)
		}
		name := filepath.Join(dir, fmt.Sprintf("ack-%s-%s.json", station, time.Now().UTC().Format("20060102-150405")))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return fmt.Errorf("import: write acknowledgement: %w", err)
		}
		fmt.Fprintf(out, "acknowledgement for %s: %s (%d records; at the station: station import-ack %s)\n", station, name, len(verdicts), name)
	}
	fmt.Fprintf(out, "import: %d batch files: %d stored, %d already stored before, %d refused\n",
		len(files), counts[ack.BatchReceived], counts[ack.BatchDuplicate], counts[ack.BatchRefused])
	if n := counts[ack.BatchRefused]; n > 0 {
		return fmt.Errorf("import: %d of %d batch files refused, nothing of them stored (the reasons are above)", n, len(files))
	}
	return nil
}
