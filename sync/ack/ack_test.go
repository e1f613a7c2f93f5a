package ack

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

func sample() Ack {
	return Ack{Station: "HN-KL-01", Issued: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC),
		Batches: []BatchOutcome{{ID: "b1", Outcome: BatchReceived}, {ID: "b2", Outcome: BatchRefused, Reason: "tampered"}},
		Verdicts: []enroll.Verdict{
			{ID: "r1", Revision: "aa", Status: enroll.StatusVerified},
			{ID: "r2", Revision: "bb", Status: enroll.StatusRejected, Reason: enroll.Reason{Code: enroll.ReasonDOBMismatch}},
			{ID: "r3", Revision: "cc", Status: enroll.StatusRejected, Reason: enroll.Reason{Code: enroll.ReasonFingerMissing, Finger: enroll.LeftIndex}},
		}}
}

func TestSignAndParse(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	data, err := Sign(sample(), key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(data, pub, "HN-KL-01")
	if err != nil {
		t.Fatal(err)
	}
	// Indented again by an editor, it still reads.
	var re bytes.Buffer
	if err := json.Indent(&re, data, "", "\t\t"); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(re.Bytes(), pub, "HN-KL-01"); err != nil {
		t.Fatalf("re-indented: %v", err)
	}
	want := sample()
	if len(a.Verdicts) != 3 || a.Verdicts[2].Reason.Finger != enroll.LeftIndex || a.Verdicts[1].Reason.Code != enroll.ReasonDOBMismatch ||
		a.Batches[1].Reason != "tampered" || !a.Issued.Equal(want.Issued) || a.Format != Format {
		t.Fatalf("read back %+v", a)
	}
}

func TestParseRefuses(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	good, _ := Sign(sample(), key)
	if _, err := Parse(good, otherPub, "HN-KL-01"); !errors.Is(err, ErrSignature) {
		t.Errorf("another central's key: %v", err)
	}
	forged, _ := Sign(sample(), otherKey)
	if _, err := Parse(forged, pub, "HN-KL-01"); !errors.Is(err, ErrSignature) {
		t.Errorf("signed by another key: %v", err)
	}
	edited := strings.Replace(string(good), "verified", "rejected", 1)
	if edited == string(good) {
		// the content is base64 inside the envelope; flip a byte of it instead
		b := []byte(good)
		b[20] ^= 1
		edited = string(b)
	}
	if _, err := Parse([]byte(edited), pub, "HN-KL-01"); err == nil {
		t.Error("an edited acknowledgement was accepted")
	}
	if _, err := Parse(good, pub, "HN-KL-02"); err == nil || !strings.Contains(err.Error(), "HN-KL-01") {
		t.Errorf("another station's: %v", err)
	}
	bad := sample()
	bad.Verdicts = append(bad.Verdicts, enroll.Verdict{ID: "r4", Status: enroll.StatusPurged})
	b, _ := Sign(bad, key)
	if _, err := Parse(b, pub, "HN-KL-01"); err == nil || !strings.Contains(err.Error(), "r4") {
		t.Errorf("a status central never reports: %v", err)
	}
	bad = sample()
	bad.Verdicts = append(bad.Verdicts, enroll.Verdict{ID: "r5", Status: enroll.StatusRejected})
	b, _ = Sign(bad, key)
	if _, err := Parse(b, pub, "HN-KL-01"); err == nil || !strings.Contains(err.Error(), "without a reason") {
		t.Errorf("a rejection without a reason: %v", err)
	}
}

// FuzzParse: an acknowledgement file comes from removable media; any bytes give a checked
// acknowledgement or an error, never a panic.
func FuzzParse(f *testing.F) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	good, _ := Sign(sample(), key)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"Ack":{},"Signature":""}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse(b, pub, "HN-KL-01")
		if err == nil && a.Station != "HN-KL-01" {
			t.Fatalf("accepted an acknowledgement for %q", a.Station)
		}
	})
}
