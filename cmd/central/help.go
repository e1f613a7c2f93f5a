package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/wardpolice/enroll/cmd/internal/cli"
)

// command is one entry of central's help: the top-level list shows name and what, a command's
// own help all of it.
type command = cli.Command

// commands lists what `central` does, in the order help shows it. A name of two words is a
// group's subcommand ("station add"): `central station --help` lists the group.
var commands = []command{
	{Prog: "central", Name: "init", Synopsis: "init --url https://HOST:PORT [--name NAME] [--host NAME,…]",
		What: "set up central's folder: CA, server certificate, keys, and the address stations reach it at"},
	{Prog: "central", Name: "station add", Synopsis: "station add CODE --name NAME [--out FILE] [--reissue]", What: "register a station and write its provisioning file"},
	{Prog: "central", Name: "station remove", Synopsis: "station remove CODE", What: "stop trusting a station: its connections and batches are refused"},
	{Prog: "central", Name: "station list", Synopsis: "station list", What: "list the stations: state, last batch received, office"},
	{Prog: "central", Name: "register load", Synopsis: "register load FILE.csv",
		What: "load the citizen register (personal_id,full_name,date_of_birth,gender[,fingerprints])"},
	{Prog: "central", Name: "serve", Synopsis: "serve [--listen ADDR] [--sweep D]",
		What: "serve stations over HTTPS with mutual TLS, at the address central init was given unless --listen says otherwise"},
	{Prog: "central", Name: "status", Synopsis: "status", What: "count stations, batches and records by status, with the reasons for rejections"},
	{Prog: "central", Name: "import", Synopsis: "import DIR", What: "ingest batch files from removable media and write acknowledgement files beside them"},
	{Prog: "central", Name: "review", Synopsis: "review list | verify STATION RECORD | reject STATION RECORD (--finger F | --reason TEXT)",
		What: "decide the records whose fingerprints an examiner must judge"},
	{Prog: "central", Name: "audit check", Synopsis: "audit check STATION", What: "say whether the audit heads a station's batches carried only moved forward",
		Exits: []string{"0  the heads only moved forward (or there are none yet)", "1  a head went back or repeated (flagged above), or the check could not run",
			"2  a usage mistake"}},
	{Prog: "central", Name: "eval-matcher", Synopsis: "eval-matcher [--fingers N] [--impressions N] [--impostors N] [--seed N] [--plot FILE.png]",
		What: "measure the fingerprint matcher's error rates on simulated impressions (needs no folder)"},
	{Prog: "central", Name: "version", Synopsis: "version", What: "print the version"},
}

// groups are the commands that only lead to subcommands, with what the group is for.
var groups = map[string]string{
	"station":  "register, remove and list the stations central trusts",
	"register": "the citizen register records are checked against",
	"audit":    "check what stations' batches said about their audit trails",
}

const commonFlags = `Every command but eval-matcher takes --dir DIR (default $CENTRAL_DIR, else
~/.local/share/enrollment-central) and --db DSN (default $CENTRAL_DB, else the database central
init set DIR up with, else the SQLite file central.db in DIR; postgres://… for PostgreSQL).
A folder set up on PostgreSQL keeps its URL without the password: a URL that had one must be
given again with --db or $CENTRAL_DB.`

// usage is central's own help: every command with one line.
func usage(w io.Writer) {
	fmt.Fprint(w, "central: the central intake server enrollment stations sync to: it provisions them, receives their batches\n"+
		"(mutual TLS or removable media), checks them against the citizen register and answers each record\n\n")
	fmt.Fprint(w, "usage: central COMMAND [flags]   (central COMMAND --help for a command's flags)\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-15s %s\n", c.Name, c.What)
	}
	fmt.Fprintf(w, "\n%s\n\nExit status: 0 done, 1 failed (the message says why), 2 a usage mistake (the message and the\ncommand's usage follow on standard error).\n", commonFlags)
}

// help is `central help [COMMAND]`: the list of commands, a group's help, or one command's
// own help.
func help(args []string, out, errOut io.Writer) error {
	name := strings.Join(args, " ")
	switch {
	case name == "" || name == "help":
		usage(out)
		return nil
	case groups[name] != "":
		groupHelp(name)(out)
		return nil
	}
	for _, c := range commands {
		if c.Name == name {
			return dispatch(append(args, "--help"), out, errOut)
		}
	}
	return &cli.UsageError{Err: fmt.Errorf("help: unknown command %q (central help lists the commands)", name), Help: usage}
}

// groupHelp is the help of a group of subcommands ("central station --help").
func groupHelp(group string) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintf(w, "central %s: %s\n\n", group, groups[group])
		var subs []command
		for _, c := range commands {
			if strings.HasPrefix(c.Name, group+" ") {
				subs = append(subs, c)
			}
		}
		for i, c := range subs {
			lead := "usage:"
			if i > 0 {
				lead = "      "
			}
			fmt.Fprintf(w, "%s central %s\n", lead, c.Synopsis)
		}
		fmt.Fprintln(w)
		for _, c := range subs {
			fmt.Fprintf(w, "  %-8s %s\n", strings.TrimPrefix(c.Name, group+" "), c.What)
		}
		fmt.Fprintf(w, "\ncentral %s SUBCOMMAND --help gives its flags.\n", group)
	}
}

// group reads a group's subcommand word: --help shows the group, a missing or unknown word is
// a usage mistake.
func group(name string, args []string, out io.Writer) (sub string, rest []string, err error) {
	var subs []string
	for _, c := range commands {
		if s, ok := strings.CutPrefix(c.Name, name+" "); ok {
			subs = append(subs, s)
		}
	}
	switch {
	case len(args) > 0 && cli.IsHelp(args[0]):
		groupHelp(name)(out)
		return "", nil, flag.ErrHelp
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		return "", nil, &cli.UsageError{Err: fmt.Errorf("%s: say %s", name, strings.Join(subs, ", ")), Help: groupHelp(name)}
	}
	for _, s := range subs {
		if s == args[0] {
			return s, args[1:], nil
		}
	}
	return "", nil, &cli.UsageError{Err: fmt.Errorf("%s: unknown %q (%s)", name, args[0], strings.Join(subs, ", ")), Help: groupHelp(name)}
}

func lookup(name string) command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return command{Prog: "central", Name: name, Synopsis: name}
}

// flags is a command's flag set (cli.Flags: --help on standard output, mistakes as usage
// errors), with central's folder and database where the command works on them.
type flags struct {
	*cli.Flags
	dir, db *string
	out     io.Writer
	// using is the database open opened, as printed ("PostgreSQL postgres://central:xxxxx@…").
	using string
}

// newFlags is the flag set of a command that works on central's folder and database.
func newFlags(name string, out io.Writer) *flags {
	f := newBareFlags(name, out)
	f.dir = f.String("dir", defaultDir(), "central's folder (keys, uploads, SQLite database)")
	// $CENTRAL_DB is read when the flag is not given (see dbArg), not as the flag's default:
	// --help would print it, password and all.
	f.db = f.String("db", "", "database: a postgres:// URL, or a SQLite file (default $CENTRAL_DB, else the one central init set DIR up with, else DIR/central.db)")
	return f
}

// newBareFlags is the flag set of a command that needs no folder.
func newBareFlags(name string, out io.Writer) *flags {
	return &flags{Flags: cli.NewFlags(name, lookup(name)), out: out}
}

// parse reads flags, which may follow arguments ("station add HN-01 --name …"); everything
// after "--" is an argument. It is false when --help was asked for and answered.
func (f *flags) parse(args []string) (bool, error) {
	pos, err := f.ParseArgs(args, f.out)
	if errors.Is(err, flag.ErrHelp) {
		return false, nil
	} else if err != nil {
		return false, err
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
		return f.Mistake("unknown argument %q", f.Arg(0))
	}
	return f.Mistake("name %s", what)
}

// report prints a failed command's error (a usage mistake with the command's help after it)
// and returns the exit status: 2 for a usage mistake, 1 for every other failure.
func report(w io.Writer, err error) int {
	fmt.Fprintln(w, "central:", err)
	var u *cli.UsageError
	if errors.As(err, &u) {
		fmt.Fprintln(w)
		u.Help(w)
		return 2
	}
	return 1
}
