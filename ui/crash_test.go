package ui

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
)

// childEnv names the database a child process works on; see TestMain.
const childEnv = "STATION_TEST_CHILD_DB"

func TestMain(m *testing.M) {
	if db := os.Getenv(childEnv); db != "" {
		enrollUntilPortrait(db)
		return
	}
	os.Exit(m.Run())
}

// childTB reports harness failures from the child process on stderr.
type childTB struct{}

func (childTB) Helper()        {}
func (childTB) Cleanup(func()) {}
func (childTB) Fatal(a ...any) { fmt.Fprintln(os.Stderr, a...); os.Exit(3) }
func (childTB) Fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, f+"\n", a...)
	os.Exit(3)
}

// enrollUntilPortrait is the child: it logs in, completes identify and contact, takes a portrait
// but does not go on, says READY and waits to be killed.
func enrollUntilPortrait(db string) {
	h := newHarness(childTB{}, db)
	h.toPortrait()
	h.takePortrait()
	h.waitFor("portrait taken", func() bool { return h.hasText(h.T("portrait.done")) })
	fmt.Println("READY")
	time.Sleep(time.Hour)
}

func TestKilledMidWizardResumesDraft(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	setUpStation(t, db)

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"="+db)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "READY" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			child.Wait()
			t.Fatalf("child ended before the portrait step:\n%s", stderr.String())
		}
	case <-time.After(2 * time.Minute):
		child.Process.Kill()
		t.Fatalf("child never reached the portrait step:\n%s", stderr.String())
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = child.Wait()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v", err)
	}

	// Next login on the same database: the draft is offered with everything before the step.
	h := newHarness(t, db)
	if err := h.st.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.login()
	h.waitFor("resume offer", func() bool { return h.hasText(h.T("resume.title")) })
	if !h.hasText("Trần Thị Bích Ngọc") || !h.hasText(h.s.tr.W(enroll.StepPortrait)) {
		t.Fatalf("offer does not name the citizen and the step:\n%s", h.texts())
	}
	h.tap(h.T("resume.yes"))
	h.onStep(enroll.StepPortrait)
	// The portrait was the step in progress: it is lost, and only it.
	h.waitFor("live checks", func() bool { return h.hasText("[" + h.T("portrait.capture") + "]") })
	if h.hasText(h.T("portrait.retake")) || h.hasText(h.T("portrait.done")) {
		t.Errorf("portrait step should start over:\n%s", h.texts())
	}
	h.tap(h.T("wizard.back"))
	h.onStep(enroll.StepContact)
	if got := h.field(h.T("field.phone")).Text; got != "0912345678" {
		t.Errorf("phone after resume = %q", got)
	}
	if got := h.field(h.T("field.email")).Text; got != "ngoc.tran@gmail.com" {
		t.Errorf("e-mail after resume = %q", got)
	}
	h.tap(h.T("wizard.back"))
	h.onStep(enroll.StepIdentify)
	for label, want := range map[string]string{
		"field.personal_id": "036192004321", "field.full_name": "Trần Thị Bích Ngọc", "field.date_of_birth": "02/07/1992",
		"field.address": "Xóm 3, Xã Nghĩa Hưng, Nam Định", "field.issue_date": "15/08/2021", "field.old_id": "162345678",
	} {
		if got := h.field(h.T(label)).Text; got != want {
			t.Errorf("%s after resume = %q, want %q", label, got, want)
		}
	}
	drafts, err := h.st.Drafts(context.Background(), testUser)
	if err != nil || len(drafts) != 1 {
		t.Errorf("drafts after crash: %d, %v", len(drafts), err)
	}
}

// setUpStation prepares a database as the first-run screen would.
func setUpStation(t *testing.T, db string) {
	ctx := context.Background()
	st, err := store.Open(ctx, db, fastKDF())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Init(ctx, enroll.StationSetup{Office: "Công an phường Khâm Thiên", Code: "HN-DD-KT-01",
		Supervisor: enroll.OfficerForm{Username: testUser, FullName: testName, Password: testPassword, Confirm: testPassword}}); err != nil {
		t.Fatal(err)
	}
}
