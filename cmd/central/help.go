package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one entry of central's help: the top-level list shows name and what, a command's
// own help all of it.
type command struct {
	name, synopsis, what string
	// exits says what the exit statuses mean, where they tell more than done or failed.
	exits []string
}

// commands lists what `central` does, in the order help shows it. A name of two words is a
// group's subcommand ("station add"): `central station --help` lists the group.
var commands = []command{
	{name: "init", synopsis: "init --url https://HOST:PORT [--name NAME] [--host NAME,…]",
		what: "set up central's folder: CA, server certificate, keys, and the address stations reach it at"},
	{name: "station add", synopsis: "station add CODE --name NAME [--out FILE] [--reissue]", what: "register a station and write its provisioning file"},
	{name: "station remove", synopsis: "station remove CODE", what: "stop trusting a station: its connections and batches are refused"},
	{name: "station list", synopsis: "station list", what: "list the stations: state, last batch received, office"},
	{name: "register load", synopsis: "register load FILE.csv",
		what: "load the citizen register (personal_id,full_name,date_of_birth,gender[,fingerprints])"},
	{name: "serve", synopsis: "serve [--listen ADDR] [--sweep D]",
		what: "serve stations over HTTPS with mutual TLS, at the address central init was given unless --listen says otherwise"},
	{name: "status", synopsis: "status", what: "count stations, batches and records by status, with the reasons for rejections"},
	{name: "import", synopsis: "import DIR", what: "ingest batch files from removable media and write acknowledgement files beside them"},
	{name: "review", synopsis: "review list | verify STATION RECORD | reject STATION RECORD (--finger F | --reason TEXT)",
		what: "decide the records whose fingerprints an examiner must judge"},
	{name: "audit check", synopsis: "audit check STATION", what: "say whether the audit heads a station's batches carried only moved forward",
		exits: []string{"0  the heads only moved forward (or there are none yet)", "1  a head went back or repeated (flagged above), or the check could not run",
			"2  a usage mistake"}},
	{name: "eval-matcher", synopsis: "eval-matcher [--fingers N] [--impressions N] [--impostors N] [--seed N] [--plot FILE.png]",
		what: "measure the fingerprint matcher's error rates on simulated impressions (needs no folder)"},
	{name: "version", synopsis: "version", what: "print the version"},
}

// groups are the commands that only lead to subcommands, with what the group is for.
var groups = map[string]string{
	"station":  "register, remove and list the stations central trusts",
	"register": "the citizen register records are checked against",
	"audit":    "check what stations' batches said about their audit trails",
}

const commonFlags = `Every command but eval-matcher takes --dir DIR (default $CENTRAL_DIR, else
~/.local/share/enrollment-central) and --db DSN (default $CENTRAL_DB, else the SQLite file
central.db in DIR; postgres://… for PostgreSQL).`

// usage is central's own help: every command with one line.
func usage(w io.Writer) {
	fmt.Fprint(w, "central: the central intake server enrollment stations sync to: it provisions them, receives their batches\n"+
		"(mutual TLS or removable media), checks them against the citizen register and answers each record\n\n")
	fmt.Fprint(w, "usage: central COMMAND [flags]   (central COMMAND --help for a command's flags)\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-15s %s\n", c.name, c.what)
	}
	fmt.Fprintf(w, "\n%s\n\nExit status: 0 done, 1 failed (the message says why), 2 a usage mistake (the message and the\ncommand's usage follow on standard error).\n", commonFlags)
}

// groupHelp is the help of a group of subcommands ("central station --help").
func groupHelp(group string) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintf(w, "central %s: %s\n\n", group, groups[group])
		var subs []command
		for _, c := range commands {
			if strings.HasPrefix(c.name, group+" ") {
				subs = append(subs, c)
			}
		}
		for i, c := range subs {
			lead := "usage:"
			if i > 0 {
				lead = "      "
			}
			fmt.Fprintf(w, "%s central %s\n", lead, c.synopsis)
		}
		fmt.Fprintln(w)
		for _, c := range subs {
			fmt.Fprintf(w, "  %-8s %s\n", strings.TrimPrefix(c.name, group+" "), c.what)
		}
		fmt.Fprintf(w, "\ncentral %s SUBCOMMAND --help gives its flags.\n", group)
	}
}

// group reads a group's subcommand word: --help shows the group, a missing or unknown word is
// a usage mistake.
func group(name string, args []string, out io.Writer) (sub string, rest []string, err error) {
	var subs []string
	for _, c := range commands {
		if s, ok := strings.CutPrefix(c.name, name+" "); ok {
			subs = append(subs, s)
		}
	}
	switch {
	case len(args) > 0 && isHelp(args[0]):
		groupHelp(name)(out)
		return "", nil, flag.ErrHelp
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		return "", nil, &usageError{err: fmt.Errorf("%s: say %s", name, strings.Join(subs, ", ")), help: groupHelp(name)}
	}
	for _, s := range subs {
		if s == args[0] {
			return s, args[1:], nil
		}
	}
	return "", nil, &usageError{err: fmt.Errorf("%s: unknown %q (%s)", name, args[0], strings.Join(subs, ", ")), help: groupHelp(name)}
}

func lookup(name string) command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return command{name: name, synopsis: name}
}

// flags is a command's flag set. --help prints the command's help on standard output; a
// mistake becomes a usageError, which main prints with the help on standard error. The flag
// package prints nothing itself: it would print the error twice, and help on stderr.
type flags struct {
	*flag.FlagSet
	dir, db *string
	cmd     command
	out     io.Writer
	// text, when set, is the help before the flags instead of the table's.
	text string
}

// newFlags is the flag set of a command that works on central's folder and database.
func newFlags(name string, out io.Writer) *flags {
	f := newBareFlags(name, out)
	f.dir = f.String("dir", defaultDir(), "central's folder (keys, uploads, SQLite database)")
	f.db = f.String("db", os.Getenv("CENTRAL_DB"), "database: a postgres:// URL, or a SQLite file (default DIR/central.db)")
	return f
}

// newBareFlags is the flag set of a command that needs no folder.
func newBareFlags(name string, out io.Writer) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, cmd: lookup(name), out: out}
}

func (f *flags) help(w io.Writer) {
	if f.text != "" {
		fmt.Fprint(w, f.text)
	} else {
		fmt.Fprintf(w, "central %s: %s\n\nusage: central %s\n", f.cmd.name, f.cmd.what, f.cmd.synopsis)
	}
	fmt.Fprintln(w, "\nFlags:")
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
	if len(f.cmd.exits) > 0 {
		fmt.Fprintln(w, "\nExit status:")
		for _, e := range f.cmd.exits {
			fmt.Fprintln(w, "  "+e)
		}
	}
}

// mistake is a usage error of this command: the message, then its help.
func (f *flags) mistake(format string, a ...any) error {
	return &usageError{err: fmt.Errorf(f.Name()+": "+format, a...), help: f.help}
}

// parse reads flags, which may follow arguments ("station add HN-01 --name …"); everything
// after "--" is an argument. It is false when --help was asked for and answered.
func (f *flags) parse(args []string) (bool, error) {
	var pos []string
	for {
		if err := f.Parse(args); errors.Is(err, flag.ErrHelp) {
			f.help(f.out)
			return false, nil
		} else if err != nil {
			return false, f.mistake("%v", err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	f.Parse(append([]string{"--"}, pos...))
	return true, nil
}

// args checks the number of arguments besides the flags: exactly n, named by what.
func (f *flags) args(n int, what string) error {
	switch {
	case f.NArg() == n:
		return nil
	case n == 0:
		return f.mistake("unknown argument %q", f.Arg(0))
	}
	return f.mistake("name %s", what)
}

// usageError is a command line the command cannot run: main prints the message, then the
// command's help, on standard error, and exits with status 2.
type usageError struct {
	err  error
	help func(io.Writer)
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// report prints a failed command's error (a usage mistake with the command's help after it)
// and returns the exit status: 2 for a usage mistake, 1 for every other failure.
func report(w io.Writer, err error) int {
	fmt.Fprintln(w, "central:", err)
	var u *usageError
	if errors.As(err, &u) {
		fmt.Fprintln(w)
		u.help(w)
		return 2
	}
	return 1
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}
