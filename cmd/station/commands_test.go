package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpAndCommandLineMistakes: help lists every command and exits 0, every command's
// --help exits 0, and the usual mistakes get a message that says what to do.
func TestHelpAndCommandLineMistakes(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		var out bytes.Buffer
		if err := run(args, strings.NewReader(""), &out); err != nil {
			t.Fatalf("station %s: %v", args[0], err)
		}
		for _, c := range commands {
			if !strings.Contains(out.String(), "  "+c.name+" ") {
				t.Errorf("station %s does not list %s:\n%s", args[0], c.name, out.String())
			}
		}
	}
	for _, c := range commands {
		if c.name == "help" || c.name == "version" {
			continue
		}
		args := []string{c.name, "--help"}
		if c.name == "gui" {
			args = []string{"--help"}
		}
		// As a user runs it: the help says what the command does, wherever it prints it.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join(args, " "))
		help, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(help), c.what) || !strings.Contains(string(help), "usage: station ") {
			t.Errorf("station %s: %v\n%s", strings.Join(args, " "), err, help)
		}
	}
	if err := run([]string{"frobnicate"}, strings.NewReader(""), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "station help") {
		t.Errorf("unknown command: %v", err)
	}

	// init checks its flags before asking for the password, and names them as typed.
	db := filepath.Join(t.TempDir(), "station.db")
	err := run([]string{"init", "--db", db, "--office", "Công an phường Dịch Vọng", "--code", "HN-DD-01", "--user", "lan.nt"},
		strings.NewReader(""), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--name") || strings.Contains(err.Error(), "password") {
		t.Errorf("init without --name: %v", err)
	}
	err = run([]string{"init", "--db", db, "--office", "X", "--code", "h d", "--user", "lan.nt", "--name", "Nguyễn Thị Lan"},
		strings.NewReader(""), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--code") {
		t.Errorf("init with a bad --code: %v", err)
	}

	// A tool on a database that does not exist says how to make one.
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, args := range [][]string{{"purge", "--user", "lan.nt"}, {"audit", "verify"}, {"sync"}} {
		err := run(append(args, "--db", missing), strings.NewReader(""), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "station init") {
			t.Errorf("station %s on a missing database: %v", args[0], err)
		}
	}

	// The window without a display: one line saying so.
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	if err := run([]string{"--db", db}, strings.NewReader(""), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "needs a display") {
		t.Errorf("window without a display: %v", err)
	}
}
