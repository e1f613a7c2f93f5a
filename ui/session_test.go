package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// TestIdleLockReturnsToWhereTheOfficerWas: with an injected clock, 4:59 without input keeps
// the session; input restarts the count; 5:00 locks it, hides the citizen's data, forgets
// the data key, and logging in again puts the officer back on the same half-typed screen.
func TestIdleLockReturnsToWhereTheOfficerWas(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.typeInto(h.T("field.full_name"), "Trần Thị Bích Ngọc")

	h.advance(4*time.Minute + 59*time.Second)
	h.s.CheckIdle()
	if h.s.Locked() {
		t.Fatal("locked after 4:59")
	}
	h.typeInto(h.T("field.personal_id"), "0361920")
	h.advance(4*time.Minute + 59*time.Second)
	h.s.CheckIdle()
	if h.s.Locked() {
		t.Fatal("locked 4:59 after the last key press")
	}
	h.advance(time.Second)
	h.s.CheckIdle()
	if !h.s.Locked() || !h.hasText(h.T("lock.title")) {
		t.Fatalf("not locked after 5:00 idle:\n%s", h.texts())
	}
	if h.hasText("Trần Thị Bích Ngọc") || h.hasText("0361920") {
		t.Fatalf("the citizen's data shows through the lock:\n%s", h.texts())
	}
	if h.st.Unlocked() {
		t.Error("the data key stayed in memory while locked")
	}

	h.typeInto(h.T("field.password"), "sai-mat-khau-1")
	h.tap(h.T("lock.unlock"))
	h.settle()
	// The lock screen asks only for the password, so it says the password is wrong.
	if !h.hasText(h.T("err.bad_password")) || !h.s.Locked() {
		t.Fatalf("a wrong password unlocked, or was not said to be wrong:\n%s", h.texts())
	}
	h.typeInto(h.T("field.password"), testPassword)
	h.tap(h.T("lock.unlock"))
	h.settle()
	h.onStep(enroll.StepIdentify)
	if got := h.field(h.T("field.full_name")).Text; got != "Trần Thị Bích Ngọc" {
		t.Errorf("name after unlock = %q", got)
	}
	if got := h.field(h.T("field.personal_id")).Text; got != "0361920" {
		t.Errorf("ID after unlock = %q", got)
	}
	trail, _ := h.st.AuditTrail(context.Background(), enroll.AuditFilter{Action: enroll.ActionSessionLock})
	if len(trail) != 1 || trail[0].Officer != testUser {
		t.Errorf("lock audited as %+v", trail)
	}
	// The session counts from the unlock: 4:59 more does not lock again.
	h.advance(4*time.Minute + 59*time.Second)
	h.s.CheckIdle()
	if h.s.Locked() {
		t.Error("locked again right after unlocking")
	}
}

func TestPasswordChangeAndSupervisorReset(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()

	// The supervisor adds an officer from the administration screen.
	h.tap(h.T("admin.title"))
	h.typeInto(h.T("field.username"), "hung.lv")
	h.typeInto(h.T("field.full_name"), "Lê Văn Hùng")
	h.typeInto(h.T("field.password"), "hung-2026-pw")
	h.typeInto(h.T("field.password_confirm"), "hung-2026-pw")
	h.tap(h.T("admin.add"))
	if !h.hasText("hung.lv — Lê Văn Hùng") {
		t.Fatalf("new officer not listed:\n%s", h.texts())
	}
	// … then resets his password: he must choose his own at the next login.
	resetBtn := find(h, "reset button of hung.lv", func(b *widget.Button) bool { return b.Text == h.T("admin.reset") && rowOf(h, b) == "hung.lv" })
	test.Tap(resetBtn)
	h.pump()
	h.typeInto(h.T("password.new"), "tam-thoi-2026")
	h.typeInto(h.T("field.password_confirm"), "tam-thoi-2026")
	h.tap(h.T("dialog.save"))
	h.tap(h.T("dialog.close"))
	if !h.hasText(h.T("admin.must_change")) {
		t.Fatalf("reset not shown:\n%s", h.texts())
	}
	h.tap(h.T("admin.back"))
	h.tap(h.T("home.logout"))

	h.typeInto(h.T("field.username"), "hung.lv")
	h.typeInto(h.T("field.password"), "tam-thoi-2026")
	h.tap(h.T("login.submit"))
	h.waitFor("forced password change", func() bool { return h.hasText(h.T("password.forced")) })
	if h.hasText("[" + h.T("dialog.cancel") + "]") {
		t.Error("a forced change can be cancelled")
	}
	h.typeInto(h.T("password.current"), "tam-thoi-2026")
	h.typeInto(h.T("password.new"), "hung-rieng-2026")
	h.typeInto(h.T("field.password_confirm"), "hung-rieng-2026")
	h.tap(h.T("password.change"))
	h.settle()
	if h.hasText(h.T("password.forced")) {
		t.Fatalf("still asked to change:\n%s", h.texts())
	}
	if h.hasText(h.T("admin.title")) {
		t.Error("an officer sees the administration button")
	}
	h.tap(h.T("home.logout"))
	if _, err := h.st.Authenticate(context.Background(), "hung.lv", "hung-rieng-2026"); err != nil {
		t.Errorf("his own password: %v", err)
	}
	if _, err := h.st.Authenticate(context.Background(), "hung.lv", "tam-thoi-2026"); err == nil {
		t.Error("the temporary password still works")
	}
}

// rowOf returns the user name at the start of the officer row holding b.
func rowOf(h *harness, b *widget.Button) string {
	var user string
	h.walk(func(o fyne.CanvasObject) bool {
		c, ok := o.(*fyne.Container)
		if !ok || len(c.Objects) != 2 {
			return false
		}
		l, isLabel := c.Objects[0].(*widget.Label)
		box, isBox := c.Objects[1].(*fyne.Container)
		if !isLabel || !isBox {
			return false
		}
		for _, k := range box.Objects {
			if k == b {
				user, _, _ = strings.Cut(l.Text, " — ")
				return true
			}
		}
		return false
	})
	return user
}

func TestRecoveryFromTheLoginScreen(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	if len(h.recoveryKey) != 64 {
		t.Fatalf("recovery key shown as %q", h.recoveryKey)
	}
	h.tap(h.T("login.recover"))
	h.typeInto(h.T("recovery.key"), "AAAA"+h.recoveryKey[4:])
	h.typeInto(h.T("field.username"), testUser)
	h.typeInto(h.T("password.new"), "moi-mat-khau-1")
	h.typeInto(h.T("field.password_confirm"), "moi-mat-khau-1")
	h.tap(h.T("recovery.submit"))
	h.settle()
	if !h.hasText(h.T("err.bad_recovery_key")) {
		t.Fatalf("wrong key accepted:\n%s", h.texts())
	}
	h.typeInto(h.T("recovery.key"), h.recoveryKey)
	h.tap(h.T("recovery.submit"))
	h.settle()
	if !h.hasText(h.s.tr.F("recovery.done", map[string]any{"user": testUser})) {
		t.Fatalf("recovery not confirmed:\n%s", h.texts())
	}
	h.tap(h.T("dialog.close"))
	h.typeInto(h.T("field.username"), testUser)
	h.typeInto(h.T("field.password"), "moi-mat-khau-1")
	h.tap(h.T("login.submit"))
	h.waitFor("home screen", func() bool { return h.hasText(h.T("home.new")) })
}

func TestAuditBrowserFilters(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	for range 2 {
		h.st.Authenticate(context.Background(), testUser, "sai-mat-khau-1")
	}
	h.login()
	h.tap(h.T("admin.title"))
	h.selectTab(h.T("admin.audit"))
	sel := find(h, "action filter", func(s *widget.Select) bool { return len(s.Options) == len(enroll.AuditActions())+1 })
	sel.SetSelected(h.T("audit.login_failed"))
	h.tap(h.T("audit.filter"))
	if !h.hasText(h.s.tr.F("audit.count", map[string]any{"count": 2})) {
		t.Fatalf("filter by failed login:\n%s", h.texts())
	}
	h.tap(h.T("audit.verify"))
	n, err := h.st.VerifyAudit(context.Background())
	if err != nil || n < 5 || !h.hasText(h.s.tr.F("audit.intact", map[string]any{"count": n})) {
		t.Errorf("verify (%d entries, %v):\n%s", n, err, h.texts())
	}
	// Opening the tab and filtering are both recorded, with what was looked for.
	trail, _ := h.st.AuditTrail(context.Background(), enroll.AuditFilter{Action: enroll.ActionAuditView})
	if len(trail) != 2 || trail[0].Detail != "action=login_failed" || trail[1].Detail != "" {
		t.Errorf("browsing not audited: %+v", trail)
	}
}

func TestIdleLockFollowsTheSetting(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	h.tap(h.T("admin.title"))
	h.selectTab(h.T("admin.settings"))
	h.typeInto(h.T("setting.idle_minutes"), "61")
	h.tap(h.T("dialog.save"))
	if !h.hasText(h.s.tr.F("setting.out_of_range", map[string]any{"name": h.T("setting.idle_minutes"), "min": 1, "max": 60})) {
		t.Fatalf("61 minutes accepted:\n%s", h.texts())
	}
	h.typeInto(h.T("setting.idle_minutes"), "2")
	h.tap(h.T("dialog.save"))
	if !h.hasText(h.T("setting.saved")) {
		t.Fatalf("not saved:\n%s", h.texts())
	}
	h.advance(2*time.Minute - time.Second)
	h.s.CheckIdle()
	if h.s.Locked() {
		t.Fatal("locked before 2 minutes")
	}
	h.advance(time.Second)
	h.s.CheckIdle()
	if !h.s.Locked() {
		t.Fatal("not locked after 2 idle minutes")
	}
}
