package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardpolice/enroll/cmd/internal/cli"
	"github.com/wardpolice/enroll/sync/intake/pgtest"
)

// centralRun runs a command in-process: its output and error.
func centralRun(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String(), err
}

// withPassword puts a password into a postgres:// URL (the test cluster trusts loopback, so
// any password is accepted: what matters is where it is shown and kept).
func withPassword(dsn, pw string) string {
	return strings.Replace(dsn, "postgres://postgres@", "postgres://postgres:"+pw+"@", 1)
}

func isUsage(err error) bool {
	var u *cli.UsageError
	return errors.As(err, &u)
}

// TestInitOnPostgres: a folder set up on PostgreSQL remembers it, so the commands after init
// never quietly make a new SQLite database; the password is neither kept nor printed, and
// init's hints and serve say which database; a database that holds another central's
// stations is not taken over unless asked.
func TestInitOnPostgres(t *testing.T) {
	t.Setenv("CENTRAL_DB", "")
	const secret = "s3cret-pw"
	dsn := withPassword(pgtest.DSN(t), secret)
	dir := filepath.Join(t.TempDir(), "central")
	out, err := centralRun("init", "--dir", dir, "--db", dsn)
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if strings.Contains(out, secret) || !strings.Contains(out, "database PostgreSQL postgres://postgres:xxxxx@127.0.0.1") ||
		!strings.Contains(out, `central serve --dir `+dir+` --db "$CENTRAL_DB"`) || !strings.Contains(out, "export CENTRAL_DB='postgres://postgres:PASSWORD@") {
		t.Errorf("init's output:\n%s", out)
	}
	if data, err := os.ReadFile(filepath.Join(dir, databaseFile)); err != nil || bytes.Contains(data, []byte(secret)) || !bytes.Contains(data, []byte(`"postgres"`)) {
		t.Errorf("%s: %v\n%s", databaseFile, err, data)
	}
	// The hints followed without --db: refused, and no SQLite database appears.
	for _, args := range [][]string{{"status"}, {"station", "list"}, {"serve"}, {"status", "--db", filepath.Join(dir, "central.db")}} {
		_, err := centralRun(append(args, "--dir", dir)...)
		if err == nil || !isUsage(err) || !strings.Contains(err.Error(), "PostgreSQL") || strings.Contains(err.Error(), secret) {
			t.Errorf("%v without the PostgreSQL URL: %v", args, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "central.db")); !os.IsNotExist(err) {
			t.Fatalf("%v made a SQLite database in a PostgreSQL folder", args)
		}
	}
	t.Setenv("CENTRAL_DB", dsn)
	if out, err := centralRun("status", "--help"); err != nil || strings.Contains(out, secret) {
		t.Errorf("status --help shows $CENTRAL_DB's password: %v\n%s", err, out)
	}
	if out, err := centralRun("station", "add", "PG-01", "--name", "Phường X", "--out", filepath.Join(t.TempDir(), "p.json"), "--dir", dir); err != nil {
		t.Fatalf("station add with $CENTRAL_DB: %v\n%s", err, out)
	}
	t.Setenv("CENTRAL_DB", "")

	// Set up again on the same folder: it says what to do.
	if _, err := centralRun("init", "--dir", dir, "--db", dsn); err == nil || !strings.Contains(err.Error(), "already set up in "+dir) ||
		!strings.Contains(err.Error(), "central serve --dir "+dir) {
		t.Errorf("init on a folder set up: %v", err)
	}
	// A new folder on the database of that central: refused, nothing left behind.
	other := filepath.Join(t.TempDir(), "other")
	if _, err := centralRun("init", "--dir", other, "--db", dsn); !errors.Is(err, errDatabaseTaken) || !strings.Contains(err.Error(), "holds 1 station(s)") ||
		!strings.Contains(err.Error(), "--take-over-database") || strings.Contains(err.Error(), secret) {
		t.Errorf("init on another central's database: %v", err)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a refused init left %s behind", other)
	}
	if out, err := centralRun("init", "--dir", other, "--db", dsn, "--take-over-database"); err != nil {
		t.Errorf("init --take-over-database: %v\n%s", err, out)
	}

	// A database that cannot be used: init leaves nothing, so that a retry works.
	retry := filepath.Join(t.TempDir(), "retry")
	noRole := strings.Replace(dsn, "postgres://postgres:", "postgres://nouser:", 1)
	if _, err := centralRun("init", "--dir", retry, "--db", noRole); err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "nouser") {
		t.Errorf("init with a role that does not exist: %v", err)
	}
	if _, err := os.Stat(retry); !os.IsNotExist(err) {
		t.Errorf("a failed init left %s behind", retry)
	}
	// A URL of a database central does not support is no SQLite file name.
	if _, err := centralRun("init", "--dir", retry, "--db", "mysql://x"); !isUsage(err) || !strings.Contains(err.Error(), "mysql:// databases are not supported") {
		t.Errorf("init --db mysql://x: %v", err)
	}
	if _, err := os.Stat(retry); !os.IsNotExist(err) {
		t.Errorf("a refused init left %s behind", retry)
	}

	// A URL without a password is kept whole: the commands after init use it as they are.
	plain := pgtest.DSN(t)
	if out, err := centralRun("init", "--dir", retry, "--db", plain); err != nil || strings.Contains(out, "--db") {
		t.Fatalf("init without a password: %v\n%s", err, out)
	}
	if out, err := centralRun("station", "add", "PG-02", "--name", "Phường Y", "--out", filepath.Join(t.TempDir(), "p.json"), "--dir", retry); err != nil {
		t.Fatalf("station add: %v\n%s", err, out)
	}
	if out, err := centralRun("station", "list", "--dir", retry); err != nil || !strings.Contains(out, "PG-02") {
		t.Errorf("station list: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(retry, "central.db")); !os.IsNotExist(err) {
		t.Error("a SQLite database appeared in a PostgreSQL folder")
	}
}

// TestInitOnSQLite: a failed init (here: a SQLite file in a folder that does not exist) leaves
// nothing behind, a folder's own database goes with it when it moves, and a SQLite file that
// already holds stations is not taken over.
func TestInitOnSQLite(t *testing.T) {
	t.Setenv("CENTRAL_DB", "")
	base := t.TempDir()
	dir := filepath.Join(base, "c")
	if _, err := centralRun("init", "--dir", dir, "--db", filepath.Join(base, "none", "x.db")); err == nil {
		t.Error("init on a SQLite file in a missing folder succeeded")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a failed init left %s behind", dir)
	}
	if out, err := centralRun("init", "--dir", dir); err != nil {
		t.Fatalf("init again: %v\n%s", err, out)
	}
	if _, err := centralRun("station", "add", "SQ-01", "--name", "X", "--out", filepath.Join(base, "p.json"), "--dir", dir); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(base, "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if out, err := centralRun("station", "list", "--dir", moved); err != nil || !strings.Contains(out, "SQ-01") {
		t.Errorf("station list in the moved folder: %v\n%s", err, out)
	}
	if _, err := centralRun("init", "--dir", filepath.Join(base, "new"), "--db", filepath.Join(moved, "central.db")); !errors.Is(err, errDatabaseTaken) {
		t.Errorf("init on another central's SQLite file: %v", err)
	}
}
