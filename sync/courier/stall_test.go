package courier_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// stallingProxy forwards connections to central until stall is set; then it stops reading
// and forwarding, holding the connections open, as a line that drops without closing does.
type stallingProxy struct {
	ln     net.Listener
	target string
	stall  atomic.Bool
	// stallAfter stalls the proxy on its own once the station sent this many bytes.
	stallAfter int64
	sent       atomic.Int64
	wg         sync.WaitGroup
}

func newStallingProxy(t *testing.T, target string) *stallingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *stallingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *stallingProxy) forward(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(c, up); done <- struct{}{} }()
	go func() {
		buf := make([]byte, 16<<10)
		for {
			if p.stall.Load() {
				time.Sleep(50 * time.Millisecond) // holds the line: reads nothing, closes nothing
				continue
			}
			n, err := c.Read(buf)
			if n > 0 {
				up.Write(buf[:n])
				if p.stallAfter > 0 && p.sent.Add(int64(n)) > p.stallAfter {
					p.stall.Store(true)
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}()
	<-done
}

// TestStalledLineIsGivenUp: the line to central stalls in the middle of an upload. The pass
// gives up within the idle limit with "central cannot be reached" instead of hanging, nothing
// is lost, and once the line moves again the next pass resumes and completes.
func TestStalledLineIsGivenUp(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStation(t, 12, 31)
	s.provision(t, c)
	proxy := newStallingProxy(t, c.addr)
	s.courier.Idle = 2 * time.Second
	s.courier.Transport = func(tr *http.Transport) http.RoundTripper {
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, proxy.ln.Addr().String())
		}
		return tr
	}
	if _, _, err := s.courier.Build(ctx, s.supervisor); err != nil {
		t.Fatal(err)
	}
	ready, err := s.st.Batches(ctx, enroll.BatchReady)
	if err != nil || len(ready) != 1 {
		t.Fatalf("%d batches: %v", len(ready), err)
	}
	proxy.stallAfter = ready[0].Size / 3

	// Without the idle limit the pass would wait for ever; the deadline only ends the test.
	hang, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	began := time.Now()
	_, err = s.courier.Pass(hang, s.supervisor)
	took := time.Since(began)
	if !errors.Is(err, enroll.ErrCentralUnreachable) || hang.Err() != nil {
		t.Fatalf("a pass over a stalled line: %v after %s", err, took)
	}
	if counts, _ := s.st.SyncCounts(ctx); counts.InBatches != 12 {
		t.Fatalf("after the stall %+v: the records should wait in their batch", counts)
	}

	proxy.stallAfter = 0
	proxy.stall.Store(false)
	r, err := s.courier.Pass(ctx, s.supervisor)
	if err != nil {
		t.Fatalf("the pass once the line moves: %v", err)
	}
	if r.Uploaded != 1 || r.Applied.Verified+r.Applied.Rejected != 12 {
		t.Fatalf("resumed pass %+v: want the batch uploaded and 12 verdicts", r)
	}
	t.Logf("stalled pass gave up after %s", took.Round(time.Millisecond))
}
