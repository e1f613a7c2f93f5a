package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wardpolice/enroll"
)

// TestDatabasePathMistakes: --db naming a file that is no database, or a folder, is told as
// the path mistake it most likely is, not as a damaged or read-only station.
func TestDatabasePathMistakes(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("shopping list: rice, fish sauce, limes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"rekey", "--status"}, {"sync"}, {"demo", "--records", "1"}} {
		err := run(append(args, "--db", text), strings.NewReader(""), &bytes.Buffer{})
		if !errors.Is(err, errNotStationDB) || !strings.Contains(err.Error(), text+" is not a station database") ||
			!strings.Contains(err.Error(), "check the --db path") || strings.Contains(err.Error(), "damaged") {
			t.Errorf("%v on a text file: %v", args, err)
		}
		err = run(append(args, "--db", dir), strings.NewReader(""), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), dir+" is a folder, not a station database file") || strings.Contains(err.Error(), "read-only") {
			t.Errorf("%v on a folder: %v", args, err)
		}
	}
	if now, _ := os.ReadFile(text); string(now) != "shopping list: rice, fish sauce, limes\n" {
		t.Error("the text file was changed")
	}
}

// TestDatabaseFaultsSayWhere: a full disk is said once, with the database's folder.
func TestDatabaseFaultsSayWhere(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "station.db")
	full := fmt.Errorf("log in demo.officer: %w", fmt.Errorf("%w (%w)", enroll.ErrDiskFull, errors.New("database or disk is full")))
	got := explainFault(full, path)
	want := "log in demo.officer: " + enroll.ErrDiskFull.Error() + "; the database is " + path + ", on the disk holding " + dir + " (df -h " + dir + " shows its free space)"
	if !errors.Is(got, enroll.ErrDiskFull) || got.Error() != want {
		t.Errorf("disk full:\n got %v\nwant %s", got, want)
	}
}

// TestReadOnlyFolderSaysSo: a database file that may be written in a folder that may not
// (SQLite's journal files go beside the file) is told as the folder.
func TestReadOnlyFolderSaysSo(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root writes any folder: the test runs again as nobody (as CI runs as root).
		asNobody(t, "^TestReadOnlyFolderSaysSo$")
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "station.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	ro := fmt.Errorf("open database %s: %w", path, fmt.Errorf("%w (%w)", enroll.ErrDatabaseReadOnly, errors.New("attempt to write a readonly database")))
	got := explainFault(ro, path)
	if !errors.Is(got, enroll.ErrDatabaseReadOnly) || !strings.Contains(got.Error(), "the folder "+dir+", which holds the database, cannot be written") ||
		strings.Contains(got.Error(), "the database file cannot be written") {
		t.Errorf("read-only folder: %v", got)
	}
}

// asNobody runs the tests matching run of this test binary again as the user nobody, and fails
// when they fail or run none. The binary is copied where nobody may run it.
func asNobody(t *testing.T, run string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "as-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "station.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run="+run, "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "TMPDIR=/tmp"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS")) {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}
