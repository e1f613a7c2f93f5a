package provision

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// testFile builds a real provisioning file for station, issued by a fresh CA.
func testFile(t testing.TB, station string) (*Authority, []byte) {
	t.Helper()
	now := time.Now()
	ca, err := NewAuthority("Test", now)
	if err != nil {
		t.Fatal(err)
	}
	issued, err := ca.StationCertificate(station, now)
	if err != nil {
		t.Fatal(err)
	}
	key, err := KeyPEM(issued.Key)
	if err != nil {
		t.Fatal(err)
	}
	endorser, err := ca.EndorsementCertificate(station, now)
	if err != nil {
		t.Fatal(err)
	}
	endorseKey, err := KeyPEM(endorser.Key)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ack, _, _ := ed25519.GenerateKey(rand.Reader)
	f := File{Format: Format, Station: station, Name: "Phường Kim Liên", Central: "https://127.0.0.1:8443",
		CA: string(CertificatePEM(ca.Cert)), BatchKEM: bk.KEM().ID(), BatchKey: bk.PublicKey().Bytes(), AckKey: ack,
		Certificate: string(CertificatePEM(issued.Cert)), Key: string(key),
		EndorseCertificate: string(CertificatePEM(endorser.Cert)), EndorseKey: string(endorseKey), Issued: now}
	data, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return ca, data
}

// TestStoredFileCannotEndorse: the copy a station keeps has no endorsement key, so whoever
// holds the station's database cannot vouch for a signing key of their own; and the station's
// TLS key is no endorser either.
func TestStoredFileCannotEndorse(t *testing.T) {
	ca, data := testFile(t, "HN-KL-01")
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.Stored()
	if err != nil {
		t.Fatal(err)
	}
	kept, err := Parse(stored)
	if err != nil {
		t.Fatalf("the stored copy does not parse: %v", err)
	}
	if _, _, err := kept.Endorser(); !errors.Is(err, ErrUsed) {
		t.Fatalf("the stored copy can still endorse: %v", err)
	}
	if strings.Contains(string(stored), "EndorseKey") {
		t.Fatal("the stored copy still names an endorsement key")
	}
	// The TLS client key, which the station keeps usable, makes endorsements central refuses.
	tlsKey, err := ParseKeyPEM([]byte(kept.Key))
	if err != nil {
		t.Fatal(err)
	}
	tlsCert, _ := ParseCertificatePEM([]byte(kept.Certificate))
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	forged, err := Endorse(tlsCert, tlsKey, "HN-KL-01", pub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckEndorsement(forged, ca.Pool(), "HN-KL-01", pub, time.Now()); !errors.Is(err, ErrEndorsement) {
		t.Fatalf("an endorsement by the TLS key was accepted: %v", err)
	}
}

func TestParseGoodFile(t *testing.T) {
	_, data := testFile(t, "HN-KL-01")
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Station != "HN-KL-01" || f.Name != "Phường Kim Liên" {
		t.Fatalf("parsed %q %q", f.Station, f.Name)
	}
	if _, err := f.TLSConfig(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.BatchPublicKey(); err != nil {
		t.Fatal(err)
	}
}

// TestParseRefusesBrokenFiles: each part that is missing, wrong or inconsistent is named.
func TestParseRefusesBrokenFiles(t *testing.T) {
	_, data := testFile(t, "HN-KL-01")
	_, other := testFile(t, "HN-KL-02")
	var good, foreign map[string]any
	json.Unmarshal(data, &good)
	json.Unmarshal(other, &foreign)
	cases := map[string]struct {
		change func(m map[string]any)
		want   string
	}{
		"format":               {func(m map[string]any) { m["Format"] = 2 }, "format 2"},
		"station code":         {func(m map[string]any) { m["Station"] = "hn kl" }, "station"},
		"other station":        {func(m map[string]any) { m["Station"] = "HN-KL-09" }, "names station"},
		"http central":         {func(m map[string]any) { m["Central"] = "http://127.0.0.1:8443" }, "https"},
		"no CA":                {func(m map[string]any) { delete(m, "CA") }, "CA"},
		"foreign CA":           {func(m map[string]any) { m["CA"] = foreign["CA"] }, "not issued by the file's CA"},
		"key of another":       {func(m map[string]any) { m["Key"] = foreign["Key"] }, "certificate and key"},
		"batch key garbage":    {func(m map[string]any) { m["BatchKey"] = "AAAA" }, "batch key"},
		"unknown KEM":          {func(m map[string]any) { m["BatchKEM"] = 0x7777 }, "KEM"},
		"short ack key":        {func(m map[string]any) { m["AckKey"] = "AAAA" }, "acknowledgement key"},
		"TLS cert as endorser": {func(m map[string]any) { m["EndorseCertificate"] = m["Certificate"] }, "endorsement certificate"},
		"foreign endorser":     {func(m map[string]any) { m["EndorseCertificate"] = foreign["EndorseCertificate"] }, "endorsement certificate"},
		"endorse key mismatch": {func(m map[string]any) { m["EndorseKey"] = foreign["EndorseKey"] }, "endorsement certificate and key"},
	}
	for name, c := range cases {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		c.change(m)
		b, _ := json.Marshal(m)
		// The station says ErrProvisionFile in its officer's words; the detail is for the log.
		if _, err := Parse(b); !errors.Is(err, enroll.ErrProvisionFile) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrProvisionFile naming %q", name, err, c.want)
		}
	}
	if _, err := Parse([]byte("not json")); !errors.Is(err, enroll.ErrProvisionFile) || !strings.Contains(err.Error(), "not a provisioning file") {
		t.Errorf("garbage: %v", err)
	}
}

// TestEndorsement: the station's certificate vouches for its signing key; another key, another
// station's name or another CA's certificate does not pass.
func TestEndorsement(t *testing.T) {
	ca, data := testFile(t, "HN-KL-01")
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	key, cert, err := f.Endorser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	e, err := Endorse(cert, key, "HN-KL-01", pub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckEndorsement(e, ca.Pool(), "HN-KL-01", pub, time.Now()); err != nil {
		t.Fatal(err)
	}
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	otherCA, _ := testFile(t, "HN-KL-01")
	for name, check := range map[string]func() error{
		"another signing key": func() error { _, err := CheckEndorsement(e, ca.Pool(), "HN-KL-01", otherPub, time.Now()); return err },
		"another station":     func() error { _, err := CheckEndorsement(e, ca.Pool(), "HN-KL-02", pub, time.Now()); return err },
		"another CA":          func() error { _, err := CheckEndorsement(e, otherCA.Pool(), "HN-KL-01", pub, time.Now()); return err },
		"expired": func() error {
			_, err := CheckEndorsement(e, ca.Pool(), "HN-KL-01", pub, time.Now().AddDate(10, 0, 0))
			return err
		},
		"garbage": func() error {
			_, err := CheckEndorsement([]byte("{"), ca.Pool(), "HN-KL-01", pub, time.Now())
			return err
		},
	} {
		if err := check(); !errors.Is(err, ErrEndorsement) {
			t.Errorf("%s: %v, want ErrEndorsement", name, err)
		}
	}
}

// FuzzParse: any bytes give a file that passed every check, or an error; never a panic.
func FuzzParse(f *testing.F) {
	_, data := testFile(f, "HN-KL-01")
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(`{"Format":1}`))
	f.Add([]byte(`{"Format":1,"Station":"HN-KL-01","Central":"https://x","CA":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			if p != nil {
				t.Fatal("a file with an error")
			}
			return
		}
		if _, err := p.TLSConfig(); err != nil {
			t.Fatalf("accepted a file whose TLS material does not load: %v", err)
		}
	})
}

// FuzzEndorsement: central reads endorsements from batches anyone can send.
func FuzzEndorsement(f *testing.F) {
	ca, data := testFile(f, "HN-KL-01")
	p, _ := Parse(data)
	key, cert, _ := p.Endorser()
	pub := ed25519.PublicKey(make([]byte, ed25519.PublicKeySize))
	e, _ := Endorse(cert, key, "HN-KL-01", pub)
	f.Add(e)
	f.Add([]byte(`{"Certificate":"AAAA","Signature":"AAAA"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := CheckEndorsement(b, ca.Pool(), "HN-KL-01", pub, time.Now()); err != nil && !errors.Is(err, ErrEndorsement) {
			t.Fatalf("error without ErrEndorsement: %v", err)
		}
	})
}
