package intake

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll/sync/provision"
)

// certOf is the station certificate in a provisioning file.
func certOf(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	f, err := provision.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := provision.ParseCertificatePEM([]byte(f.Certificate))
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestTrustTellsRefusalFromTrouble: central refuses a station definitely (ErrStationRefused)
// when it does not know it, removed it or issued it another certificate; when it cannot look
// the station up, the error is its own trouble, not a refusal.
func TestTrustTellsRefusalFromTrouble(t *testing.T) {
	ctx := context.Background()
	c := testCentral(t)
	add := func(code string, reissue bool) *x509.Certificate {
		data, err := c.AddStation(ctx, code, "Phường "+code, reissue)
		if err != nil {
			t.Fatal(err)
		}
		return certOf(t, data)
	}
	current := add("HN-01", false)
	old := add("HN-02", false)
	add("HN-02", true)
	removed := add("HN-03", false)
	if err := c.RemoveStation(ctx, "HN-03"); err != nil {
		t.Fatal(err)
	}
	never, err := c.keys.CA.StationCertificate("HN-09", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, err := c.trust(ctx, current); err != nil || code != "HN-01" {
		t.Fatalf("a trusted station: %q %v", code, err)
	}
	for what, cert := range map[string]*x509.Certificate{"re-issued": old, "removed": removed, "unknown": never.Cert} {
		if _, err := c.trust(ctx, cert); !errors.Is(err, ErrStationRefused) {
			t.Errorf("%s station: %v; want a refusal", what, err)
		}
	}
	c.Close()
	if _, err := c.trust(ctx, current); err == nil || errors.Is(err, ErrStationRefused) {
		t.Fatalf("a lookup with the database gone: %v; want central's trouble, not a refusal", err)
	}
}

// TestDatabaseTroubleAnswersUnavailable: with its database gone, central still completes the
// TLS handshake of a station it issued a certificate to, and answers 503 with a Retry-After
// (not 403, not a TLS alert), without its database's words.
func TestDatabaseTroubleAnswersUnavailable(t *testing.T) {
	u := serveUploads(t)
	st := u.station(t, "HN-01")
	u.c.Close()
	a := st.create(t, "b-1", 100)
	if a.status != http.StatusServiceUnavailable {
		t.Fatalf("upload with central's database gone: %d %s; want 503", a.status, a.body)
	}
	if secs, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || secs <= 30 {
		t.Fatalf("Retry-After %q: want more than the station's in-place retries wait", a.header.Get("Retry-After"))
	}
	if strings.Contains(a.body, "sql") || strings.Contains(a.body, "closed") {
		t.Fatalf("the station reads central's database's words: %q", a.body)
	}
}
