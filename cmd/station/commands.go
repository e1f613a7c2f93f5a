package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one line of `station help`, and the head of the command's own help.
type command struct {
	name, synopsis, what string
	// exits says what the exit statuses mean, for the commands whose status tells more than
	// "done" or "failed".
	exits []string
	// notes are lines the command's help adds after its flags.
	notes []string
}

// passwordFrom is how every command that logs in gets the password (see console.secret).
const passwordFrom = "password asked on the terminal without echo, or read as one line from standard input"

// commands lists what `station` does, in the order help shows it.
var commands = []command{
	{name: "gui", synopsis: "[gui] [--db FILE] [--lang vi|en] [--sim-seed N]", what: "open the station's window (the default)",
		notes: []string{"--db FILE may also come before another command: station --db FILE rekey --status"}},
	{name: "version", synopsis: "version", what: "print the version"},
	{name: "init", synopsis: "init --office O --code C --user U --name N [--db FILE]", what: "set up a new station: office, code and first supervisor (asks the password)"},
	{name: "recover", synopsis: "recover --user SUPERVISOR [--db FILE]", what: "give a supervisor a new password with the recovery key printed at set-up"},
	{name: "purge", synopsis: "purge --user SUPERVISOR [--db FILE]", what: "delete the data of records central confirmed, past the grace period"},
	{name: "rekey", synopsis: "rekey --user SUPERVISOR [--db FILE] | rekey --status [--db FILE]", what: "rotate the data key: seal every record and image again under a new key (run again to resume)"},
	{name: "demo", synopsis: "demo --records N [--db FILE] [--seed S] [--user SUPERVISOR] [--register FILE.csv]", what: "add N synthetic complete enrollments (training and benchmark data)"},
	{name: "bench", synopsis: "bench [--db FILE] [--user U] [--runs N]", what: "time record searches on a database"},
	{name: "audit", synopsis: "audit verify [--db FILE] [--user SUPERVISOR]", what: "check the audit trail (its MACs with a supervisor's password) and name any damage",
		exits: []string{"0  the trail is intact", "1  the trail is broken (the damage is named), or the check could not run", "2  a usage mistake"}},
	{name: "devices", synopsis: "devices", what: "list the fingerprint readers and cameras connected"},
	{name: "capture", synopsis: "capture --out FILE.png [--timeout D]", what: "capture one print from the first reader and print its quality"},
	{name: "portrait", synopsis: "portrait --in PHOTO --out CROP.jpg [--json] [--lang vi|en]", what: "check a photo as a portrait and write the crop",
		exits: []string{"0  no check fails (warnings allowed); the crop is written", "1  a check fails; no crop is written",
			"2  the command cannot run: a usage mistake, or a photo that cannot be read"}},
	{name: "quality", synopsis: "quality FILE.png [--ppi N]", what: "score a finger image as the station scores a capture, and print the components",
		exits: []string{"0  the print reaches the acceptance threshold", "1  the print is below the threshold",
			"2  the command cannot run: a usage mistake, or a file that cannot be read"}},
	{name: "records", synopsis: "records --user U [--find TEXT] [--status S] [--limit N] [--db FILE]", what: "list the station's records: code, id, status, date, officer and name (newest first)"},
	{name: "provision", synopsis: "provision FILE --user SUPERVISOR [--db FILE]", what: "bind the station to central with the provisioning file central wrote"},
	{name: "sync", synopsis: "sync [--user U] [--db FILE]", what: "one sync pass now: pack records (with a login), upload, fetch central's verdicts"},
	{name: "export", synopsis: "export --to DIR --user SUPERVISOR [--db FILE]", what: "write the batches ready for central to removable media"},
	{name: "import-ack", synopsis: "import-ack FILE [--user U] [--db FILE]", what: "apply the acknowledgement file central wrote for exported batches"},
	{name: "receipt", synopsis: "receipt CODE --out FILE.pdf --user U [--db FILE] [--lang vi|en]", what: "write a saved record's receipt for the citizen (PDF with the record code as a QR code)",
		notes: []string{"CODE is the record code (e.g. K7Q-M3X-D9A) or the record's id; station records --user U lists both",
			"(--find TEXT narrows the list to a name, an ID number or a phone)."}},
	{name: "help", synopsis: "help", what: "this list"},
}

// usage prints every command with one line each.
func usage(w io.Writer) {
	fmt.Fprintln(w, "station: the level-2 e-ID enrollment station's window and its command-line tools")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: station [COMMAND] [flags]   (station COMMAND --help for a command's flags)")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.what)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 done, 1 failed (the message says why), 2 a usage mistake (the message and the")
	fmt.Fprintln(w, "command's usage follow on standard error); a command's help says where its statuses mean more.")
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// flags is a command's flag set. --help prints the command's help on standard output; a
// mistake becomes a usageError, which main prints with the help on standard error. The flag
// package prints nothing itself: it would print the error a second time, and on stderr even
// for --help.
type flags struct {
	*flag.FlagSet
	cmd command
}

func newFlags(name string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	c, _ := lookup(strings.Fields(name)[0])
	return &flags{FlagSet: fs, cmd: c}
}

// help writes what the command does, how to call it, its flags and what its exit statuses mean.
func (f *flags) help(w io.Writer) {
	fmt.Fprintf(w, "station %s: %s\n\nusage: station %s\n", f.cmd.name, f.cmd.what, f.cmd.synopsis)
	var has bool
	f.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintln(w, "\nFlags:")
		f.SetOutput(w)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
	if len(f.cmd.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range f.cmd.notes {
			fmt.Fprintln(w, n)
		}
	}
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

// parse reads flags only: an argument that is not a flag is a mistake.
func (f *flags) parse(args []string, out io.Writer) error {
	pos, err := f.parseArgs(args, out)
	if err == nil && len(pos) > 0 {
		return f.mistake("unknown argument %q", pos[0])
	}
	return err
}

// parseArgs reads flags and returns the other arguments, which may come before, between or
// after the flags ("receipt K7Q-M3X-D9A --out r.pdf" as well as "receipt --out r.pdf K7Q…");
// everything after "--" is an argument.
func (f *flags) parseArgs(args []string, out io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); errors.Is(err, flag.ErrHelp) {
			f.help(out)
			return nil, err
		} else if err != nil {
			return nil, f.mistake("%v", err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError is a command line the command cannot run: main prints the message, then the
// command's help, on standard error, and exits with status 2.
type usageError struct {
	err  error
	help func(io.Writer)
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// helpAsked tells run that a command printed its help on request: not an error.
func helpAsked(err error) bool { return errors.Is(err, flag.ErrHelp) }
