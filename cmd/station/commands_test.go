package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// station runs the command as a user does, in a child process (see TestMain): its standard
// output, standard error and exit status.
func station(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join(args, " "))
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		status = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), status
}

// TestHelpAndCommandLineMistakes: help lists every command and exits 0, every command's
// --help says what it does and how to call it on standard output and exits 0, and the usual
// mistakes get a message that says what to do.
func TestHelpAndCommandLineMistakes(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		var out bytes.Buffer
		if err := run(args, strings.NewReader(""), &out); err != nil {
			t.Fatalf("station %s: %v", args[0], err)
		}
		for _, c := range commands {
			if !strings.Contains(out.String(), "  "+c.Name+" ") {
				t.Errorf("station %s does not list %s:\n%s", args[0], c.Name, out.String())
			}
		}
	}
	for _, c := range commands {
		if c.Name == "help" {
			continue
		}
		args := []string{c.Name, "--help"}
		if c.Name == "audit" {
			args = []string{"audit", "verify", "--help"}
		}
		stdout, stderr, status := station(t, "", args...)
		first, _, _ := strings.Cut(stdout, "\n")
		if status != 0 || stderr != "" || first != "station "+c.Name+": "+c.What || !strings.Contains(stdout, "\nusage: station "+c.Synopsis+"\n") {
			t.Errorf("station %s: exit %d, stderr %q, stdout:\n%s", strings.Join(args, " "), status, stderr, stdout)
		}
	}
	// Where the exit status means more than done or failed, the help says what.
	for _, name := range []string{"portrait", "quality", "audit"} {
		stdout, _, _ := station(t, "", name, "--help")
		if !strings.Contains(stdout, "Exit status:\n  0  ") || !strings.Contains(stdout, "\n  1  ") || !strings.Contains(stdout, "\n  2  ") {
			t.Errorf("station %s --help does not give the exit statuses:\n%s", name, stdout)
		}
	}
	// receipt names the login it needs, and where to find a record's code.
	if stdout, _, _ := station(t, "", "receipt", "--help"); !strings.Contains(stdout, "--user U [--db FILE]") || !strings.Contains(stdout, "station records") {
		t.Errorf("receipt --help:\n%s", stdout)
	}

	// A usage mistake: the message once, then the command's help, on standard error; exit 2.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--nosuch"}, "station: gui: flag provided but not defined: -nosuch\n"},
		{[]string{"gui", "extra"}, `station: gui: unknown argument "extra"` + "\n"},
		{[]string{"frobnicate"}, `station: unknown command "frobnicate"`},
		{[]string{"--user", "lan.nt", "sync"}, "give the command first, then its flags: station sync"},
		{[]string{"rekey", "now"}, `station: rekey: unknown argument "now"`},
		{[]string{"portrait"}, "station: portrait: say which photo to check and where the crop goes"},
		{[]string{"quality", "--ppi", "5000", "capture.png"}, "station: quality: --ppi 5000 is outside"},
		{[]string{"quality"}, "station: quality: name the finger image"},
		{[]string{"provision", "--user", "lan.nt"}, "station: provision: name the provisioning file"},
		{[]string{"import-ack"}, "station: import-ack: name the acknowledgement file"},
		{[]string{"capture"}, "station: capture: say where to write the print: --out FILE.png"},
		{[]string{"audit"}, "station: audit: say what to do: station audit verify"},
		{[]string{"demo", "--records", "-1"}, "station: demo: --records must not be negative"},
		{[]string{"demo", "--days", "-1"}, "station: demo: --days must not be negative"},
		{[]string{"purge", "--db", "x.db"}, "station: purge: say which supervisor purges: --user NAME"},
		{[]string{"rekey", "--db", "x.db"}, "station: rekey: say which supervisor rotates the key: --user NAME"},
		{[]string{"rekey", "--status", "--user", "lan.nt"}, "station: rekey: --status needs no login: leave out --user"},
		{[]string{"help", "bogus"}, `station: help: unknown command "bogus"`},
	} {
		stdout, stderr, status := station(t, "", c.args...)
		if status != 2 || stdout != "" || !strings.HasPrefix(stderr, "station: ") || strings.Count(stderr, c.want) != 1 ||
			!strings.Contains(stderr, "\nusage: station ") {
			t.Errorf("station %s: exit %d, stdout %q, stderr:\n%s", strings.Join(c.args, " "), status, stdout, stderr)
		}
	}

	// Each flag's help is its own, with one default.
	for _, c := range []struct {
		cmd, flag, want, not string
	}{
		{"import-ack", "-user", "apply central's verdicts", "pack records"},
		{"demo", "-seed S\n", "the same S gives the same people", "-seed seed"},
		{"bench", "-user", `(default "demo.officer")`, "the default is"},
	} {
		stdout, _, _ := station(t, "", c.cmd, "--help")
		_, line, _ := strings.Cut(stdout, "  "+c.flag)
		line, _, _ = strings.Cut(line, "\n  -")
		if !strings.Contains(line, c.want) || strings.Contains(stdout, c.not) {
			t.Errorf("station %s --help, %s:\n%s", c.cmd, c.flag, stdout)
		}
	}
	// help COMMAND is that command's help; --version is the version command.
	if stdout, stderr, status := station(t, "", "help", "sync"); status != 0 || stderr != "" ||
		!strings.HasPrefix(stdout, "station sync: ") || !strings.Contains(stdout, "-user") {
		t.Errorf("station help sync: exit %d, stderr %q, stdout:\n%s", status, stderr, stdout)
	}
	if stdout, stderr, status := station(t, "", "--version"); status != 0 || stderr != "" || !strings.HasPrefix(stdout, "station "+version+" (") {
		t.Errorf("station --version: exit %d, stderr %q, stdout %q", status, stderr, stdout)
	}

	// init checks its flags before asking for the password, names them as typed, and names
	// every missing one at once.
	db := filepath.Join(t.TempDir(), "station.db")
	err := run([]string{"init", "--db", db, "--code", "HN-DD-01"}, strings.NewReader(""), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "missing --office, --user, --name") || exitStatus(err) != 2 {
		t.Errorf("init without --office, --user, --name: %v", err)
	}
	err = run([]string{"init", "--db", db, "--office", "X", "--code", "h d", "--user", "lan.nt", "--name", "Nguyễn Thị Lan"},
		strings.NewReader(""), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--code") {
		t.Errorf("init with a bad --code: %v", err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("init refused its flags but created the database: %v", err)
	}
	// Two passwords that differ: said in words, not by the field's name.
	err = run([]string{"init", "--db", db, "--office", "X", "--code", "HN-DD-01", "--user", "lan.nt", "--name", "Nguyễn Thị Lan"},
		strings.NewReader("matkhau2026\nmatkhau2027\n"), &bytes.Buffer{})
	if err == nil || err.Error() != "init: the password typed again: the two passwords differ" {
		t.Errorf("init with two passwords that differ: %v", err)
	}

	// A tool on a database that does not exist names it once and says how to make one.
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, args := range [][]string{{"purge", "--user", "lan.nt"}, {"recover", "--user", "lan.nt"}, {"rekey", "--status"},
		{"audit", "verify"}, {"sync"}, {"records", "--user", "lan.nt"}} {
		err := run(append(args, "--db", missing), strings.NewReader(""), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "station init") || strings.Count(err.Error(), missing) != 1 || !errors.Is(err, errNoDatabase) {
			t.Errorf("station %s on a missing database: %v", args[0], err)
		}
	}

	// The window without a display: one line saying so, before anything is created.
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	if err := run([]string{"--db", db}, strings.NewReader(""), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "needs a display") {
		t.Errorf("window without a display: %v", err)
	}
	// A display named but not there: no panic, one line on stderr, the same status, no database.
	stdout, stderr, status := runWithDisplay(t, ":"+freeDisplay(t), "--db", db)
	if status != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "cannot be opened") ||
		!strings.Contains(stderr, "xvfb-run") || strings.Contains(stderr, "panic") {
		t.Errorf("window on a display nobody serves: exit %d, stdout %q, stderr %q", status, stdout, stderr)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the window created the database without a display to open: %v", err)
	}
}

func runWithDisplay(t *testing.T, display string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	t.Setenv("DISPLAY", display)
	return station(t, "", args...)
}

// freeDisplay is a display number no X server listens on, here.
func freeDisplay(t *testing.T) string {
	for n := 170; n < 270; n++ {
		if _, err := os.Stat("/tmp/.X11-unix/X" + strconv.Itoa(n)); err == nil {
			continue
		}
		if c, err := net.Dial("unix", "@/tmp/.X11-unix/X"+strconv.Itoa(n)); err == nil {
			c.Close()
			continue
		}
		if c, err := net.Dial("tcp", "localhost:"+strconv.Itoa(6000+n)); err == nil {
			c.Close()
			continue
		}
		return strconv.Itoa(n)
	}
	t.Skip("every display number tried is served")
	return ""
}

// TestDisplayCheck: the display is looked for where Xlib looks, and one that answers passes.
func TestDisplayCheck(t *testing.T) {
	for display, want := range map[string]string{
		":0":               "unix @/tmp/.X11-unix/X0, unix /tmp/.X11-unix/X0, tcp localhost:6000",
		":1.0":             "unix @/tmp/.X11-unix/X1, unix /tmp/.X11-unix/X1, tcp localhost:6001",
		"unix:2":           "unix @/tmp/.X11-unix/X2, unix /tmp/.X11-unix/X2",
		"localhost:10.0":   "tcp localhost:6010",
		"office-pc:3":      "tcp office-pc:6003",
		"tcp/10.0.0.5:0":   "tcp 10.0.0.5:6000",
		"[::1]:1":          "tcp [::1]:6001",
		"host::0":          "", // DECnet: left to the library
		"/private/tmp/x:0": "",
		"nonsense":         "",
	} {
		attempts, ok := xAddresses(display)
		var got []string
		for _, a := range attempts {
			got = append(got, a.network+" "+a.addr)
		}
		if strings.Join(got, ", ") != want || ok != (want != "") {
			t.Errorf("DISPLAY=%s: %q (%v), want %q", display, got, ok, want)
		}
	}

	// A server on the abstract socket of a local display, and one on TCP: both pass.
	n := freeDisplay(t)
	ln, err := net.Listen("unix", "@/tmp/.X11-unix/X"+n)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := checkDisplay(":"+n, ""); err != nil {
		t.Errorf("a display that answers on its abstract socket: %v", err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	if port := tcp.Addr().(*net.TCPAddr).Port; port > 6000 {
		if err := checkDisplay("127.0.0.1:"+strconv.Itoa(port-6000), ""); err != nil {
			t.Errorf("a display that answers on TCP: %v", err)
		}
	}
	ln.Close()
	err = checkDisplay(":"+n, "")
	if !errors.Is(err, errNoDisplay) || !regexp.MustCompile(`no X server answers at /tmp/\.X11-unix/X\d+ or localhost:\d+`).MatchString(err.Error()) {
		t.Errorf("a display gone: %v", err)
	}
	if err := checkDisplay("", "wayland-0"); !errors.Is(err, errNoDisplay) || !strings.Contains(err.Error(), "XWayland") {
		t.Errorf("Wayland without XWayland: %v", err)
	}
}

// TestFlagsBeforeTheCommand: the usage line puts --db first (station [--db FILE] …), so it
// may precede any command; what a command does not take is refused by that command.
func TestFlagsBeforeTheCommand(t *testing.T) {
	for _, c := range []struct {
		args, cmd, rest string
	}{
		{"", "gui", ""},
		{"--db F", "gui", "--db F"},
		{"--db F gui --lang en", "gui", "--db F --lang en"},
		{"--db F rekey --status", "rekey", "--db F --status"},
		{"--db=F --lang en receipt K7Q --out r.pdf", "receipt", "--db=F --lang en K7Q --out r.pdf"},
		{"--db F -- extra", "gui", "--db F -- extra"},
		{"sync --user u", "sync", "--user u"},
	} {
		cmd, rest, err := splitCommand(strings.Fields(c.args))
		if err != nil || cmd != c.cmd || strings.Join(rest, " ") != c.rest {
			t.Errorf("%q: %q %q %v, want %q %q", c.args, cmd, rest, err, c.cmd, c.rest)
		}
	}

	db := filepath.Join(t.TempDir(), "station.db")
	var out bytes.Buffer
	if err := run([]string{"demo", "--records", "2", "--seed", "3", "--db", db}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"--db", db, "rekey", "--status"}, strings.NewReader(""), &out); err != nil || !strings.Contains(out.String(), "data key generation 1") {
		t.Errorf("station --db FILE rekey --status: %v\n%s", err, out.String())
	}
	if err := run([]string{"--db", db, "devices"}, strings.NewReader(""), &out); err == nil || exitStatus(err) != 2 || !strings.Contains(err.Error(), "devices: flag provided but not defined: -db") {
		t.Errorf("station --db FILE devices: %v", err)
	}
}
