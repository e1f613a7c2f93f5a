package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/store/demo"
)

// fakeSync stands in for the courier: the screens only read its state and ask it for work.
type fakeSync struct {
	mu        sync.Mutex
	state     enroll.SyncState
	bound     *enroll.Binding
	officer   string
	triggers  int
	provision []byte
}

func (f *fakeSync) State() enroll.SyncState { f.mu.Lock(); defer f.mu.Unlock(); return f.state }
func (f *fakeSync) Trigger()                { f.mu.Lock(); f.triggers++; f.mu.Unlock() }
func (f *fakeSync) SetOfficer(u string)     { f.mu.Lock(); f.officer = u; f.mu.Unlock() }
func (f *fakeSync) Bound(context.Context) (enroll.Binding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bound == nil {
		return enroll.Binding{}, enroll.ErrNotProvisioned
	}
	return *f.bound, nil
}
func (f *fakeSync) ProvisionFile(_ context.Context, actor string, data []byte) (enroll.Binding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.provision = data
	f.bound = &enroll.Binding{Station: "HN-DD-KT-01", Central: "https://central.test:8443", By: actor}
	return *f.bound, nil
}

// syncedRecords makes three demo records, sends them in a batch and applies central's
// verdicts through the store as the courier would: one verified, one rejected for its date of
// birth (back in the drafts), one still at central.
func syncedRecords(t *testing.T, h *harness) (returnedID, atCentralID string) {
	t.Helper()
	ctx := context.Background()
	g := demo.Generator{Store: h.st, Records: 3, Seed: 4, Actor: testUser}
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ids, err := h.st.Unbatched(ctx, 10)
	if err != nil || len(ids) != 3 {
		t.Fatalf("unbatched %v %v", ids, err)
	}
	var sent []store.Sent
	for i, id := range ids {
		sent = append(sent, store.Sent{ID: id, Revision: strings.Repeat(string(rune('a'+i)), 64)})
	}
	b := enroll.Batch{ID: "9f0c2b1e-0000-4000-8000-000000000001", Seq: 1, CreatedAt: h.now(), Size: 420_000, File: filepath.Join(t.TempDir(), "b.batch")}
	if err := h.st.AddBatch(ctx, "system", b, sent); err != nil {
		t.Fatal(err)
	}
	if err := h.st.BatchUploaded(ctx, "system", b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.ApplyVerdicts(ctx, "system", []enroll.Verdict{
		{ID: ids[0], Revision: sent[0].Revision, Status: enroll.StatusVerified},
		{ID: ids[1], Revision: sent[1].Revision, Status: enroll.StatusRejected, Reason: enroll.Reason{Code: enroll.ReasonDOBMismatch}},
		{ID: ids[2], Revision: sent[2].Revision, Status: enroll.StatusReceived},
	}); err != nil {
		t.Fatal(err)
	}
	return ids[1], ids[2]
}

// TestSyncOnScreen: the home screen's sync panel says where records are and what went wrong,
// in words; the Sync screen lists what central returned, with its reason, and the batches; a
// returned record shows the reason.
func TestSyncOnScreen(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	fake := &fakeSync{}
	h.s.cfg.Sync = fake
	h.firstRun()
	h.login()
	if fake.officer != testUser || fake.triggers == 0 {
		t.Fatalf("login did not tell sync who is logged in (%q) or ask for a pass (%d)", fake.officer, fake.triggers)
	}
	h.s.showHome()
	h.settle()
	if !h.hasText(h.T("sync.not_provisioned")) {
		t.Fatalf("an unprovisioned station should say so:\n%s", h.texts())
	}

	returned, atCentral := syncedRecords(t, h)
	fake.mu.Lock()
	fake.bound = &enroll.Binding{Station: "HN-DD-KT-01", Central: "https://central.test:8443"}
	fake.state = enroll.SyncState{LastSuccess: h.now().Add(-time.Hour), LastError: enroll.ErrCentralUnreachable}
	fake.mu.Unlock()
	h.s.showHome()
	h.settle()
	panel := h.s.syncText(h.s.gatherSync())
	for _, want := range []string{
		h.s.tr.F("sync.bound", map[string]any{"central": "https://central.test:8443"}),
		h.s.tr.F("sync.counts", map[string]any{"waiting": 0, "central": 1, "verified": 1, "returned": 1}),
		h.s.tr.F("sync.last_error", map[string]any{"error": h.T("err.central_unreachable")}),
	} {
		if !strings.Contains(panel, want) {
			t.Errorf("sync panel lacks %q:\n%s", want, panel)
		}
	}
	if !h.hasText(panel) {
		t.Fatalf("the home screen does not show the sync panel:\n%s", h.texts())
	}
	if l := find(h, "sync panel", func(l *widget.Label) bool { return l.Text == panel }); l.Importance != widget.WarningImportance {
		t.Errorf("a sync error should be shown as a warning")
	}

	h.tap(h.T("sync.open"))
	h.settle()
	reason := h.s.tr.F("sync.returned_because", map[string]any{"reason": h.T("reason.dob_mismatch")})
	tabs := find(h, "sync tabs", func(*container.AppTabs) bool { return true })
	if tabs.Items[0].Text != h.s.tr.F("sync.returned", map[string]any{"count": 1}) || !strings.Contains(h.texts(), reason) {
		t.Fatalf("the Sync screen should list the returned record with its reason:\n%s", h.texts())
	}
	// The reason leads the status cell: a narrow column cuts the rest, not the reason.
	if !strings.Contains(h.texts(), "\n"+reason+" · ") {
		t.Fatalf("the returned record's status does not start with the reason:\n%s", h.texts())
	}
	tabs.SelectIndex(1)
	if tabs.Items[1].Text != h.s.tr.F("sync.batches", map[string]any{"count": 1}) ||
		!strings.Contains(h.texts(), h.s.tr.F("sync.batch", map[string]any{"seq": 1})) {
		t.Fatalf("the Sync screen should list batch #1:\n%s", h.texts())
	}
	h.tap(h.T("sync.now"))
	if fake.triggers < 2 {
		t.Errorf("sync now did not ask for a pass")
	}

	// The returned record (the demo officer's) opens read-only for this supervisor, with the reason.
	h.s.openRecord(returned)
	h.pump()
	if !h.hasText(h.T("sync.central_says")) || !strings.Contains(h.texts(), h.T("reason.dob_mismatch")) {
		t.Fatalf("the record view should say why central returned it:\n%s", h.texts())
	}
	// Said first, above the record, where the dialog opens.
	if !h.hasText(h.s.tr.F("sync.returned_because", map[string]any{"reason": h.T("reason.dob_mismatch")})) {
		t.Fatalf("the record's dialog does not open on why central returned it:\n%s", h.texts())
	}
	// A synced station waits for central: no supervisor's "delivered" mark that could purge a
	// record central never confirmed.
	h.s.openRecord(atCentral)
	h.pump()
	if h.hasText(h.T("record.mark_delivered")) {
		t.Fatal("a provisioned station offers to mark a record delivered by hand")
	}
	fake.mu.Lock()
	fake.bound = nil
	fake.mu.Unlock()
	h.s.openRecord(atCentral)
	h.pump()
	if !h.hasText(h.T("record.mark_delivered")) {
		t.Fatal("a station without sync lost the supervisor's delivered mark")
	}
}

// TestProvisionFromScreen: a supervisor loads the provisioning file from the Sync screen.
func TestProvisionFromScreen(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	fake := &fakeSync{}
	h.s.cfg.Sync = fake
	h.firstRun()
	h.login()
	file := filepath.Join(t.TempDir(), "HN-DD-KT-01.provision.json")
	if err := os.WriteFile(file, []byte(`{"Format":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	h.s.showSync()
	h.tap(h.T("sync.provision"))
	path := h.entryWithHint(h.T("sync.provision_path"))
	path.SetText(filepath.Join(t.TempDir(), "missing.json"))
	find(h, "provision button", func(b *widget.Button) bool {
		return b.Text == h.T("sync.provision") && b.Importance == widget.HighImportance
	}).OnTapped()
	h.settle()
	if fake.provision != nil || !strings.Contains(h.texts(), "missing.json") {
		t.Fatalf("a missing file should be named, nothing provisioned:\n%s", h.texts())
	}
	path.SetText(file)
	find(h, "provision button", func(b *widget.Button) bool {
		return b.Text == h.T("sync.provision") && b.Importance == widget.HighImportance
	}).OnTapped()
	h.settle()
	if string(fake.provision) != `{"Format":1}` {
		t.Fatalf("the file's bytes did not reach sync: %q", fake.provision)
	}
	if !strings.Contains(h.texts(), "https://central.test:8443") {
		t.Fatalf("the station should say which central it is bound to:\n%s", h.texts())
	}
}

// TestSyncScreenFollowsPasses: the Sync screen's lists follow a pass that ends while it is
// shown (the officer opened it, sync ran by itself or by F5), without leaving the screen.
func TestSyncScreenFollowsPasses(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	fake := &fakeSync{bound: &enroll.Binding{Station: "HN-DD-KT-01", Central: "https://central.test:8443"}}
	h.s.cfg.Sync = fake
	h.firstRun()
	h.login()
	h.s.showSync()
	h.settle()
	titles := func() []string {
		tabs := find(h, "sync tabs", func(*container.AppTabs) bool { return true })
		var out []string
		for _, it := range tabs.Items {
			out = append(out, it.Text)
		}
		return out
	}
	empty := []string{h.s.tr.F("sync.returned", map[string]any{"count": 0}), h.s.tr.F("sync.batches", map[string]any{"count": 0})}
	if got := titles(); !slices.Equal(got, empty) {
		t.Fatalf("the Sync screen starts with tabs %q, want %q", got, empty)
	}
	before := fake.triggers
	syncedRecords(t, h) // what a pass did: a batch sent, a record returned
	fake.mu.Lock()
	fake.state = enroll.SyncState{LastSuccess: h.now()}
	fake.mu.Unlock()
	h.shortcut(fyne.KeyF5, 0)
	h.settle()
	if fake.triggers == before {
		t.Error("F5 did not ask for a pass")
	}
	after := []string{h.s.tr.F("sync.returned", map[string]any{"count": 1}), h.s.tr.F("sync.batches", map[string]any{"count": 1})}
	if got := titles(); !slices.Equal(got, after) {
		t.Fatalf("after the pass the Sync screen's tabs read %q, want %q", got, after)
	}
	h.selectTab(after[1])
	if !h.hasText(h.s.tr.F("sync.records", map[string]any{"count": 3})) && !strings.Contains(h.texts(), h.s.tr.F("sync.batch", map[string]any{"seq": 1})) {
		t.Fatalf("the batch list does not show the new batch:\n%s", h.texts())
	}
}

// TestAdministrationFromTheSyncScreen: the supervisor's Ctrl+Shift+A works on the Sync screen
// as on the home screen.
func TestAdministrationFromTheSyncScreen(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.s.cfg.Sync = &fakeSync{}
	h.firstRun()
	h.login()
	h.s.showSync()
	h.shortcut(fyne.KeyA, fyne.KeyModifierControl|fyne.KeyModifierShift)
	if !h.hasText(h.T("admin.title")) {
		t.Fatalf("Ctrl+Shift+A did not open Administration:\n%s", h.texts())
	}
}
