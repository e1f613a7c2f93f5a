package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one line of `station help`.
type command struct{ name, synopsis, what string }

// commands lists what `station` does, in the order help shows it.
var commands = []command{
	{"gui", "[gui] [--db FILE] [--lang vi|en] [--sim-seed N]", "open the station's window (the default)"},
	{"version", "version", "print the version"},
	{"init", "init --office O --code C --user U --name N [--db FILE]", "set up a new station: office, code and first supervisor (asks the password)"},
	{"recover", "recover --user U [--db FILE]", "give supervisor U a new password with the recovery key printed at set-up"},
	{"purge", "purge --user U [--db FILE]", "delete the data of records central confirmed, past the grace period"},
	{"rekey", "rekey --user SUPERVISOR [--db FILE] [--status]", "rotate the data key: seal every record and image again under a new key (run again to resume)"},
	{"demo", "demo --records N [--db FILE] [--seed S] [--user U] [--register FILE.csv]", "add N synthetic complete enrollments (training and benchmark data)"},
	{"bench", "bench [--db FILE] [--user U] [--runs N]", "time record searches on a database"},
	{"audit", "audit verify [--db FILE] [--user SUPERVISOR]", "check the audit trail (its MACs with a supervisor's password) and name any damage"},
	{"devices", "devices", "list the fingerprint readers and cameras connected"},
	{"capture", "capture --out FILE.png", "capture one print from the first reader and print its quality"},
	{"portrait", "portrait --in PHOTO --out CROP.jpg [--json] [--lang vi|en]", "check a photo as a portrait and write the crop"},
	{"quality", "quality FILE.png [--ppi N]", "score a finger image as the station scores a capture, and print the components"},
	{"provision", "provision FILE --user SUPERVISOR [--db FILE]", "bind the station to central with the provisioning file central wrote"},
	{"sync", "sync [--user OFFICER] [--db FILE]", "one sync pass now: pack records (with a login), upload, fetch central's verdicts"},
	{"export", "export --to DIR --user SUPERVISOR [--db FILE]", "write the batches ready for central to removable media"},
	{"import-ack", "import-ack FILE [--user OFFICER] [--db FILE]", "apply the acknowledgement file central wrote for exported batches"},
	{"receipt", "receipt CODE --out FILE.pdf [--db FILE] [--user U] [--lang vi|en]", "write a saved record's receipt for the citizen (PDF with the record code as a QR code)"},
	{"help", "help", "this list"},
}

// usage prints every command with one line each.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: station [COMMAND] [flags]   (station COMMAND --help for a command's flags)")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.what)
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// newFlags is a command's flag set whose help says what the command does and how to call it.
// --help makes Parse return flag.ErrHelp, which run turns into a clean exit.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c, _ := lookup(strings.Fields(name)[0])
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: station %s\n\n%s\n", c.synopsis, c.what)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// helpAsked tells run that a command printed its help on request: not an error.
func helpAsked(err error) bool { return errors.Is(err, flag.ErrHelp) }
