package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// addOfficer creates an officer account as the test station's supervisor.
func addOfficer(t *testing.T, s *Store, username, name string, role enroll.Role) {
	t.Helper()
	_, err := s.CreateOfficer(context.Background(), "lan.nt", enroll.OfficerForm{Username: username, FullName: name,
		Role: role, Password: "matkhau-" + username + "-1", Confirm: "matkhau-" + username + "-1"})
	if err != nil {
		t.Fatal(err)
	}
}

func trailOf(t *testing.T, s *Store, id string) []enroll.AuditEntry {
	t.Helper()
	trail, err := s.AuditTrail(context.Background(), enroll.AuditFilter{RecordID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return trail
}

func TestReopenOnlyACompleteRecord(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	// Every status a record can be in, set directly: only what Reopen does with it matters here.
	for _, st := range []enroll.Status{enroll.StatusDraft, enroll.StatusBatched, enroll.StatusUploaded,
		enroll.StatusReceived, enroll.StatusVerified, enroll.StatusRejected, enroll.StatusPurged} {
		e := completeRecord(t, "Nguyễn Văn An", "001087012345")
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
		mustExec(t, s, `UPDATE enrollments SET status = ? WHERE id = ?`, string(st), e.ID)
		resealForTest(t, s, e.ID)
		before := len(trailOf(t, s, e.ID))
		err := s.Reopen(ctx, "lan.nt", e.ID, "sai ngày sinh")
		switch {
		case err == nil:
			t.Errorf("%s: reopened", st)
		case st == enroll.StatusDraft && !errors.Is(err, enroll.ErrStillDraft):
			t.Errorf("%s: %v, want ErrStillDraft", st, err)
		case st != enroll.StatusDraft && !errors.Is(err, ErrAlreadySent):
			t.Errorf("%s: %v, want ErrAlreadySent", st, err)
		}
		if got := statusOf(t, s, e.ID); got != st {
			t.Errorf("%s: now %s", st, got)
		}
		if after := len(trailOf(t, s, e.ID)); after != before {
			t.Errorf("%s: refused correction audited", st)
		}
	}
	if err := s.Reopen(ctx, "lan.nt", "no-such-record", "sai tên"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown record: %v", err)
	}
}

func TestReopenNeedsAReason(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{"", "  \t\n "} {
		err := s.Reopen(ctx, "lan.nt", e.ID, reason)
		if !errors.Is(err, ErrReasonRequired) || !strings.Contains(err.Error(), "reason") {
			t.Errorf("reason %q: %v", reason, err)
		}
	}
	// Longer than a note may be: refused, not cut.
	if err := s.Reopen(ctx, "lan.nt", e.ID, strings.Repeat("á", enroll.MaxNoteLength+1)); err == nil ||
		!strings.Contains(err.Error(), "at most 500") {
		t.Errorf("long reason: %v", err)
	}
	if got := statusOf(t, s, e.ID); got != enroll.StatusComplete {
		t.Errorf("now %s", got)
	}
	if err := s.Reopen(ctx, "lan.nt", e.ID, strings.Repeat("á", enroll.MaxNoteLength)); err != nil {
		t.Errorf("reason of the longest length: %v", err)
	}
}

func TestReopenHandsTheRecordToTheCorrector(t *testing.T) {
	ctx := context.Background()
	c := newStepClock()
	s := openTest(t, WithClock(c.now))
	addOfficer(t, s, "hung", "Lê Văn Hùng", enroll.RoleOfficer)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	e.Step = enroll.StepSaved
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	c.tick()
	if err := s.Reopen(ctx, "hung", e.ID, "  sai ngày sinh "); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != enroll.StatusDraft || got.Step != enroll.StepIdentify || got.Officer != "hung" ||
		!got.CompletedAt.IsZero() || !got.UpdatedAt.Equal(c.at) {
		t.Errorf("after reopen: status %s step %d officer %s completed %v updated %v", got.Status, got.Step, got.Officer,
			got.CompletedAt, got.UpdatedAt)
	}
	trail := trailOf(t, s, e.ID)
	if len(trail) == 0 || trail[0].Action != enroll.ActionRecordCorrect || trail[0].Officer != "hung" ||
		trail[0].Detail != "sai ngày sinh" {
		t.Errorf("audit: %+v", trail)
	}
	drafts, err := s.Drafts(ctx, "hung")
	if err != nil || len(drafts) != 1 || drafts[0].ID != e.ID {
		t.Errorf("hung's drafts: %+v %v", drafts, err)
	}
	// The wizard saves the corrected record as a draft again, and completes it.
	got.Officer = "hung"
	if err := s.SaveDraft(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, got); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, s, e.ID); st != enroll.StatusComplete {
		t.Errorf("after correction: %s", st)
	}
	if err := s.Reopen(ctx, "nobody", e.ID, "sai tên"); !errors.Is(err, enroll.ErrUnknownOfficer) {
		t.Errorf("unknown officer: %v", err)
	}
}

// TestReopenRacesTheCourier: a correction and a batch taking the same record at once; exactly
// one wins, and the record's status is the winner's.
func TestReopenRacesTheCourier(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for i := range 12 {
		e := completeRecord(t, "Nguyễn Văn An", "001087012345")
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
		b := enroll.Batch{ID: fmt.Sprintf("batch-%d", i), Seq: int64(i + 1), CreatedAt: time.Now(), Size: 10, File: "/outbox/b"}
		var wg sync.WaitGroup
		var reopenErr, batchErr error
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			reopenErr = s.Reopen(ctx, "lan.nt", e.ID, "sai tên")
		})
		wg.Go(func() {
			<-start
			batchErr = s.AddBatch(ctx, "courier", b, []Sent{{ID: e.ID, Revision: strings.Repeat("a", 64)}})
		})
		close(start)
		wg.Wait()
		st := statusOf(t, s, e.ID)
		switch {
		case reopenErr == nil && batchErr == nil:
			t.Fatalf("round %d: both the correction and the batch took the record (now %s)", i, st)
		case reopenErr == nil && st != enroll.StatusDraft:
			t.Fatalf("round %d: correction won but the record is %s", i, st)
		case batchErr == nil && (st != enroll.StatusBatched || !errors.Is(reopenErr, ErrAlreadySent)):
			t.Fatalf("round %d: batch won; record %s, correction said %v", i, st, reopenErr)
		case reopenErr != nil && batchErr != nil:
			t.Fatalf("round %d: neither won: %v; %v", i, reopenErr, batchErr)
		}
	}
}

func TestOfficerDays(t *testing.T) {
	ctx := context.Background()
	c := newStepClock()
	s := openTest(t, WithClock(c.now))
	addOfficer(t, s, "hung", "Lê Văn Hùng", enroll.RoleOfficer)
	addOfficer(t, s, "minh", "Phạm Minh", enroll.RoleOfficer)
	day1 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	day2, day3 := day1.AddDate(0, 0, 1), day1.AddDate(0, 0, 2)
	var seq int
	save := func(at time.Time, officer string, complete bool) *enroll.Enrollment {
		c.at = at
		seq++
		e := completeRecord(t, "Nguyễn Văn An", fmt.Sprintf("001087%06d", seq))
		e.Officer = officer
		saveRecord(t, s, e, complete)
		return e
	}
	// Day 1: lan completes two (one since batched) and leaves a draft; hung completes one,
	// the first minute of the day.
	batched := save(day1.Add(9*time.Hour), "lan.nt", true)
	save(day1.Add(10*time.Hour), "lan.nt", true)
	save(day1.Add(11*time.Hour), "lan.nt", false)
	save(day1, "hung", true)
	// Day 2: lan leaves a draft; hung completes two and leaves one, the last minute of the day.
	save(day2.Add(8*time.Hour), "lan.nt", false)
	save(day2.Add(9*time.Hour), "hung", true)
	save(day2.Add(10*time.Hour), "hung", true)
	save(day3.Add(-time.Minute), "hung", false)
	// Day 3, first instant: outside [day1, day3).
	save(day3, "lan.nt", true)
	b := enroll.Batch{ID: "batch-1", Seq: 1, CreatedAt: day3, Size: 10, File: "/outbox/b"}
	if err := s.AddBatch(ctx, "lan.nt", b, []Sent{{ID: batched.ID, Revision: strings.Repeat("a", 64)}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		from, to time.Time
		want     []enroll.OfficerDay
	}{
		{day1, day2, []enroll.OfficerDay{
			{Officer: "hung", FullName: "Lê Văn Hùng", Created: 1, Complete: 1, Drafts: 0},
			{Officer: "lan.nt", FullName: "Nguyễn Thị Lan", Created: 3, Complete: 2, Drafts: 1},
			{Officer: "minh", FullName: "Phạm Minh"},
		}},
		{day2, day3, []enroll.OfficerDay{
			{Officer: "hung", FullName: "Lê Văn Hùng", Created: 3, Complete: 2, Drafts: 1},
			{Officer: "lan.nt", FullName: "Nguyễn Thị Lan", Created: 1, Complete: 0, Drafts: 1},
			{Officer: "minh", FullName: "Phạm Minh"},
		}},
		{day1, day3, []enroll.OfficerDay{
			{Officer: "hung", FullName: "Lê Văn Hùng", Created: 4, Complete: 3, Drafts: 1},
			{Officer: "lan.nt", FullName: "Nguyễn Thị Lan", Created: 4, Complete: 2, Drafts: 2},
			{Officer: "minh", FullName: "Phạm Minh"},
		}},
	}
	for _, tc := range cases {
		got, err := s.OfficerDays(ctx, tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s to %s:\n got %+v\nwant %+v", tc.from.Format(time.DateOnly), tc.to.Format(time.DateOnly), got, tc.want)
		}
	}
}
