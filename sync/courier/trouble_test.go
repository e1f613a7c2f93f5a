package courier_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/intake"
	"github.com/wardpolice/enroll/sync/intake/pgtest"
	"github.com/wardpolice/enroll/sync/wire"
)

// centralLog is central's log for its operator, as a test reads it while central writes.
type centralLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *centralLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *centralLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines returns the log lines at level (slog's text: level=ERROR) holding every one of words.
func (l *centralLog) lines(level string, words ...string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if !strings.Contains(line, " level="+level+" ") {
			continue
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

// loggedCentral is newCentral with its log kept for the test.
func loggedCentral(t *testing.T, dsn string, opts ...intake.Option) (*centralUnderTest, *centralLog) {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	if _, err := intake.Init(dir, intake.Config{Name: "Test central", URL: "https://" + addr,
		Hosts: []string{"127.0.0.1"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	log := &centralLog{}
	return startCentralLog(t, dir, dsn, addr, log, opts...), log
}

// answers records central's answers to the station: request method and status, and the
// Retry-After that came with them.
type answers struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []answerSeen
}

type answerSeen struct {
	method, path string
	status       int
	retryAfter   string
}

func (a *answers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if resp != nil {
		a.mu.Lock()
		a.seen = append(a.seen, answerSeen{r.Method, r.URL.Path, resp.StatusCode, resp.Header.Get("Retry-After")})
		a.mu.Unlock()
	}
	return resp, err
}

// unavailable checks that central answered an upload request 503 with a Retry-After longer
// than the upload client's in-place retries wait (30 s), and that the station sent nothing
// more of that upload: the answer went to its courier at once.
func (a *answers) unavailable(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, s := range a.seen {
		if s.status != http.StatusServiceUnavailable || !strings.HasPrefix(s.path, wire.UploadPath) {
			continue
		}
		if secs, err := strconv.Atoi(s.retryAfter); err != nil || secs <= 30 {
			t.Fatalf("central's 503 to %s has Retry-After %q; want more than the 30 s the station retries in place", s.method, s.retryAfter)
		}
		for _, later := range a.seen[i+1:] {
			if strings.HasPrefix(later.path, wire.UploadPath) {
				t.Fatalf("the station retried its upload in place after central's 503: %+v", a.seen)
			}
		}
		return
	}
	t.Fatalf("central never answered an upload 503: %+v", a.seen)
}

// keptOnStation checks that none of the station's n records went anywhere: they wait in a
// batch or for one.
func keptOnStation(t *testing.T, s *stationUnderTest, n int) {
	t.Helper()
	counts, err := s.st.SyncCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts.Waiting+counts.InBatches != n || counts.AtCentral+counts.Verified+counts.Returned != 0 {
		t.Fatalf("station %+v: want its %d records kept, waiting to be sent", counts, n)
	}
}

// TestCentralDatabaseDownIsNotARefusal: central's database stops answering while central
// serves. The station is told central is busy (its records kept, sent later), never that it
// must be provisioned again; central's operator reads an error naming the station and the
// database's trouble; once central has its database back, the next pass sends everything.
func TestCentralDatabaseDownIsNotARefusal(t *testing.T) {
	ctx := context.Background()
	c, log := loggedCentral(t, "")
	s := newStation(t, 6, 71)
	s.provision(t, c)

	// The database goes away under the running server (the handle closed is what a SQLite
	// file gone or a lost PostgreSQL leaves: every query fails).
	c.Central.Close()
	seen := &answers{}
	s.courier.Transport = func(tr *http.Transport) http.RoundTripper { seen.next = tr; return seen }
	r, err := s.courier.Pass(ctx, demo.Officer)
	if errors.Is(err, enroll.ErrCentralRefusedStation) || !errors.Is(err, enroll.ErrCentralBusy) {
		t.Fatalf("pass while central's database is down: %v; want ErrCentralBusy, not a refusal", err)
	}
	if r.Uploaded != 0 || r.Refused != 0 {
		t.Fatalf("report %+v: nothing should be uploaded or refused", r)
	}
	keptOnStation(t, s, 6)
	seen.unavailable(t)
	if got := log.lines("ERROR", "station="+s.code, "database is closed"); len(got) == 0 {
		t.Fatalf("central logged no error naming station %s and its database's trouble:\n%s", s.code, log)
	}
	s.courier.Transport = nil

	// Central restarts with its database: the same station, unchanged, goes through.
	c.stop()
	back := startCentral(t, c.dir, "", c.addr)
	if _, err := s.courier.Pass(ctx, demo.Officer); err != nil {
		t.Fatalf("pass once central has its database again: %v", err)
	}
	settled(t, back, s, 6)
}

// pgProxy stands between central and PostgreSQL: cut is PostgreSQL stopping (its
// connections drop, new ones are refused), resume is it starting again on the same address.
type pgProxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	p := &pgProxy{t: t, addr: "127.0.0.1:0", target: target}
	p.resume()
	t.Cleanup(p.cut)
	return p
}

func (p *pgProxy) resume() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { copyClose(up, c) }()
			go func() { copyClose(c, up) }()
		}
	}()
}

func copyClose(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestCentralPostgresDownIsNotARefusal is the operator's trial: PostgreSQL stops while
// `central serve` runs. The station hears that central is busy, not that it must be
// provisioned again; central logs an error naming the station; when PostgreSQL is back the
// station's records go through.
func TestCentralPostgresDownIsNotARefusal(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newPGProxy(t, u.Host)
	u.Host = proxy.addr
	c, log := loggedCentral(t, u.String())
	s := newStation(t, 5, 72)
	s.provision(t, c)

	proxy.cut()
	r, err := s.courier.Pass(ctx, demo.Officer)
	if errors.Is(err, enroll.ErrCentralRefusedStation) || !errors.Is(err, enroll.ErrCentralBusy) {
		t.Fatalf("pass while PostgreSQL is down: %v; want ErrCentralBusy, not a refusal", err)
	}
	if r.Uploaded != 0 || r.Refused != 0 {
		t.Fatalf("report %+v: nothing should be uploaded or refused", r)
	}
	keptOnStation(t, s, 5)
	if got := log.lines("ERROR", "station="+s.code, "look up station"); len(got) == 0 {
		t.Fatalf("central logged no error naming station %s and its database's trouble:\n%s", s.code, log)
	}
	t.Logf("central's log: %s", log.lines("ERROR")[0])

	proxy.resume()
	if _, err := s.courier.Pass(ctx, demo.Officer); err != nil {
		t.Fatalf("pass once PostgreSQL is back: %v", err)
	}
	settled(t, c, s, 5)
}
