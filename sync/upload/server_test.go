package upload

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tus/tusd/v2/pkg/filelocker"
	"github.com/tus/tusd/v2/pkg/filestore"
	"github.com/tus/tusd/v2/pkg/handler"
	xslog "golang.org/x/exp/slog"
)

const basePath = "/v1/uploads/"

// pki is a throw-away CA with one server and one station certificate, so the
// tests run over mutual TLS like the real link to central.
type pki struct {
	pool   *x509.CertPool
	server tls.Certificate
	client tls.Certificate
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test central CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) tls.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	p := &pki{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.server = leaf(2, "central", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	p.client = leaf(3, "station HN-01", x509.ExtKeyUsageClientAuth, nil)
	return p
}

// httpClient is what the station builds from its provisioning file. A fresh
// transport per client keeps tests from sharing pooled connections.
func (p *pki) httpClient(withCert bool) *http.Client {
	cfg := &tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12}
	if withCert {
		cfg.Certificates = []tls.Certificate{p.client}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

func (p *pki) serverTLS() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.pool,
		MinVersion:   tls.VersionTLS12,
	}
}

type connKey struct{}

// serveTLS serves h over mutual TLS on addr (127.0.0.1:0 for a fresh port).
// The accepted connection is put in each request's context so fault
// injection can cut it like a dropped link.
func serveTLS(t testing.TB, p *pki, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	var ln net.Listener
	var err error
	// Re-listening on a port just released can race with the kernel; a few
	// tries keep the restart test from flaking.
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = p.serverTLS()
	srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	// Handshake failures are expected in the missing-certificate test; the
	// client's error is what that test checks.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}

// cutConn drops the request's connection without a TLS goodbye, as a lost
// link would: the client sees a reset or EOF, never an HTTP answer.
func cutConn(r *http.Request) {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	if c != nil {
		c.Close()
	}
}

// faults sits in front of tusd and breaks things on request.
type faults struct {
	mu        sync.Mutex
	cutAt     int64 // upload offset at which the next PATCH body is cut; 0 = none
	downOnCut bool  // after the cut, drop every connection (the link is gone)
	down      bool
	tamper    func(r *http.Request) // may rewrite one request before tusd sees it
	gone      string                // path answered 410 Gone

	relativeLocation bool     // strip scheme and host from Location
	log              []string // "METHOD status" of each request

	patchBytes atomic.Int64 // PATCH body bytes tusd actually read
}

func (f *faults) setDown(v bool) {
	f.mu.Lock()
	f.down = v
	f.mu.Unlock()
}

func (f *faults) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

type statusRecorder struct {
	http.ResponseWriter
	status   int
	relative bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	if loc := s.Header().Get("Location"); s.relative && loc != "" {
		if u, err := url.Parse(loc); err == nil {
			s.Header().Set("Location", u.Path)
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets tusd's http.ResponseController reach the real writer for its
// read and write deadlines.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (f *faults) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		down, gone, tamper, relative := f.down, f.gone, f.tamper, f.relativeLocation
		var cutAfter int64 = -1
		if r.Method == http.MethodPatch && f.cutAt > 0 {
			off, _ := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
			if f.cutAt > off && f.cutAt < off+r.ContentLength {
				cutAfter = f.cutAt - off
				f.cutAt = 0
				f.down = f.downOnCut
			}
		}
		f.mu.Unlock()

		if down {
			f.record(r.Method, "cut")
			cutConn(r)
			return
		}
		if gone != "" && r.URL.Path == gone {
			f.record(r.Method, "410")
			w.WriteHeader(http.StatusGone)
			return
		}
		if tamper != nil {
			tamper(r)
		}
		if r.Method == http.MethodPatch {
			r.Body = &countingBody{ReadCloser: r.Body, n: &f.patchBytes, limit: cutAfter, cut: func() { cutConn(r) }}
		}
		rec := &statusRecorder{ResponseWriter: w, relative: relative}
		h.ServeHTTP(rec, r)
		status := strconv.Itoa(rec.status)
		if cutAfter >= 0 {
			status = "cut"
		}
		f.record(r.Method, status)
	})
}

func (f *faults) record(method, status string) {
	f.mu.Lock()
	f.log = append(f.log, method+" "+status)
	f.mu.Unlock()
}

// countingBody counts what the server read and, with a limit, hands over
// exactly that many bytes and then drops the connection mid-body.
type countingBody struct {
	io.ReadCloser
	n     *atomic.Int64
	limit int64 // -1: no cut
	cut   func()
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.limit == 0 {
		b.cut()
		b.limit = -1
		return 0, io.ErrUnexpectedEOF
	}
	if b.limit > 0 && int64(len(p)) > b.limit {
		p = p[:b.limit]
	}
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	if b.limit > 0 {
		b.limit -= int64(n)
	}
	return n, err
}

// tusServer is central's upload endpoint as far as this package can tell:
// tusd with its file store and file locker, behind mutual TLS.
type tusServer struct {
	t        testing.TB
	p        *pki
	dir      string
	cfg      handler.Config
	faults   *faults
	srv      *httptest.Server
	addr     string
	endpoint string
	store    filestore.FileStore
}

// startTus starts tusd on a fresh port over dir. hooks may set callbacks on
// the config before the handler is built.
func startTus(t testing.TB, p *pki, dir string, hooks func(*handler.Config)) *tusServer {
	t.Helper()
	s := &tusServer{t: t, p: p, dir: dir, faults: &faults{}}
	if hooks != nil {
		hooks(&s.cfg)
	}
	s.start("127.0.0.1:0")
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// newTusHandler is central's tusd setup: file store and file locker in dir,
// mounted at basePath.
func newTusHandler(t testing.TB, dir string, cfg handler.Config) http.Handler {
	t.Helper()
	composer := handler.NewStoreComposer()
	filestore.New(dir).UseIn(composer)
	filelocker.New(dir).UseIn(composer)
	cfg.BasePath = basePath
	cfg.StoreComposer = composer
	cfg.Logger = xslog.New(xslog.NewTextHandler(io.Discard, nil))
	// The tests drop connections on purpose; tusd must take over the lock of
	// a dead request quickly rather than after the 20 s default.
	cfg.AcquireLockTimeout = 5 * time.Second
	h, err := handler.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(basePath, http.StripPrefix(basePath, h))
	return mux
}

func (s *tusServer) start(addr string) {
	s.t.Helper()
	s.store = filestore.New(s.dir)
	s.srv = serveTLS(s.t, s.p, addr, s.faults.wrap(newTusHandler(s.t, s.dir, s.cfg)))
	s.addr = s.srv.Listener.Addr().String()
	s.endpoint = "https://" + s.addr + basePath
}

// restart stops the server and brings a new tusd up on the same address and
// directory, as after a reboot of central.
func (s *tusServer) restart() {
	s.t.Helper()
	s.srv.Close()
	s.start(s.addr)
}

func (s *tusServer) client(chunk int64) *Client {
	return &Client{HTTP: s.p.httpClient(true), Endpoint: s.endpoint, ChunkSize: chunk, RetryWait: time.Millisecond}
}

// stored returns the bytes and metadata tusd holds for the upload at u.
func (s *tusServer) stored(u string) ([]byte, map[string]string) {
	s.t.Helper()
	id := path.Base(u)
	data, err := os.ReadFile(filepath.Join(s.dir, id))
	if err != nil {
		s.t.Fatal(err)
	}
	up, err := s.store.GetUpload(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	info, err := up.GetInfo(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return data, info.MetaData
}
