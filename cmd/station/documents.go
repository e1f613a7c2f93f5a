package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/wardpolice/enroll"
)

// desktopDocuments opens PDFs with the desktop's viewer (xdg-open) and prints them with CUPS
// (lp), the commands every Debian desktop has.
type desktopDocuments struct {
	mu   sync.Mutex
	dirs map[string]bool // folders of opened documents not yet removed
}

// Print sends the PDF to the default printer through lp's standard input: no copy of a paper
// with personal data is left on disk.
func (*desktopDocuments) Print(name string, pdf []byte) error {
	cmd := exec.Command("lp", "-t", name, "-")
	cmd.Stdin = bytes.NewReader(pdf)
	if out, err := cmd.CombinedOutput(); err != nil {
		why := enroll.ErrPrinterRefused
		if errors.Is(err, exec.ErrNotFound) {
			why = enroll.ErrNoPrintProgram
		}
		return fmt.Errorf("print %s: %w (%v: %s)", name, why, err, bytes.TrimSpace(out))
	}
	return nil
}

// Open writes the PDF to a private temporary folder for the viewer and removes it a few
// minutes later: a viewer reads the file when it opens it, and a receipt must not stay on disk.
func (d *desktopDocuments) Open(name string, pdf []byte) error {
	dir, err := os.MkdirTemp("", "station-doc-")
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("open %s: %w", name, err)
	}
	if err := exec.Command("xdg-open", path).Start(); err != nil {
		os.RemoveAll(dir)
		if errors.Is(err, exec.ErrNotFound) {
			err = fmt.Errorf("%w (%v)", enroll.ErrNoViewer, err)
		}
		return fmt.Errorf("open %s with xdg-open: %w", name, err)
	}
	d.mu.Lock()
	if d.dirs == nil {
		d.dirs = map[string]bool{}
	}
	d.dirs[dir] = true
	d.mu.Unlock()
	time.AfterFunc(3*time.Minute, func() { d.remove(dir) })
	return nil
}

func (d *desktopDocuments) remove(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	os.RemoveAll(dir)
	delete(d.dirs, dir)
}

// Close removes what is still on disk when the station exits.
func (d *desktopDocuments) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for dir := range d.dirs {
		os.RemoveAll(dir)
	}
	d.dirs = nil
}
