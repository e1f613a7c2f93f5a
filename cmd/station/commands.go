package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/wardpolice/enroll/cmd/internal/cli"
)

// command is one line of `station help`, and the head of the command's own help.
type command = cli.Command

// passwordFrom is how every command that logs in gets the password (see console.secret).
const passwordFrom = "password asked on the terminal without echo, or read as one line from standard input"

// commands lists what `station` does, in the order help shows it.
var commands = []command{
	{Prog: "station", Name: "gui", Synopsis: "[gui] [--db FILE] [--lang vi|en] [--sim-seed N]", What: "open the station's window (the default)",
		Notes: []string{"--db FILE may also come before another command: station --db FILE rekey --status"}},
	{Prog: "station", Name: "version", Synopsis: "version", What: "print the version (also station --version)"},
	{Prog: "station", Name: "init", Synopsis: "init --office O --code C --user U --name N [--db FILE]", What: "set up a new station: office, code and first supervisor (asks the password)"},
	{Prog: "station", Name: "recover", Synopsis: "recover --user SUPERVISOR [--db FILE]", What: "give a supervisor a new password with the recovery key printed at set-up"},
	{Prog: "station", Name: "purge", Synopsis: "purge --user SUPERVISOR [--db FILE]", What: "delete the data of records central confirmed, past the grace period"},
	{Prog: "station", Name: "rekey", Synopsis: "rekey --user SUPERVISOR [--db FILE] | rekey --status [--db FILE]", What: "rotate the data key: seal every record and image again under a new key (run again to resume)"},
	{Prog: "station", Name: "demo", Synopsis: "demo --records N [--db FILE] [--seed S] [--user SUPERVISOR] [--register FILE.csv]", What: "add N synthetic complete enrollments (training and benchmark data)"},
	{Prog: "station", Name: "bench", Synopsis: "bench [--db FILE] [--user U] [--runs N]", What: "time record searches on a database"},
	{Prog: "station", Name: "audit", Synopsis: "audit verify [--db FILE] [--user SUPERVISOR]", What: "check the audit trail (its MACs with a supervisor's password) and name any damage",
		Exits: []string{"0  the trail is intact", "1  the trail is broken (the damage is named), or the check could not run", "2  a usage mistake"}},
	{Prog: "station", Name: "devices", Synopsis: "devices", What: "list the fingerprint readers and cameras connected"},
	{Prog: "station", Name: "capture", Synopsis: "capture --out FILE.png [--timeout D]", What: "capture one print from the first reader and print its quality"},
	{Prog: "station", Name: "portrait", Synopsis: "portrait --in PHOTO --out CROP.jpg [--json] [--lang vi|en]", What: "check a photo as a portrait and write the crop",
		Exits: []string{"0  no check fails (warnings allowed); the crop is written", "1  a check fails; no crop is written",
			"2  the command cannot run: a usage mistake, or a photo that cannot be read"}},
	{Prog: "station", Name: "quality", Synopsis: "quality FILE.png [--ppi N]", What: "score a finger image as the station scores a capture, and print the components",
		Exits: []string{"0  the print reaches the acceptance threshold", "1  the print is below the threshold",
			"2  the command cannot run: a usage mistake, or a file that cannot be read"}},
	{Prog: "station", Name: "records", Synopsis: "records --user U [--find TEXT] [--status S] [--limit N] [--db FILE]", What: "list the station's records: code, id, status, date, officer and name (newest first)"},
	{Prog: "station", Name: "provision", Synopsis: "provision FILE --user SUPERVISOR [--db FILE]", What: "bind the station to central with the provisioning file central wrote"},
	{Prog: "station", Name: "sync", Synopsis: "sync [--user U] [--db FILE]", What: "one sync pass now: pack records (with a login), upload, fetch central's verdicts"},
	{Prog: "station", Name: "export", Synopsis: "export --to DIR --user SUPERVISOR [--db FILE]", What: "write the batches ready for central to removable media"},
	{Prog: "station", Name: "import-ack", Synopsis: "import-ack FILE [--user U] [--db FILE]", What: "apply the acknowledgement file central wrote for exported batches"},
	{Prog: "station", Name: "receipt", Synopsis: "receipt CODE --out FILE.pdf --user U [--db FILE] [--lang vi|en]", What: "write a saved record's receipt for the citizen (PDF with the record code as a QR code)",
		Notes: []string{"CODE is the record code (e.g. K7Q-M3X-D9A) or the record's id; station records --user U lists both",
			"(--find TEXT narrows the list to a name, an ID number or a phone)."}},
	{Prog: "station", Name: "help", Synopsis: "help [COMMAND]", What: "this list; help COMMAND gives that command's flags and exit statuses"},
}

// usage prints every command with one line each.
func usage(w io.Writer) {
	fmt.Fprintln(w, "station: the level-2 e-ID enrollment station's window and its command-line tools")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: station [COMMAND] [flags]   (station COMMAND --help for a command's flags)")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.Name, c.What)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 done, 1 failed (the message says why), 2 a usage mistake (the message and the")
	fmt.Fprintln(w, "command's usage follow on standard error); a command's help says where its statuses mean more.")
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.Name == name {
			return c, true
		}
	}
	return command{}, false
}

// flags is a command's flag set (cli.Flags: --help on standard output, mistakes as usage
// errors).
type flags struct{ *cli.Flags }

func newFlags(name string) *flags {
	c, _ := lookup(strings.Fields(name)[0])
	return &flags{cli.NewFlags(name, c)}
}

// parse reads flags only: an argument that is not a flag is a mistake.
func (f *flags) parse(args []string, out io.Writer) error {
	pos, err := f.ParseArgs(args, out)
	if err == nil && len(pos) > 0 {
		return f.Mistake("unknown argument %q", pos[0])
	}
	return err
}

// helpAsked tells run that a command printed its help on request: not an error.
func helpAsked(err error) bool { return errors.Is(err, flag.ErrHelp) }
