package main

import (
	"bytes"
	"strings"
	"testing"
)

// The command's wiring; what it flags is tested with real batches in sync/courier
// (TestBatchesCarryAuditHeadAndCentralSeesRollback) and case by case in sync/intake.
func TestAuditCheckCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"init", "--url", "https://127.0.0.1:8443", "--dir", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"audit", "check", "hn-kl-01", "--dir", dir}, &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "station HN-KL-01: no batch carried an audit head yet") {
		t.Errorf("no heads: %v %q", err, out.String())
	}
	for _, args := range [][]string{{"audit"}, {"audit", "check", "--dir", dir}, {"audit", "list"}} {
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("central %s accepted", strings.Join(args, " "))
		}
	}
}
