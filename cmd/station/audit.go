package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/wardpolice/enroll/cmd/internal/cli"
	"github.com/wardpolice/enroll/store"
)

var errAuditBroken = errors.New("the audit trail is broken")

// runAudit: `station audit verify` checks what the file shows by itself (numbering, hash
// chain, the head file beside the database, the append-only guards), then, with a
// supervisor's password, every entry's MAC and the head file's tag: only those tell the
// station's own history from one rewritten with the sqlite3 tool. The password is asked for
// when --user is given, or on a terminal. Logging in countersigns the entries written while
// nobody was logged in and records any damage it finds (station audit_alarm entries); the
// first check shows the trail as it was before that.
func runAudit(args []string, in io.Reader, out io.Writer) error {
	var user *string
	more := func(fs *flag.FlagSet) {
		user = fs.String("user", "", "supervisor whose password opens the audit key, to check the MACs ("+passwordFrom+
			"; on a terminal the supervisor is asked for when --user is not given)")
	}
	if len(args) == 0 || args[0] != "verify" {
		// The help lists the flags verify takes.
		fs := newFlags("audit")
		fs.String("db", defaultDB(), "database file")
		more(fs.FlagSet)
		if len(args) > 0 && cli.IsHelp(args[0]) {
			fs.Help(out)
			return nil
		}
		if len(args) == 0 {
			return fs.Mistake("say what to do: station audit verify")
		}
		return fs.Mistake("unknown %q: the one thing audit does is verify", args[0])
	}
	ctx := context.Background()
	st, err := openTool(ctx, "audit verify", args[1:], out, more, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.CheckAudit(ctx)
	if err != nil {
		return err
	}
	printAudit(out, st, r)
	c := newConsole(in, out)
	if *user == "" && c.fd >= 0 {
		fmt.Fprintln(out, "Whether the entries are the station's own needs the audit key, which a supervisor's password opens.")
		if *user, err = c.line("supervisor (Enter to skip): "); err != nil {
			return err
		}
		*user = strings.TrimSpace(*user)
	}
	if *user == "" {
		fmt.Fprintln(out, "authenticity NOT checked: the entries' MACs need the audit key, which only a supervisor's login opens "+
			"(station audit verify --user SUPERVISOR asks for the password)")
		return auditResult(r)
	}
	if err := logIn(ctx, st, *user, c, true); err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if r, err = st.CheckAudit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nwith the audit key (logged in as %s):\n", *user)
	printAudit(out, st, r)
	return auditResult(r)
}

func auditResult(r *store.AuditReport) error {
	if len(r.Breaks) > 0 {
		return errAuditBroken
	}
	return nil
}

// printAudit writes a report: the verdict first (the first damage named), then how the entries
// are authenticated, which needs the key to be more than what the file claims.
func printAudit(out io.Writer, st *store.Store, r *store.AuditReport) {
	switch {
	case len(r.Breaks) > 0:
		fmt.Fprintf(out, "audit trail BROKEN: %v (%d entries)\n", r.Breaks[0], r.Entries)
		for _, b := range r.Breaks[1:] {
			fmt.Fprintf(out, "  also: %v\n", b)
		}
	case r.Keyed:
		fmt.Fprintf(out, "audit trail intact: %d entries, every MAC checked\n", r.Entries)
	default:
		fmt.Fprintf(out, "audit trail intact: %d entries (numbering, hash chain and head file checked; MACs not checked)\n", r.Entries)
	}
	if r.Keyed {
		fmt.Fprintf(out, "  %d written while logged in, %d while the session was locked\n", r.Live, r.Locked)
		if r.Own > 0 {
			fmt.Fprintf(out, "  %d written while no key was in memory, countersigned at the next login by the station process that wrote them\n", r.Own)
		}
		if r.Old > 0 {
			fmt.Fprintf(out, "  %d from before the audit was keyed (the upgrade): only as trustworthy as the unkeyed chain was\n", r.Old)
		}
		if r.Found > 0 {
			fmt.Fprintf(out, "  UNAUTHENTICATED: %d entries were found without a MAC at a login (entries %s): written by a station tool run "+
				"without a login, or forged; nothing tells the two apart, look at them\n", r.Found, seqList(r.FoundSeqs, r.Found))
		}
	}
	if r.Unsigned > 0 {
		fmt.Fprintf(out, "  %d entries written while no key was in memory wait for the next login to countersign them (from entry %d)\n",
			r.Unsigned, r.FirstUnsigned)
	}
	if r.HeadFile > 0 {
		fmt.Fprintf(out, "  head file %s names entry %d\n", st.AuditHeadFile(), r.HeadFile)
	}
}

func seqList(seqs []int64, n int64) string {
	var parts []string
	for _, s := range seqs {
		parts = append(parts, fmt.Sprint(s))
	}
	if int64(len(seqs)) < n {
		parts = append(parts, "…")
	}
	return strings.Join(parts, ", ")
}
