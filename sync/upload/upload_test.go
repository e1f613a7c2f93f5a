package upload

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
)

// within bounds each call so a client that loops (a regression in the
// retry accounting) fails the test instead of hanging the run.
func within(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// countingReaderAt counts what the client read from the caller's file, an
// account independent of Result.Sent.
type countingReaderAt struct {
	r  *bytes.Reader
	mu sync.Mutex
	n  int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.mu.Lock()
	c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReaderAt) read() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// urls records what onURL was given, as the station's database would.
type urls struct{ got []string }

func (u *urls) save(s string) error { u.got = append(u.got, s); return nil }

func (u *urls) last() string {
	if len(u.got) == 0 {
		return ""
	}
	return u.got[len(u.got)-1]
}

func checkStored(t *testing.T, s *tusServer, u string, want []byte) map[string]string {
	t.Helper()
	got, meta := s.stored(u)
	if !bytes.Equal(got, want) {
		t.Fatalf("stored file differs from source: %d bytes stored, %d sent", len(got), len(want))
	}
	return meta
}

func TestUploadWhole(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	data := randomBytes(t, 10<<20)
	meta := map[string]string{"batch": "B-0001", "station": "HN-01", "name": "batch 1.enc", "empty": ""}
	src := &countingReaderAt{r: bytes.NewReader(data)}
	var saved urls
	var offsets []int64
	c := s.client(0)

	res, err := c.Upload(within(t), src, int64(len(data)), meta, "", saved.save, func(o int64) { offsets = append(offsets, o) })
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.got) != 1 || saved.got[0] != res.URL || !strings.HasPrefix(res.URL, s.endpoint) {
		t.Fatalf("onURL got %q, result URL %q, endpoint %q", saved.got, res.URL, s.endpoint)
	}
	if res.Status != http.StatusNoContent || res.AlreadyComplete {
		t.Fatalf("result %+v", res)
	}
	size := int64(len(data))
	wantOffsets := []int64{DefaultChunkSize, 2 * DefaultChunkSize, size}
	if !slices.Equal(offsets, wantOffsets) {
		t.Fatalf("progress %v, want %v", offsets, wantOffsets)
	}
	if res.Sent != size || src.read() != size || s.faults.patchBytes.Load() != size {
		t.Fatalf("sent %d, read from file %d, server read %d; want %d each", res.Sent, src.read(), s.faults.patchBytes.Load(), size)
	}
	got := checkStored(t, s, res.URL, data)
	for k, v := range meta {
		if got[k] != v {
			t.Errorf("metadata %q = %q, want %q", k, got[k], v)
		}
	}
	if n := strings.Count(strings.Join(s.faults.requests(), ","), "HEAD"); n != 0 {
		t.Errorf("%d HEAD requests on a clean upload", n)
	}
}

// A relative Location (central behind a proxy that rewrites it) must be
// resolved against the endpoint, or every later request goes nowhere.
func TestUploadRelativeLocation(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	s.faults.relativeLocation = true
	data := randomBytes(t, 5000)
	var saved urls
	res, err := s.client(0).Upload(within(t), bytes.NewReader(data), int64(len(data)), nil, "", saved.save, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(saved.last(), s.endpoint) {
		t.Fatalf("upload URL %q not resolved against %q", saved.last(), s.endpoint)
	}
	checkStored(t, s, res.URL, data)
}

// The link drops halfway and stays down longer than the in-place retries:
// the first call fails, the second resumes from what the server kept.
func TestUploadResumesAfterCut(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	data := randomBytes(t, 10<<20)
	size := int64(len(data))
	const chunk = 1 << 20
	cut := size/2 + 300_000 // inside a chunk, not on its boundary
	s.faults.cutAt, s.faults.downOnCut = cut, true
	c := s.client(chunk)
	c.Retries = 2
	var saved urls

	start := time.Now()
	res1, err := c.Upload(within(t), bytes.NewReader(data), size, nil, "", saved.save, nil)
	if err == nil {
		t.Fatal("first upload succeeded through a dead link")
	}
	// Giving up must come from the bounded retries, not from the test's
	// deadline: the caller's worker owns the long back-off.
	if errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("in-place retries did not give up by themselves: %v after %v", err, time.Since(start))
	}
	var refused *Refused
	if errors.As(err, &refused) {
		t.Fatalf("a dropped link was reported as a refusal: %v", err)
	}
	if !strings.Contains(err.Error(), saved.last()) {
		t.Errorf("error %q does not name the upload", err)
	}
	if res1.URL != saved.last() || res1.Sent < cut-size/2 {
		t.Fatalf("failed call: URL %q (saved %q), sent %d", res1.URL, saved.last(), res1.Sent)
	}

	s.faults.setDown(false)
	if off, err := c.Offset(within(t), saved.last()); err != nil || off != cut {
		t.Fatalf("server offset after cut = %d, %v; want %d", off, err, cut)
	}
	src := &countingReaderAt{r: bytes.NewReader(data)}
	res2, err := c.Upload(within(t), src, size, nil, saved.last(), saved.save, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.got) != 1 || res2.URL != saved.got[0] {
		t.Fatalf("resume created a new upload: %q", saved.got)
	}
	if res2.Sent != size-cut || src.read() != size-cut {
		t.Errorf("resume sent %d (read %d), want exactly the missing %d", res2.Sent, src.read(), size-cut)
	}
	if total := res1.Sent + res2.Sent; total > size+chunk {
		t.Errorf("sent %d in total, more than size+chunk = %d", total, size+chunk)
	}
	if got := s.faults.patchBytes.Load(); got != size {
		t.Errorf("server read %d PATCH bytes, want %d (nothing twice)", got, size)
	}
	checkStored(t, s, res2.URL, data)
}

// A short drop is absorbed inside one call: re-HEAD, continue.
func TestUploadRetriesInPlace(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	data := randomBytes(t, 6<<20)
	size := int64(len(data))
	const chunk = 1 << 20
	s.faults.cutAt = 2*chunk + 12345
	c := s.client(chunk)
	var offsets []int64

	res, err := c.Upload(within(t), bytes.NewReader(data), size, nil, "", nil, func(o int64) { offsets = append(offsets, o) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent > size+chunk {
		t.Errorf("sent %d, more than size+chunk = %d", res.Sent, size+chunk)
	}
	log := strings.Join(s.faults.requests(), ",")
	if !strings.Contains(log, "PATCH cut,HEAD 200,PATCH 204") {
		t.Errorf("expected a re-HEAD right after the cut, requests: %s", log)
	}
	if !slices.IsSorted(offsets) || offsets[len(offsets)-1] != size || slices.Contains(offsets, 3*chunk) {
		t.Errorf("progress %v: want increasing, ending at %d, resuming from the cut rather than chunk boundaries", offsets, size)
	}
	checkStored(t, s, res.URL, data)
}

func TestUploadResumesAfterServerRestart(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	data := randomBytes(t, 8<<20)
	size := int64(len(data))
	const chunk = 1 << 20
	cut := size/2 + 777
	s.faults.cutAt, s.faults.downOnCut = cut, true
	c := s.client(chunk)
	c.Retries = 1
	var saved urls

	res1, err := c.Upload(within(t), bytes.NewReader(data), size, nil, "", saved.save, nil)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first upload through a dead link: %v, want it to give up by itself", err)
	}
	oldAddr := s.addr
	s.faults.setDown(false)
	s.restart()
	if s.addr != oldAddr {
		t.Fatalf("restarted on %s, not %s", s.addr, oldAddr)
	}

	res2, err := c.Upload(within(t), bytes.NewReader(data), size, nil, saved.last(), saved.save, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.got) != 1 {
		t.Fatalf("restart made the client create a new upload: %q", saved.got)
	}
	if res2.Sent != size-cut {
		t.Errorf("resume sent %d, want %d", res2.Sent, size-cut)
	}
	if total := res1.Sent + res2.Sent; total > size+chunk {
		t.Errorf("sent %d in total, more than size+chunk = %d", total, size+chunk)
	}
	checkStored(t, s, res2.URL, data)
}

func TestUploadUnknownResumeURLStartsOver(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	data := randomBytes(t, 3<<20)
	size := int64(len(data))
	c := s.client(1 << 20)

	other, err := c.Create(within(t), size+1, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.faults.gone = basePath + "0badc0ffee"
	for _, tc := range []struct{ name, url string }{
		{"404 from tusd", s.endpoint + "0123456789abcdef0123456789abcdef"},
		{"410", s.endpoint + "0badc0ffee"},
		{"other length", other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var saved urls
			res, err := c.Upload(within(t), bytes.NewReader(data), size, nil, tc.url, saved.save, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(saved.got) != 1 || saved.got[0] == tc.url || res.URL != saved.got[0] {
				t.Fatalf("onURL got %q for stale %q, result URL %q", saved.got, tc.url, res.URL)
			}
			if res.Sent != size {
				t.Errorf("sent %d, want %d", res.Sent, size)
			}
			checkStored(t, s, res.URL, data)
		})
	}
	if _, err := c.Offset(within(t), s.endpoint+"0123456789abcdef0123456789abcdef"); !errors.Is(err, ErrUnknownUpload) {
		t.Errorf("Offset of an unknown upload: %v, want ErrUnknownUpload", err)
	}
}

func TestUploadRefusedAtCreate(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), func(cfg *handler.Config) {
		cfg.PreUploadCreateCallback = func(ev handler.HookEvent) (handler.HTTPResponse, handler.FileInfoChanges, error) {
			return handler.HTTPResponse{}, handler.FileInfoChanges{},
				handler.NewError("ERR_BATCH_RECEIVED", "batch "+ev.Upload.MetaData["batch"]+" already received", http.StatusConflict)
		}
	})
	c := s.client(0)
	c.RetryWait = time.Minute // a refusal must not be retried; waiting would hang the test
	data := randomBytes(t, 1000)
	var saved urls

	res, err := c.Upload(within(t), bytes.NewReader(data), int64(len(data)), map[string]string{"batch": "B-7"}, "", saved.save, nil)
	var refused *Refused
	if !errors.As(err, &refused) {
		t.Fatalf("got %v, want *Refused", err)
	}
	if refused.Op != http.MethodPost || refused.Status != http.StatusConflict || !strings.Contains(refused.Body, "batch B-7 already received") {
		t.Fatalf("refusal %+v", refused)
	}
	if !strings.Contains(err.Error(), "batch B-7 already received") {
		t.Errorf("error text %q lacks the server's reason", err)
	}
	if res.Sent != 0 || len(saved.got) != 0 {
		t.Errorf("refused upload sent %d bytes, saved %q", res.Sent, saved.got)
	}
	if log := s.faults.requests(); !slices.Equal(log, []string{"POST 409"}) {
		t.Errorf("requests %v, want one POST", log)
	}
	if _, err := c.Create(within(t), 10, map[string]string{"batch": "B-8"}); !errors.As(err, &refused) || refused.Status != http.StatusConflict {
		t.Errorf("Create: %v, want *Refused 409", err)
	}
}

// Central answers 429 when a station holds as many unfinished uploads as it may. That is no
// refusal: with a short Retry-After (or none) the client retries in place; with one longer
// than an in-place retry would wait it hands the answer back at once, transient, for the
// courier's back-off, and the next call succeeds once central has room.
func TestUploadTooManyRequests(t *testing.T) {
	p := newPKI(t)
	var mu sync.Mutex
	answers := []string{"1", "", "600"} // Retry-After of the next 429s; then room
	s := startTus(t, p, t.TempDir(), func(cfg *handler.Config) {
		cfg.PreUploadCreateCallback = func(handler.HookEvent) (handler.HTTPResponse, handler.FileInfoChanges, error) {
			mu.Lock()
			defer mu.Unlock()
			if len(answers) == 0 {
				return handler.HTTPResponse{}, handler.FileInfoChanges{}, nil
			}
			e := handler.NewError("ERR_UPLOAD_QUOTA", "station has too many unfinished uploads", http.StatusTooManyRequests)
			if answers[0] != "" {
				e.HTTPResponse.Header = handler.HTTPHeader{"Retry-After": answers[0]}
			}
			answers = answers[1:]
			return handler.HTTPResponse{}, handler.FileInfoChanges{}, e
		}
	})
	c := s.client(0)
	c.RetryWait = time.Millisecond
	data := randomBytes(t, 1000)

	// 429 with Retry-After 1 s, then 429 without: both retried in place; the third answer
	// asks for ten minutes and comes back to the caller.
	_, err := c.Upload(within(t), bytes.NewReader(data), int64(len(data)), nil, "", nil, nil)
	var refused *Refused
	if err == nil || errors.As(err, &refused) || !transient(err) {
		t.Fatalf("got %v, want a transient error for the caller's back-off", err)
	}
	if !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "too many unfinished uploads") ||
		!strings.Contains(err.Error(), "10m0s") {
		t.Errorf("error %q does not say what central said", err)
	}
	if log := s.faults.requests(); !slices.Equal(log, []string{"POST 429", "POST 429", "POST 429"}) {
		t.Errorf("requests %v, want three POSTs and no more", log)
	}

	res, err := c.Upload(within(t), bytes.NewReader(data), int64(len(data)), nil, "", nil, nil)
	if err != nil {
		t.Fatalf("once central has room: %v", err)
	}
	checkStored(t, s, res.URL, data)
}

// Central may also refuse once it has the whole batch (bad signature...):
// that verdict must arrive as a Refused, not be retried.
func TestUploadRefusedAtFinish(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), func(cfg *handler.Config) {
		cfg.PreFinishResponseCallback = func(handler.HookEvent) (handler.HTTPResponse, error) {
			return handler.HTTPResponse{}, handler.NewError("ERR_BAD_SIGNATURE", "station signature does not verify", http.StatusUnprocessableEntity)
		}
	})
	c := s.client(1 << 20)
	c.RetryWait = time.Minute
	data := randomBytes(t, 2<<20+5)

	_, err := c.Upload(within(t), bytes.NewReader(data), int64(len(data)), nil, "", nil, nil)
	var refused *Refused
	if !errors.As(err, &refused) || refused.Op != http.MethodPatch || refused.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(refused.Body, "signature does not verify") {
		t.Fatalf("got %v, want a PATCH Refused 422 with the reason", err)
	}
	if !strings.Contains(err.Error(), "PATCH at "+strconv.Itoa(2<<20)) {
		t.Errorf("error %q does not say where", err)
	}
}

func TestUploadFinishResponseReachesResult(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), func(cfg *handler.Config) {
		cfg.PreFinishResponseCallback = func(ev handler.HookEvent) (handler.HTTPResponse, error) {
			return handler.HTTPResponse{
				StatusCode: http.StatusOK,
				Header:     handler.HTTPHeader{"X-Batch-Status": "accepted", "Content-Type": "application/json"},
				Body:       `{"batch":"` + ev.Upload.MetaData["batch"] + `","status":"accepted"}`,
			}, nil
		}
	})
	data := randomBytes(t, 1<<20+1)
	res, err := s.client(1<<20).Upload(within(t), bytes.NewReader(data), int64(len(data)), map[string]string{"batch": "B-9"}, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || res.Header.Get("X-Batch-Status") != "accepted" || res.Body != `{"batch":"B-9","status":"accepted"}` {
		t.Fatalf("result %d %v %q", res.Status, res.Header, res.Body)
	}
}

// If the server holds a different offset than the client sent (a lost
// answer, another sender), the client must follow the server.
func TestUploadOffsetMismatch(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	data := randomBytes(t, 4<<20)
	size := int64(len(data))
	const chunk = 1 << 20
	var once sync.Once
	s.faults.tamper = func(r *http.Request) {
		if r.Method == http.MethodPatch && r.Header.Get("Upload-Offset") == strconv.Itoa(2*chunk) {
			once.Do(func() { r.Header.Set("Upload-Offset", strconv.Itoa(2*chunk-1)) })
		}
	}
	res, err := s.client(chunk).Upload(within(t), bytes.NewReader(data), size, nil, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := strings.Join(s.faults.requests(), ",")
	if !strings.Contains(log, "PATCH 409,HEAD 200,PATCH 204") {
		t.Errorf("requests %s: want 409 then HEAD then PATCH", log)
	}
	if res.Sent > size+chunk {
		t.Errorf("sent %d, more than size+chunk", res.Sent)
	}
	checkStored(t, s, res.URL, data)
}

// The last PATCH landed but its answer was lost: resuming must send nothing
// and say that central's verdict was not seen.
func TestUploadAlreadyComplete(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	data := randomBytes(t, 100_000)
	c := s.client(0)
	first, err := c.Upload(within(t), bytes.NewReader(data), int64(len(data)), nil, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Upload(within(t), bytes.NewReader(data), int64(len(data)), nil, first.URL, func(string) error {
		t.Error("a new upload was created for a finished one")
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AlreadyComplete || res.Sent != 0 || res.URL != first.URL {
		t.Fatalf("result %+v", res)
	}
}

func TestUploadEmptyFile(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	res, err := s.client(0).Upload(within(t), bytes.NewReader(nil), 0, map[string]string{"batch": "B-0"}, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusCreated || res.Sent != 0 {
		t.Fatalf("result %+v", res)
	}
	checkStored(t, s, res.URL, nil)
	if log := s.faults.requests(); !slices.Equal(log, []string{"POST 201"}) {
		t.Errorf("requests %v, want only the POST", log)
	}
}

// Shutting the station down while Upload waits to retry must not wait out
// the back-off.
func TestUploadCancelDuringBackoff(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	s.faults.setDown(true)
	c := s.client(0)
	c.RetryWait = time.Minute
	ctx, cancel := context.WithCancel(within(t))
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Upload(ctx, bytes.NewReader(make([]byte, 10)), 10, nil, "", nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to notice the cancellation", d)
	}
}

// A station without its certificate is a configuration fault; retrying in
// place would only delay telling the operator.
func TestUploadWithoutClientCertNotRetried(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	c := &Client{HTTP: p.httpClient(false), Endpoint: s.endpoint, RetryWait: time.Minute}
	start := time.Now()
	_, err := c.Upload(within(t), bytes.NewReader(make([]byte, 10)), 10, nil, "", nil, nil)
	if err == nil {
		t.Fatal("upload without a client certificate succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v: a TLS refusal was retried (%v)", d, err)
	}
}

// If the station cannot record the upload URL it must stop before sending,
// and not create upload after upload trying again.
func TestUploadOnURLErrorStops(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	c := s.client(0)
	c.RetryWait = time.Minute
	dbErr := errors.New("database is locked")
	res, err := c.Upload(within(t), bytes.NewReader(make([]byte, 100)), 100, nil, "", func(string) error { return dbErr }, nil)
	if !errors.Is(err, dbErr) {
		t.Fatalf("got %v, want the callback's error", err)
	}
	if log := s.faults.requests(); res.Sent != 0 || !slices.Equal(log, []string{"POST 201"}) {
		t.Errorf("sent %d, requests %v; want one POST and nothing else", res.Sent, log)
	}
}

// A batch file shorter than the size given is the station's bug, not the
// network's: it must be reported at once, not retried.
func TestUploadShortSource(t *testing.T) {
	p := newPKI(t)
	s := startTus(t, p, t.TempDir(), nil)
	c := s.client(1 << 20)
	c.RetryWait = time.Minute
	data := randomBytes(t, 1<<20+100)
	_, err := c.Upload(within(t), bytes.NewReader(data), 2<<20, nil, "", nil, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "reading source") ||
		!strings.Contains(err.Error(), "PATCH at "+strconv.Itoa(1<<20)) {
		t.Fatalf("got %v, want a source error at the second chunk", err)
	}
}

func TestEncodeMetadata(t *testing.T) {
	meta := map[string]string{"station": "HN-01", "batch": "B-1", "flag": "", "note": "a, b c"}
	h, err := encodeMetadata(meta)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "batch ") || !strings.Contains(h, ",flag,") {
		t.Errorf("header %q: want sorted keys and a bare key for an empty value", h)
	}
	if got := handler.ParseMetadataHeader(h); len(got) != len(meta) || got["note"] != "a, b c" || got["flag"] != "" {
		t.Errorf("tusd parsed %q as %v", h, got)
	}
	for _, bad := range []string{"", "a b", "a,b", "tab\t", "ký"} {
		if _, err := encodeMetadata(map[string]string{bad: "x"}); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}
