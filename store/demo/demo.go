// Package demo fills a station database with synthetic, complete enrollments made by the
// simulated devices and saved through the ordinary store path, for training and benchmarks.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/sim"
	"github.com/wardpolice/enroll/store"
)

// Demo officer and station used when the database is new.
const (
	Officer = "demo.officer"
	Station = "DEMO-01"
)

// Generator adds Records enrollments to Store.
type Generator struct {
	Store   *store.Store
	Records int
	Seed    uint64
	// Span spreads creation times over the past Span, oldest first, so lists and date
	// searches see realistic data; SetClock moves the store's clock for each record.
	Span     time.Duration
	SetClock func(time.Time)
	Now      func() time.Time
	Progress io.Writer
}

// Run generates the records. It sets up a demo station and officer on an empty database
// (printing the officer's one-time password) and otherwise attributes records to the first
// supervisor's station code and the demo officer.
func (g Generator) Run(ctx context.Context) error {
	if g.Now == nil {
		g.Now = time.Now
	}
	if g.SetClock == nil {
		g.SetClock = func(time.Time) {}
	}
	station, err := g.setUp(ctx)
	if err != nil {
		return err
	}
	pool := min(g.Records, 64)
	pop, err := sim.NewPopulation(ctx, g.Seed, max(pool, 1))
	if err != nil {
		return fmt.Errorf("demo: render images: %w", err)
	}
	start := g.Now().Add(-g.Span)
	began := time.Now()
	for i := range g.Records {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("demo: stopped after %d records: %w", i, err)
		}
		at := start
		if g.Records > 1 {
			at = start.Add(time.Duration(int64(g.Span) / int64(g.Records) * int64(i)))
		}
		g.SetClock(at)
		e, err := pop.Enrollment(station, Officer, at)
		if err != nil {
			return fmt.Errorf("demo: record %d: %w", i+1, err)
		}
		if err := g.Store.Complete(ctx, e); err != nil {
			return fmt.Errorf("demo: record %d (%s): %w", i+1, e.Citizen.FullName, err)
		}
		if g.Progress != nil && (i+1)%1000 == 0 {
			fmt.Fprintf(g.Progress, "%d records\n", i+1)
		}
	}
	if g.Progress != nil {
		fmt.Fprintf(g.Progress, "added %d synthetic enrollments in %s\n", g.Records, time.Since(began).Round(time.Millisecond))
	}
	return nil
}

func (g Generator) setUp(ctx context.Context) (string, error) {
	station, err := g.Store.Setting(ctx, enroll.SettingStation)
	if err != nil {
		return "", err
	}
	if station == "" {
		station = Station
		if err := g.Store.SetSetting(ctx, enroll.SettingStation, station); err != nil {
			return "", err
		}
		if err := g.Store.SetSetting(ctx, enroll.SettingOffice, "Trạm mô phỏng"); err != nil {
			return "", err
		}
	}
	if _, err := g.Store.OfficerRole(ctx, Officer); err == nil {
		return station, nil
	}
	pw := oneTimePassword()
	_, err = g.Store.CreateOfficer(ctx, enroll.OfficerForm{Username: Officer, FullName: "Cán bộ Mô phỏng",
		Role: enroll.RoleSupervisor, Password: pw, Confirm: pw})
	if err != nil {
		return "", fmt.Errorf("demo: create officer: %w", err)
	}
	if g.Progress != nil {
		fmt.Fprintf(g.Progress, "created supervisor %s with password %s (shown once)\n", Officer, pw)
	}
	return station, nil
}

// oneTimePassword is random, with letters and digits so it meets the password policy.
func oneTimePassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "demo" + base32.StdEncoding.EncodeToString(b)[:12] + "7"
}
