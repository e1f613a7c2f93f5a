package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardpolice/enroll"
)

// TestDocumentsSayWhatIsMissing: on a station without CUPS or a PDF viewer, printing and
// opening fail with the errors the screens turn into "save it as PDF instead"; a printer that
// refuses the job is told apart from a missing program.
func TestDocumentsSayWhatIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // neither lp nor xdg-open
	var d desktopDocuments
	defer d.Close()
	if err := d.Print("x.pdf", []byte("%PDF-1.4")); !errors.Is(err, enroll.ErrNoPrintProgram) {
		t.Errorf("print without lp: %v, want ErrNoPrintProgram", err)
	}
	if err := d.Open("x.pdf", []byte("%PDF-1.4")); !errors.Is(err, enroll.ErrNoViewer) {
		t.Errorf("open without xdg-open: %v, want ErrNoViewer", err)
	}

	// An lp that answers as CUPS does without a default printer.
	bin := t.TempDir()
	lp := "#!/bin/sh\ncat >/dev/null\necho 'lp: Error - no default destination available.' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "lp"), []byte(lp), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/bin:/usr/bin")
	err := d.Print("x.pdf", []byte("%PDF-1.4"))
	if !errors.Is(err, enroll.ErrPrinterRefused) || errors.Is(err, enroll.ErrNoPrintProgram) {
		t.Errorf("print refused by CUPS: %v, want ErrPrinterRefused", err)
	}
}
