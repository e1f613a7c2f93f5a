package courier_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/sync/intake"
)

// lostAlert is the line between station and central losing central's TLS alert on the way,
// as the operator's trial saw: under TLS 1.3 central judges the station's certificate after
// the station has sent its request, and closing a connection with a request it never read
// resets it, which can overtake the alert; or the alert ends HTTP/2's connection before the
// request is on it, and HTTP/2 reports only that the connection "could not be established".
// The request reaches the real central; when central's answer was an alert, the station gets
// what those lines report instead.
type lostAlert struct {
	next http.RoundTripper
	as   error
}

func (l lostAlert) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil && strings.Contains(err.Error(), "remote error: tls:") {
		return nil, l.as
	}
	return resp, err
}

// What the station's HTTP client reported in the trial instead of central's alert.
var (
	http2NotEstablished = errors.New("http2: client conn could not be established")
	connectionReset     = &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
)

// TestRefusedStationIsToldToProvisionAgain: a station central removed, re-issued, or never
// knew hears that a supervisor must provision it again, whether central's TLS alert reaches
// it or the line loses the alert (connection reset, HTTP/2 "could not be established"); its
// records stay on the station.
func TestRefusedStationIsToldToProvisionAgain(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		refuse func(t *testing.T, c *centralUnderTest, s *stationUnderTest)
		lost   error // what the line reports instead of the alert; nil: the alert arrives
	}{
		{"removed", removeStation, nil},
		{"removed, alert lost to HTTP/2", removeStation, http2NotEstablished},
		{"removed, alert lost to a reset", removeStation, connectionReset},
		{"re-issued, alert lost to HTTP/2", reissueStation, http2NotEstablished},
		{"unknown to this central, alert lost to a reset", forgetStation, connectionReset},
		{"unknown to this central, alert lost to HTTP/2", forgetStation, http2NotEstablished},
	} {
		t.Run(c.name, func(t *testing.T) {
			central, s := provisioned(t, 3, 73)
			c.refuse(t, central, s)
			if c.lost != nil {
				s.courier.Transport = func(tr *http.Transport) http.RoundTripper { return lostAlert{next: tr, as: c.lost} }
			}
			r, err := s.courier.Pass(ctx, s.supervisor)
			if !errors.Is(err, enroll.ErrCentralRefusedStation) {
				t.Fatalf("pass of a station central refuses: %v; want ErrCentralRefusedStation", err)
			}
			if r.Uploaded != 0 || r.Refused != 0 {
				t.Fatalf("report %+v: nothing should be uploaded or refused", r)
			}
			keptOnStation(t, s, 3)
			if last := s.courier.State().LastError; !errors.Is(last, enroll.ErrCentralRefusedStation) {
				t.Fatalf("the error shown: %v", last)
			}
			t.Logf("%v", err)
		})
	}
}

func removeStation(t *testing.T, c *centralUnderTest, s *stationUnderTest) {
	t.Helper()
	if err := c.RemoveStation(context.Background(), s.code); err != nil {
		t.Fatal(err)
	}
}

func reissueStation(t *testing.T, c *centralUnderTest, s *stationUnderTest) {
	t.Helper()
	if _, err := c.AddStation(context.Background(), s.code, "Công an phường Kim Liên", true); err != nil {
		t.Fatal(err)
	}
}

// forgetStation restarts central on the same folder (its CA, its address) with a database
// that never heard of the station: a central set up again, or the wrong database.
func forgetStation(t *testing.T, c *centralUnderTest, s *stationUnderTest) {
	t.Helper()
	c.stop()
	startCentral(t, c.dir, filepath.Join(t.TempDir(), "other.db"), c.addr)
}

// TestResetLineIsNotARefusal: a station central accepts, whose connections are cut, hears
// that central cannot be reached (records kept), not that it must be provisioned again:
// asked again, central accepts its certificate.
func TestResetLineIsNotARefusal(t *testing.T) {
	ctx := context.Background()
	_, s := provisioned(t, 3, 74)
	for _, lost := range []error{connectionReset, http2NotEstablished} {
		s.courier.Transport = func(tr *http.Transport) http.RoundTripper { return cutLine{as: lost} }
		_, err := s.courier.Pass(ctx, s.supervisor)
		if !errors.Is(err, enroll.ErrCentralUnreachable) || errors.Is(err, enroll.ErrCentralRefusedStation) {
			t.Fatalf("pass over a line that resets: %v; want ErrCentralUnreachable", err)
		}
	}
	keptOnStation(t, s, 3)
}

// cutLine fails every request as a line that resets does, before it reaches central.
type cutLine struct{ as error }

func (c cutLine) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, c.as
}

// TestAnotherCentralAtTheAddress: the server at the station's central address shows a
// certificate of another central (the provisioning file is for another central, or the
// address now leads elsewhere). The station says so, distinctly: not "cannot be reached",
// which would have the officer wait for nothing; nothing is sent.
func TestAnotherCentralAtTheAddress(t *testing.T) {
	ctx := context.Background()
	ours, s := provisioned(t, 3, 75)
	ours.stop()
	dir := t.TempDir()
	if _, err := intake.Init(dir, intake.Config{Name: "Another central", URL: "https://" + ours.addr,
		Hosts: []string{"127.0.0.1"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	startCentral(t, dir, "", ours.addr)
	r, err := s.courier.Pass(ctx, s.supervisor)
	if !errors.Is(err, enroll.ErrWrongCentral) || errors.Is(err, enroll.ErrCentralUnreachable) {
		t.Fatalf("pass against another central: %v; want ErrWrongCentral", err)
	}
	if r.Uploaded != 0 || r.BytesSent != 0 {
		t.Fatalf("report %+v: nothing may go to another central", r)
	}
	keptOnStation(t, s, 3)
	t.Logf("%v", err)
}
