package courier_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/upload"
)

// meteredTransport counts the upload bytes that leave the station (PATCH bodies) and can cut
// the connection once they pass a mark, or tell the test they did.
type meteredTransport struct {
	next   http.RoundTripper
	sent   atomic.Int64
	cutAt  int64       // cut the body once sent passes it (0: never); only once
	cut    atomic.Bool // the cut happened
	passed func(int64) // called with the count after each body read
}

func (m *meteredTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPatch && r.Body != nil {
		r.Body = &meteredBody{ReadCloser: r.Body, m: m}
	}
	return m.next.RoundTrip(r)
}

type meteredBody struct {
	io.ReadCloser
	m *meteredTransport
}

var errCut = errors.New("test: connection dropped")

func (b *meteredBody) Read(p []byte) (int, error) {
	if b.m.cutAt > 0 && b.m.sent.Load() >= b.m.cutAt && b.m.cut.CompareAndSwap(false, true) {
		return 0, errCut
	}
	n, err := b.ReadCloser.Read(p)
	total := b.m.sent.Add(int64(n))
	if b.m.passed != nil {
		b.m.passed(total)
	}
	return n, err
}

// TestUploadCutAtHalfResumes: the connection drops half way through a batch; the upload
// resumes from central's offset, sends at most one chunk twice, and central stores the batch
// once.
func TestUploadCutAtHalfResumes(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStation(t, 40, 11)
	s.provision(t, c)
	b := builtBatch(t, s)
	m := &meteredTransport{cutAt: b.Size / 2}
	s.courier.Transport = func(t *http.Transport) http.RoundTripper { m.next = t; return m }
	r, err := s.courier.Pass(ctx, demo.Officer)
	if err != nil {
		// The client's own retries may give up while the link is "down"; the next pass resumes.
		t.Logf("first pass: %v", err)
		if r, err = s.courier.Pass(ctx, demo.Officer); err != nil {
			t.Fatal(err)
		}
	}
	if !m.cut.Load() {
		t.Fatal("the connection was never cut")
	}
	if sent := m.sent.Load(); sent > b.Size+upload.DefaultChunkSize {
		t.Fatalf("sent %d bytes for a %d-byte batch: more than the batch and one %d-byte chunk", sent, b.Size, upload.DefaultChunkSize)
	} else {
		t.Logf("batch %d bytes, sent %d (%.2f×)", b.Size, sent, float64(sent)/float64(b.Size))
	}
	n, err := c.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Batches != 1 || n.Records[enroll.StatusVerified]+n.Records[enroll.StatusRejected] != 40 {
		t.Fatalf("central holds %d batches, %v; want 1 batch of 40 records", n.Batches, n.Records)
	}
	if counts, _ := s.st.SyncCounts(ctx); counts.AtCentral+counts.InBatches+counts.Waiting != 0 {
		t.Fatalf("station still waiting: %+v (report %+v)", counts, r)
	}
}

// TestCentralKilledMidUploadResumes: central (a real process) is killed with SIGKILL while a
// batch is half uploaded and started again; the station's next pass resumes from the offset
// central kept and the batch is stored once.
func TestCentralKilledMidUploadResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the central binary")
	}
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "central")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/central").CombinedOutput(); err != nil {
		t.Fatalf("build central: %v\n%s", err, out)
	}
	c := newCentral(t, "")
	s := newStation(t, 40, 12)
	s.provision(t, c)
	c.stop() // the in-process server gives way to the real one
	b := builtBatch(t, s)

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--dir", c.dir, "--listen", c.addr)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line := make([]byte, 256)
		n, _ := stdout.Read(line) // "central serving stations on …"
		if !strings.Contains(string(line[:n]), "serving") {
			cmd.Process.Kill()
			t.Fatalf("central did not start: %q", line[:n])
		}
		go io.Copy(io.Discard, stdout)
		return cmd
	}
	// The first central is killed from inside the upload, once half the batch has gone.
	var victim atomic.Pointer[exec.Cmd]
	victim.Store(start())
	killed := make(chan struct{})
	m := &meteredTransport{}
	m.passed = func(sent int64) {
		if sent >= b.Size/2 {
			if p := victim.Swap(nil); p != nil {
				p.Process.Signal(os.Kill)
				p.Wait()
				close(killed)
			}
		}
	}
	s.courier.Transport = func(t *http.Transport) http.RoundTripper { m.next = t; return m }
	if _, err := s.courier.Pass(ctx, demo.Officer); err == nil {
		t.Fatal("the pass succeeded although central was killed mid-upload")
	} else {
		t.Logf("pass with central killed: %v", err)
	}
	<-killed
	firstSent := m.sent.Load()
	proc := start()
	defer func() {
		proc.Process.Kill()
		proc.Wait()
	}()
	if _, err := s.courier.Pass(ctx, demo.Officer); err != nil {
		t.Fatal(err)
	}
	if sent := m.sent.Load(); sent > b.Size+upload.DefaultChunkSize {
		t.Fatalf("sent %d bytes (%d before the kill) for a %d-byte batch: more than the batch and one chunk", sent, firstSent, b.Size)
	} else {
		t.Logf("batch %d bytes: %d sent before the kill, %d in all (%.2f×)", b.Size, firstSent, sent, float64(sent)/float64(b.Size))
	}
	counts, err := s.st.SyncCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Verified+counts.Returned != 40 {
		t.Fatalf("station: %+v, want all 40 judged", counts)
	}
	proc.Process.Kill()
	proc.Wait()
	check := startCentral(t, c.dir, "", freeAddr(t))
	n, err := check.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Batches != 1 || n.Records[enroll.StatusVerified]+n.Records[enroll.StatusRejected] != 40 {
		t.Fatalf("central holds %d batches, %v; want 1 batch of 40 records", n.Batches, n.Records)
	}
}
