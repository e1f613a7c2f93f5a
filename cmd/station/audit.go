package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/wardpolice/enroll/store"
)

var errAuditBroken = errors.New("the audit trail is broken")

// runAudit: `station audit verify` checks the hash chain and names the first broken entry.
func runAudit(args []string, out io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		newFlags("audit").Usage()
		return nil
	}
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("say what to do: station audit verify [--db FILE]")
	}
	ctx := context.Background()
	st, err := openTool(ctx, "audit verify", args[1:], nil)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.VerifyAudit(ctx)
	var br *store.AuditBreak
	if errors.As(err, &br) {
		fmt.Fprintf(out, "audit trail BROKEN: %v (%d entries before it are intact)\n", br, n)
		return errAuditBroken
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "audit trail intact: %d entries\n", n)
	return nil
}
