package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

func goodLeftIndex() enroll.FingerCapture {
	return enroll.FingerCapture{Position: enroll.LeftIndex, PNG: []byte("\x89PNGleft"), Width: 320, Height: 400, PPI: 500,
		Device: "sim", Attempts: 1, Quality: enroll.FingerScore{Score: 71}}
}

func acceptedLeftIndex() enroll.FingerCapture {
	f := goodLeftIndex()
	f.Quality.Score, f.Attempts = 25, 3
	f.AcceptedBy, f.AcceptedReason = "lan.nt", "sẹo cũ"
	return f
}

func queueNames(t *testing.T, s *Store, limit int) []string {
	t.Helper()
	q, err := s.ReviewQueue(context.Background(), limit)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range q {
		out = append(out, it.FullName)
	}
	return out
}

func TestReviewQueue(t *testing.T) {
	ctx := context.Background()
	c := newStepClock()
	s := openTest(t, WithClock(c.now))
	addOfficer(t, s, "hung", "Lê Văn Hùng", enroll.RoleOfficer)
	save := func(name string, complete bool, change func(*enroll.Enrollment)) *enroll.Enrollment {
		c.tick()
		e := completeRecord(t, name, "001087012345") // left index excused as injured
		if change != nil {
			change(e)
		}
		saveRecord(t, s, e, complete)
		return e
	}
	purged := save("Đã Xoá", true, nil)
	excused := save("Có Ngoại Lệ", true, nil)
	clean := save("Bình Thường", true, func(e *enroll.Enrollment) { e.SetFinger(goodLeftIndex()) })
	accepted := save("Chấp Nhận", true, func(e *enroll.Enrollment) { e.SetFinger(acceptedLeftIndex()) })
	save("Bản Nháp", false, nil)
	sent := save("Đã Gửi", true, nil)
	c.tick()
	b := enroll.Batch{ID: "batch-1", Seq: 1, CreatedAt: c.at, Size: 10, File: "/outbox/b"}
	if err := s.AddBatch(ctx, "lan.nt", b, []Sent{{ID: sent.ID, Revision: strings.Repeat("a", 64)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, "lan.nt", purged.ID); err != nil {
		t.Fatal(err)
	}
	c.at = c.at.Add(30 * 24 * time.Hour)
	if n, err := s.Purge(ctx, "system"); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}

	q, err := s.ReviewQueue(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 3 || q[0].ID != excused.ID || q[1].ID != accepted.ID || q[2].ID != sent.ID {
		t.Fatalf("queue: %v, want excused, accepted, sent (oldest first)", queueNames(t, s, 0))
	}
	wantX := []enroll.FingerException{{Position: enroll.LeftIndex, Reason: enroll.ExceptionInjured, Note: "ngón tay băng bó"}}
	if !slices.Equal(q[0].Exceptions, wantX) || len(q[0].Accepted) != 0 || q[0].FullName != "Có Ngoại Lệ" ||
		q[0].PersonalID != "001087012345" || q[0].Status != enroll.StatusComplete {
		t.Errorf("excused item: %+v", q[0])
	}
	if len(q[1].Exceptions) != 0 || len(q[1].Accepted) != 1 {
		t.Fatalf("accepted item: %+v", q[1])
	}
	a := q[1].Accepted[0]
	if a.Position != enroll.LeftIndex || a.AcceptedBy != "lan.nt" || a.AcceptedReason != "sẹo cũ" ||
		a.Quality.Score != 25 || a.Attempts != 3 || a.PNG != nil {
		t.Errorf("accepted capture: %+v", a)
	}
	if q[2].Status != enroll.StatusBatched {
		t.Errorf("sent item: %s", q[2].Status)
	}
	if got := queueNames(t, s, 2); !slices.Equal(got, []string{"Có Ngoại Lệ", "Chấp Nhận"}) {
		t.Errorf("limit 2: %v", got)
	}

	// Nothing in the clear tells a record with exceptions from one without.
	cols := rawRows(t, s, fmt.Sprintf(`SELECT review_examined FROM enrollments WHERE id IN ('%s', '%s')`, excused.ID, clean.ID))
	if len(cols) != 1 {
		t.Errorf("review_examined differs between a record with exceptions and one without: %v", cols)
	}
	var sealed []byte
	s.db.QueryRow(`SELECT pending FROM review_queue`).Scan(&sealed)
	if len(sealed) == 0 || bytes.Contains(sealed, []byte(excused.ID)) {
		t.Errorf("pending list in the clear: %q", sealed)
	}

	if err := s.MarkReviewed(ctx, "hung", excused.ID, "đã xem"); !errors.Is(err, enroll.ErrNotSupervisor) {
		t.Errorf("officer marks reviewed: %v", err)
	}
	if err := s.MarkReviewed(ctx, "lan.nt", excused.ID, strings.Repeat("x", enroll.MaxNoteLength+1)); err == nil {
		t.Error("a note longer than a note may be was kept")
	}
	if err := s.MarkReviewed(ctx, "lan.nt", excused.ID, " đã xem, tay bị bỏng "); err != nil {
		t.Fatal(err)
	}
	if got := queueNames(t, s, 0); !slices.Equal(got, []string{"Chấp Nhận", "Đã Gửi"}) {
		t.Errorf("after review: %v", got)
	}
	trail := trailOf(t, s, excused.ID)
	if len(trail) == 0 || trail[0].Action != enroll.ActionRecordReviewed || trail[0].Officer != "lan.nt" ||
		trail[0].Detail != "đã xem, tay bị bỏng" {
		t.Errorf("audit: %+v", trail)
	}
	for _, id := range []string{excused.ID, clean.ID, purged.ID, "no-such-record"} {
		if err := s.MarkReviewed(ctx, "lan.nt", id, ""); !errors.Is(err, ErrNotAwaitingReview) {
			t.Errorf("mark %s: %v", id, err)
		}
	}

	// A corrected record leaves the queue while it is a draft, and comes back once saved if
	// it still has an accepted print: the new version has not been reviewed.
	if err := s.Reopen(ctx, "lan.nt", accepted.ID, "sai số điện thoại"); err != nil {
		t.Fatal(err)
	}
	if got := queueNames(t, s, 0); !slices.Equal(got, []string{"Đã Gửi"}) {
		t.Errorf("while corrected: %v", got)
	}
	c.tick()
	if err := s.Complete(ctx, accepted); err != nil {
		t.Fatal(err)
	}
	if got := queueNames(t, s, 0); !slices.Equal(got, []string{"Đã Gửi", "Chấp Nhận"}) {
		t.Errorf("after correction: %v", got)
	}
	// Corrected again with a good print, it has nothing left to review.
	if err := s.Reopen(ctx, "lan.nt", accepted.ID, "chụp lại vân tay"); err != nil {
		t.Fatal(err)
	}
	accepted.SetFinger(goodLeftIndex())
	c.tick()
	if err := s.Complete(ctx, accepted); err != nil {
		t.Fatal(err)
	}
	if got := queueNames(t, s, 0); !slices.Equal(got, []string{"Đã Gửi"}) {
		t.Errorf("after the print was retaken: %v", got)
	}
}

// TestReviewQueueExaminesEveryRecord: more records than one examination pass holds, completed
// before anyone looked at the queue, are all examined.
func TestReviewQueueExaminesEveryRecord(t *testing.T) {
	ctx := context.Background()
	c := newStepClock()
	s := openTest(t, WithClock(c.now), WithBulkLoad())
	n := 2*reviewChunk + 10
	var want []string
	for i := range n {
		c.tick()
		e := completeRecord(t, "Nguyễn Văn An", "001087012345")
		if i%3 != 0 {
			e.SetFinger(goodLeftIndex())
		}
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			want = append(want, e.ID)
		}
	}
	q, err := s.ReviewQueue(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range q {
		got = append(got, it.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("queue has %d records, want %d in completion order", len(got), len(want))
	}
	var left int
	s.db.QueryRow(`SELECT count(*) FROM enrollments WHERE review_examined = 0`).Scan(&left)
	if left != 0 {
		t.Errorf("%d records not examined", left)
	}
}
