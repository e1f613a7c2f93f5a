package courier_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/sync/intake"
)

// withoutRetryAfter drops central's Retry-After from its answers, as a central of before it
// sent one on a batch it could not store: the station's upload client then retries at once,
// finds every byte at central, and hears nothing of the failure.
type withoutRetryAfter struct{ next http.RoundTripper }

func (w withoutRetryAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(r)
	if resp != nil {
		resp.Header.Del("Retry-After")
	}
	return resp, err
}

// TestCentralThatCannotStoreTheBatchIsNotASuccess: central's disk fills while it stores an
// uploaded batch. The station's pass fails as central being busy (records kept, sent later),
// not as a success that uploaded nothing, so `station sync` exits non-zero and the window says
// so; central's operator reads an error at once naming the station, the batch and the cause.
// Once central has room again, its sweep stores the batch and the next pass settles.
func TestCentralThatCannotStoreTheBatchIsNotASuccess(t *testing.T) {
	for _, c := range []struct {
		name  string
		strip bool
	}{
		{"central answers with Retry-After", false},
		{"central answers without Retry-After", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			var full atomic.Bool
			full.Store(true)
			central, log := loggedCentral(t, "", intake.WithStoreFault(func(station, batch string) error {
				if full.Load() {
					return sqlite3.Error{Code: sqlite3.ErrFull}
				}
				return nil
			}))
			s := newStation(t, 8, 81)
			s.provision(t, central)
			seen := &answers{}
			s.courier.Transport = func(tr *http.Transport) http.RoundTripper {
				seen.next = tr
				if c.strip {
					return withoutRetryAfter{next: seen}
				}
				return seen
			}
			r, err := s.courier.Pass(ctx, s.supervisor)
			if !errors.Is(err, enroll.ErrCentralBusy) {
				t.Fatalf("pass while central's disk is full: %v, report %+v; want ErrCentralBusy", err, r)
			}
			if r.Uploaded != 0 || r.Refused != 0 || r.BytesSent == 0 {
				t.Fatalf("report %+v: the batch was sent, neither uploaded nor refused", r)
			}
			ready, err := s.st.Batches(ctx, enroll.BatchReady)
			if err != nil || len(ready) != 1 {
				t.Fatalf("%d batches ready: %v", len(ready), err)
			}
			if counts, _ := s.st.SyncCounts(ctx); counts.InBatches != 8 {
				t.Fatalf("station %+v: its 8 records should wait in their batch", counts)
			}
			if got := log.lines("ERROR", "station="+s.code, "batch="+ready[0].ID, "database or disk is full"); len(got) != 1 {
				t.Fatalf("central did not log one error naming station, batch and cause:\n%s", log)
			}
			if !c.strip {
				seen.unavailable(t)
			}

			full.Store(false)
			if err := central.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.courier.Pass(ctx, s.supervisor); err != nil {
				t.Fatalf("pass once central stored the batch: %v", err)
			}
			settled(t, central, s, 8)
		})
	}
}
