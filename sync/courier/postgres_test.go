package courier_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/intake"
	"github.com/wardpolice/enroll/sync/intake/pgtest"
	"github.com/wardpolice/enroll/sync/upload"
)

// TestEndToEndPostgres is TestEndToEnd with central on PostgreSQL.
func TestEndToEndPostgres(t *testing.T) {
	records := 200
	if testing.Short() {
		records = 40
	}
	endToEnd(t, pgtest.DSN(t), records)
}

// balancer is a TCP load balancer in front of central instances: each new connection goes to
// the instance currently chosen.
type balancer struct {
	ln     net.Listener
	target atomic.Value // string
	wg     sync.WaitGroup
}

func newBalancer(t *testing.T, addr string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				up, err := net.Dial("tcp", b.target.Load().(string))
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, c)
				io.Copy(c, up)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return b
}

// TestTwoCentralsShareOnePostgres: two central processes share one PostgreSQL database and
// one folder (keys and tus uploads) behind a TCP load balancer. An upload started on the
// first resumes on the second when the first goes away, and every record is stored once.
func TestTwoCentralsShareOnePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	front := freeAddr(t)
	dir := t.TempDir()
	if _, err := intake.Init(dir, intake.Config{Name: "Test central", URL: "https://" + front, Hosts: []string{"127.0.0.1"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	a := startCentral(t, dir, dsn, freeAddr(t))
	b := startCentral(t, dir, dsn, freeAddr(t))
	lb := newBalancer(t, front)
	lb.target.Store(a.addr)

	s := newStation(t, 40, 21)
	s.provision(t, a)
	batch := builtBatch(t, s)
	m := &meteredTransport{}
	m.passed = func(sent int64) {
		if sent >= batch.Size/2 && m.cut.CompareAndSwap(false, true) {
			// Instance a goes away mid-upload; the balancer sends what follows to b.
			lb.target.Store(b.addr)
			go a.stop()
		}
	}
	s.courier.Transport = func(tr *http.Transport) http.RoundTripper {
		tr.DisableKeepAlives = true // every request a new connection, as through most balancers
		m.next = tr
		return m
	}
	for i := 0; ; i++ {
		_, err := s.courier.Pass(ctx, demo.Officer)
		if err == nil {
			break
		}
		if i == 3 {
			t.Fatalf("sync through the second instance: %v", err)
		}
		t.Logf("pass %d: %v", i+1, err)
	}
	if !m.cut.Load() {
		t.Fatal("the first instance never went away")
	}
	if sent := m.sent.Load(); sent > batch.Size+upload.DefaultChunkSize {
		t.Fatalf("sent %d bytes for a %d-byte batch: more than the batch and one chunk", sent, batch.Size)
	} else {
		t.Logf("batch %d bytes, sent %d (%.2f×) across two instances", batch.Size, sent, float64(sent)/float64(batch.Size))
	}
	n, err := b.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Batches != 1 || n.Records[enroll.StatusVerified]+n.Records[enroll.StatusRejected] != 40 {
		t.Fatalf("central holds %d batches, %v; want 1 batch of 40 records", n.Batches, n.Records)
	}
	counts, err := s.st.SyncCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Verified+counts.Returned != 40 {
		t.Fatalf("station: %+v, want all 40 judged", counts)
	}
}
