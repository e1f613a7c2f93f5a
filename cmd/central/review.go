package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/cmd/internal/cli"
	"github.com/wardpolice/enroll/sync/intake"
)

const reviewUsage = `central review: decide the records whose fingerprints an examiner must judge

usage: central review list
       central review verify STATION RECORD [--examiner NAME]
       central review reject STATION RECORD (--finger FINGER | --reason TEXT) [--examiner NAME]

Records whose fingerprints the matcher could not decide wait here for an examiner: a finger
that matches beside one that clearly does not, a score too close to call, or a citizen the
register holds no reference prints for. Until decided the station sees them as received.

  list     the records waiting, with each finger's score and band
  verify   accept the record (the citizen is the holder of the ID number)
  reject   refuse it: --finger names the finger that is not the citizen's (the station's
           officer is told to check the person and capture that finger again), --reason
           gives any other reason in words the officer can act on

FINGER is 1-10 (ISO position: 1 right thumb … 10 left little) or a name such as right-index.
RECORD is the record id "review list" shows, or the code on the citizen's receipt.
`

func runReview(args []string, out io.Writer) error {
	f := newFlags("review", out)
	f.Text = reviewUsage
	examiner := f.String("examiner", osUser(), "who decides (kept with the decision)")
	finger := f.String("finger", "", "reject: the finger whose print is not the citizen's")
	reason := f.String("reason", "", "reject: any other reason, in words the officer can act on")
	if len(args) > 0 && cli.IsHelp(args[0]) {
		f.Help(out)
		return nil
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return f.Mistake("say list, verify or reject")
	}
	sub := args[0]
	switch sub {
	case "list", "verify", "reject":
	default:
		return f.Mistake("unknown %q (list, verify, reject)", sub)
	}
	f.FlagSet.Init("review "+sub, flag.ContinueOnError)
	if ok, err := f.parse(args[1:]); !ok || err != nil {
		return err
	}
	ctx := context.Background()
	if sub == "list" {
		if f.NArg() != 0 {
			return f.Mistake("takes no arguments (got %q)", f.Arg(0))
		}
		c, err := f.open(ctx)
		if err != nil {
			return fmt.Errorf("review list: %w", err)
		}
		defer c.Close()
		return listReviews(ctx, c, out)
	}
	if f.NArg() != 2 {
		return f.Mistake("name the station and the record")
	}
	var why enroll.Reason
	if sub == "reject" {
		switch {
		case *finger != "" && *reason != "":
			return f.Mistake("give --finger or --reason, not both")
		case *finger != "":
			p, err := parseFinger(*finger)
			if err != nil {
				return f.Mistake("%w", err)
			}
			why = enroll.Reason{Code: enroll.ReasonFingerMismatch, Finger: p}
		case strings.TrimSpace(*reason) != "":
			why = enroll.Reason{Code: enroll.ReasonOther, Detail: strings.TrimSpace(*reason)}
		default:
			return f.Mistake("say why: --finger FINGER (a print that is not the citizen's) or --reason TEXT")
		}
	} else if *finger != "" || *reason != "" {
		return f.Mistake("--finger and --reason are for reject")
	}
	c, err := f.open(ctx)
	if err != nil {
		return fmt.Errorf("review %s: %w", sub, err)
	}
	defer c.Close()
	station := strings.ToUpper(f.Arg(0))
	id, err := resolveReviewRecord(ctx, c, station, f.Arg(1))
	if err != nil {
		return fmt.Errorf("review %s: %w", sub, err)
	}
	if err := c.DecideReview(ctx, station, id, why, *examiner); err != nil {
		return fmt.Errorf("review %s: %w", sub, err)
	}
	if why.IsZero() {
		fmt.Fprintf(out, "record %s of %s verified by %s; the station learns it at its next sync\n", id, station, *examiner)
	} else {
		fmt.Fprintf(out, "record %s of %s rejected by %s (%s); the station learns it at its next sync\n", id, station, *examiner, why.Error())
	}
	return nil
}

func listReviews(ctx context.Context, c *intake.Central, out io.Writer) error {
	list, err := c.Reviews(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(out, "no record is waiting for manual review")
		return nil
	}
	fmt.Fprintf(out, "%d records waiting for manual review (oldest first)\n", len(list))
	for _, r := range list {
		printReview(out, r)
	}
	return nil
}

// printReview shows one held record: who, why it is held, and each finger's score and band.
func printReview(out io.Writer, r intake.Review) {
	fmt.Fprintf(out, "\n%s %s  (code %s)  flagged %s\n  %s  %s\n", printable(r.Station), printable(r.ID), enroll.RecordCode(r.ID),
		r.Flagged.Format(time.DateTime), printable(string(r.PersonalID)), printable(r.FullName))
	fmt.Fprintf(out, "  held: %s\n", heldBecause(r.Fingers))
	for _, f := range r.Fingers {
		score := "-"
		if f.Outcome != intake.FingerNoReference {
			score = strconv.FormatFloat(f.Score, 'f', 4, 64)
		}
		fmt.Fprintf(out, "    %-13s %-7s %s\n", f.Finger, score, f.Outcome)
	}
}

// heldBecause says why the matcher left a record to an examiner, from its fingers' bands.
func heldBecause(fingers []intake.FingerScore) string {
	bands := map[string]int{}
	for _, f := range fingers {
		bands[f.Outcome]++
	}
	var why []string
	switch {
	case len(fingers) == 0 || bands[intake.FingerNoReference] == len(fingers):
		return "no reference prints in the register for this citizen: nothing to compare the captured fingers with; check the person against the card"
	case bands[intake.FingerMatch] > 0 && bands[intake.FingerNoMatch] > 0:
		why = append(why, "a finger matches the register and another clearly does not")
	case bands[intake.FingerNoMatch] > 0:
		why = append(why, "a finger clearly does not match the register")
	}
	if bands[intake.FingerUncertain] > 0 {
		why = append(why, "a score too close to call")
	}
	if bands[intake.FingerNoReference] > 0 {
		why = append(why, "the register holds no reference print for some fingers")
	}
	if len(why) == 0 {
		return "the matcher could not decide"
	}
	return strings.Join(why, "; ")
}

// resolveReviewRecord accepts the record id or the code from the citizen's receipt.
func resolveReviewRecord(ctx context.Context, c *intake.Central, station, arg string) (string, error) {
	code, ok := enroll.ParseRecordCode(arg)
	if !ok {
		return arg, nil // not a code: an id
	}
	list, err := c.Reviews(ctx)
	if err != nil {
		return "", err
	}
	for _, r := range list {
		if r.Station == station && enroll.RecordCode(r.ID) == code {
			return r.ID, nil
		}
	}
	// Codes are found among the records waiting: one that is not there is not waiting, whether
	// it was decided already or never held (the same answer as its id gets).
	return "", fmt.Errorf("station %s record %s: %w (decided already, or never held; central review list shows the records waiting)",
		station, code, intake.ErrNotInReview)
}

// parseFinger reads 1-10 or a name ("right-index", "right index", "left_thumb").
func parseFinger(s string) (enroll.FingerPosition, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if p := enroll.FingerPosition(n); p.Valid() {
			return p, nil
		}
		return 0, fmt.Errorf("finger %d: want 1 (right thumb) to 10 (left little)", n)
	}
	name := strings.NewReplacer("-", " ", "_", " ").Replace(strings.ToLower(strings.TrimSpace(s)))
	for _, p := range enroll.TenPrint() {
		if p.String() == name {
			return p, nil
		}
	}
	return 0, fmt.Errorf("finger %q: want 1-10 or a name such as right-index or left-thumb", s)
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// printable shows a station's text with control characters as U+FFFD: what a station sent must
// not move the operator's cursor, clear the screen or retitle the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}
