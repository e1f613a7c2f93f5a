package main

import (
	"bytes"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// Without a password verify checks what the file shows by itself and says that authenticity
// was not checked; with a supervisor's password it checks every MAC, which is what finds an
// entry whose MAC was swapped for another's.
func TestAuditVerifyAsksForTheKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	verify := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(append([]string{"audit", "verify", "--db", db}, args...), strings.NewReader(stdin), &out)
		return out.String(), err
	}
	if err := run([]string{"init", "--office", "Công an phường Kim Liên", "--code", "HN-KL-01", "--user", "truong.tram",
		"--name", "Trưởng Trạm", "--db", db}, strings.NewReader("matkhau2026\nmatkhau2026\n"), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	got, err := verify("")
	if err != nil || !strings.Contains(got, "audit trail intact: 1 entries") || !strings.Contains(got, "authenticity NOT checked") {
		t.Fatalf("without a password: %v\n%s", err, got)
	}
	got, err = verify("wrong-password\n", "--user", "truong.tram")
	if err == nil {
		t.Fatalf("wrong password accepted:\n%s", got)
	}
	got, err = verify("matkhau2026\n", "--user", "truong.tram")
	if err != nil || !strings.Contains(got, "every MAC checked") {
		t.Fatalf("with the password: %v\n%s", err, got)
	}

	// Someone with the file gives the set-up entry the MAC of the login after it.
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_no_update`,
		`UPDATE audit SET mac = (SELECT mac FROM audit WHERE seq = 2) WHERE seq = 1`,
		`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	got, _ = verify("")
	if strings.Contains(got, "audit entry 1") || !strings.Contains(got, "append-only were removed or replaced") {
		t.Errorf("without the key the swap cannot show, the replaced trigger does:\n%s", got)
	}
	// The trigger put back is the old kind, which refuses countersigning: the login still
	// works, and verify names both.
	got, err = verify("matkhau2026\n", "--user", "truong.tram")
	if !errors.Is(err, errAuditBroken) || !strings.Contains(got, "audit trail BROKEN: audit entry 1: rewritten") ||
		!strings.Contains(got, "append-only were removed or replaced") {
		t.Errorf("with the key: %v\n%s", err, got)
	}
}
