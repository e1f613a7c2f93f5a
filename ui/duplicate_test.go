package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/sim"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/store/demo"
)

// startWith opens a new enrollment from home and scans a card's code.
func (h *harness) startWith(qr string) {
	h.t.Helper()
	h.s.showHome()
	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.scanQR(qr)
	h.tap(h.T("wizard.next"))
	h.settle()
}

// TestDuplicateGuard: identifying a citizen whose ID number already has a record on the
// station stops the wizard, says the record's status, date and officer, and offers the ways
// on, whatever the record's status: draft, complete, in a batch, verified.
func TestDuplicateGuard(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	ctx := context.Background()

	// An own draft: resume it.
	h.startWith(citizenQR)
	h.onStep(enroll.StepContact)
	h.startWith(citizenQR)
	if !h.hasText(h.T("duplicate.title")) || !strings.Contains(h.texts(), h.s.tr.W(enroll.StatusDraft)) {
		t.Fatalf("a second enrollment of a citizen with a draft went on:\n%s", h.texts())
	}
	h.tap(h.T("duplicate.resume"))
	h.onStep(enroll.StepContact)
	drafts, _ := h.st.Drafts(ctx, testUser)
	if len(drafts) != 1 {
		t.Fatalf("%d drafts after resuming, want the one", len(drafts))
	}

	// Someone else's complete record, then in a batch, then verified.
	g := demo.Generator{Store: h.st, Records: 1, Seed: 9, Actor: testUser}
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ids, _ := h.st.Unbatched(ctx, 10)
	e, err := h.st.Get(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	qr := sim.QR(e.Citizen)
	sent := []store.Sent{{ID: e.ID, Revision: strings.Repeat("a", 64)}}
	steps := []struct {
		status enroll.Status
		move   func()
	}{
		{enroll.StatusComplete, func() {}},
		{enroll.StatusBatched, func() {
			if err := h.st.AddBatch(ctx, "system", enroll.Batch{ID: "b1", Seq: 1, File: "x"}, sent); err != nil {
				t.Fatal(err)
			}
		}},
		{enroll.StatusVerified, func() {
			h.st.BatchUploaded(ctx, "system", "b1")
			if _, err := h.st.ApplyVerdicts(ctx, "system", []enroll.Verdict{{ID: e.ID, Revision: sent[0].Revision, Status: enroll.StatusVerified}}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, s := range steps {
		s.move()
		h.startWith(qr)
		want := h.s.tr.F("duplicate.line", map[string]any{"status": h.s.tr.W(s.status),
			"date": e.CreatedAt.In(h.now().Location()).Format("02/01/2006 15:04"), "officer": demo.Officer})
		if !strings.Contains(h.texts(), want) {
			t.Fatalf("%s: the guard should say %q:\n%s", s.status, want, h.texts())
		}
		if !h.hasText(h.T("duplicate.open")) {
			t.Fatalf("%s: no way to open the record:\n%s", s.status, h.texts())
		}
		if s.status != enroll.StatusVerified {
			h.tap(h.T("dialog.close"))
			h.onStep(enroll.StepIdentify) // still on identify: nothing enrolled twice
		}
	}

	// An officer may not start anew: the guard says who can.
	h.tap(h.T("dialog.close"))
	h.s.officer.Role = enroll.RoleOfficer
	h.startWith(qr)
	if !h.hasText(h.T("duplicate.supervisor_only")) || h.hasText(h.T("duplicate.anew_confirm")) {
		t.Fatalf("an officer was offered to start anew:\n%s", h.texts())
	}
	h.tap(h.T("dialog.close"))
	h.s.officer.Role = enroll.RoleSupervisor

	// A supervisor may start anew, with a reason that is audited.
	h.startWith(qr)
	h.tap(h.T("duplicate.anew_confirm"))
	if !h.hasText(h.T("duplicate.reason_needed")) {
		t.Fatalf("started anew without a reason:\n%s", h.texts())
	}
	find(h, "reason", func(en *widget.Entry) bool { return en.PlaceHolder == h.T("duplicate.anew_reason") }).SetText("thẻ cấp lại, hồ sơ cũ sai ảnh")
	h.tap(h.T("duplicate.anew_confirm"))
	h.settle()
	h.onStep(enroll.StepContact)
	trail, err := h.st.AuditTrail(ctx, enroll.AuditFilter{Action: enroll.ActionDuplicateOverride})
	if err != nil || len(trail) != 1 || trail[0].Detail != "thẻ cấp lại, hồ sơ cũ sai ảnh" || trail[0].RecordID != e.ID || trail[0].Officer != testUser {
		t.Fatalf("override audit %+v %v", trail, err)
	}
}
