package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/sync/courier"
)

// outboxOf is the folder of built batches beside a station database.
func outboxOf(db string) string { return filepath.Join(filepath.Dir(db), "outbox") }

// Who --user is, for the sync commands: export and provision need a supervisor; sync and
// import-ack work without a login, and with one apply what central said at once.
const (
	supervisorUser = "supervisor who logs in (" + passwordFrom + ")"
	ackUser        = "officer who logs in, to apply central's verdicts now (" + passwordFrom + "); without it, they are kept and applied at the next login"
	optionalUser   = "officer who logs in, to pack records into batches and apply central's verdicts now (" + passwordFrom + "); without it, nothing sealed is read"
)

// syncFlags parses a sync command's flags: --db, --user (described by who) and what more adds,
// with arguments before or after them, which it returns. A --help is returned as flag.ErrHelp.
func syncFlags(name, who string, args []string, out io.Writer, more func(*flag.FlagSet)) (fs *flags, db, user *string, pos []string, err error) {
	fs = newFlags(name)
	db = fs.String("db", defaultDB(), "database file")
	user = fs.String("user", "", who)
	if more != nil {
		more(fs.FlagSet)
	}
	pos, err = fs.ParseArgs(args, out)
	return fs, db, user, pos, err
}

// openForSync opens an existing station database and its courier.
func openForSync(ctx context.Context, db string) (*store.Store, *courier.Courier, error) {
	st, err := openExisting(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	return st, courier.New(st, outboxOf(db)), nil
}

// readArg reads the one file a command names.
func readArg(fs *flags, pos []string, what string) ([]byte, error) {
	if len(pos) != 1 {
		return nil, fs.Mistake("name %s, and only that", what)
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fs.Name(), err)
	}
	return data, nil
}

// session opens the station for a sync command and logs user in when given (a supervisor
// when supervisor is set). The actor is the user, or the courier's System without one.
func session(ctx context.Context, name, db, user string, in io.Reader, out io.Writer, supervisor bool) (*store.Store, *courier.Courier, string, error) {
	st, c, err := openForSync(ctx, db)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: %w", name, err)
	}
	if user == "" && !supervisor {
		return st, c, courier.System, nil
	}
	if err := logIn(ctx, st, user, newConsole(in, out), supervisor); err != nil {
		st.Close()
		return nil, nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return st, c, user, nil
}

func runProvision(args []string, in io.Reader, out io.Writer) error {
	fs, db, user, pos, err := syncFlags("provision", supervisorUser, args, out, nil)
	if err != nil {
		return err
	}
	if *user == "" {
		return fs.Mistake("say which supervisor binds the station: --user NAME")
	}
	data, err := readArg(fs, pos, "the provisioning file central wrote for this station")
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, _, _, err := session(ctx, "provision", *db, *user, in, out, true)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := courier.Provision(ctx, st, *user, data)
	if err != nil {
		return prefixed("provision", err)
	}
	fmt.Fprintf(out, "station %s is bound to central %s\nthe provisioning file holds the station's private key: delete %s now\n", f.Station, f.Central, pos[0])
	return nil
}

func runSync(args []string, in io.Reader, out io.Writer) error {
	fs, db, user, pos, err := syncFlags("sync", optionalUser, args, out, nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fs.Mistake("unknown argument %q", pos[0])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// A login unseals the records, so complete ones are packed too; without one, only
	// batches already built are sent.
	st, c, actor, err := session(ctx, "sync", *db, *user, in, out, false)
	if err != nil {
		return err
	}
	defer st.Close()
	began := time.Now()
	r, err := c.Pass(ctx, actor)
	printReport(out, r, false)
	if counts, cerr := st.SyncCounts(ctx); cerr == nil {
		fmt.Fprintf(out, "records: %d waiting for a batch, %d in batches, %d at central awaiting its verdict, %d verified, %d returned to officers\n",
			counts.Waiting, counts.InBatches, counts.AtCentral, counts.Verified, counts.Returned)
		if counts.Waiting > 0 && *user == "" {
			fmt.Fprintln(out, "records are sealed until an officer logs in: run with --user NAME to pack them into batches")
		}
	}
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	fmt.Fprintf(out, "sync finished in %s\n", time.Since(began).Round(time.Millisecond))
	if r.Refused > 0 {
		return fmt.Errorf("sync: central refused %d batches (reasons above)", r.Refused)
	}
	return nil
}

func printReport(out io.Writer, r courier.Report, acknowledged bool) {
	if r.Built > 0 {
		fmt.Fprintf(out, "batches built: %d, holding %d records\n", r.Built, r.Packed)
	}
	if acknowledged {
		fmt.Fprintf(out, "batches central acknowledged: %d\n", r.Uploaded)
	} else {
		fmt.Fprintf(out, "batches uploaded: %d (%.1f MB sent)", r.Uploaded, float64(r.BytesSent)/1e6)
		if r.Pending > 0 {
			fmt.Fprintf(out, ", %d still to send", r.Pending)
		}
		fmt.Fprintln(out)
	}
	for _, reason := range r.Refusals {
		fmt.Fprintf(out, "central refused a batch: %s\n", reason)
	}
	a := r.Applied
	fmt.Fprintf(out, "central's verdicts: %d received, %d verified, %d rejected (back in their officers' drafts)\n",
		a.Received, a.Verified, a.Rejected)
	if r.Queued > 0 {
		fmt.Fprintf(out, "central's verdicts kept for the next login: %d (a record's status changes only with an officer logged in; run again with --user to apply them now)\n",
			r.Queued)
	}
}

func runExport(args []string, in io.Reader, out io.Writer) error {
	var to *string
	fs, db, user, pos, err := syncFlags("export", supervisorUser, args, out, func(fs *flag.FlagSet) {
		to = fs.String("to", "", "folder on the removable media")
	})
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return fs.Mistake("unknown argument %q (the folder goes with --to)", pos[0])
	case *to == "":
		return fs.Mistake("say where: --to DIR (a folder on the removable media)")
	case *user == "":
		return fs.Mistake("say which supervisor exports: --user NAME")
	}
	ctx := context.Background()
	st, c, _, err := session(ctx, "export", *db, *user, in, out, true)
	if err != nil {
		return err
	}
	defer st.Close()
	built, packed, err := c.Build(ctx, *user)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if built > 0 {
		fmt.Fprintf(out, "batches built: %d, holding %d records\n", built, packed)
	}
	n, err := c.Export(ctx, *user, *to)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(out, "batches exported: %d, to %s\nat central: central import %s; bring back the ack-*.json it writes and run: station import-ack FILE\n", n, *to, *to)
	return nil
}

func runImportAck(args []string, in io.Reader, out io.Writer) error {
	fs, db, user, pos, err := syncFlags("import-ack", ackUser, args, out, nil)
	if err != nil {
		return err
	}
	data, err := readArg(fs, pos, "the acknowledgement file central wrote (ack-STATION-….json)")
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, c, actor, err := session(ctx, "import-ack", *db, *user, in, out, false)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := c.ImportAck(ctx, actor, data)
	if err != nil {
		return fmt.Errorf("import-ack: %w", err)
	}
	printReport(out, r, true)
	return nil
}
