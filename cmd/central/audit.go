package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wardpolice/enroll/sync/intake"
)

// errAuditBackwards is `central audit check`'s answer for a station whose audit heads did not
// only move forward (exit status 1).
var errAuditBackwards = errors.New("the station's audit did not only move forward")

// runAudit: `central audit check STATION` lists the audit heads the station's signed batches
// carried and says whether they only ever moved forward. A station whose database (with the
// head file beside it) was put back to an older copy looks intact to itself; only the heads
// it reported before show that its history went back.
func runAudit(args []string, out io.Writer) error {
	_, args, err := group("audit", args, out)
	if err != nil {
		return err
	}
	f := newFlags("audit check", out)
	if ok, err := f.parse(args); !ok || err != nil {
		return err
	}
	if err := f.args(1, "exactly one station code"); err != nil {
		return err
	}
	station := strings.ToUpper(f.Arg(0))
	ctx := context.Background()
	c, err := f.open(ctx)
	if err != nil {
		return fmt.Errorf("audit check: %w", err)
	}
	defer c.Close()
	heads, err := c.AuditHeads(ctx, station)
	if err != nil {
		return fmt.Errorf("audit check: %w", err)
	}
	if len(heads) == 0 {
		fmt.Fprintf(out, "station %s: no batch carried an audit head yet\n", station)
		return nil
	}
	fmt.Fprintf(out, "station %s: %d audit heads\n", station, len(heads))
	for _, h := range heads {
		fmt.Fprintf(out, "  batch %-6d entry %-8d MAC %s…  received %s  (%s)\n",
			h.BatchSeq, h.AuditSeq, h.MAC[:16], h.ReceivedAt.UTC().Format(time.DateTime), h.Batch)
	}
	problems := intake.CheckAuditHeads(heads)
	if len(problems) == 0 {
		fmt.Fprintf(out, "the audit only moved forward\n")
		return nil
	}
	for _, p := range problems {
		fmt.Fprintf(out, "FLAGGED: %s\n", p)
	}
	return fmt.Errorf("station %s: %w (%d problems)", station, errAuditBackwards, len(problems))
}
