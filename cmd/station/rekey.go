package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
)

// runRekey: `station rekey --user SUPERVISOR` rotates the data key: every record and image is
// sealed again under a new key and the old one is forgotten. Killed or interrupted, it is
// simply run again: the login finishes the rotation where it stopped (any login does). With
// --status it says, without a login, which key generation seals how many values.
func runRekey(args []string, in io.Reader, out io.Writer) error {
	var user *string
	var status *bool
	// Ctrl-C stops between two batches; the rotation resumes at the next run or login.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st, err := openTool(ctx, "rekey", args, out, func(fs *flag.FlagSet) {
		user = fs.String("user", "", "supervisor who logs in to rotate the key ("+passwordFrom+")")
		status = fs.Bool("status", false, "only show the data key's generation and what is sealed under which (no login; takes no --user)")
	}, func() string {
		switch {
		case *status && *user != "":
			return "--status needs no login: leave out --user (or leave out --status to rotate the key)"
		case !*status && *user == "":
			return "say which supervisor rotates the key: --user NAME (or --status to see the key generations without a login)"
		}
		return ""
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if *status {
		return printKeyStatus(ctx, st, out)
	}
	pending, err := st.PendingRekey(ctx)
	if err != nil {
		return err
	}
	if pending != nil {
		fmt.Fprintf(out, "a rotation to key generation %d started by %s is unfinished (%d of %d records done): the login finishes it\n",
			pending.Generation, pending.StartedBy, pending.Done, pending.Total)
	}
	c := newConsole(in, out)
	if err := logIn(ctx, st, *user, c, true); err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	if pending != nil {
		gen, err := st.KeyGeneration(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "rotation finished: every record is sealed under key generation %d; run station rekey again for another rotation\n", gen)
		return nil
	}
	progress := func(done, total int) {
		fmt.Fprintf(out, "re-sealed %d of %d records\n", done, total)
	}
	rep, err := st.Rekey(ctx, *user, progress)
	if errors.Is(err, enroll.ErrRecoverySlotOld) {
		// The recovery slot predates rotation: it takes the recovery key once to renew it.
		key, kerr := c.secret("recovery key (printed at set-up; the recovery slot must be renewed before a rotation): ")
		if kerr != nil {
			return kerr
		}
		if err := st.UpgradeRecovery(ctx, *user, key); err != nil {
			return fmt.Errorf("rekey: %w", err)
		}
		rep, err = st.Rekey(ctx, *user, progress)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("rekey: interrupted; run station rekey again (or log in) to finish: %w", err)
		}
		return fmt.Errorf("rekey: %w", err)
	}
	fmt.Fprintf(out, "data key rotated: %d records re-sealed under key generation %d; the old key is forgotten\n", rep.Records, rep.Generation)
	if len(rep.Dropped) > 0 {
		fmt.Fprintf(out, "these officers' key slots could not take the new key; reset their passwords: %s\n", strings.Join(rep.Dropped, ", "))
	}
	if len(rep.Unreadable) > 0 {
		fmt.Fprintf(out, "%d sealed values opened under no key (altered in the file) and were left as they were:\n  %s\n",
			len(rep.Unreadable), strings.Join(rep.Unreadable, "\n  "))
	}
	if rep.WALPending {
		fmt.Fprintln(out, "the database was busy: old pages stay in its write-ahead log until the next checkpoint")
	}
	return nil
}

// printKeyStatus shows the key generation and the sealed values under each.
func printKeyStatus(ctx context.Context, st *store.Store, out io.Writer) error {
	gen, err := st.KeyGeneration(ctx)
	if err != nil {
		return err
	}
	counts, err := st.KeyStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "data key generation %d\n", gen)
	if p, err := st.PendingRekey(ctx); err != nil {
		return err
	} else if p != nil {
		fmt.Fprintf(out, "rotation to generation %d unfinished: %d of %d records done (started by %s)\n", p.Generation, p.Done, p.Total, p.StartedBy)
	}
	var gens []int
	for g := range counts {
		gens = append(gens, g)
	}
	sort.Ints(gens)
	for _, g := range gens {
		if g == 0 {
			fmt.Fprintf(out, "values that are not sealed values: %d\n", counts[g])
			continue
		}
		fmt.Fprintf(out, "sealed under generation %d: %d\n", g, counts[g])
	}
	return nil
}
