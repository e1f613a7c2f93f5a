package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
)

// console reads the answers a command asks for: secrets without echo when standard input is
// a terminal, one line each otherwise (so scripts and tests can pipe them in).
type console struct {
	in  *bufio.Reader
	fd  int // -1 when not a terminal
	out io.Writer
}

func newConsole(in io.Reader, out io.Writer) *console {
	c := &console{in: bufio.NewReader(in), fd: -1, out: out}
	if f, ok := in.(*os.File); ok {
		if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			c.fd = int(f.Fd())
		}
	}
	return c
}

func (c *console) line(prompt string) (string, error) {
	if c.fd >= 0 {
		fmt.Fprint(c.out, prompt)
	}
	what := strings.TrimRight(prompt, ": ")
	s, err := c.in.ReadString('\n')
	if err == io.EOF && s == "" {
		// Nothing was piped in (or it ran out): say what is missing and how to give it.
		return "", fmt.Errorf("%s is needed, and standard input ended without it: run the command in a terminal to be asked for it, or give it as one line on standard input", what)
	}
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (c *console) secret(prompt string) (string, error) {
	if c.fd < 0 {
		return c.line(prompt)
	}
	old, err := unix.IoctlGetTermios(c.fd, unix.TCGETS)
	if err != nil {
		return "", err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(c.fd, unix.TCSETS, &quiet); err != nil {
		return "", err
	}
	defer func() {
		unix.IoctlSetTermios(c.fd, unix.TCSETS, old)
		fmt.Fprintln(c.out)
	}()
	return c.line(prompt)
}

// newPassword asks for a password twice.
func (c *console) newPassword(prompt string) (pw, confirm string, err error) {
	if pw, err = c.secret(prompt); err == nil {
		confirm, err = c.secret("the same password again: ")
	}
	return pw, confirm, err
}

// asFlag names a field error by the flag the user typed ("--name: is required" rather than
// "full_name: is required").
func asFlag(err error, flags map[enroll.Field]string) error {
	if fe, ok := enroll.AsFieldError(err); ok {
		if name, ok := flags[fe.Field]; ok {
			return fmt.Errorf("%s: %s", name, strings.TrimPrefix(fe.Error(), string(fe.Field)+": "))
		}
	}
	return err
}

// openTool parses a command's flags (--db and what more adds) and opens its existing database.
// check, when set, looks at the flags before the database is opened; its error is a usage
// mistake.
func openTool(ctx context.Context, name string, args []string, out io.Writer, more func(*flag.FlagSet), check func() string) (*store.Store, error) {
	fs := newFlags(name)
	db := fs.String("db", defaultDB(), "database file")
	if more != nil {
		more(fs.FlagSet)
	}
	if err := fs.parse(args, out); err != nil {
		return nil, err
	}
	if check != nil {
		if msg := check(); msg != "" {
			return nil, fs.Mistake("%s", msg)
		}
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return st, nil
}

// runInit: `station init` sets up a new station from the command line, as the window's first
// run does: office, code, first supervisor (password asked twice), and prints the recovery key.
func runInit(args []string, in io.Reader, out io.Writer) error {
	fs := newFlags("init")
	db := fs.String("db", defaultDB(), "database file (created)")
	office := fs.String("office", "", "office name, e.g. \"Công an phường Dịch Vọng\"")
	code := fs.String("code", "", "station code, e.g. HN-DD-KT-01")
	user := fs.String("user", "", "first supervisor's user name (the password is asked twice: on the terminal without echo, or one line each from standard input)")
	name := fs.String("name", "", "first supervisor's full name")
	if err := fs.parse(args, out); err != nil {
		return err
	}
	// Every missing flag at once: each would otherwise cost a run.
	var missing []string
	for _, f := range []struct {
		name, value string
	}{{"--office", *office}, {"--code", *code}, {"--user", *user}, {"--name", *name}} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fs.Mistake("missing %s (--office, --code, --user and --name are all required)", strings.Join(missing, ", "))
	}
	setup := enroll.StationSetup{Office: *office, Code: *code,
		Supervisor: enroll.OfficerForm{Username: *user, FullName: *name}}.Normalize()
	// The flags are checked before the password is asked for, with a stand-in password that
	// passes the policy, so a typo costs no typing.
	probe := setup
	probe.Supervisor.Password, probe.Supervisor.Confirm = "checkflags1", "checkflags1"
	if err := probe.Check(); err != nil {
		return fs.Mistake("%w", asFlag(err, map[enroll.Field]string{enroll.FieldOffice: "--office",
			enroll.FieldStation: "--code", enroll.FieldUsername: "--user", enroll.FieldFullName: "--name"}))
	}
	pw, confirm, err := newConsole(in, out).newPassword("password for " + setup.Supervisor.Username + ": ")
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	setup.Supervisor.Password, setup.Supervisor.Confirm = pw, confirm
	if err := setup.Check(); err != nil {
		// In words, still the field error it is.
		named := asFlag(err, map[enroll.Field]string{enroll.FieldPassword: "the password", enroll.FieldConfirm: "the password typed again"})
		return fmt.Errorf("init: %w", &rewordedError{msg: named.Error(), err: err})
	}
	ctx := context.Background()
	st, err := openStore(ctx, *db)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	defer st.Close()
	rk, err := st.Init(ctx, setup)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	fmt.Fprintf(out, "station %s set up in %s; supervisor %s can log in.\n\n", setup.Code, *db, setup.Supervisor.Username)
	fmt.Fprintf(out, "RECOVERY KEY (shown only now; print it or write it down and lock it away):\n\n    %s\n\n", rk)
	fmt.Fprintln(out, "It opens the station's data if every password is lost: station recover --user NAME.")
	return nil
}

// runRecover: `station recover --user NAME` opens the data with the recovery key and gives
// that supervisor a new password.
func runRecover(args []string, in io.Reader, out io.Writer) error {
	var user *string
	ctx := context.Background()
	st, err := openTool(ctx, "recover", args, out, func(fs *flag.FlagSet) {
		user = fs.String("user", "", "supervisor who gets a new password (the recovery key, then the new password twice, are "+
			"asked on the terminal without echo, or read one line each from standard input)")
	}, func() string {
		if *user == "" {
			return "say which supervisor gets a new password: --user NAME"
		}
		return ""
	})
	if err != nil {
		return err
	}
	defer st.Close()
	c := newConsole(in, out)
	text, err := c.secret("recovery key: ")
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	pw, confirm, err := c.newPassword("new password for " + *user + ": ")
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	if err := st.Recover(ctx, text, *user, pw, confirm); err != nil {
		return prefixed("recover", err)
	}
	fmt.Fprintf(out, "recovered: %s can log in with the new password.\n", *user)
	return nil
}

// runPurge: `station purge --user NAME` deletes delivered records past the grace period now
// (the station also does it after each login).
func runPurge(args []string, in io.Reader, out io.Writer) error {
	var user *string
	ctx := context.Background()
	st, err := openTool(ctx, "purge", args, out, func(fs *flag.FlagSet) {
		user = fs.String("user", "", "supervisor who logs in ("+passwordFrom+")")
	}, func() string {
		if *user == "" {
			return "say which supervisor purges: --user NAME"
		}
		return ""
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := logIn(ctx, st, *user, newConsole(in, out), true); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	n, err := st.Purge(ctx, *user)
	if err != nil && !errors.Is(err, enroll.ErrPurgeUnfinished) {
		return fmt.Errorf("purge: %w", err)
	}
	grace, _ := st.Retention(ctx)
	fmt.Fprintf(out, "purged %d records confirmed by central more than %d days ago\n", n, int(grace.Hours()/24))
	return err // not finished: the deleted data is still in the WAL, and the command says so
}

// logIn unlocks the store for a command-line tool.
func logIn(ctx context.Context, st *store.Store, user string, c *console, supervisor bool) error {
	if user == "" {
		return errors.New("this station is set up: give --user NAME (the password is asked on the terminal, or read as one line from standard input)")
	}
	pw, err := c.secret("password for " + user + ": ")
	if err != nil {
		return err // says which password, and how to give it
	}
	o, err := st.Authenticate(ctx, user, pw)
	if err != nil {
		return err
	}
	if supervisor && o.Role != enroll.RoleSupervisor {
		return enroll.ErrNotSupervisor
	}
	return nil
}

// prefixed names the command in front of an error, unless the error names it already.
func prefixed(name string, err error) error {
	if strings.HasPrefix(err.Error(), name+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
