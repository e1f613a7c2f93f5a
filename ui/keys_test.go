package ui

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/assets"
)

// TestKeyCatalogs: every finding about an account and every key-management audit action has
// its words in both languages (the screens build those keys).
func TestKeyCatalogs(t *testing.T) {
	tr, err := NewTranslator(assets.Translations(), LangVI)
	if err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, k := range tr.keys(LangVI) {
		has[k] = true
	}
	var need []string
	for _, w := range enroll.TamperFindings() {
		need = append(need, tamperKey(w))
	}
	for _, a := range enroll.KeyAuditActions() {
		need = append(need, "audit."+a)
	}
	for _, k := range need {
		if !has[k] {
			t.Errorf("catalogs lack %q", k)
		}
	}
	for _, err := range []error{enroll.ErrOfficerTampered, enroll.ErrRotationUnfinished, enroll.ErrRecoverySlotOld} {
		if got := tr.Err(err); got == tr.F("err.unexpected", map[string]any{"detail": err.Error()}) {
			t.Errorf("%v is shown as unexpected", err)
		}
	}
}

// TestAdministrationRotatesTheKeyAndShowsEditedAccounts: the supervisor rotates the data key
// from the officers tab (progress, then what was done); an account edited in the file is listed
// with what was changed; enabling a disabled officer asks for their new password at once.
func TestAdministrationRotatesTheKeyAndShowsEditedAccounts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	h := newHarness(t, path)
	h.firstRun()
	h.login()
	h.tap(h.T("admin.title"))
	h.typeInto(h.T("field.username"), "hung.lv")
	h.typeInto(h.T("field.full_name"), "Lê Văn Hùng")
	h.typeInto(h.T("field.password"), "hung-2026-pw")
	h.typeInto(h.T("field.password_confirm"), "hung-2026-pw")
	h.tap(h.T("admin.add"))

	h.tap(h.T("admin.rekey"))
	h.tap(h.T("admin.rekey_go"))
	h.settle()
	done := h.s.tr.F("admin.rekey_done", map[string]any{"count": 0, "generation": 2})
	if !h.hasText(done) {
		t.Fatalf("no report of the rotation:\n%s", h.texts())
	}
	h.tap(h.T("dialog.close"))
	if gen, _ := h.st.KeyGeneration(ctx); gen != 2 {
		t.Errorf("generation %d after the rotation", gen)
	}

	// Someone with the file makes Hùng a supervisor.
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE officers SET role = 'supervisor' WHERE username = 'hung.lv'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	h.tap(h.T("admin.back"))
	h.tap(h.T("admin.title"))
	warning := h.s.tr.F("admin.tampered", map[string]any{"user": "hung.lv", "what": h.T("admin.tamper_role")})
	if !h.hasText(warning) {
		t.Fatalf("the edited account is not shown:\n%s", h.texts())
	}
	raw, _ = sql.Open("sqlite3", path)
	raw.Exec(`UPDATE officers SET role = 'officer' WHERE username = 'hung.lv'`)
	raw.Close()

	// Disabled, then enabled: the reset dialog opens with the reason.
	h.tap(h.T("admin.back"))
	h.tap(h.T("admin.title"))
	toggle := find(h, "disable button of hung.lv", func(b *widget.Button) bool { return b.Text == h.T("admin.disable") && rowOf(h, b) == "hung.lv" })
	test.Tap(toggle)
	h.pump()
	enable := find(h, "enable button of hung.lv", func(b *widget.Button) bool { return b.Text == h.T("admin.enable") && rowOf(h, b) == "hung.lv" })
	test.Tap(enable)
	h.pump()
	if !h.hasText(h.T("admin.enable_reset")) {
		t.Fatalf("enabling did not ask for a password:\n%s", h.texts())
	}
	h.typeInto(h.T("password.new"), "hung-moi-2026")
	h.typeInto(h.T("field.password_confirm"), "hung-moi-2026")
	h.tap(h.T("dialog.save"))
	h.tap(h.T("dialog.close"))
	h.st.Lock()
	if o, err := h.st.Authenticate(ctx, "hung.lv", "hung-moi-2026"); err != nil || !o.MustChange {
		t.Errorf("the re-enabled officer's new password: %+v %v", o, err)
	}
}
