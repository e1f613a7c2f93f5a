package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
)

// TestInitThenRecover sets a station up from the command line, loses the password, and gets
// back in with the printed recovery key, as the GUI's first run and an operator would.
func TestInitThenRecover(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	var out bytes.Buffer
	initArgs := []string{"init", "--db", db, "--office", "Công an phường Dịch Vọng", "--code", "hn-dd-01",
		"--user", "lan.nt", "--name", "Nguyễn Thị Lan"}
	err := run(initArgs, strings.NewReader("matkhau2026\nmatkhau2027\n"), &out)
	if fe, ok := enroll.AsFieldError(err); !ok || fe.Code != enroll.CodePasswordMatch {
		t.Fatalf("mismatched passwords: %v", err)
	}
	out.Reset()
	if err := run(initArgs, strings.NewReader("matkhau2026\nmatkhau2026\n"), &out); err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`\n    ([A-Z2-7-]{64})\n`).FindStringSubmatch(out.String())
	if key == nil || !strings.Contains(out.String(), "station HN-DD-01 set up") {
		t.Fatalf("init output %q", out.String())
	}
	if err := run(initArgs, strings.NewReader("matkhau2026\nmatkhau2026\n"), &out); err == nil || !strings.Contains(err.Error(), "already set up") {
		t.Errorf("second init: %v", err)
	}

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	office, _ := st.Setting(ctx, enroll.SettingOffice)
	if _, err := st.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil || office != "Công an phường Dịch Vọng" {
		t.Fatalf("login after init: %v, office %q", err, office)
	}
	st.Close()

	out.Reset()
	err = run([]string{"recover", "--db", db, "--user", "lan.nt"}, strings.NewReader("AAAA"+key[1][4:]+"\nmoi-mat-khau-1\nmoi-mat-khau-1\n"), &out)
	if !errors.Is(err, enroll.ErrBadRecoveryKey) {
		t.Errorf("wrong recovery key: %v", err)
	}
	if err := run([]string{"recover", "--db", db, "--user", "lan.nt"}, strings.NewReader(strings.ToLower(key[1])+"\nmoi-mat-khau-1\nmoi-mat-khau-1\n"), &out); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(ctx, "lan.nt", "moi-mat-khau-1"); err != nil {
		t.Errorf("login with the recovered password: %v", err)
	}
}

func TestDemoOnASetUpStationNeedsASupervisor(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	var out bytes.Buffer
	if err := run([]string{"init", "--db", db, "--office", "Phường X", "--code", "HN-X-01", "--user", "lan.nt", "--name", "Nguyễn Thị Lan"},
		strings.NewReader("matkhau2026\nmatkhau2026\n"), &out); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"demo", "--db", db, "--records", "2"}, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "--user") || exitStatus(err) != 2 {
		t.Errorf("demo without a login: %v", err)
	}
	// A wrong recovery key: the command named once.
	if err := run([]string{"recover", "--db", db, "--user", "lan.nt"}, strings.NewReader("AAAA-BBBB\nmatkhau2030\nmatkhau2030\n"), &out); err == nil ||
		!strings.HasPrefix(err.Error(), "recover: ") || strings.Contains(err.Error(), "recover: recover:") {
		t.Errorf("recover with a wrong key: %v", err)
	}
	if err := run([]string{"demo", "--db", db, "--records", "2", "--user", "lan.nt"}, strings.NewReader("wrong-pass-1\n"), &out); !errors.Is(err, enroll.ErrBadLogin) {
		t.Errorf("demo with a wrong password: %v", err)
	}
	out.Reset()
	if err := run([]string{"demo", "--db", db, "--records", "2", "--user", "lan.nt", "--seed", "3"}, strings.NewReader("matkhau2026\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created officer demo.officer") || !strings.Contains(out.String(), "added 2 synthetic") {
		t.Errorf("demo output %q", out.String())
	}
	out.Reset()
	if err := run([]string{"purge", "--db", db, "--user", "lan.nt"}, strings.NewReader("matkhau2026\n"), &out); err != nil ||
		!strings.Contains(out.String(), "purged 0 records confirmed by central more than 7 days ago") {
		t.Errorf("purge: %v %q", err, out.String())
	}
}
