package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

func TestAuditRecordsWhoDidWhat(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	s.Authenticate(ctx, "lan.nt", "wrong-one-1")
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	e.Consent = false
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	e.Consent = true
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, "lan.nt", enroll.ActionRecordView, e.ID, ""); err != nil {
		t.Fatal(err)
	}
	trail, err := s.AuditTrail(ctx, enroll.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(trail) - 1; i >= 0; i-- {
		got = append(got, trail[i].Officer+" "+trail[i].Action)
	}
	want := "lan.nt station_init,lan.nt login,lan.nt login_failed,lan.nt record_create,lan.nt record_complete,lan.nt record_view"
	if strings.Join(got, ",") != want {
		t.Errorf("trail\n got %s\nwant %s", strings.Join(got, ","), want)
	}
	if n, err := s.VerifyAudit(ctx); err != nil || n != 6 {
		t.Errorf("verify intact trail: %d, %v", n, err)
	}
	// Ordinary writes cannot change it.
	if _, err := s.db.Exec(`UPDATE audit SET detail = 'x' WHERE seq = 2`); err == nil {
		t.Error("audit entry updated")
	}
}

// tamper opens the file behind the store's back, as someone with the file would, drops the
// guard triggers and runs stmt.
func tamper(t *testing.T, s *Store, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite3", s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TRIGGER IF EXISTS audit_no_update`, `DROP TRIGGER IF EXISTS audit_no_delete`, stmt} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAuditVerifyNamesTheBrokenEntry(t *testing.T) {
	cases := []struct {
		name, stmt string
		seq        int64
	}{
		{"edited officer", `UPDATE audit SET officer = 'hung.lv' WHERE seq = 3`, 3},
		{"edited time", `UPDATE audit SET at = at + 1 WHERE seq = 4`, 4},
		{"edited record id", `UPDATE audit SET record_id = 'other' WHERE seq = 5`, 5},
		{"deleted entry", `DELETE FROM audit WHERE seq = 2`, 2},
		{"deleted last entry", `DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)`, 6},
		{"rehashed entry", `UPDATE audit SET detail = 'x', hash = zeroblob(32) WHERE seq = 3`, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTest(t)
			s.Authenticate(ctx, "lan.nt", "matkhau2026")
			e := completeRecord(t, "Lê Thị Hoa", "001187012345")
			if err := s.Complete(ctx, e); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				s.Audit(ctx, "lan.nt", enroll.ActionRecordView, e.ID, "")
			}
			tamper(t, s, c.stmt)
			_, err := s.VerifyAudit(ctx)
			var br *AuditBreak
			if !errors.As(err, &br) || br.Seq != c.seq {
				t.Fatalf("got %v, want the break named at entry %d", err, c.seq)
			}
			if !strings.Contains(err.Error(), "audit entry") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestDeleteDraftIsAudited(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := &enroll.Enrollment{Officer: "lan.nt", Station: "x"}
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDraft(ctx, "lan.nt", e.ID); err != nil {
		t.Fatal(err)
	}
	trail, _ := s.AuditTrail(ctx, enroll.AuditFilter{RecordID: e.ID, Limit: 10})
	if len(trail) != 2 || trail[0].Action != enroll.ActionDraftDelete || trail[1].Action != enroll.ActionRecordCreate {
		t.Errorf("trail %+v", trail)
	}
}

func TestAuditTrailFilters(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return clock }))
	s.Authenticate(ctx, "lan.nt", "wrong-pass-1")
	clock = clock.Add(time.Hour)
	s.Authenticate(ctx, "lan.nt", "matkhau2026")
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	s.Authenticate(ctx, "ghost", "wrong-pass-1")
	cases := []struct {
		f    enroll.AuditFilter
		want string
	}{
		{enroll.AuditFilter{}, "login_failed ghost,record_complete lan.nt,login lan.nt,login_failed lan.nt,station_init lan.nt"},
		{enroll.AuditFilter{Officer: "lan.nt", Action: enroll.ActionLoginFailed}, "login_failed lan.nt"},
		{enroll.AuditFilter{RecordID: e.ID}, "record_complete lan.nt"},
		{enroll.AuditFilter{From: clock}, "login_failed ghost,record_complete lan.nt,login lan.nt"},
		{enroll.AuditFilter{To: clock}, "login_failed lan.nt,station_init lan.nt"},
		{enroll.AuditFilter{Limit: 1}, "login_failed ghost"},
	}
	for _, c := range cases {
		got, err := s.AuditTrail(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, a := range got {
			parts = append(parts, a.Action+" "+a.Officer)
		}
		if strings.Join(parts, ",") != c.want {
			t.Errorf("%+v:\n got %s\nwant %s", c.f, strings.Join(parts, ","), c.want)
		}
	}
}
