package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/store/demo"
)

// TestRecordsCommand: records lists every record with the code and id receipt takes, after a
// login; --find and --status narrow it as the Records tab does; mistakes are refused before
// the password is asked for.
func TestRecordsCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	var out bytes.Buffer
	if err := run([]string{"demo", "--records", "4", "--seed", "9", "--db", db}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	pw := regexp.MustCompile(`with password (\S+)`).FindStringSubmatch(out.String())[1]
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, demo.Officer, pw); err != nil {
		t.Fatal(err)
	}
	saved, err := st.List(ctx, store.Filter{})
	st.Close()
	if err != nil || len(saved) != 4 {
		t.Fatalf("demo records: %d, %v", len(saved), err)
	}

	records := func(args ...string) (string, error) {
		out.Reset()
		err := run(append([]string{"records", "--db", db}, args...), strings.NewReader(pw+"\n"), &out)
		return out.String(), err
	}
	got, err := records("--user", demo.Officer)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "CODE ") {
		t.Fatalf("records:\n%s", got)
	}
	for i, r := range saved { // the most recently changed first, as the store lists them
		f := strings.Fields(lines[i+1])
		if f[0] != enroll.RecordCode(r.ID) || f[1] != r.ID || f[2] != string(enroll.StatusComplete) || f[5] != demo.Officer ||
			strings.Join(f[6:], " ") != r.FullName {
			t.Errorf("line %d %q, want record %s %s", i+1, lines[i+1], r.ID, r.FullName)
		}
	}
	// Narrowed by a name, by status, and cut by --limit (which says so).
	if got, err := records("--user", demo.Officer, "--find", saved[2].FullName); err != nil || !strings.Contains(got, saved[2].ID) || strings.Contains(got, saved[0].ID) {
		t.Errorf("--find %q: %v\n%s", saved[2].FullName, err, got)
	}
	if got, err := records("--user", demo.Officer, "--status", "draft"); err != nil || !strings.Contains(got, "no record matches") {
		t.Errorf("--status draft: %v\n%s", err, got)
	}
	if got, err := records("--user", demo.Officer, "--limit", "1"); err != nil || !strings.Contains(got, saved[0].ID) || strings.Contains(got, saved[1].ID) ||
		!strings.Contains(got, "--limit N shows more") {
		t.Errorf("--limit 1: %v\n%s", err, got)
	}
	// The code it shows is what receipt takes.
	if err := run([]string{"receipt", strings.Fields(lines[1])[0], "--out", filepath.Join(t.TempDir(), "r.pdf"), "--user", demo.Officer, "--db", db},
		strings.NewReader(pw+"\n"), &out); err != nil {
		t.Errorf("receipt for the listed code: %v", err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--user NAME"},
		{[]string{"--user", demo.Officer, "--status", "sent"}, `--status "sent": one of draft`},
		{[]string{"--user", demo.Officer, "--limit", "0"}, "--limit must be at least 1"},
		{[]string{"--user", demo.Officer, "Nguyễn"}, "give it with --find"},
	} {
		out.Reset()
		err := run(append([]string{"records", "--db", db}, c.args...), strings.NewReader(""), &out)
		if err == nil || exitStatus(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("records %v: %v, want a usage mistake saying %q", c.args, err, c.want)
		}
	}
	out.Reset()
	if err := run([]string{"records", "--db", db, "--user", demo.Officer}, strings.NewReader("wrong-password1\n"), &out); err == nil || exitStatus(err) != 1 {
		t.Errorf("records with a wrong password: %v", err)
	}
}
