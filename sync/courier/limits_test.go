package courier_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/batch"
	"github.com/wardpolice/enroll/sync/courier"
	"github.com/wardpolice/enroll/sync/intake"
	"github.com/wardpolice/enroll/sync/upload"
	"github.com/wardpolice/enroll/sync/wire"
)

// stationDB opens the station's database file beside its store, as a restore or an older
// version of the program would find it.
func stationDB(t *testing.T, s *stationUnderTest) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(s.dir, "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// provisioned is a central and a station with records provisioned for it.
func provisioned(t *testing.T, records int, seed uint64, opts ...intake.Option) (*centralUnderTest, *stationUnderTest) {
	t.Helper()
	c := newCentral(t, "", opts...)
	s := newStation(t, records, seed)
	s.provision(t, c)
	return c, s
}

// settled checks that central holds one batch with the station's n records decided, and that
// the station waits for nothing.
func settled(t *testing.T, c *centralUnderTest, s *stationUnderTest, n int) {
	t.Helper()
	ctx := context.Background()
	got, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Records[enroll.StatusVerified]+got.Records[enroll.StatusRejected] != n {
		t.Fatalf("central decided %v, want %d records", got.Records, n)
	}
	counts, err := s.st.SyncCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Waiting+counts.InBatches+counts.AtCentral != 0 || counts.Verified+counts.Returned != n {
		t.Fatalf("station: %+v, want its %d records decided", counts, n)
	}
}

// TestOverQuotaStationBacksOff: central answers 429 to a station that holds as many
// unfinished uploads as it may. The pass fails as central being busy (ErrCentralBusy, which
// the officer reads as "nothing needs doing"), not as a refusal: the
// batch stays ready with its file and records, the courier backs off, and once central has
// cleared the uploads nobody sent to, the next pass sends the batch.
func TestOverQuotaStationBacksOff(t *testing.T) {
	ctx := context.Background()
	var later atomic.Int64
	c, s := provisioned(t, 10, 41, intake.WithClock(func() time.Time { return time.Now().Add(time.Duration(later.Load())) }))
	// Uploads left behind, as a station restored from an older backup leaves them.
	client := c.uploads(t, s.file(t))
	for i := range intake.MaxOpenUploads {
		if _, err := client.Create(ctx, 1000, map[string]string{wire.MetaBatch: fmt.Sprintf("left-%d", i), wire.MetaStation: s.code}); err != nil {
			t.Fatal(err)
		}
	}

	r, err := s.courier.Pass(ctx, demo.Officer)
	var refused *upload.Refused
	if !errors.Is(err, enroll.ErrCentralBusy) || !strings.Contains(err.Error(), "429") || errors.As(err, &refused) {
		t.Fatalf("pass over the quota: %v, want central busy (its 429)", err)
	}
	if s.courier.State().LastError == nil || r.Pending != 1 || r.Refused != 0 {
		t.Fatalf("state %+v, report %+v: want the batch pending and the error shown", s.courier.State(), r)
	}
	ready, err := s.st.Batches(ctx, enroll.BatchReady)
	if err != nil || len(ready) != 1 {
		t.Fatalf("ready batches %v %v", ready, err)
	}
	if _, err := os.Stat(ready[0].File); err != nil {
		t.Fatalf("the batch file: %v", err)
	}
	if counts, _ := s.st.SyncCounts(ctx); counts.InBatches != 10 {
		t.Fatalf("station %+v, want its 10 records in the waiting batch", counts)
	}

	later.Store(int64(intake.UploadRetention + time.Hour))
	if err := c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	later.Store(0)
	if _, err := s.courier.Pass(ctx, demo.Officer); err != nil {
		t.Fatal(err)
	}
	settled(t, c, s, 10)
}

// inflated is a station store whose records carry a portrait of the given bytes: records as
// large as the batch format allows, without storing them.
type inflated struct {
	courier.Store
	portrait []byte
}

func (s inflated) Get(ctx context.Context, id string) (*enroll.Enrollment, error) {
	e, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	p := enroll.Portrait{}
	if e.Portrait != nil {
		p = *e.Portrait
	}
	p.JPEG = s.portrait
	e.Portrait = &p
	return e, nil
}

// TestBatchesStayWithinMaxSize: however large its records, the station packs them into batch
// files of at most batch.MaxSize bytes, the size central accepts, and leaves none behind.
func TestBatchesStayWithinMaxSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 320 MB of batches")
	}
	ctx := context.Background()
	_, s := provisioned(t, 5, 43)
	s.courier.Store = inflated{Store: s.st, portrait: make([]byte, batch.MaxRecordSize-1<<20)}
	built, packed, err := s.courier.Build(ctx, demo.Officer)
	if err != nil {
		t.Fatal(err)
	}
	if packed != 5 || built < 2 {
		t.Fatalf("built %d batches of %d records; 5 records of 63 MiB need two", built, packed)
	}
	ready, err := s.st.Batches(ctx, enroll.BatchReady)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range ready {
		st, err := os.Stat(b.File)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != b.Size || b.Size > batch.MaxSize {
			t.Fatalf("batch %d: file %d bytes, recorded %d, bound %d", b.Seq, st.Size(), b.Size, batch.MaxSize)
		}
		t.Logf("batch %d: %d bytes (bound %d)", b.Seq, b.Size, batch.MaxSize)
	}
	if counts, _ := s.st.SyncCounts(ctx); counts.Waiting != 0 || counts.InBatches != 5 {
		t.Fatalf("station %+v, want its 5 records in batches", counts)
	}
}

// TestOversizedBatchIsPackedAgain: a batch an earlier version built over batch.MaxSize is
// refused by central at creation (413) before a byte is sent; its records go back and are
// packed again into batches central takes, in the same pass.
func TestOversizedBatchIsPackedAgain(t *testing.T) {
	ctx := context.Background()
	c, s := provisioned(t, 10, 47)
	b := builtBatch(t, s)
	oversize(t, s, b)
	r, err := s.courier.Pass(ctx, demo.Officer)
	if err != nil {
		t.Fatal(err)
	}
	if r.Refused != 1 || len(r.Refusals) != 1 || !strings.Contains(r.Refusals[0], "packed again") || r.Uploaded != 1 {
		t.Fatalf("report %+v: want the old batch refused and its records sent in a new one", r)
	}
	if r.BytesSent >= 2*b.Size { // the new batch carries the same records: about b.Size
		t.Fatalf("sent %d bytes for records of a %d-byte batch: bytes of the oversized file went out", r.BytesSent, b.Size)
	}
	if _, err := os.Stat(b.File); !os.IsNotExist(err) {
		t.Fatalf("the oversized batch's file: %v", err)
	}
	settled(t, c, s, 10)
}

// oversize makes the station's batch b one byte over the bound, as a batch built before it.
func oversize(t *testing.T, s *stationUnderTest, b enroll.Batch) {
	t.Helper()
	if err := os.Truncate(b.File, batch.MaxSize+1); err != nil { // sparse: no disk for the test
		t.Fatal(err)
	}
	if _, err := stationDB(t, s).Exec(`UPDATE batches SET size = ? WHERE id = ?`, batch.MaxSize+1, b.ID); err != nil {
		t.Fatal(err)
	}
}

// TestOversizedBatchCentralHasIsADuplicate: an oversized batch (built before the bound) that
// central already has, from removable media, is answered as a duplicate, not refused for its
// size: its records are not packed and sent again.
func TestOversizedBatchCentralHasIsADuplicate(t *testing.T) {
	ctx := context.Background()
	c, s := provisioned(t, 10, 59)
	b := builtBatch(t, s)
	if _, err := c.Ingest(ctx, b.File, intake.From{Source: intake.SourceImport}); err != nil {
		t.Fatal(err)
	}
	oversize(t, s, b)
	r, err := s.courier.Pass(ctx, demo.Officer)
	if err != nil {
		t.Fatal(err)
	}
	if r.Refused != 0 || r.Built != 0 || r.BytesSent != 0 {
		t.Fatalf("report %+v: want the batch taken as central's already, nothing built or sent again", r)
	}
	settled(t, c, s, 10)
}

// statusCounter records the record ids of every status request the station sends.
type statusCounter struct {
	next http.RoundTripper
	mu   sync.Mutex
	asks []int
}

func (s *statusCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == wire.StatusPath {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		var req wire.StatusRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.asks = append(s.asks, len(req.Records))
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return s.next.RoundTrip(r)
}

// TestStatusAskedInParts: a station waiting for more verdicts than central answers at once
// (wire.MaxStatusRecords) asks in several requests, none of which central refuses.
func TestStatusAskedInParts(t *testing.T) {
	ctx := context.Background()
	_, s := provisioned(t, 10, 53)
	// Records the station sent long ago and still waits on: copies of one of its rows.
	db := stationDB(t, s)
	rows, err := db.Query(`SELECT name FROM pragma_table_info('enrollments')`)
	if err != nil {
		t.Fatal(err)
	}
	var cols, vals []string
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, col)
		switch col {
		case "id":
			vals = append(vals, "?")
		case "status":
			vals = append(vals, "'"+string(enroll.StatusUploaded)+"'")
		default:
			vals = append(vals, col)
		}
	}
	rows.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	copyRow := `INSERT INTO enrollments (` + strings.Join(cols, ", ") + `) SELECT ` + strings.Join(vals, ", ") +
		` FROM enrollments WHERE id = (SELECT min(id) FROM enrollments WHERE status = 'complete')`
	const waiting = wire.MaxStatusRecords + 5
	for range waiting {
		if _, err := tx.Exec(copyRow, uuid.NewString()); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	sc := &statusCounter{}
	s.courier.Transport = func(t *http.Transport) http.RoundTripper { sc.next = t; return sc }
	if _, err := s.courier.Pass(ctx, demo.Officer); err != nil {
		t.Fatal(err)
	}
	asked := 0
	for _, n := range sc.asks {
		if n > wire.MaxStatusRecords {
			t.Fatalf("asked about %d records at once: %v", n, sc.asks)
		}
		asked += n
	}
	if len(sc.asks) != 2 || asked != waiting+10 {
		t.Fatalf("status requests of %v record ids, want the %d records waiting in two", sc.asks, waiting+10)
	}
	counts, err := s.st.SyncCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Verified+counts.Returned != 10 || counts.AtCentral != waiting {
		t.Fatalf("station %+v: want its 10 sent records decided and the %d copies still waiting", counts, waiting)
	}
}

// busyCentral answers 503 to the requests it is told to, as a central under maintenance or
// overloaded would; the rest reach central.
type busyCentral struct {
	next http.RoundTripper
	busy func(*http.Request) bool
}

func (b *busyCentral) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.busy(r) {
		if r.Body != nil {
			r.Body.Close()
		}
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: io.NopCloser(strings.NewReader("central is restarting")), Request: r}, nil
	}
	return b.next.RoundTrip(r)
}

// TestCentralBusyIsSaidInWords: whether central is busy when the station uploads or when it
// asks for verdicts, the pass fails as ErrCentralBusy (the officer reads that the records
// wait safely and go by themselves), nothing is refused or lost, and the next pass settles.
func TestCentralBusyIsSaidInWords(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		busy func(*http.Request) bool
	}{
		{"upload", func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, wire.UploadPath) }},
		{"status", func(r *http.Request) bool { return r.URL.Path == wire.StatusPath }},
	} {
		t.Run(c.name, func(t *testing.T) {
			central, s := provisioned(t, 10, 61)
			s.courier.Transport = func(t *http.Transport) http.RoundTripper { return &busyCentral{next: t, busy: c.busy} }
			r, err := s.courier.Pass(ctx, demo.Officer)
			if !errors.Is(err, enroll.ErrCentralBusy) || r.Refused != 0 {
				t.Fatalf("pass while central is busy: %v, report %+v; want ErrCentralBusy and nothing refused", err, r)
			}
			if last := s.courier.State().LastError; !errors.Is(last, enroll.ErrCentralBusy) {
				t.Fatalf("the error shown: %v", last)
			}
			s.courier.Transport = nil
			if _, err := s.courier.Pass(ctx, demo.Officer); err != nil {
				t.Fatal(err)
			}
			settled(t, central, s, 10)
		})
	}
}
