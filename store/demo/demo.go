// Package demo fills a station database with synthetic, complete enrollments made by the
// simulated devices and saved through the ordinary store path, for training and benchmarks.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/device/sim"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/sync/register"
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
	// Actor is the supervisor who unlocked an already set-up station; the demo officer is
	// created in their name.
	Actor string
	// Register, when set, receives the demo citizen register central checks the records
	// against, with every citizen's reference prints (see RegisterEntry and DiscrepancyOf for
	// who is deliberately absent or recorded differently).
	Register *register.Writer
	// Noted, when set, hears of each record saved and how its register entry differs: the
	// ground truth a test holds central's verdicts to.
	Noted func(e *enroll.Enrollment, d Discrepancy)
}

// registerCycle: of every 20 demo citizens, 2 are absent from the register, 2 have another
// date of birth there, 1 another name and 1 someone else's fingerprints, so 30 % of demo
// records are rejected at central (for a reason an officer can act on) and the rest verified.
const registerCycle = 20

// Discrepancy is how the demo register differs from a record, by the record's place in the run.
type Discrepancy int

const (
	RegisterSame Discrepancy = iota
	RegisterAbsent
	RegisterOtherBirth
	RegisterOtherName
	// RegisterOtherFingers: the register's reference prints are another person's, as when
	// someone enrols with another citizen's card.
	RegisterOtherFingers
)

// DiscrepancyOf says how the register entry of the i-th record (from 0) differs from it.
func DiscrepancyOf(i int) Discrepancy {
	switch i % registerCycle {
	case 3, 13:
		return RegisterAbsent
	case 7, 17:
		return RegisterOtherBirth
	case 11:
		return RegisterOtherName
	case 9:
		return RegisterOtherFingers
	}
	return RegisterSame
}

// RegisterEntry is the register's entry for a record's citizen, differing as d says; ok is
// false when the citizen is absent.
func RegisterEntry(c enroll.Citizen, d Discrepancy) (entry enroll.RegisterEntry, ok bool) {
	e := enroll.RegisterEntry{PersonalID: c.PersonalID, FullName: c.FullName, DateOfBirth: c.DateOfBirth, Gender: c.Gender}
	switch d {
	case RegisterAbsent:
		return e, false
	case RegisterOtherBirth:
		// Another day of the same year: the ID number's year digits still agree, as they
		// would for a real clerical error.
		t := time.Date(c.DateOfBirth.Year, c.DateOfBirth.Month, c.DateOfBirth.Day, 0, 0, 0, 0, time.UTC)
		if n := t.AddDate(0, 0, 1); n.Year() == t.Year() {
			t = n
		} else {
			t = t.AddDate(0, 0, -1)
		}
		e.DateOfBirth = enroll.DateOf(t)
	case RegisterOtherName:
		words := strings.Fields(c.FullName)
		words[len(words)-1] = map[bool]string{true: "Khải", false: "Khoa"}[words[len(words)-1] == "Khoa"]
		e.FullName = strings.Join(words, " ")
	}
	return e, true
}

// Run generates the records. On an empty database it sets up a demo station whose supervisor
// is the demo officer (printing the one-time password and the recovery key). A station already
// set up must have been unlocked by a supervisor's login (Actor); the records are attributed to
// its station code and the demo officer.
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
	// Enough prints in the pool that each citizen's fingers differ from each other.
	pool := max(min(g.Records, 64), len(enroll.TenPrint()))
	pop, err := sim.NewPopulation(ctx, g.Seed, pool)
	if err != nil {
		return fmt.Errorf("demo: render images: %w", err)
	}
	refs := newReferences()
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
		e, fingers, err := pop.Person(station, Officer, at)
		if err != nil {
			return fmt.Errorf("demo: record %d: %w", i+1, err)
		}
		if err := g.Store.Complete(ctx, e); err != nil {
			return fmt.Errorf("demo: record %d (%s): %w", i+1, e.Citizen.FullName, err)
		}
		d := DiscrepancyOf(i)
		if g.Register != nil {
			if entry, ok := RegisterEntry(e.Citizen, d); ok {
				reg := register.Entry{RegisterEntry: entry}
				if reg.Prints, err = refs.of(e.FingerSet, fingers, d == RegisterOtherFingers); err != nil {
					return fmt.Errorf("demo: register: %w", err)
				}
				if err := g.Register.Write(reg); err != nil {
					return fmt.Errorf("demo: register: %w", err)
				}
			}
		}
		if g.Noted != nil {
			g.Noted(e, d)
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
	n, err := g.Store.OfficerCount(ctx)
	if err != nil {
		return "", err
	}
	if n == 0 {
		pw := oneTimePassword()
		rk, err := g.Store.Init(ctx, enroll.StationSetup{Office: "Trạm mô phỏng", Code: Station,
			Supervisor: enroll.OfficerForm{Username: Officer, FullName: "Cán bộ Mô phỏng", Password: pw, Confirm: pw}})
		if err != nil {
			return "", fmt.Errorf("demo: set up station: %w", err)
		}
		if g.Progress != nil {
			fmt.Fprintf(g.Progress, "created supervisor %s with password %s (shown once)\nrecovery key %s (shown once)\n",
				Officer, pw, rk)
		}
		return Station, nil
	}
	if !g.Store.Unlocked() {
		return "", fmt.Errorf("demo: the station is already set up: %w", enroll.ErrStationLocked)
	}
	station, err := g.Store.Setting(ctx, enroll.SettingStation)
	if err != nil {
		return "", err
	}
	if _, err := g.Store.OfficerRole(ctx, Officer); err == nil {
		return station, nil
	}
	pw := oneTimePassword()
	_, err = g.Store.CreateOfficer(ctx, g.Actor, enroll.OfficerForm{Username: Officer, FullName: "Cán bộ Mô phỏng",
		Role: enroll.RoleOfficer, Password: pw, Confirm: pw})
	if err != nil {
		return "", fmt.Errorf("demo: create officer: %w", err)
	}
	if g.Progress != nil {
		fmt.Fprintf(g.Progress, "created officer %s with password %s (shown once)\n", Officer, pw)
	}
	return station, nil
}

// oneTimePassword is random, with letters and digits so it meets the password policy.
func oneTimePassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "demo" + base32.StdEncoding.EncodeToString(b)[:12] + "7"
}
