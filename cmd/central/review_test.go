package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
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
