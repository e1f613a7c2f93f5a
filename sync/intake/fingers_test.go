package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
	"github.com/wardpolice/enroll/sync/register"
)

func TestDecideFingers(t *testing.T) {
	c := func(p enroll.FingerPosition, outcome string) fingerComparison {
		return fingerComparison{Finger: p, Outcome: outcome}
	}
	ri, li := enroll.RightIndex, enroll.LeftIndex
	for name, tc := range map[string]struct {
		cmp    []fingerComparison
		want   fingerDecision
		finger enroll.FingerPosition
	}{
		"both match":                   {[]fingerComparison{c(ri, FingerMatch), c(li, FingerMatch)}, fingersVerified, 0},
		"one excused, the other match": {[]fingerComparison{c(li, FingerMatch)}, fingersVerified, 0},
		"neither matches":              {[]fingerComparison{c(ri, FingerNoMatch), c(li, FingerNoMatch)}, fingersRejected, ri},
		"left clearly not, right close": {[]fingerComparison{c(ri, FingerUncertain), c(li, FingerNoMatch)},
			fingersRejected, li},
		"one matches, one clearly not": {[]fingerComparison{c(ri, FingerNoMatch), c(li, FingerMatch)}, fingersReview, 0},
		"one uncertain":                {[]fingerComparison{c(ri, FingerMatch), c(li, FingerUncertain)}, fingersReview, 0},
		"no reference for one":         {[]fingerComparison{c(ri, FingerMatch), c(li, FingerNoReference)}, fingersReview, 0},
		"no reference at all":          {[]fingerComparison{c(ri, FingerNoReference), c(li, FingerNoReference)}, fingersReview, 0},
		"nothing captured":             {nil, fingersReview, 0},
	} {
		got, reason := decideFingers(tc.cmp)
		if got != tc.want {
			t.Errorf("%s: decision %d, want %d", name, got, tc.want)
		}
		if got == fingersRejected && (reason.Code != enroll.ReasonFingerMismatch || reason.Finger != tc.finger) {
			t.Errorf("%s: reason %+v, want finger_mismatch of the %s", name, reason, tc.finger)
		}
		if got != fingersRejected && !reason.IsZero() {
			t.Errorf("%s: a reason %+v without a rejection", name, reason)
		}
	}
}

// TestVerifyComparesFingers: central compares each captured finger with the register's
// reference print of that finger (another impression, as taken at card issuance) and verifies,
// rejects naming the finger, or holds the record for an examiner.
func TestVerifyComparesFingers(t *testing.T) {
	ctx := context.Background()
	c := testCentral(t)
	if _, err := c.AddStation(ctx, "HN-01", "Phường Kim Liên", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.exec(ctx, `INSERT INTO batches (id, station, seq, sha256, size, records, created_at, received_at, source, signing_key)
		VALUES ('b1', 'HN-01', 1, 'x', 1, 1, 0, 0, 'upload', 'k')`); err != nil {
		t.Fatal(err)
	}
	pop, err := sim.NewPopulation(ctx, 77, 10)
	if err != nil {
		t.Fatal(err)
	}
	issuance := sim.RealisticVariation()
	issuance.MinQuality = 0.7
	reference := func(finger uint64) *minutiae.Template {
		tmpl, err := minutiae.Extract(sim.NewImpression(finger, finger^0xca7d, issuance), sim.FingerPPI)
		if err != nil {
			t.Fatal(err)
		}
		return tmpl
	}
	stranger := func(finger uint64) uint64 { return finger + 1<<40 }
	same := func(f uint64) uint64 { return f }
	for _, tc := range []struct {
		name        string
		right, left func(uint64) uint64 // whose finger the register holds; nil: no print
		want        enroll.Status
		review      bool
		reason      enroll.Reason
	}{
		{name: "the holder's own fingers", right: same, left: same, want: enroll.StatusVerified},
		{name: "someone else's fingers", right: stranger, left: stranger, want: enroll.StatusRejected,
			reason: enroll.Reason{Code: enroll.ReasonFingerMismatch, Finger: enroll.RightIndex}},
		{name: "the left index is another finger", right: same, left: stranger, want: enroll.StatusReceived, review: true},
		{name: "the register holds no prints", want: enroll.StatusReceived, review: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A citizen with both index fingers captured (the population excuses 1 % of fingers).
			var e *enroll.Enrollment
			var fingers sim.Fingers
			for e == nil || len(fingers) != 2 {
				if e, fingers, err = pop.Person("HN-01", "lan.nt", time.Now().Add(-time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			e.ID = uuid.NewString()
			entry := register.Entry{RegisterEntry: enroll.RegisterEntry{PersonalID: e.Citizen.PersonalID,
				FullName: e.Citizen.FullName, DateOfBirth: e.Citizen.DateOfBirth, Gender: e.Citizen.Gender}}
			if tc.right != nil {
				entry.Prints, err = minutiae.NewISORecord(reference(tc.right(fingers[enroll.RightIndex])), uint8(enroll.RightIndex), minutiae.LiveScanPlain)
				if err != nil {
					t.Fatal(err)
				}
				if err := entry.Prints.AddView(reference(tc.left(fingers[enroll.LeftIndex])), uint8(enroll.LeftIndex), minutiae.LiveScanPlain); err != nil {
					t.Fatal(err)
				}
			}
			var csv bytes.Buffer
			w, _ := register.NewWriter(&csv)
			if err := w.Write(entry); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if n, err := c.LoadRegister(ctx, &csv); err != nil || n.Citizens != 1 || (tc.right != nil && n.Prints != 2) {
				t.Fatalf("load register: %+v %v", n, err)
			}
			if err := c.db.inTx(ctx, func(t tx) error {
				_, err := storeRecord(ctx, t, "b1", "rev-"+e.ID, e, time.Now().UnixMilli())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			k := recordKey{"HN-01", e.ID}
			if _, err := c.VerifyPending(ctx, []recordKey{k}); err != nil {
				t.Fatal(err)
			}
			status, reason := recordStatus(t, c, k)
			if status != tc.want || reason != tc.reason {
				t.Fatalf("status %s %+v, want %s %+v", status, reason, tc.want, tc.reason)
			}
			reviews, err := c.Reviews(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held := false
			for _, r := range reviews {
				if r.ID == e.ID {
					held = true
					if r.PersonalID != e.Citizen.PersonalID || len(r.Fingers) != 2 {
						t.Fatalf("review entry %+v", r)
					}
				}
			}
			if held != tc.review {
				t.Fatalf("held for review: %v, want %v (%+v)", held, tc.review, reviews)
			}
			if !tc.review {
				return
			}
			// A restart verifies what was left received, but not what waits for an examiner.
			if n, err := c.VerifyPending(ctx, nil); err != nil || n != 0 {
				t.Fatalf("verify pending after a review flag: %d, %v", n, err)
			}
			if err := c.DecideReview(ctx, "HN-01", e.ID, enroll.Reason{}, ""); err == nil {
				t.Fatal("a decision without the examiner's name")
			}
			mismatch := enroll.Reason{Code: enroll.ReasonFingerMismatch, Finger: enroll.LeftIndex}
			if err := c.DecideReview(ctx, "HN-01", e.ID, mismatch, "kiem.tra"); err != nil {
				t.Fatal(err)
			}
			if status, reason := recordStatus(t, c, k); status != enroll.StatusRejected || reason != mismatch {
				t.Fatalf("after the examiner's rejection: %s %+v", status, reason)
			}
			if err := c.DecideReview(ctx, "HN-01", e.ID, enroll.Reason{}, "kiem.tra"); !errors.Is(err, ErrNotInReview) {
				t.Fatalf("deciding twice: %v", err)
			}
			var examiner, decision string
			if err := c.db.queryRow(ctx, `SELECT examiner, decision FROM reviews WHERE record_id = ?`, e.ID).Scan(&examiner, &decision); err != nil ||
				examiner != "kiem.tra" || decision != "rejected" {
				t.Fatalf("the review keeps %q %q (%v)", examiner, decision, err)
			}
		})
	}
}

func recordStatus(t *testing.T, c *Central, k recordKey) (enroll.Status, enroll.Reason) {
	t.Helper()
	var status, why string
	if err := c.db.queryRow(context.Background(), `SELECT status, reason FROM records WHERE station = ? AND id = ?`, k.Station, k.ID).Scan(&status, &why); err != nil {
		t.Fatal(err)
	}
	var r enroll.Reason
	if why != "" {
		if err := json.Unmarshal([]byte(why), &r); err != nil {
			t.Fatal(err)
		}
	}
	return enroll.Status(status), r
}

// TestUnreadableFingerDoesNotBlockOthers: an image a station sent that is not a PNG is a
// verdict on its record (rejected, naming the finger), and neither that record nor one central
// cannot read at all keeps the records after it, another station's included, undecided.
func TestUnreadableFingerDoesNotBlockOthers(t *testing.T) {
	ctx := context.Background()
	c := testCentral(t)
	for i, code := range []string{"HN-01", "HN-02"} {
		if _, err := c.AddStation(ctx, code, "Phường "+code, false); err != nil {
			t.Fatal(err)
		}
		if _, err := c.db.exec(ctx, `INSERT INTO batches (id, station, seq, sha256, size, records, created_at, received_at, source, signing_key)
			VALUES (?, ?, 1, 'x', 1, 1, 0, 0, 'upload', 'k')`, fmt.Sprintf("b%d", i+1), code); err != nil {
			t.Fatal(err)
		}
	}
	pop, err := sim.NewPopulation(ctx, 78, 10)
	if err != nil {
		t.Fatal(err)
	}
	issuance := sim.RealisticVariation()
	issuance.MinQuality = 0.7
	var csv bytes.Buffer
	w, _ := register.NewWriter(&csv)
	// enrol is a citizen with both index fingers captured, whose prints the register holds.
	enrol := func(station string) *enroll.Enrollment {
		var e *enroll.Enrollment
		var fingers sim.Fingers
		for e == nil || len(fingers) != 2 {
			if e, fingers, err = pop.Person(station, "lan.nt", time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		e.ID = uuid.NewString()
		entry := register.Entry{RegisterEntry: enroll.RegisterEntry{PersonalID: e.Citizen.PersonalID,
			FullName: e.Citizen.FullName, DateOfBirth: e.Citizen.DateOfBirth, Gender: e.Citizen.Gender}}
		for i, p := range []enroll.FingerPosition{enroll.RightIndex, enroll.LeftIndex} {
			tmpl, err := minutiae.Extract(sim.NewImpression(fingers[p], fingers[p]^0xca7d, issuance), sim.FingerPPI)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				entry.Prints, err = minutiae.NewISORecord(tmpl, uint8(p), minutiae.LiveScanPlain)
			} else {
				err = entry.Prints.AddView(tmpl, uint8(p), minutiae.LiveScanPlain)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Write(entry); err != nil {
			t.Fatal(err)
		}
		return e
	}
	bad, good, other, otherBad := enrol("HN-01"), enrol("HN-01"), enrol("HN-02"), enrol("HN-02")
	w.Close()
	if n, err := c.LoadRegister(ctx, &csv); err != nil || n.Citizens != 4 || n.Prints != 8 {
		t.Fatalf("load register: %+v %v", n, err)
	}
	for _, e := range []*enroll.Enrollment{bad, otherBad} {
		for i := range e.Fingers {
			if e.Fingers[i].Position == enroll.LeftIndex {
				e.Fingers[i].PNG = []byte("\x1b[2Jnot a png at all")
			}
		}
	}
	for _, r := range []struct {
		batch string
		e     *enroll.Enrollment
	}{{"b1", bad}, {"b1", good}, {"b2", other}, {"b2", otherBad}} {
		if err := c.db.inTx(ctx, func(t tx) error {
			_, err := storeRecord(ctx, t, r.batch, "rev-"+r.e.ID, r.e, time.Now().UnixMilli())
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	kBad, kGood, kOther := recordKey{"HN-01", bad.ID}, recordKey{"HN-01", good.ID}, recordKey{"HN-02", other.ID}
	missing := recordKey{"HN-01", uuid.NewString()} // central cannot read it: an error of its own

	n, err := c.VerifyPending(ctx, []recordKey{missing, kBad, kGood})
	if err == nil || !strings.Contains(err.Error(), missing.ID) {
		t.Fatalf("verify: %v, want an error naming the record central could not read", err)
	}
	if n != 2 {
		t.Fatalf("decided %d records, want 2", n)
	}
	status, reason := recordStatus(t, c, kBad)
	if status != enroll.StatusRejected || reason.Code != enroll.ReasonFingerQuality || reason.Finger != enroll.LeftIndex {
		t.Fatalf("the record with an unreadable print: %s %+v, want rejected for the left index's quality", status, reason)
	}
	if !strings.Contains(reason.Detail, "decode finger image") {
		t.Fatalf("the rejection does not say what was wrong with the print: %q", reason.Detail)
	}
	if status, reason := recordStatus(t, c, kGood); status != enroll.StatusVerified {
		t.Fatalf("the record after it: %s %+v, want verified", status, reason)
	}
	if status, _ := recordStatus(t, c, kOther); status != enroll.StatusReceived {
		t.Fatalf("the other station's record was decided before anything asked: %s", status)
	}
	// The sweep after a restart finds the other station's records received, a good one and
	// one with an unreadable print, and decides both, in whichever order it meets them.
	if n, err := c.VerifyPending(ctx, nil); err != nil || n != 2 {
		t.Fatalf("verify pending: %d, %v; want 2 records decided", n, err)
	}
	if status, reason := recordStatus(t, c, kOther); status != enroll.StatusVerified {
		t.Fatalf("the other station's record: %s %+v, want verified", status, reason)
	}
	if status, reason := recordStatus(t, c, recordKey{"HN-02", otherBad.ID}); status != enroll.StatusRejected || reason.Code != enroll.ReasonFingerQuality {
		t.Fatalf("the other station's unreadable record: %s %+v, want rejected", status, reason)
	}
}
