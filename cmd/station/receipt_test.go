package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/store/demo"
)

// TestReceiptCommand: a record the demo saved gets its receipt by its code, typed any way an
// officer might, in either language; every receipt is audited; drafts, purged records, unknown
// codes and command-line mistakes are refused with a message that says why, the mistakes
// before any password is asked for.
func TestReceiptCommand(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext not found: install poppler-utils (.ci/deps installs it): %v", err)
	}
	tmp := t.TempDir()
	db := filepath.Join(tmp, "station.db")
	var out bytes.Buffer
	if err := run([]string{"demo", "--records", "3", "--seed", "7", "--db", db}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	pw := regexp.MustCompile(`with password (\S+)`).FindStringSubmatch(out.String())
	if pw == nil {
		t.Fatalf("demo printed no password: %q", out.String())
	}
	password := pw[1] + "\n"

	// One record stays saved, one is purged once central has it, and a draft is begun.
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, demo.Officer, pw[1]); err != nil {
		t.Fatal(err)
	}
	records, err := st.List(ctx, store.Filter{})
	if err != nil || len(records) != 3 {
		t.Fatalf("demo records: %d, %v", len(records), err)
	}
	saved, gone := records[0], records[1]
	draft := &enroll.Enrollment{Station: demo.Station, Officer: demo.Officer}
	if err := st.SaveDraft(ctx, draft); err != nil {
		t.Fatal(err)
	}
	if err := st.SetNumericSetting(ctx, demo.Officer, enroll.SettingRetentionDays, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDelivered(ctx, demo.Officer, gone.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Purge(ctx, demo.Officer); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	st.Close()

	code := enroll.RecordCode(saved.ID)
	pdf := filepath.Join(tmp, "receipt.pdf")
	receipt := func(stdin string, args ...string) error {
		out.Reset()
		return run(append([]string{"receipt"}, args...), strings.NewReader(stdin), &out)
	}
	text := func(path string) string {
		t.Helper()
		b, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext %s: %v\n%s", path, err, b)
		}
		return strings.Join(strings.Fields(string(b)), " ")
	}

	// As typed from the phone: lower case, no dashes, the code after the flags.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", ""))
	if err := receipt(password, "--out", pdf, "--user", demo.Officer, "--db", db, typed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "written to "+pdf) {
		t.Errorf("receipt said %q", out.String())
	}
	got := text(pdf)
	for _, want := range []string{saved.FullName, string(saved.PersonalID), code, "GIẤY BIÊN NHẬN HỒ SƠ",
		"TRẠM MÔ PHỎNG", "Mã trạm: " + demo.Station, "Cán bộ tiếp nhận: Cán bộ Mô phỏng", "Đã thu nhận 2/2 ngón"} {
		if !strings.Contains(got, want) {
			t.Errorf("the receipt does not say %q:\n%s", want, got)
		}
	}
	if fi, err := os.Stat(pdf); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("the receipt holds personal data and is readable by others: %v %v", fi.Mode(), err)
	}
	// In English, named by the record's id (how one of two records sharing a code is named).
	en := filepath.Join(tmp, "receipt-en.pdf")
	if err := receipt(password, saved.ID, "--out", en, "--lang", "en", "--user", demo.Officer, "--db", db); err != nil {
		t.Fatal(err)
	}
	if got := text(en); !strings.Contains(got, "APPLICATION RECEIPT") || !strings.Contains(got, saved.FullName) || !strings.Contains(got, code) {
		t.Errorf("the English receipt:\n%s", got)
	}

	st, err = store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := st.AuditTrail(ctx, enroll.AuditFilter{Action: enroll.ActionReceiptPrint})
	st.Close()
	if err != nil || len(trail) != 2 || trail[0].RecordID != saved.ID || trail[1].RecordID != saved.ID || trail[0].Officer != demo.Officer {
		t.Errorf("audit of the two receipts: %+v %v", trail, err)
	}

	// Mistakes on the command line are named as typed, before the password: standard input is
	// empty, so a password prompt would have failed on it ("read password …") instead.
	refused := filepath.Join(tmp, "refused.pdf")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{code, "--user", demo.Officer, "--db", db}, "--out FILE.pdf"},
		{[]string{"--out", refused, "--user", demo.Officer, "--db", db}, "name the record"},
		{[]string{"K7Q-M3X", "--out", refused, "--user", demo.Officer, "--db", db}, "not a record code"},
		{[]string{code, "--out", refused, "--lang", "fr", "--user", demo.Officer, "--db", db}, "--lang"},
		{[]string{code, "--out", refused, "--db", db}, "--user"},
		{[]string{code, "--out", refused, "--user", demo.Officer, "--db", filepath.Join(tmp, "none.db")}, "station init"},
	} {
		if err := receipt("", c.args...); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "read password") {
			t.Errorf("station receipt %s: %v, want it to say %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	// Records that have no receipt to give.
	unknown := "000-000-000"
	for _, id := range []string{saved.ID, gone.ID, draft.ID} {
		if enroll.RecordCode(id) == unknown {
			t.Fatalf("record %s has the code the test takes for unknown", id)
		}
	}
	for _, c := range []struct{ code, want string }{
		{enroll.RecordCode(draft.ID), "not saved yet"},
		{enroll.RecordCode(gone.ID), "personal data was deleted"},
		{unknown, "no record on this station has the code 000-000-000"},
	} {
		if err := receipt(password, c.code, "--out", refused, "--user", demo.Officer, "--db", db); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("receipt for %s: %v, want it to say %q", c.code, err, c.want)
		}
	}
	if _, err := os.Stat(refused); !os.IsNotExist(err) {
		t.Errorf("a refused receipt left a file: %v", err)
	}
}
