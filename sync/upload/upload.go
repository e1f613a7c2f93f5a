// Package upload is the station's tus 1.0 client (core protocol plus the
// creation extension). It sends one batch file to central's tusd handler and,
// because ward offices lose their link often, resumes an interrupted upload
// from the offset the server reports instead of starting again.
//
// The package treats the batch as opaque bytes: encryption, signing and
// deciding what to do with central's answer belong to the caller.
package upload

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// tusVersion is the only protocol version this client speaks; tusd answers
	// 412 to anything else, which surfaces as a Refused.
	tusVersion = "1.0.0"

	// DefaultChunkSize is the PATCH size when Client.ChunkSize is zero.
	// PATCHes are stop-and-wait, so each chunk boundary costs one round trip
	// (and, on loopback, the server draining its socket buffers): in
	// BenchmarkUploadVsPUT 1 MiB chunks reach 0.6–0.7× a plain PUT, 4 MiB
	// 0.75–0.95×, 16 MiB 0.85–1.0× (DESIGN §9 asks ≥ 0.5×). Larger
	// chunks gain little more and on a slow ward link mean minutes between
	// progress reports and more to resend if a server drops a cut chunk.
	DefaultChunkSize = 4 << 20

	// DefaultRetries is how many times Upload retries a transient failure in
	// place before handing the error back to the caller's back-off loop.
	DefaultRetries = 3

	// DefaultRetryWait is the first pause before an in-place retry.
	DefaultRetryWait = time.Second

	// maxRetryWait caps the doubling so a caller with a large Retries does
	// not sleep for minutes inside one call.
	maxRetryWait = 30 * time.Second

	// maxBody bounds how much of a response we keep: central's verdict is a
	// short document, and a misbehaving server must not make us buffer
	// without limit.
	maxBody = 1 << 20
)

// ErrUnknownUpload means the server does not know the upload (404 or 410):
// it never existed, expired, or was removed. Upload handles it by starting a
// new upload; it is visible to callers of Offset.
var ErrUnknownUpload = errors.New("server does not know this upload")

// Client uploads files to one tus endpoint. Its zero value is not usable:
// HTTP and Endpoint are required. A Client is safe for concurrent use if its
// http.Client is.
type Client struct {
	// HTTP carries every request. The caller configures it for mutual TLS;
	// there is deliberately no fallback to http.DefaultClient, which would
	// talk to central without the station's certificate.
	HTTP *http.Client
	// Endpoint is the tus creation URL, e.g. https://127.0.0.1:8443/v1/uploads/.
	Endpoint string
	// ChunkSize is the number of bytes per PATCH; 0 means DefaultChunkSize.
	// It bounds how much one interruption can cost, since the bytes of the
	// chunk in flight may have to be sent again.
	ChunkSize int64
	// Retries is how many transient failures in a row (network errors, 5xx,
	// 408, 423, 429) Upload absorbs in place before returning the error;
	// 0 means DefaultRetries and a negative value disables in-place retries.
	// An answer whose Retry-After asks for longer than an in-place retry
	// waits (central's bound on a station's unfinished uploads) is returned
	// at once, still transient, for the caller's back-off.
	// The count starts over whenever the server's offset moves forward, so a
	// link that keeps making progress is never abandoned halfway.
	Retries int
	// RetryWait is the pause before the first in-place retry; it doubles for
	// each further one. 0 means DefaultRetryWait.
	RetryWait time.Duration
}

// Result is what the server said when the upload finished: status, headers
// and body of the final PATCH response (or of the POST for an empty file),
// which is where central reports whether it accepted the batch.
type Result struct {
	Status int
	Header http.Header
	Body   string

	// URL is the upload the bytes went to.
	URL string
	// Sent counts the body bytes this call handed to the HTTP transport,
	// including bytes of a chunk that was cut off and had to be sent again.
	// It is filled in even when Upload returns an error, so a caller (or a
	// test) can account for the traffic of a failed attempt.
	Sent int64
	// AlreadyComplete is true when the server already held every byte before
	// this call sent any (the response to the last PATCH was lost, e.g. by a
	// crash or a cut link). The server's verdict was given to that earlier
	// request and tus offers no way to ask for it again, so Status and Header
	// are from the HEAD and the caller must learn the batch's fate some other
	// way (central's status endpoint).
	AlreadyComplete bool
}

// Refused is a 4xx answer that retrying will not change. 404, 409 and 410
// are handled inside Upload and never surface as Refused from it; 408, 423
// and 429 are treated as transient. It carries the server's own words so the
// station can show why central refused a batch (e.g. already received).
type Refused struct {
	Op     string // POST, HEAD or PATCH
	Status int
	Header http.Header
	Body   string
}

func (e *Refused) Error() string {
	msg := strings.TrimSpace(e.Body)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	s := fmt.Sprintf("%s refused: %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if msg != "" {
		s += ": " + msg
	}
	return s
}

// statusError is a non-2xx answer that is not a Refused: a 5xx, a transient
// 4xx, or one of the statuses Upload handles itself (404, 409, 410).
type statusError struct {
	status int
	body   string
	// retryAfter is how long the server asked us to wait (Retry-After), 0
	// when it did not say.
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("server answered %d %s", e.status, http.StatusText(e.status))
	if msg := strings.TrimSpace(e.body); msg != "" {
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		s += ": " + msg
	}
	if e.retryAfter > 0 {
		s += fmt.Sprintf(" (try again in %s)", e.retryAfter)
	}
	return s
}

// Busy tells whether err is the server answering that it cannot take the
// request now (5xx, 408, 423, 429) after Upload's own retries: the caller
// tries again later, its data untouched.
func Busy(err error) bool {
	var se *statusError
	return errors.As(err, &se) && transient(se)
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Duration(min(n, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// response is a finished exchange with the body already read and closed, so
// callers cannot leak connections by forgetting to drain.
type response struct {
	status int
	header http.Header
	body   string
}

// state is what a HEAD tells us about an upload.
type state struct {
	offset int64
	length int64 // -1 when the server sent no usable Upload-Length
	resp   response
}

func (c *Client) chunkSize() int64 {
	if c.ChunkSize > 0 {
		return c.ChunkSize
	}
	return DefaultChunkSize
}

func (c *Client) retries() int {
	switch {
	case c.Retries < 0:
		return 0
	case c.Retries == 0:
		return DefaultRetries
	}
	return c.Retries
}

func (c *Client) retryWait(attempt int) time.Duration {
	d := c.RetryWait
	if d <= 0 {
		d = DefaultRetryWait
	}
	for i := 1; i < attempt && d < maxRetryWait; i++ {
		d *= 2
	}
	return min(d, maxRetryWait)
}

// do sends one request and reads the response body (bounded). A non-2xx
// answer becomes *Refused or *statusError according to the method's rules.
func (c *Client) do(ctx context.Context, method, target string, hdr http.Header, body io.Reader, n int64) (response, error) {
	if c.HTTP == nil {
		return response{}, errors.New("no HTTP client configured (central needs the station's mutual-TLS client)")
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return response{}, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	if body != nil {
		// A known length lets tusd check the chunk against Upload-Length
		// before storing anything, and avoids chunked encoding.
		req.ContentLength = n
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return response{}, err
	}
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	// Drain a little more so a slightly oversized body does not cost the
	// keep-alive connection; anything beyond that is not worth reading.
	io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if rerr != nil && resp.StatusCode/100 == 2 {
		// A success whose body was cut may have lost central's verdict.
		return r, fmt.Errorf("reading %d response: %w", resp.StatusCode, rerr)
	}
	if resp.StatusCode/100 == 2 {
		return r, nil
	}
	if resp.StatusCode/100 == 4 && !handledStatus(method, resp.StatusCode) {
		return r, &Refused{Op: method, Status: resp.StatusCode, Header: resp.Header, Body: r.body}
	}
	return r, &statusError{status: resp.StatusCode, body: r.body, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// handledStatus reports the 4xx answers that are not a final refusal for op:
// those Upload resolves itself and those that are transient by definition.
func handledStatus(op string, status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusLocked, http.StatusTooManyRequests:
		return true
	case http.StatusNotFound, http.StatusGone:
		// For POST a 404 means a wrong endpoint, which no retry will fix.
		return op != http.MethodPost
	case http.StatusConflict:
		// Central may answer a creation with 409 (batch already received):
		// that is a verdict, not the tus offset mismatch.
		return op == http.MethodPatch
	}
	return false
}

// transient reports whether retrying the same request later may succeed.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The caller's ctx is checked separately; a deadline from the
		// transport itself (e.g. a response header timeout) lands here too
		// and is worth a retry only if ctx is still alive, which the loop
		// checks before waiting.
		return true
	}
	var re *Refused
	if errors.As(err, &re) {
		return false
	}
	var se *statusError
	if errors.As(err, &se) {
		switch se.status {
		case http.StatusRequestTimeout, http.StatusLocked, http.StatusTooManyRequests:
			return true
		}
		return se.status/100 == 5
	}
	var pe *protocolError
	var srcErr *sourceError
	var ce *callerError
	if errors.As(err, &pe) || errors.As(err, &srcErr) || errors.As(err, &ce) {
		return false
	}
	// A certificate problem on either side is configuration (expired or
	// revoked station certificate, wrong CA); retrying in place only delays
	// the report. The caller's worker still retries later.
	var (
		cve *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		ci  x509.CertificateInvalidError
		he  x509.HostnameError
		ae  tls.AlertError
	)
	if errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &ci) || errors.As(err, &he) || errors.As(err, &ae) {
		return false
	}
	// crypto/tls reports an alert from the server (certificate required,
	// bad or revoked certificate) as an OpError with this Op.
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return false
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		// Everything else from the transport is the wire's fault: refused
		// or reset connections, timeouts, a server that went away.
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func isStatus(err error, codes ...int) bool {
	var se *statusError
	return errors.As(err, &se) && slices.Contains(codes, se.status)
}

// sourceError is a failure to read the caller's file.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return "reading source: " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// callerError is a failure of the caller's own callback.
type callerError struct{ err error }

func (e *callerError) Error() string { return e.err.Error() }
func (e *callerError) Unwrap() error { return e.err }

// protocolError is an answer that breaks the tus protocol; retrying the same
// exchange would only repeat it.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func protoErr(format string, args ...any) error {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

// encodeMetadata builds Upload-Metadata. Keys are sorted so the header is
// the same for the same map, which keeps logs and tests comparable.
func encodeMetadata(meta map[string]string) (string, error) {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k == "" {
			return "", errors.New("metadata key is empty")
		}
		for _, r := range k {
			// The tus spec forbids spaces and commas (they are the
			// separators); control and non-ASCII characters would not survive
			// an HTTP header either.
			if r <= ' ' || r == ',' || r > '~' {
				return "", fmt.Errorf("metadata key %q: only printable ASCII without spaces or commas", k)
			}
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if v := meta[k]; v != "" {
			parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
		} else {
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, ","), nil
}

// Create starts an upload of size bytes (POST) and returns its absolute URL;
// a relative Location is resolved against Endpoint. A 4xx answer is a
// *Refused carrying central's reason.
func (c *Client) Create(ctx context.Context, size int64, meta map[string]string) (string, error) {
	u, _, err := c.create(ctx, size, meta)
	return u, err
}

func (c *Client) create(ctx context.Context, size int64, meta map[string]string) (string, response, error) {
	fail := func(err error) (string, response, error) {
		return "", response{}, fmt.Errorf("upload %s: POST: %w", c.Endpoint, err)
	}
	if size < 0 {
		return fail(fmt.Errorf("negative size %d", size))
	}
	base, err := url.Parse(c.Endpoint)
	if err != nil {
		return fail(fmt.Errorf("endpoint: %w", err))
	}
	hdr := http.Header{"Upload-Length": {strconv.FormatInt(size, 10)}}
	if len(meta) > 0 {
		m, err := encodeMetadata(meta)
		if err != nil {
			return fail(err)
		}
		hdr.Set("Upload-Metadata", m)
	}
	resp, err := c.do(ctx, http.MethodPost, c.Endpoint, hdr, nil, 0)
	if err != nil {
		return fail(err)
	}
	loc := resp.header.Get("Location")
	if loc == "" {
		return fail(protoErr("%d answer without Location", resp.status))
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return fail(protoErr("Location %q: %v", loc, err))
	}
	return base.ResolveReference(ref).String(), resp, nil
}

// Offset asks the server how many bytes of the upload it holds (HEAD). An
// upload the server does not know yields an error wrapping ErrUnknownUpload.
func (c *Client) Offset(ctx context.Context, uploadURL string) (int64, error) {
	st, err := c.head(ctx, uploadURL)
	if err != nil {
		return 0, err
	}
	return st.offset, nil
}

func (c *Client) head(ctx context.Context, uploadURL string) (state, error) {
	resp, err := c.do(ctx, http.MethodHead, uploadURL, nil, nil, 0)
	if isStatus(err, http.StatusNotFound, http.StatusGone) {
		err = fmt.Errorf("%w (%v)", ErrUnknownUpload, err)
	}
	if err != nil {
		return state{}, fmt.Errorf("upload %s: HEAD: %w", uploadURL, err)
	}
	st := state{length: -1, resp: resp}
	st.offset, err = strconv.ParseInt(resp.header.Get("Upload-Offset"), 10, 64)
	if err != nil || st.offset < 0 {
		return state{}, fmt.Errorf("upload %s: HEAD: %w", uploadURL,
			protoErr("bad Upload-Offset %q", resp.header.Get("Upload-Offset")))
	}
	if l, err := strconv.ParseInt(resp.header.Get("Upload-Length"), 10, 64); err == nil && l >= 0 {
		st.length = l
	}
	return st, nil
}

// chunkBody feeds one PATCH from the caller's file and counts what the
// transport took. detach makes it inert: the transport may keep reading a
// request body from its own goroutine after Do has returned, and we must not
// touch the caller's file after Upload returns.
type chunkBody struct {
	mu       sync.Mutex
	r        *io.SectionReader
	n        int64
	srcErr   error // the file failed us, as opposed to the network
	detached bool
}

var errDetached = errors.New("request finished")

func (b *chunkBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.detached {
		return 0, errDetached
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if _, base, size := b.r.Outer(); err == io.EOF && b.n < size {
		err = fmt.Errorf("file ends at %d, short of the size given: %w", base+b.n, io.ErrUnexpectedEOF)
	}
	if err != nil && err != io.EOF && b.srcErr == nil {
		b.srcErr = err
	}
	return n, err
}

func (b *chunkBody) detach() (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.detached = true
	return b.n, b.srcErr
}

// patch sends src[off:off+n] and returns the server's new offset.
func (c *Client) patch(ctx context.Context, uploadURL string, src io.ReaderAt, off, n int64) (int64, response, int64, error) {
	body := &chunkBody{r: io.NewSectionReader(src, off, n)}
	hdr := http.Header{
		"Content-Type":  {"application/offset+octet-stream"},
		"Upload-Offset": {strconv.FormatInt(off, 10)},
	}
	resp, err := c.do(ctx, http.MethodPatch, uploadURL, hdr, body, n)
	sent, srcErr := body.detach()
	if srcErr != nil {
		// Reported as the transport's failure otherwise, and retried as if
		// the network were at fault; a short or unreadable batch file will
		// not get better by resending.
		return 0, resp, sent, &sourceError{err: srcErr}
	}
	if err != nil {
		return 0, resp, sent, err
	}
	got, perr := strconv.ParseInt(resp.header.Get("Upload-Offset"), 10, 64)
	if perr != nil {
		return 0, resp, sent, protoErr("bad Upload-Offset %q in %d answer", resp.header.Get("Upload-Offset"), resp.status)
	}
	// Fewer bytes than sent is legal (we continue from there); no progress or
	// more than sent would mean we and the server disagree about the file.
	if got <= off || got > off+n {
		return 0, resp, sent, protoErr("server offset %d after sending %d bytes at %d", got, n, off)
	}
	return got, resp, sent, nil
}

// Upload sends src (size bytes). If resumeURL is not empty it asks that
// upload's offset first and continues from there; if the server no longer
// knows it (404/410), or it was made for a different length, a new upload
// is created. onURL is called as soon as a new upload URL exists, before any
// byte is sent, so the caller can persist it and resume after a crash; an
// error from onURL aborts. progress is called after each chunk with the
// server's offset. Either callback may be nil.
//
// Transient failures are retried in place (see Client.Retries), re-asking
// the offset each time, so no byte the server holds is sent twice. What is
// left is returned: *Refused for a final 4xx, otherwise a wrapped error the
// caller should retry later with its own back-off. Result.Sent is valid in
// both cases.
func (c *Client) Upload(ctx context.Context, src io.ReaderAt, size int64, meta map[string]string, resumeURL string,
	onURL func(url string) error, progress func(offset int64)) (Result, error) {
	u := &uploader{c: c, ctx: ctx, src: src, size: size, meta: meta, onURL: onURL, progress: progress}
	return u.run(resumeURL)
}

// uploader is the state of one Upload call.
type uploader struct {
	c        *Client
	ctx      context.Context
	src      io.ReaderAt
	size     int64
	meta     map[string]string
	onURL    func(string) error
	progress func(int64)

	res      Result
	url      string
	off      int64
	failures int // transient failures since the server's offset last moved
	created  int // uploads created by this call
}

func (u *uploader) run(resumeURL string) (Result, error) {
	if u.size < 0 {
		return u.res, fmt.Errorf("upload: negative size %d", u.size)
	}
	u.url = resumeURL
	needHead := resumeURL != ""
	for {
		if err := u.ctx.Err(); err != nil {
			return u.result(), u.wrap(err)
		}
		if u.url == "" {
			done, err := u.create()
			if err != nil {
				if u.retryable(err) {
					continue
				}
				return u.result(), u.final(err)
			}
			if done {
				return u.result(), nil
			}
			needHead = false
		}
		if needHead {
			st, err := u.c.head(u.ctx, u.url)
			switch {
			case errors.Is(err, ErrUnknownUpload):
				u.url = ""
				continue
			case err != nil:
				if u.retryable(err) {
					continue
				}
				return u.result(), u.final(err)
			case st.length != u.size || st.offset > u.size:
				// The URL belongs to another file (the batch was rebuilt, or
				// the caller mixed up URLs); appending to it would corrupt it.
				u.url = ""
				continue
			}
			if st.offset > u.off {
				u.failures = 0
			}
			u.off = st.offset
			needHead = false
			if u.off == u.size {
				u.res.Status, u.res.Header, u.res.Body = st.resp.status, st.resp.header, st.resp.body
				u.res.AlreadyComplete = true
				return u.result(), nil
			}
		}

		n := min(u.c.chunkSize(), u.size-u.off)
		got, resp, sent, err := u.c.patch(u.ctx, u.url, u.src, u.off, n)
		u.res.Sent += sent
		if err != nil {
			err = fmt.Errorf("upload %s: PATCH at %d: %w", u.url, u.off, err)
			switch {
			case isStatus(err, http.StatusNotFound, http.StatusGone):
				// Expired or removed mid-upload: only a fresh upload can
				// carry the file now.
				u.url = ""
				continue
			case isStatus(err, http.StatusConflict):
				// The server holds a different offset than we thought (an
				// earlier response was lost, or another sender); it is the
				// authority. Counted as a failure so two parties fighting
				// over one upload cannot loop forever.
				if u.failures++; u.failures > u.c.retries() {
					return u.result(), err
				}
				needHead = true
				continue
			case u.retryable(err):
				needHead = true
				continue
			}
			return u.result(), u.final(err)
		}
		u.off = got
		u.failures = 0
		if u.progress != nil {
			u.progress(got)
		}
		if got == u.size {
			u.res.Status, u.res.Header, u.res.Body = resp.status, resp.header, resp.body
			return u.result(), nil
		}
	}
}

// create starts a new upload and hands its URL to onURL. done is true when
// the upload is already complete (an empty file), whose POST answer is then
// the final Result.
func (u *uploader) create() (done bool, err error) {
	// A second creation happens only after the first upload vanished; more
	// would mean the server loses uploads as fast as we make them.
	if u.created >= 2 {
		return false, fmt.Errorf("upload %s: POST: %w", u.c.Endpoint,
			protoErr("server lost the upload twice during one call"))
	}
	loc, resp, err := u.c.create(u.ctx, u.size, u.meta)
	if err != nil {
		return false, err
	}
	u.created++
	u.url, u.off, u.failures = loc, 0, 0
	if u.onURL != nil {
		if err := u.onURL(loc); err != nil {
			// Retrying would only create another upload the caller cannot
			// record either.
			return false, fmt.Errorf("upload %s: saving upload URL: %w", loc, &callerError{err})
		}
	}
	if u.size == 0 {
		// tusd finishes an empty upload inside the POST, so that answer
		// carries central's verdict.
		u.res.Status, u.res.Header, u.res.Body = resp.status, resp.header, resp.body
		return true, nil
	}
	return false, nil
}

// retryable decides whether a failed step may be tried again in place and,
// if so, waits out the back-off. It returns false when the failure is final,
// retries are used up, or ctx ended while waiting.
func (u *uploader) retryable(err error) bool {
	if u.ctx.Err() != nil || !transient(err) {
		return false
	}
	if se := (*statusError)(nil); errors.As(err, &se) && se.retryAfter > maxRetryWait {
		// Asking again within our in-place waits would only bring the same answer.
		return false
	}
	u.failures++
	if u.failures > u.c.retries() {
		return false
	}
	t := time.NewTimer(u.c.retryWait(u.failures))
	defer t.Stop()
	select {
	case <-u.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (u *uploader) wrap(err error) error {
	where := u.url
	if where == "" {
		where = u.c.Endpoint
	}
	return fmt.Errorf("upload %s at %d: %w", where, u.off, err)
}

// final is the error Upload returns for err. When ctx ended during a
// back-off the step's own error is not the whole story: the caller needs
// errors.Is(err, context.Canceled) to tell a shutdown from a failure.
func (u *uploader) final(err error) error {
	if cerr := u.ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (stopped retrying: %w)", err, cerr)
	}
	return err
}

func (u *uploader) result() Result {
	u.res.URL = u.url
	return u.res
}
