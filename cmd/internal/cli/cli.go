// Package cli is the command-line plumbing station and central share: a command's help, flags
// that may stand between its arguments, and usage mistakes, which the tools print with the
// command's help on standard error and exit 2 for.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Command is one entry of a tool's help: the tool's list shows Name and What, the command's
// own help all of it.
type Command struct {
	Prog, Name, Synopsis, What string
	// Exits says what the exit statuses mean, where they tell more than done or failed.
	Exits []string
	// Notes are lines the help adds after the flags.
	Notes []string
}

// Flags is a command's flag set. --help prints the command's help on the output ParseArgs is
// given; a mistake becomes a UsageError. The flag package prints nothing itself: it would
// print the error a second time, and on standard error even for --help.
type Flags struct {
	*flag.FlagSet
	Cmd Command
	// Text, when set, is the help before the flags instead of Cmd's header.
	Text string
}

// NewFlags is the flag set of the command named name (its first word names the flag set's
// errors) described by cmd.
func NewFlags(name string, cmd Command) *Flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &Flags{FlagSet: fs, Cmd: cmd}
}

// Help writes what the command does, how to call it, its flags, its notes and what its exit
// statuses mean.
func (f *Flags) Help(w io.Writer) {
	if f.Text != "" {
		fmt.Fprint(w, f.Text)
	} else {
		fmt.Fprintf(w, "%s %s: %s\n\nusage: %s %s\n", f.Cmd.Prog, f.Cmd.Name, f.Cmd.What, f.Cmd.Prog, f.Cmd.Synopsis)
	}
	var has bool
	f.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintln(w, "\nFlags:")
		f.SetOutput(w)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
	if len(f.Cmd.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range f.Cmd.Notes {
			fmt.Fprintln(w, n)
		}
	}
	if len(f.Cmd.Exits) > 0 {
		fmt.Fprintln(w, "\nExit status:")
		for _, e := range f.Cmd.Exits {
			fmt.Fprintln(w, "  "+e)
		}
	}
}

// Mistake is a usage error of this command: the message, then its help.
func (f *Flags) Mistake(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(f.Name()+": "+format, a...), Help: f.Help}
}

// ParseArgs reads flags and returns the other arguments, which may come before, between or
// after the flags ("receipt K7Q-M3X-D9A --out r.pdf" as well as "receipt --out r.pdf K7Q…");
// everything after "--" is an argument. On --help it prints the help on out and returns
// flag.ErrHelp.
func (f *Flags) ParseArgs(args []string, out io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); errors.Is(err, flag.ErrHelp) {
			f.Help(out)
			return nil, err
		} else if err != nil {
			return nil, f.Mistake("%v", err)
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

// UsageError is a command line the command cannot run: the tool prints the message, then
// Help's text, on standard error, and exits with status 2.
type UsageError struct {
	Err  error
	Help func(io.Writer)
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// IsHelp tells an argument that asks for help.
func IsHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}
