package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/sync/intake"
)

// The command's wiring; holding records for review and deciding them is tested with real
// prints in sync/intake (TestVerifyComparesFingers).
func TestReviewCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"init", "--url", "https://127.0.0.1:8443", "--dir", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"review", "list", "--dir", dir}, &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "no record is waiting for manual review") {
		t.Fatalf("empty list: %v %q", err, out.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"review"}, "say list, verify or reject"},
		{[]string{"review", "approve", "HN-01", "r1"}, `unknown "approve"`},
		{[]string{"review", "verify", "HN-01"}, "name the station and the record"},
		{[]string{"review", "reject", "HN-01", "r1"}, "say why"},
		{[]string{"review", "reject", "HN-01", "r1", "--finger", "2", "--reason", "x"}, "not both"},
		{[]string{"review", "reject", "HN-01", "r1", "--finger", "11"}, "1 (right thumb) to 10"},
		{[]string{"review", "verify", "HN-01", "r1", "--finger", "2"}, "are for reject"},
		{[]string{"review", "verify", "HN-01", "r1"}, "station HN-01 has no record r1 at central"},
		// By the receipt's code, a record not waiting gets the answer its id gets.
		{[]string{"review", "reject", "HN-01", "mba-2br-2v1", "--finger", "2"}, "station HN-01 record MBA-2BR-2V1: the record is not waiting for manual review"},
		{[]string{"review", "reject", "HN-01", "r1", "--finger", "left-index", "--examiner", "  "}, "examiner's name is required"},
	} {
		err := run(append(c.args, "--dir", dir), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("central %s: %v, want %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

func TestParseFinger(t *testing.T) {
	for in, want := range map[string]enroll.FingerPosition{
		"2": enroll.RightIndex, "7": enroll.LeftIndex, "right-index": enroll.RightIndex, "Left Index": enroll.LeftIndex,
		"left_little": enroll.LeftLittle, "right thumb": enroll.RightThumb,
	} {
		if got, err := parseFinger(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"0", "11", "-1", "index", "right-pinky", ""} {
		if _, err := parseFinger(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestReviewSaysWhyHeld: each held record says why the matcher left it to an examiner, also
// one whose citizen has no reference prints (and so no finger scores to show).
func TestReviewSaysWhyHeld(t *testing.T) {
	for _, c := range []struct {
		fingers []intake.FingerScore
		want    string
	}{
		{nil, "held: no reference prints in the register for this citizen"},
		{[]intake.FingerScore{{Finger: enroll.RightIndex, Outcome: "no_reference"}}, "held: no reference prints in the register for this citizen"},
		{[]intake.FingerScore{{Finger: enroll.RightIndex, Score: 0.9, Outcome: "match"}, {Finger: enroll.LeftIndex, Score: 0.01, Outcome: "no_match"}},
			"held: a finger matches the register and another clearly does not\n"},
		{[]intake.FingerScore{{Finger: enroll.RightIndex, Score: 0.2, Outcome: "uncertain"}}, "held: a score too close to call\n"},
	} {
		var out bytes.Buffer
		printReview(&out, intake.Review{Station: "DEMO-01", ID: "a2d425e0-0000-4000-8000-000000000000", Fingers: c.fingers})
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%v:\n%s", c.fingers, out.String())
		}
	}
}
