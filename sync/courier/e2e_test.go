package courier_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/courier"
	"github.com/wardpolice/enroll/sync/intake"
	"github.com/wardpolice/enroll/sync/provision"
	"github.com/wardpolice/enroll/sync/register"
	"github.com/wardpolice/enroll/sync/upload"
	"github.com/wardpolice/enroll/sync/wire"
)

// centralUnderTest is a central set up in a temporary folder and serving on loopback.
type centralUnderTest struct {
	*intake.Central
	dir, addr string
	stop      func()
}

// freeAddr finds a loopback port for central's URL, which goes into provisioning files
// before the server starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newCentral(t *testing.T, dsn string, opts ...intake.Option) *centralUnderTest {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	if _, err := intake.Init(dir, intake.Config{Name: "Test central", URL: "https://" + addr,
		Hosts: []string{"127.0.0.1"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return startCentral(t, dir, dsn, addr, opts...)
}

// startCentral opens central's folder and serves it on addr until the test ends or stop.
func startCentral(t *testing.T, dir, dsn, addr string, opts ...intake.Option) *centralUnderTest {
	t.Helper()
	return startCentralLog(t, dir, dsn, addr, io.Discard, opts...)
}

// startCentralLog is startCentral writing central's log for its operator to logOut.
func startCentralLog(t *testing.T, dir, dsn, addr string, logOut io.Writer, opts ...intake.Option) *centralUnderTest {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := intake.Open(ctx, dir, dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Serve(ctx, addr, logOut, time.Hour, func(net.Addr) { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("central did not start: %v", err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			c.Close()
		}
	}
	t.Cleanup(stop)
	return &centralUnderTest{Central: c, dir: dir, addr: addr, stop: stop}
}

// stationUnderTest is a demo station with records, provisioned for a central.
type stationUnderTest struct {
	st       *store.Store
	courier  *courier.Courier
	register []byte // the demo register CSV its records are checked against
	// truth is how each record's register entry differs from it, as the demo made it: whose
	// fingerprints the register holds is not in the CSV in a form a test can read.
	truth      map[string]demo.Discrepancy
	dir        string
	code       string
	supervisor string
}

func newStation(t *testing.T, records int, seed uint64) *stationUnderTest {
	return newStationCode(t, demo.Station, records, seed)
}

// supervisor of the stations newStationCode sets up under a code of their own (the demo
// station's supervisor is demo.Officer).
const (
	supervisor = "truong.tram"
	password   = "mat-khau-2026"
)

// newStationCode makes a station with records: the demo station, or one set up under code
// with supervisor, whose records the demo officer makes.
func newStationCode(t *testing.T, code string, records int, seed uint64) *stationUnderTest {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "station.db"),
		store.WithPasswordParams(store.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	actor := ""
	if code != demo.Station {
		actor = supervisor
		if _, err := st.Init(ctx, enroll.StationSetup{Office: "Công an phường", Code: code,
			Supervisor: enroll.OfficerForm{Username: supervisor, FullName: "Trưởng Trạm", Password: password, Confirm: password}}); err != nil {
			t.Fatal(err)
		}
	}
	var reg bytes.Buffer
	w, err := register.NewWriter(&reg)
	if err != nil {
		t.Fatal(err)
	}
	truth := map[string]demo.Discrepancy{}
	g := demo.Generator{Store: st, Records: records, Seed: seed, Span: 24 * time.Hour, Register: w, Actor: actor,
		Noted: func(e *enroll.Enrollment, d demo.Discrepancy) { truth[e.ID] = d }}
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if actor == "" {
		actor = demo.Officer
	}
	return &stationUnderTest{st: st, courier: courier.New(st, filepath.Join(dir, "outbox")), register: reg.Bytes(), dir: dir,
		code: code, supervisor: actor, truth: truth}
}

func (s *stationUnderTest) provision(t *testing.T, c *centralUnderTest) {
	t.Helper()
	ctx := context.Background()
	data, err := c.AddStation(ctx, s.code, "Công an phường Kim Liên", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := courier.Provision(ctx, s.st, s.supervisor, data); err != nil {
		t.Fatal(err)
	}
	n, err := c.LoadRegister(ctx, bytes.NewReader(s.register))
	if err != nil {
		t.Fatal(err)
	}
	if n.Citizens == 0 || n.Prints == 0 {
		t.Fatalf("register of %d citizens with %d prints", n.Citizens, n.Prints)
	}
}

// file is the provisioning file the station's store holds.
func (s *stationUnderTest) file(t *testing.T) *provision.File {
	t.Helper()
	p, err := s.st.Provisioning(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f, err := provision.Parse(p.File)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// uploads is a tus client of central's that connects with the station certificate in f.
func (c *centralUnderTest) uploads(t *testing.T, f *provision.File) *upload.Client {
	t.Helper()
	conf, err := f.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return &upload.Client{HTTP: &http.Client{Transport: &http.Transport{TLSClientConfig: conf}}, Endpoint: "https://" + c.addr + wire.UploadPath}
}

// expected works out, from the station's records and the register CSV alone, which records
// central must verify and which it must reject and why.
func (s *stationUnderTest) expected(t *testing.T) (verified int, rejected map[string]string) {
	t.Helper()
	ctx := context.Background()
	byID := map[enroll.PersonalID]enroll.RegisterEntry{}
	if err := register.Read(bytes.NewReader(s.register), func(e register.Entry) error {
		byID[e.PersonalID] = e.RegisterEntry
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.st.List(ctx, store.Filter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	rejected = map[string]string{}
	for _, r := range rows {
		e, err := s.st.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		entry, ok := byID[e.Citizen.PersonalID]
		switch {
		case !ok:
			rejected[r.ID] = enroll.ReasonNotInRegister
		case !strings.EqualFold(entry.FullName, e.Citizen.FullName):
			rejected[r.ID] = enroll.ReasonNameMismatch
		case entry.DateOfBirth != e.Citizen.DateOfBirth:
			rejected[r.ID] = enroll.ReasonDOBMismatch
		case entry.Gender != e.Citizen.Gender:
			rejected[r.ID] = enroll.ReasonGenderMismatch
		case s.truth[r.ID] == demo.RegisterOtherFingers:
			rejected[r.ID] = enroll.ReasonFingerMismatch
		default:
			verified++
		}
	}
	return verified, rejected
}

// TestEndToEnd: a demo station's records go to central in batches over mutual TLS, central
// verifies them against the register, and the verdicts come back: verified records are handed
// to retention, rejected ones are back in the officer's drafts with central's reason.
func TestEndToEnd(t *testing.T) {
	records := 500
	if testing.Short() {
		records = 60
	}
	endToEnd(t, "", records)
}

func endToEnd(t *testing.T, dsn string, records int) {
	ctx := context.Background()
	c := newCentral(t, dsn)
	s := newStation(t, records, 42)
	s.provision(t, c)
	wantVerified, wantRejected := s.expected(t)
	if len(wantRejected) == 0 || wantVerified == 0 {
		t.Fatalf("the demo register should verify some records and reject others: %d verified, %d rejected", wantVerified, len(wantRejected))
	}

	r, err := s.courier.Pass(ctx, demo.Officer)
	if err != nil {
		t.Fatalf("sync: %v (%+v)", err, r)
	}
	if r.Packed != records || r.Uploaded != r.Built || r.Refused != 0 {
		t.Fatalf("sync report %+v: want %d records packed, every batch uploaded", r, records)
	}
	n, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Records[enroll.StatusVerified] + n.Records[enroll.StatusRejected]; got != records || n.Records[enroll.StatusReceived] != 0 {
		t.Fatalf("central holds %v, want %d records all decided", n.Records, records)
	}
	if n.Records[enroll.StatusVerified] != wantVerified || n.Records[enroll.StatusRejected] != len(wantRejected) {
		t.Fatalf("central: %d verified, %d rejected; want %d and %d", n.Records[enroll.StatusVerified],
			n.Records[enroll.StatusRejected], wantVerified, len(wantRejected))
	}
	if r.Applied.Verified != wantVerified || r.Applied.Rejected != len(wantRejected) {
		t.Fatalf("station applied %+v, want %d verified, %d rejected", r.Applied, wantVerified, len(wantRejected))
	}

	counts, err := s.st.SyncCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Verified != wantVerified || counts.Returned != len(wantRejected) || counts.Waiting+counts.InBatches+counts.AtCentral != 0 {
		t.Fatalf("station counts %+v, want %d verified, %d returned, none waiting", counts, wantVerified, len(wantRejected))
	}
	drafts, err := s.st.Drafts(ctx, demo.Officer)
	if err != nil {
		t.Fatal(err)
	}
	if len(drafts) != len(wantRejected) {
		t.Fatalf("%d drafts, want the %d rejected records back", len(drafts), len(wantRejected))
	}
	for _, d := range drafts {
		if d.Returned.Code != wantRejected[d.ID] {
			t.Errorf("draft %s returned with %q, want %q", d.ID, d.Returned.Code, wantRejected[d.ID])
		}
		e, err := s.st.Get(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Returned.Code != wantRejected[d.ID] || e.Portrait == nil || len(e.Fingers)+len(e.Exceptions) == 0 {
			t.Errorf("record %s read back without its reason or captures: %+v", d.ID, e.Returned)
		}
	}
	// Verified records are delivered: the retention clock runs.
	list, err := s.st.List(ctx, store.Filter{Status: enroll.StatusVerified, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != wantVerified {
		t.Fatalf("%d verified on the station, want %d", len(list), wantVerified)
	}

	// A second pass sends nothing and changes nothing.
	again, err := s.courier.Pass(ctx, demo.Officer)
	if err != nil {
		t.Fatal(err)
	}
	if again.Built != 0 || again.Uploaded != 0 || again.BytesSent != 0 {
		t.Fatalf("second pass did work: %+v", again)
	}
	if n2, _ := c.Count(ctx); fmt.Sprint(n2.Records) != fmt.Sprint(n.Records) || n2.Batches != n.Batches {
		t.Fatalf("second pass changed central: %v → %v", n.Records, n2.Records)
	}
	if entries, _ := os.ReadDir(s.courier.Outbox); len(entries) != 0 {
		t.Errorf("outbox still holds %d files after central took every batch", len(entries))
	}
}
