package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportRefusedBatchesFail: an import that refuses a batch (here a text file named like
// one) says so in a summary line and exits 1, not 0.
func TestImportRefusedBatchesFail(t *testing.T) {
	t.Setenv("CENTRAL_DB", "")
	dir := filepath.Join(t.TempDir(), "central")
	if out, err := centralRun("init", "--dir", dir); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	media := t.TempDir()
	if err := os.WriteFile(filepath.Join(media, "notes.batch"), []byte("a text file, not a batch\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, status := central(t, "import", media, "--dir", dir)
	if status != 1 || !strings.Contains(stdout, "notes.batch: refused") ||
		!strings.Contains(stdout, "import: 1 batch files: 0 stored, 0 already stored before, 1 refused\n") ||
		!strings.Contains(stderr, "central: import: 1 of 1 batch files refused") {
		t.Errorf("import of a refused batch: exit %d, stdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
}
