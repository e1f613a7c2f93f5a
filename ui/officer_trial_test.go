package ui

// Defects an officer's day in a real window found (2026-11-30), each held by a test here.

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/store/demo"
)

// demoRecord saves one complete synthetic record (another officer's, as the demo makes them)
// and reads it back.
func (h *harness) demoRecord(seed uint64) *enroll.Enrollment {
	h.t.Helper()
	ctx := context.Background()
	g := demo.Generator{Store: h.st, Records: 1, Seed: seed, Actor: testUser}
	if err := g.Run(ctx); err != nil {
		h.t.Fatal(err)
	}
	ids, err := h.st.Unbatched(ctx, 10)
	if err != nil || len(ids) == 0 {
		h.t.Fatalf("no demo record: %v", err)
	}
	e, err := h.st.Get(ctx, ids[len(ids)-1])
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// expiredRecord is a demo record delivered to central on a station that keeps data 0 days:
// the next purge deletes its personal data.
func (h *harness) expiredRecord(seed uint64) *enroll.Enrollment {
	h.t.Helper()
	ctx := context.Background()
	e := h.demoRecord(seed)
	if err := h.st.MarkDelivered(ctx, testUser, e.ID); err != nil {
		h.t.Fatal(err)
	}
	if err := h.st.SetNumericSetting(ctx, testUser, enroll.SettingRetentionDays, 0); err != nil {
		h.t.Fatal(err)
	}
	return e
}

// TestRecordsWithoutIdentityOpen: a draft saved before anything was typed and a record whose
// data retention purged have no ID number; opening either from a list (as a tap on its row
// does) shows it, where it used to take the station down.
func TestRecordsWithoutIdentityOpen(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	ctx := context.Background()

	empty := &enroll.Enrollment{Status: enroll.StatusDraft, Station: "HK-01", Officer: testUser, FingerSet: enroll.Level2Fingers()}
	if err := h.st.SaveDraft(ctx, empty); err != nil {
		t.Fatal(err)
	}
	h.s.openRecord(empty.ID)
	if !h.hasText(h.T("home.unnamed")) || h.button(h.T("records.delete_draft")) == nil {
		t.Fatalf("the empty draft's view has no name placeholder or no way to delete it:\n%s", h.texts())
	}
	h.tap(h.T("records.delete_draft"))
	if !h.hasText(h.s.tr.F("records.delete_confirm", map[string]any{"name": h.T("home.unnamed")})) {
		t.Fatalf("the question names no one:\n%s", h.texts())
	}
	h.tap(h.T("dialog.confirm"))
	if _, err := h.st.Get(ctx, empty.ID); err == nil {
		t.Fatal("the empty draft is still there")
	}

	e := h.expiredRecord(3)
	if n, err := h.st.Purge(ctx, testUser); err != nil || n != 1 {
		t.Fatalf("purged %d records (%v), want 1", n, err)
	}
	h.s.showHome()
	h.s.openRecord(e.ID)
	if !h.hasText(h.T("record.purged")) || !h.hasText(enroll.RecordCode(e.ID)) {
		t.Fatalf("the purged record's view does not say its data were deleted:\n%s", h.texts())
	}
	list, err := h.st.List(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.ID == e.ID {
			if got := recordColumns()[1].text(h.s, r); got != h.T("home.purged_name") {
				t.Errorf("a purged row is named %q, want %q", got, h.T("home.purged_name"))
			}
		}
	}
}

// TestLeavingABlankEnrollmentKeepsNoDraft: "New enrollment" left at once (save and exit, or
// the idle lock) keeps no draft, which would count among the officer's drafts and be offered
// for resuming at every login; one with an identity is kept.
func TestLeavingABlankEnrollmentKeepsNoDraft(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	ctx := context.Background()
	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.tap(h.T("wizard.save_exit"))
	h.settle()
	if drafts, _ := h.st.Drafts(ctx, testUser); len(drafts) != 0 {
		t.Fatalf("%d drafts after leaving a blank enrollment, want none", len(drafts))
	}
	if !h.hasText(h.T("home.new")) {
		t.Fatalf("not back home:\n%s", h.texts())
	}

	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.scanQR(citizenQR)
	h.tap(h.T("wizard.save_exit"))
	h.settle()
	if drafts, _ := h.st.Drafts(ctx, testUser); len(drafts) != 1 {
		t.Fatalf("%d drafts after leaving an identified citizen, want 1", len(drafts))
	}
}

// TestDuplicateSaidOnceTyped: the station says a number has a record as soon as the whole
// number is in the field, before the rest of the form, and Next under that dialog does not
// stack another.
func TestDuplicateSaidOnceTyped(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	e := h.demoRecord(5)
	h.s.showHome()
	h.tap(h.T("home.new"))
	h.onStep(enroll.StepIdentify)
	h.typeInto(h.T("field.personal_id"), string(e.Citizen.PersonalID))
	h.settle()
	if n := h.countText(h.T("duplicate.title")); n != 1 {
		t.Fatalf("%d duplicate dialogs once the number is typed, want 1:\n%s", n, h.texts())
	}
	h.tap(h.T("wizard.next"))
	h.settle()
	if n := h.countText(h.T("duplicate.title")); n != 1 {
		t.Fatalf("%d duplicate dialogs after Next, want still 1", n)
	}
}

// TestConsentAskedAgain: the review step never shows the consent ticked from before: a record
// returned by central and corrected, or any draft resumed, is agreed to again as it stands.
func TestConsentAskedAgain(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	ctx := context.Background()
	e := h.demoRecord(7)
	draft := *e
	draft.ID, draft.Status, draft.Step, draft.Officer = "", enroll.StatusDraft, enroll.StepReview, testUser
	draft.Citizen.PersonalID, _ = enroll.ParsePersonalID("036192004321")
	if !draft.Consent {
		t.Fatal("the demo record has no consent to carry over")
	}
	if err := h.st.SaveDraft(ctx, &draft); err != nil {
		t.Fatal(err)
	}
	h.s.resume(draft.ID)
	h.onStep(enroll.StepReview)
	if h.check(h.T("review.consent")).Checked {
		t.Fatal("the consent is ticked before the citizen agreed to the record as it stands")
	}
	h.tap(h.s.tr.F("wizard.confirm_save", map[string]any{"name": testName}))
	h.settle()
	if !h.hasText(h.T("err.consent_missing")) {
		t.Fatalf("saved without a new consent:\n%s", h.texts())
	}
	h.check(h.T("review.consent")).SetChecked(true)
	h.s.wake() // back from the idle lock: whoever is at the counter now has not agreed
	if h.check(h.T("review.consent")).Checked {
		t.Fatal("the consent survived the idle lock")
	}
}

// countText is how many labels, buttons or fields on screen (dialogs included) read s.
func (h *harness) countText(s string) int {
	n := 0
	for _, line := range strings.Split(h.texts(), "\n") {
		if line == s {
			n++
		}
	}
	return n
}

// TestPurgeNowAsksFirst: "Purge expired data now" deletes personal data for good, so it asks
// before it does; cancelled, nothing is deleted.
func TestPurgeNowAsksFirst(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	ctx := context.Background()
	e := h.expiredRecord(11)
	status := func() enroll.Status {
		got, err := h.st.Get(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	h.s.showAdmin()
	h.selectTab(h.T("admin.settings"))
	h.tap(h.T("retention.purge"))
	if !h.hasText(h.s.tr.F("retention.purge_confirm", map[string]any{"days": 0})) {
		t.Fatalf("no question before purging:\n%s", h.texts())
	}
	h.tap(h.T("dialog.cancel"))
	if st := status(); st == enroll.StatusPurged {
		t.Fatal("purged although the supervisor cancelled")
	}
	h.tap(h.T("retention.purge"))
	h.tap(h.T("dialog.confirm"))
	if st := status(); st != enroll.StatusPurged {
		t.Fatalf("status %s after a confirmed purge, want purged", st)
	}
	if !h.hasText(h.s.tr.F("retention.purged", map[string]any{"count": 1})) {
		t.Fatalf("the purge's result is not said:\n%s", h.texts())
	}
}

// TestPortraitMissingSaidPlainly: Next on the portrait step before a portrait is taken says
// what is missing (nothing on that step is marked red), and the line goes once it is taken.
func TestPortraitMissingSaidPlainly(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	setUpStation(t, db)
	h := newHarness(t, db)
	h.toPortrait()
	h.tap(h.T("wizard.next"))
	// Said beside the picture and on the status line; "fix what is marked red" is not.
	if n := h.countText(h.T("err.portrait_missing")); n != 2 || h.hasText(h.T("wizard.fix_errors")) {
		t.Fatalf("the missing portrait is said %d times (want beside the picture and on the status line):\n%s", n, h.texts())
	}
	h.takePortrait()
	h.waitFor("portrait taken", func() bool { return h.hasText(h.T("portrait.done")) })
	if h.hasText(h.T("err.portrait_missing")) {
		t.Fatalf("still said missing after the portrait was taken:\n%s", h.texts())
	}
}

// TestWizardFitsASmallScreen: no step needs more than a 1024×600 screen (a small laptop, a
// netbook at a ward office): the window would grow past it and take the step's buttons off
// the screen; a step larger than the window scrolls instead.
func TestWizardFitsASmallScreen(t *testing.T) {
	db := filepath.Join(t.TempDir(), "station.db")
	setUpStation(t, db)
	h := newHarness(t, db)
	h.win.Resize(fyne.NewSize(1024, 600))
	fits := func(step string) {
		t.Helper()
		if m := h.win.Content().MinSize(); m.Width > 1024 || m.Height > 600 {
			t.Errorf("the %s step needs %.0f×%.0f", step, m.Width, m.Height)
		}
	}
	h.toPortrait()
	fits("portrait")
	h.takePortrait()
	h.waitFor("portrait taken", func() bool { return h.hasText(h.T("portrait.done")) })
	h.tap(h.T("wizard.next"))
	h.onStep(enroll.StepFingers)
	fits("fingerprint")
}

// TestAddOfficerTwiceOrByEnter: Enter in the last field adds the officer; a second click after
// the form was added and emptied adds nothing and says nothing.
func TestAddOfficerTwiceOrByEnter(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "station.db"))
	h.firstRun()
	h.login()
	h.s.showAdmin()
	h.typeInto(h.T("field.username"), "minh.pv")
	h.typeInto(h.T("field.full_name"), "Phạm Văn Minh")
	h.typeInto(h.T("field.password"), "tamthoi2026")
	h.typeInto(h.T("field.password_confirm"), "tamthoi2026")
	h.pressEnter(h.T("field.password_confirm"))
	h.settle()
	officers, err := h.st.Officers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(officers, func(o enroll.Officer) bool { return o.Username == "minh.pv" }) {
		t.Fatalf("Enter did not add the officer:\n%s", h.texts())
	}
	h.tap(h.T("admin.add"))
	h.settle()
	for _, line := range strings.Split(h.texts(), "\n") {
		if strings.HasPrefix(line, h.T("field.username")+": ") {
			t.Fatalf("a second click on the emptied form reported %q:\n%s", line, h.texts())
		}
	}
}
