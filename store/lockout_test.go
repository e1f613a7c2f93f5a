package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

func TestLockoutWithInjectedClock(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return clock }), WithLockout(5, 15*time.Minute))
	login := func(pw string) error { _, err := s.Authenticate(ctx, "lan.nt", pw); return err }

	// Four wrong passwords, then the right one: the count resets.
	for range 4 {
		if err := login("sai-mat-khau-1"); !errors.Is(err, enroll.ErrBadLogin) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if err := login("matkhau2026"); err != nil {
		t.Fatalf("fifth try with the right password: %v", err)
	}
	// Five wrong in a row lock the account, even against the right password.
	for i := 1; i <= 5; i++ {
		err := login("sai-mat-khau-1")
		if want := enroll.ErrBadLogin; i == 5 {
			want = enroll.ErrLockedOut
			if !errors.Is(err, want) {
				t.Fatalf("attempt %d: %v, want lock-out", i, err)
			}
		} else if !errors.Is(err, want) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	clock = clock.Add(14*time.Minute + 59*time.Second)
	if err := login("matkhau2026"); !errors.Is(err, enroll.ErrLockedOut) {
		t.Fatalf("right password while locked: %v", err)
	}
	clock = clock.Add(time.Second)
	if err := login("matkhau2026"); err != nil {
		t.Fatalf("after 15 minutes: %v", err)
	}
	// Every attempt is in the trail, and the trail is intact.
	trail, _ := s.AuditTrail(ctx, enroll.AuditFilter{Limit: 100})
	failed := 0
	for _, e := range trail {
		if e.Action == enroll.ActionLoginFailed {
			failed++
		}
	}
	if failed != 10 {
		t.Errorf("%d failed logins audited, want 10 (4 + 5 + 1 while locked)", failed)
	}
	if _, err := s.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
}

// TestLockoutSettings: a supervisor's settings replace the defaults.
func TestLockoutSettings(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := openTest(t, WithClock(func() time.Time { return clock }))
	for k, v := range map[string]int{enroll.SettingLockAttempts: 3, enroll.SettingLockMinutes: 2} {
		if err := s.SetNumericSetting(ctx, "lan.nt", k, v); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		_, err := s.Authenticate(ctx, "lan.nt", "sai-mat-khau-1")
		if want := enroll.ErrBadLogin; i == 3 && !errors.Is(err, enroll.ErrLockedOut) || i < 3 && !errors.Is(err, want) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	clock = clock.Add(2*time.Minute - time.Second)
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); !errors.Is(err, enroll.ErrLockedOut) {
		t.Fatalf("at 1:59: %v", err)
	}
	clock = clock.Add(time.Second)
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatalf("at 2:00: %v", err)
	}
	if err := s.SetNumericSetting(ctx, "lan.nt", enroll.SettingLockAttempts, 1); err == nil {
		t.Error("lock-out after 1 attempt accepted")
	}
}
