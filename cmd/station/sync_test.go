package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wardpolice/enroll/sync/provision"
)

// central runs the central binary built for the test.
type centralCmd struct {
	t   *testing.T
	bin string
	dir string
}

func (c centralCmd) run(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "--dir", c.dir)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("central %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestSyncCommands runs the README's sync walk-through with the real commands: central set
// up, a demo station with its register, the station provisioned, a sync over mutual TLS, the
// counts at central; then the removable-media path: export, central import, import-ack.
func TestSyncCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the central binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "central")
	if out, err := exec.Command("go", "build", "-o", bin, "../central").CombinedOutput(); err != nil {
		t.Fatalf("build central: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := centralCmd{t, bin, filepath.Join(tmp, "central-data")}
	c.run("init", "--url", "https://"+addr)

	db := filepath.Join(tmp, "station", "station.db")
	reg := filepath.Join(tmp, "register.csv")
	var out bytes.Buffer
	if err := run([]string{"demo", "--records", "40", "--seed", "5", "--db", db, "--register", reg}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	pw := regexp.MustCompile(`password (\S+)`).FindStringSubmatch(out.String())
	if pw == nil {
		t.Fatalf("demo printed no password: %q", out.String())
	}
	password := pw[1] + "\n"
	if got := c.run("register", "load", reg); !regexp.MustCompile(`\d+ citizens loaded, [1-9]\d* reference prints`).MatchString(got) {
		t.Fatalf("register load: %q", got)
	}
	prov := filepath.Join(tmp, "DEMO-01.provision.json")
	c.run("station", "add", "DEMO-01", "--name", "Công an phường Kim Liên", "--out", prov)

	out.Reset()
	if err := run([]string{"provision", prov, "--user", "demo.officer", "--db", db}, strings.NewReader(password), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "bound to central https://"+addr) {
		t.Fatalf("provision said %q", out.String())
	}

	// Without central running, sync says what is wrong and keeps the records.
	out.Reset()
	err = run([]string{"sync", "--user", "demo.officer", "--db", db}, strings.NewReader(password), &out)
	if err == nil || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("sync with central down: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "40 in batches") {
		t.Fatalf("the records should wait in a batch: %s", out.String())
	}

	serve := exec.Command(bin, "serve", "--dir", c.dir, "--listen", addr)
	stdout, _ := serve.StdoutPipe()
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); !strings.Contains(line, "serving") {
		t.Fatalf("central serve said %q", line)
	}
	go io.Copy(io.Discard, stdout)

	// Without a login the batch uploads and central's verdicts are kept: a record's status
	// changes only with an officer logged in.
	out.Reset()
	if err := run([]string{"sync", "--db", db}, strings.NewReader(""), &out); err != nil {
		t.Fatalf("sync: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "central's verdicts kept for the next login: 40") {
		t.Fatalf("sync without a login: %s", out.String())
	}
	out.Reset()
	if err := run([]string{"sync", "--user", "demo.officer", "--db", db}, strings.NewReader(password), &out); err != nil {
		t.Fatalf("sync: %v\n%s", err, out.String())
	}
	verdicts := regexp.MustCompile(`(\d+) verified, (\d+) rejected`).FindStringSubmatch(out.String())
	if verdicts == nil {
		t.Fatalf("sync said %q", out.String())
	}
	verified, _ := strconv.Atoi(verdicts[1])
	rejected, _ := strconv.Atoi(verdicts[2])
	if verified+rejected != 40 || verified == 0 || rejected == 0 {
		t.Fatalf("sync: %d verified, %d rejected of 40\n%s", verified, rejected, out.String())
	}
	status := c.run("status")
	if !strings.Contains(status, "verified  "+verdicts[1]) || !strings.Contains(status, "rejected  "+verdicts[2]) {
		t.Fatalf("central status disagrees with the station (%s verified, %s rejected):\n%s", verdicts[1], verdicts[2], status)
	}
	t.Logf("station: %s\ncentral:\n%s", strings.TrimSpace(out.String()), status)
	// Two of the forty demo citizens were given someone else's fingers in the register: the
	// matcher rejects them, and no genuine citizen waits for an examiner.
	if m := regexp.MustCompile(`finger_mismatch +(\d+) +\(the (right|left) index print does not match`).FindStringSubmatch(status); m == nil || m[1] != "2" {
		t.Fatalf("central status should count 2 records rejected for another person's fingers:\n%s", status)
	}
	if got := c.run("review", "list"); !strings.Contains(got, "no record is waiting for manual review") {
		t.Fatalf("review list: %s", got)
	}

	// Removable media: new records exported, imported at central, acknowledged back.
	out.Reset()
	if err := run([]string{"demo", "--records", "8", "--seed", "6", "--db", db, "--user", "demo.officer"}, strings.NewReader(password), &out); err != nil {
		t.Fatal(err)
	}
	media := filepath.Join(tmp, "usb")
	out.Reset()
	if err := run([]string{"export", "--to", media, "--user", "demo.officer", "--db", db}, strings.NewReader(password), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "batches exported: 1,") {
		t.Fatalf("export said %q", out.String())
	}
	imported := c.run("import", media)
	if !strings.Contains(imported, ": received") {
		t.Fatalf("central import said %q", imported)
	}
	again := c.run("import", media)
	if !strings.Contains(again, ": duplicate") {
		t.Fatalf("a second import should be a duplicate: %q", again)
	}
	acks, _ := filepath.Glob(filepath.Join(media, "ack-DEMO-01-*.json"))
	if len(acks) == 0 {
		t.Fatalf("no acknowledgement file in %s", media)
	}
	out.Reset()
	if err := run([]string{"import-ack", acks[0], "--user", "demo.officer", "--db", db}, strings.NewReader(password), &out); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(\d+) verified, (\d+) rejected`).FindStringSubmatch(out.String())
	if m == nil || m[1] == "0" && m[2] == "0" {
		t.Fatalf("import-ack applied nothing: %q", out.String())
	}
	if got := c.run("status"); !strings.Contains(got, "records   48") {
		t.Fatalf("central should hold 48 records once:\n%s", got)
	}
}

// TestCentralCommandLine: --help answers and exits 0 for every command; init takes the host
// of --url into the server certificate and refuses an address stations could not use.
func TestCentralCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the central binary")
	}
	bin := filepath.Join(t.TempDir(), "central")
	if out, err := exec.Command("go", "build", "-o", bin, "../central").CombinedOutput(); err != nil {
		t.Fatalf("build central: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"init", "--help"}, {"station", "add", "--help"},
		{"serve", "--help"}, {"import", "--help"}, {"status", "--help"}, {"register", "load", "--help"},
		{"station", "--help"}, {"register", "--help"}, {"station", "remove", "--help"}, {"station", "list", "--help"},
		{"review", "--help"}, {"review", "list", "--help"}, {"review", "reject", "--help"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "usage: central") {
			t.Errorf("central %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	dir := filepath.Join(t.TempDir(), "c")
	if out, err := exec.Command(bin, "init", "--url", "https://central.example.vn", "--dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("init without a port: %v\n%s", err, out)
	}
	pem, err := os.ReadFile(filepath.Join(dir, "server.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := provision.ParseCertificatePEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("central.example.vn"); err != nil {
		t.Errorf("the server certificate does not name the --url host: %v", err)
	}
	for _, bad := range []string{"http://central.example.vn", "https://h:8443/intake", "central.example.vn", "https://h:99999", "https://u@h:8443"} {
		out, err := exec.Command(bin, "init", "--url", bad, "--dir", filepath.Join(t.TempDir(), "x")).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "https://") {
			t.Errorf("init --url %s: %v\n%s", bad, err, out)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "central.db")); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("central.db is readable by others: %v %v", st.Mode(), err)
	}
}

// TestNoFyneNoiseInTheCLocale: Debian's default locale in containers and services is
// C.UTF-8; Fyne used to log three "Fyne error" lines about it on every command.
func TestNoFyneNoiseInTheCLocale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the station binary")
	}
	bin := filepath.Join(t.TempDir(), "station")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build station: %v\n%s", err, out)
	}
	for _, env := range []string{"LANG=C.UTF-8", "LC_ALL=C", "LANG=POSIX", "LANG=vi_VN.UTF-8"} {
		cmd := exec.Command(bin, "version")
		cmd.Env = append(os.Environ(), "LANG=", "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=", env)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), "station ") {
			t.Errorf("%s: station version: %v %q", env, err, out)
		}
		if stderr.Len() > 0 {
			t.Errorf("%s: station version wrote to stderr:\n%s", env, stderr.String())
		}
	}
}
