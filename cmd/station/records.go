package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/wardpolice/enroll"
)

// runRecords: `station records --user NAME` lists the records as the window's Records tab
// does (the same search with --find), with the code and id receipt takes. Names and ID
// numbers are sealed, so it needs a login, as receipt does.
func runRecords(args []string, in io.Reader, out io.Writer) error {
	var find, status *string
	var limit *int
	var names []string
	for _, s := range enroll.Statuses() {
		names = append(names, string(s))
	}
	fs, db, user, pos, err := syncFlags("records", "officer who logs in, required: names and ID numbers are sealed until a login ("+passwordFrom+")", args, out,
		func(fs *flag.FlagSet) {
			find = fs.String("find", "", "only records found by this text, as the Records tab finds them: an ID number or its first 6+ digits, name words, a phone, a record code")
			status = fs.String("status", "", "only records with this status: "+strings.Join(names, ", "))
			limit = fs.Int("limit", 50, "at most this many records, the most recently changed first")
		})
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return fs.Mistake("unknown argument %q (to search, give it with --find)", pos[0])
	case *user == "":
		return fs.Mistake("say who looks: --user NAME (names and ID numbers are sealed until an officer logs in)")
	case *limit < 1:
		return fs.Mistake("--limit must be at least 1")
	case *status != "" && !slices.Contains(enroll.Statuses(), enroll.Status(*status)):
		return fs.Mistake("--status %q: one of %s", *status, strings.Join(names, ", "))
	}
	ctx := context.Background()
	st, _, _, err := session(ctx, "records", *db, *user, in, out, false)
	if err != nil {
		return err
	}
	defer st.Close()
	// One more than asked, to tell whether the list was cut.
	list, err := st.Find(ctx, enroll.RecordQuery{Text: *find, Status: enroll.Status(*status), Limit: *limit + 1})
	if err != nil {
		return fmt.Errorf("records: %w", err)
	}
	if len(list) == 0 {
		if *find == "" && *status == "" {
			fmt.Fprintln(out, "no records on this station yet")
		} else {
			fmt.Fprintln(out, "no record matches (--find searches whole name words, an ID number or its first 6+ digits, a phone, a record code)")
		}
		return nil
	}
	cut := len(list) > *limit
	if cut {
		list = list[:*limit]
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tID\tSTATUS\tCREATED (ICT)\tOFFICER\tNAME")
	for _, r := range list {
		name := r.FullName
		if name == "" {
			name = "-" // a purged record's, or a draft's not typed yet
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", enroll.RecordCode(r.ID), r.ID, r.Status,
			r.CreatedAt.In(vietnam).Format("2006-01-02 15:04"), r.Officer, name)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("records: %w", err)
	}
	if cut {
		fmt.Fprintf(out, "the %d most recently changed shown; --limit N shows more, --find TEXT or --status S narrows\n", *limit)
	}
	return nil
}
