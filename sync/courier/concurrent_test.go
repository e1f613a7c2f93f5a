package courier_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/sync/courier"
)

// secondHandle opens the station's database file once more, as a second process does (the
// window's background sync and `station sync` in a terminal), logs its supervisor in, and
// returns a courier of its own on the same outbox.
func secondHandle(t *testing.T, s *stationUnderTest) (*store.Store, *courier.Courier) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(s.dir, "station.db"),
		store.WithPasswordParams(store.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Authenticate(ctx, s.supervisor, password); err != nil {
		t.Fatal(err)
	}
	return st, courier.New(st, filepath.Join(s.dir, "outbox"))
}

// meetAtSeq holds a pass where it numbers its first batch until the other pass gets there
// too, or ends: two passes run side by side exactly at the step where they collided.
type meetAtSeq struct {
	courier.Store
	once      *sync.Once
	here      chan struct{} // closed when this pass numbers a batch
	there     chan struct{} // the other pass's here
	otherDone chan struct{} // closed when the other pass ended
}

func (m meetAtSeq) NextBatchSeq(ctx context.Context) (int64, error) {
	m.once.Do(func() { close(m.here) })
	select {
	case <-m.there:
	case <-m.otherDone:
	}
	return m.Store.NextBatchSeq(ctx)
}

// TestTwoPassesAtOnceOnOneDatabase: two passes on one station database at the same moment
// (two processes). They never run side by side: one syncs, the other says plainly that
// another sync is running (never SQLite's words); every record goes once, in batches numbered
// once each, and the next pass has nothing left to do.
func TestTwoPassesAtOnceOnOneDatabase(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStationCode(t, "HN-KL-02", 10, 91)
	s.provision(t, c)
	_, second := secondHandle(t, s)

	couriers := []*courier.Courier{s.courier, second}
	here := []chan struct{}{make(chan struct{}), make(chan struct{})}
	done := []chan struct{}{make(chan struct{}), make(chan struct{})}
	for i, k := range couriers {
		// A bound that only ends the test should the lock not hold: with it, the pass that
		// waits would otherwise wait for the one that holds the lock, and that one for it.
		k.LockWait = 200 * time.Millisecond
		k.Store = meetAtSeq{Store: k.Store, once: &sync.Once{}, here: here[i], there: here[1-i], otherDone: done[1-i]}
	}
	errs := make([]error, 2)
	reports := make([]courier.Report, 2)
	var wg sync.WaitGroup
	for i, k := range couriers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			reports[i], errs[i] = k.Pass(ctx, s.supervisor)
		}()
	}
	wg.Wait()
	ok, running := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, enroll.ErrSyncRunning) && err.Error() == enroll.ErrSyncRunning.Error():
			running++
		default:
			t.Errorf("pass %d: %v", i+1, err)
		}
	}
	if ok != 1 || running != 1 {
		t.Fatalf("passes: %v; want one to sync and the other to say that a sync is running", errs)
	}
	if packed := reports[0].Packed + reports[1].Packed; packed != 10 {
		t.Fatalf("%d records packed, want each of the 10 once", packed)
	}
	batches, err := s.st.Batches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[int64]bool{}
	for _, b := range batches {
		if seqs[b.Seq] {
			t.Fatalf("two batches numbered %d", b.Seq)
		}
		seqs[b.Seq] = true
	}
	settled(t, c, s, 10)
	if r, err := second.Pass(ctx, s.supervisor); err != nil || r.Built+r.Uploaded != 0 {
		t.Fatalf("a later pass: %+v, %v; want nothing left to do", r, err)
	}
}

// TestPassWaitsForAnotherToFinish: a pass that finds another running on the database waits
// for it, within its bound, and then does its work.
func TestPassWaitsForAnotherToFinish(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStationCode(t, "HN-KL-02", 4, 92)
	s.provision(t, c)
	other, second := secondHandle(t, s)
	release, err := other.SyncLock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	second.LockWait = time.Minute // only a bound: the lock goes long before
	errc := make(chan error, 1)
	go func() {
		_, err := second.Pass(ctx, s.supervisor)
		errc <- err
	}()
	release()
	if err := <-errc; err != nil {
		t.Fatalf("the pass after the other: %v", err)
	}
	settled(t, c, s, 4)
}
