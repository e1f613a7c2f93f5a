package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mainArgsEnv makes the test binary act as the central command (see TestMain), so a test can
// run it as a user does: its own process, output and exit status.
const mainArgsEnv = "CENTRAL_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(mainArgsEnv); args != "" {
		if err := run(strings.Fields(args), os.Stdout, os.Stderr); err != nil {
			os.Exit(report(os.Stderr, err))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestHelp: every command's --help says on standard output, first, what the command does,
// then how to call it; a group's --help lists its subcommands; both exit 0.
func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, c := range commands {
		out.Reset()
		errOut.Reset()
		args := append(strings.Fields(c.Name), "--help")
		if err := run(args, &out, &errOut); err != nil || errOut.Len() > 0 ||
			!strings.HasPrefix(out.String(), "central "+c.Name+": "+c.What+"\n") || !strings.Contains(out.String(), "usage: central "+strings.Fields(c.Synopsis)[0]) {
			t.Errorf("central %s: %v, stderr %q, stdout:\n%s", strings.Join(args, " "), err, errOut.String(), out.String())
		}
	}
	for group, what := range groups {
		out.Reset()
		if err := run([]string{group, "--help"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "central "+group+": "+what+"\n") {
			t.Errorf("central %s --help: %v\n%s", group, err, out.String())
		}
		for _, c := range commands {
			if strings.HasPrefix(c.Name, group+" ") && !strings.Contains(out.String(), "central "+c.Synopsis+"\n") {
				t.Errorf("central %s --help does not show %q:\n%s", group, c.Synopsis, out.String())
			}
		}
	}
	out.Reset()
	if err := run([]string{"help"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "central: ") || !strings.Contains(out.String(), "  station list ") {
		t.Errorf("central help: %v\n%s", err, out.String())
	}
	// help COMMAND is the command's own help, help GROUP the group's; --version the version.
	for _, args := range [][]string{{"help", "serve"}, {"help", "station", "add"}, {"help", "station"}, {"help", "review"}} {
		stdout, stderr, status := central(t, args...)
		if want := "central " + strings.Join(args[1:], " ") + ": "; status != 0 || stderr != "" || !strings.HasPrefix(stdout, want) {
			t.Errorf("central %s: exit %d, stderr %q, stdout:\n%s", strings.Join(args, " "), status, stderr, stdout)
		}
	}
	if stdout, stderr, status := central(t, "--version"); status != 0 || stderr != "" || !strings.HasPrefix(stdout, "central "+version) {
		t.Errorf("central --version: exit %d, stderr %q, stdout %q", status, stderr, stdout)
	}
	if stdout, _, _ := central(t, "audit", "check", "--help"); !strings.Contains(stdout, "Exit status:\n  0  ") {
		t.Errorf("audit check --help gives no exit statuses:\n%s", stdout)
	}
}

// TestUsageMistakes: the message once and then the command's help, on standard error; exit 2.
func TestUsageMistakes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args       []string
		want, help string
	}{
		{nil, "central: no command given", "usage: central COMMAND"},
		{[]string{"--nosuch"}, "give the command first", "usage: central COMMAND"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, "usage: central COMMAND"},
		{[]string{"station"}, "station: say add, remove, list", "central station: register, remove"},
		{[]string{"station", "move"}, `station: unknown "move"`, "central station: register, remove"},
		{[]string{"register"}, "register: say load", "usage: central register load FILE.csv"},
		{[]string{"audit", "list"}, `audit: unknown "list"`, "usage: central audit check STATION"},
		{[]string{"status", "--nosuch"}, "status: flag provided but not defined: -nosuch", "usage: central status"},
		{[]string{"status", "extra"}, `status: unknown argument "extra"`, "usage: central status"},
		{[]string{"import"}, "import: name the folder", "usage: central import DIR"},
		{[]string{"station", "add", "--name", "X"}, "station add: name exactly one station code", "usage: central station add"},
		{[]string{"init", "--url", "http://h"}, `init: --url "http://h" must be an https:// address`, "usage: central init"},
		{[]string{"review"}, "review: say list, verify or reject", "usage: central review list"},
		{[]string{"eval-matcher", "extra"}, "eval-matcher: takes no arguments", "usage: central eval-matcher"},
		{[]string{"eval-matcher", "--fingers", "0"}, "eval-matcher: --fingers 0: at least 2", "usage: central eval-matcher"},
		{[]string{"eval-matcher", "--impressions", "1"}, "eval-matcher: --impressions 1: at least 2", "usage: central eval-matcher"},
		{[]string{"eval-matcher", "--fingers", "2", "--impressions", "2", "--impostors", "5"}, "eval-matcher: --impostors 5: 2 fingers × 2 impressions give only 4",
			"usage: central eval-matcher"},
		{[]string{"station", "add", "NEW-04"}, "station add: say which office the station serves: --name NAME", "usage: central station add"},
		{[]string{"station", "add", "HN/01", "--name", "X"}, "station add: HN/01 is not a station code", "usage: central station add"},
		{[]string{"serve", "--listen", "bogus"}, `serve: --listen "bogus": want HOST:PORT`, "usage: central serve"},
		{[]string{"serve", "--listen", ":99999"}, `serve: --listen ":99999": port "99999"`, "usage: central serve"},
		{[]string{"help", "bogus"}, `help: unknown command "bogus"`, "usage: central COMMAND"},
	} {
		args := c.args
		if len(args) > 0 && args[0] != "eval-matcher" && args[0] != "help" { // the commands without a folder
			args = append(args, "--dir", dir)
		}
		stdout, stderr, status := central(t, args...)
		msg, help, _ := strings.Cut(stderr, "\n\n")
		if status != 2 || stdout != "" || !strings.HasPrefix(msg, "central: ") || !strings.Contains(msg, c.want) ||
			strings.Count(stderr, c.want) != 1 || !strings.Contains(help, c.help) {
			t.Errorf("central %s: exit %d, stdout %q, stderr:\n%s", strings.Join(c.args, " "), status, stdout, stderr)
		}
	}
}

// TestServeListensWhereInitSaid: serve's default address is the host and port of the URL
// central init was given (stations are told that URL), and init's hint says so.
func TestServeListensWhereInitSaid(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"init", "--url", "https://" + addr, "--dir", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("then central serve --dir %s (it listens at %s;", dir, addr)) {
		t.Errorf("init's hint:\n%s", out.String())
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainArgsEnv+"=serve --dir "+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if want := "central serving stations on https://" + addr + " "; !strings.HasPrefix(l, want) {
			t.Errorf("serve said %q, want %q…", l, want)
		}
		if want := ", database SQLite " + filepath.Join(dir, "central.db") + "\n"; !strings.HasSuffix(l, want) {
			t.Errorf("serve said %q, want …%q", l, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve said nothing in 30 s")
	}

	for url, want := range map[string]string{"https://127.0.0.1:18443": "127.0.0.1:18443", "https://central.example.vn": "central.example.vn:443",
		"https://[::1]:8443": "[::1]:8443"} {
		if got, err := listenAddr(url); err != nil || got != want {
			t.Errorf("listenAddr(%s) = %q, %v; want %q", url, got, err, want)
		}
	}
}

// central runs the command in a child process: its standard output, error and exit status.
func central(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// An empty argument list runs the tests instead: a lone space is no argument.
	cmd.Env = append(os.Environ(), mainArgsEnv+"= "+strings.Join(args, " "), "HOME="+t.TempDir())
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if x, ok := err.(*exec.ExitError); ok {
		status = x.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), status
}
