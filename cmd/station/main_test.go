package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestVersionMatchesFyneApp(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"version"}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	toml, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Version = "([^"]+)"`).FindSubmatch(toml)
	if m == nil || !strings.HasPrefix(out.String(), "station "+string(m[1])+" ") {
		t.Errorf("version %q does not match FyneApp.toml %q", out.String(), m)
	}
}

func TestDemoThenBench(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	var out bytes.Buffer
	if err := run([]string{"demo", "--records", "12", "--db", db, "--seed", "4"}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "added 12 synthetic enrollments") {
		t.Errorf("demo output %q", out.String())
	}
	pw := regexp.MustCompile(`with password (\S+)`).FindStringSubmatch(out.String())
	if pw == nil {
		t.Fatalf("demo printed no password: %q", out.String())
	}
	out.Reset()
	if err := run([]string{"bench", "--db", db, "--runs", "3"}, strings.NewReader(pw[1]+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "search over 12 records") || !strings.Contains(out.String(), `"nguyen van an"`) {
		t.Errorf("bench output %q", out.String())
	}
	// No password on standard input: say that one is needed, and how to give it.
	err := run([]string{"bench", "--db", db, "--runs", "1"}, strings.NewReader(""), &out)
	if err == nil || !strings.Contains(err.Error(), "password for demo.officer is needed") || !strings.Contains(err.Error(), "one line on standard input") ||
		strings.Contains(err.Error(), "EOF") {
		t.Errorf("bench without a password: %v", err)
	}
}

// TestDemoSeed: the seed a demo run drew is printed, and giving it back makes the same people.
func TestDemoSeed(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, status := station(t, "", "demo", "--records", "3", "--db", filepath.Join(dir, "a.db"))
	m := regexp.MustCompile(`demo seed (\d+) \(--seed (\d+) gives the same people\)`).FindStringSubmatch(stderr)
	if status != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("demo without --seed: exit %d, stderr %q, stdout %q", status, stderr, stdout)
	}
	people := func(db, seed string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run([]string{"demo", "--records", "3", "--db", db, "--seed", seed}, strings.NewReader(""), &out); err != nil {
			t.Fatal(err)
		}
		pw := regexp.MustCompile(`with password (\S+)`).FindStringSubmatch(out.String())
		out.Reset()
		if err := run([]string{"records", "--db", db, "--user", "demo.officer"}, strings.NewReader(pw[1]+"\n"), &out); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
			f := strings.Fields(line)
			names = append(names, strings.Join(f[6:], " "))
		}
		return strings.Join(names, ", ")
	}
	if a, b := people(filepath.Join(dir, "b.db"), m[1]), people(filepath.Join(dir, "c.db"), m[1]); a != b || a == "" {
		t.Errorf("the same seed gave other people: %q and %q", a, b)
	}
	if stdout, _, _ := station(t, "", "demo", "--help"); !regexp.MustCompile(`-seed S\n[^\n]*\(default: random;`).MatchString(stdout) ||
		regexp.MustCompile(`-seed S\n[^\n]*\(default \d`).MatchString(stdout) {
		t.Errorf("demo --help should show the seed's default as random:\n%s", stdout)
	}
}

func TestBadCommandLine(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"frobnicate"}, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
	if err := run([]string{"demo", "--records", "-1", "--db", filepath.Join(t.TempDir(), "x.db")}, strings.NewReader(""), &out); err == nil {
		t.Error("negative record count accepted")
	}
	if err := run([]string{"bench", "--db", filepath.Join(t.TempDir(), "missing.db")}, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "station demo") {
		t.Errorf("bench on a missing database: %v", err)
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	var out bytes.Buffer
	if err := run([]string{"demo", "--records", "4", "--db", db, "--seed", "2"}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"audit", "verify", "--db", db}, strings.NewReader(""), &out); err != nil || !strings.Contains(out.String(), "audit trail intact: 5 entries") {
		t.Fatalf("intact trail: %v %q", err, out.String())
	}
	// Someone with the file edits the third entry.
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_no_update`, `UPDATE audit SET officer = 'intruder' WHERE seq = 3`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	out.Reset()
	err = run([]string{"audit", "verify", "--db", db}, strings.NewReader(""), &out)
	if err == nil || !strings.Contains(out.String(), "audit trail BROKEN: audit entry 3: its contents were changed") {
		t.Errorf("tampered trail: %v %q", err, out.String())
	}
}
