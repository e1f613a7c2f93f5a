package courier

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/batch"
	"github.com/wardpolice/enroll/sync/provision"
	"github.com/wardpolice/enroll/sync/upload"
	"github.com/wardpolice/enroll/sync/wire"
)

// link is the connection to the central a station is provisioned for.
type link struct {
	station string
	central string
	ackKey  ed25519.PublicKey
	http    *http.Client
	// dial and tls are what http's connections are made with, for probe.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	tls  *tls.Config
}

func (c *Courier) link(ctx context.Context) (*link, error) {
	p, err := c.Store.Provisioning(ctx)
	if err != nil {
		return nil, err
	}
	f, err := provision.Parse(p.File)
	if err != nil {
		return nil, err
	}
	conf, err := f.TLSConfig()
	if err != nil {
		return nil, err
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = conf
	t.ResponseHeaderTimeout = 2 * time.Minute
	var rt http.RoundTripper = t
	if c.Transport != nil {
		rt = c.Transport(t)
	}
	t.DialContext = idleDial(t.DialContext, cmp.Or(c.Idle, DefaultIdle))
	return &link{station: f.Station, central: strings.TrimSuffix(f.Central, "/"), ackKey: f.AckKey,
		http: &http.Client{Transport: rt}, dial: t.DialContext, tls: conf}, nil
}

// upload sends every ready batch, oldest first, resuming any upload already begun.
func (c *Courier) upload(ctx context.Context, l *link, r *Report) error {
	ready, err := c.Store.Batches(ctx, enroll.BatchReady)
	if err != nil {
		return err
	}
	client := &upload.Client{HTTP: l.http, Endpoint: l.central + wire.UploadPath}
	for i := len(ready) - 1; i >= 0; i-- { // Batches lists newest first
		b := ready[i]
		if err := c.uploadOne(ctx, l, client, b, r); err != nil {
			r.Pending = i + 1
			return err
		}
	}
	return nil
}

func (c *Courier) uploadOne(ctx context.Context, l *link, client *upload.Client, b enroll.Batch, r *Report) error {
	f, err := os.Open(b.File)
	if err != nil {
		return fmt.Errorf("batch %d: %w", b.Seq, err)
	}
	defer f.Close()
	c.update(func(s *enroll.SyncState) { s.Uploading, s.Sent, s.Size = b.ID, b.Sent, b.Size })
	defer c.update(func(s *enroll.SyncState) { s.Uploading = "" })
	meta := map[string]string{wire.MetaBatch: b.ID, wire.MetaStation: l.station}
	url := b.UploadURL
	res, err := client.Upload(ctx, f, b.Size, meta, b.UploadURL,
		func(u string) error {
			url = u
			return c.Store.SetUploadProgress(ctx, b.ID, u, 0)
		},
		func(off int64) {
			c.update(func(s *enroll.SyncState) { s.Sent = off })
			c.Store.SetUploadProgress(ctx, b.ID, url, off)
		})
	r.BytesSent += res.Sent
	var refused *upload.Refused
	switch {
	case errors.As(err, &refused) && refused.Op == http.MethodPost && refused.Status == http.StatusRequestEntityTooLarge &&
		b.Size > batch.MaxSize:
		// Built before batches had a size bound: central will never take it, so its records
		// go back to be packed again, into batches within the bound.
		reason := fmt.Sprintf("the batch is %d bytes, more than the %d central takes; its records are packed again", b.Size, batch.MaxSize)
		r.Refused++
		r.Refusals = append(r.Refusals, reason)
		return c.refused(ctx, b, reason)
	case errors.As(err, &refused) && refused.Header.Get(wire.OutcomeHeader) == ack.BatchDuplicate:
	case errors.As(err, &refused) && refused.Header.Get(wire.OutcomeHeader) == ack.BatchRefused:
		// tusd writes its errors as "CODE: message".
		reason := strings.TrimSpace(refused.Body)
		if _, msg, ok := strings.Cut(reason, ": "); ok && strings.HasPrefix(reason, "ERR_") {
			reason = msg
		}
		r.Refused++
		r.Refusals = append(r.Refusals, reason)
		return c.refused(ctx, b, reason)
	case err != nil:
		return fmt.Errorf("upload batch %d: %w", b.Seq, err)
	}
	if res.AlreadyComplete {
		// The answer to the last PATCH was lost, or it was central saying it could not store
		// the batch: central holds every byte and ingests it (or has); the status pull says
		// what it made of the batch, and the pass checks it did (notStored).
		r.whole = append(r.whole, b)
		return nil
	}
	return c.uploaded(ctx, b, r)
}

// uploaded moves a batch central holds on, and deletes its file: central has every byte.
func (c *Courier) uploaded(ctx context.Context, b enroll.Batch, r *Report) error {
	if err := c.Store.BatchUploaded(ctx, System, b.ID); err != nil {
		return err
	}
	r.Uploaded++
	if err := os.Remove(b.File); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("batch %d uploaded; its file: %w", b.Seq, err)
	}
	return nil
}

func (c *Courier) refused(ctx context.Context, b enroll.Batch, reason string) error {
	if err := c.Store.BatchRefused(ctx, System, b.ID, reason); err != nil {
		return err
	}
	os.Remove(b.File)
	return nil
}

// pull asks central for its verdicts on every record it may hold and the outcome of batches
// whose upload finished without an answer, and applies them. Central answers at most
// wire.MaxStatusRecords record ids a request: more are asked in further requests, the
// batches with the first.
func (c *Courier) pull(ctx context.Context, l *link, r *Report) error {
	ids, err := c.Store.AwaitingVerdict(ctx)
	if err != nil {
		return err
	}
	ready, err := c.Store.Batches(ctx, enroll.BatchReady)
	if err != nil {
		return err
	}
	var batches []string
	for _, b := range ready {
		if len(batches) == wire.MaxStatusBatches {
			// Central refuses more; the rest are asked about once these have their outcome.
			break
		}
		batches = append(batches, b.ID)
	}
	for len(ids) > 0 || len(batches) > 0 {
		req := wire.StatusRequest{Records: ids[:min(len(ids), wire.MaxStatusRecords)], Batches: batches}
		if err := c.ask(ctx, l, req, r); err != nil {
			return err
		}
		ids, batches = ids[len(req.Records):], nil
	}
	return nil
}

// ask sends one status request and applies central's answer.
func (c *Courier) ask(ctx context.Context, l *link, req wire.StatusRequest, r *Report) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, l.central+wire.StatusPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := l.http.Do(hr)
	if err != nil {
		return fmt.Errorf("ask central for statuses: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("ask central for statuses: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("ask central for statuses: %s: %s", resp.Status, strings.TrimSpace(string(data)))
		if resp.StatusCode/100 == 5 || resp.StatusCode == http.StatusTooManyRequests {
			// Central's trouble, not this station's: it is asked again at the next pass.
			return fmt.Errorf("%w (%v)", enroll.ErrCentralBusy, err)
		}
		if resp.StatusCode == http.StatusForbidden {
			// Central answers 403 only to a station it does not trust (intake's stations).
			return fmt.Errorf("%w (%v)", enroll.ErrCentralRefusedStation, err)
		}
		return err
	}
	a, err := ack.Parse(data, l.ackKey, l.station)
	if err != nil {
		return err
	}
	return c.apply(ctx, data, "status", a, r)
}

// ImportAck applies an acknowledgement file central wrote when it imported batches from
// removable media.
func (c *Courier) ImportAck(ctx context.Context, actor string, data []byte) (Report, error) {
	var r Report
	release, err := c.lock(ctx)
	if err != nil {
		return r, err
	}
	defer release()
	p, err := c.Store.Provisioning(ctx)
	if err != nil {
		return r, err
	}
	f, err := provision.Parse(p.File)
	if err != nil {
		return r, err
	}
	a, err := ack.Parse(data, f.AckKey, f.Station)
	if err != nil {
		return r, err
	}
	if err := c.drain(ctx, &r); err != nil {
		return r, err
	}
	return r, c.apply(ctx, data, "acknowledgement file", a, &r)
}

// verifiedAck checks central's acknowledgement against the provisioning a supervisor sealed:
// what changes records must be central's word, whatever the file holds now. It needs a login.
func (c *Courier) verifiedAck(ctx context.Context, data []byte) (*ack.Ack, error) {
	p, err := c.Store.VerifiedProvisioning(ctx)
	if err != nil {
		return nil, err
	}
	f, err := provision.Parse(p.File)
	if err != nil {
		return nil, err
	}
	return ack.Parse(data, f.AckKey, f.Station)
}

// drain applies the acknowledgements kept while nobody was logged in, oldest first; one that
// is not central's (its signature fails against the sealed provisioning) is dropped.
func (c *Courier) drain(ctx context.Context, r *Report) error {
	if !c.Store.Unlocked() {
		return nil
	}
	queued, err := c.Store.QueuedAcks(ctx)
	if err != nil {
		return err
	}
	for _, q := range queued {
		a, err := c.verifiedAck(ctx, q.Data)
		switch {
		case errors.Is(err, enroll.ErrStationLocked):
			return nil
		case err != nil:
			if derr := c.Store.DropQueuedAck(ctx, q.Seq); derr != nil {
				return derr
			}
			return fmt.Errorf("verdicts kept since %s were discarded, they are not central's (someone changed the station's file): %w",
				q.At.Format(time.DateTime), err)
		}
		if err := c.applyVerdicts(ctx, a, r); err != nil {
			if errors.Is(err, enroll.ErrStationLocked) {
				return nil
			}
			return err
		}
		if err := c.Store.DropQueuedAck(ctx, q.Seq); err != nil {
			return err
		}
	}
	return nil
}

// apply takes central's acknowledgement (data, as signed; a, parsed): batch outcomes first (so
// their records are uploaded), then verdicts, which change records: with nobody logged in they
// are kept for the next login.
func (c *Courier) apply(ctx context.Context, data []byte, source string, a *ack.Ack, r *Report) error {
	if len(a.Batches) > 0 {
		ready, err := c.Store.Batches(ctx, enroll.BatchReady)
		if err != nil {
			return err
		}
		byID := map[string]enroll.Batch{}
		for _, b := range ready {
			byID[b.ID] = b
		}
		for _, o := range a.Batches {
			b, ok := byID[o.ID]
			if !ok {
				continue
			}
			switch o.Outcome {
			case ack.BatchReceived, ack.BatchDuplicate:
				err = c.uploaded(ctx, b, r)
			case ack.BatchRefused:
				r.Refused++
				r.Refusals = append(r.Refusals, o.Reason)
				err = c.refused(ctx, b, o.Reason)
			}
			if err != nil {
				return err
			}
		}
	}
	if len(a.Verdicts) == 0 {
		return nil
	}
	if c.Store.Unlocked() {
		verified, err := c.verifiedAck(ctx, data)
		if err == nil {
			err = c.applyVerdicts(ctx, verified, r)
		}
		if !errors.Is(err, enroll.ErrStationLocked) {
			return err
		}
	}
	if err := c.Store.QueueAck(ctx, source, data, len(a.Verdicts)); err != nil {
		return err
	}
	r.Queued += len(a.Verdicts)
	return nil
}

func (c *Courier) applyVerdicts(ctx context.Context, a *ack.Ack, r *Report) error {
	applied, err := c.Store.ApplyVerdicts(ctx, System, a.Verdicts)
	r.Applied.Received += applied.Received
	r.Applied.Verified += applied.Verified
	r.Applied.Rejected += applied.Rejected
	r.Applied.Unchanged += applied.Unchanged
	return err
}

// Export copies every ready batch into dir (removable media) for `central import`. A batch
// stays ready: it still uploads if the station gets online first, and central takes whichever
// copy arrives first.
func (c *Courier) Export(ctx context.Context, actor, dir string) (int, error) {
	release, err := c.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	ready, err := c.Store.Batches(ctx, enroll.BatchReady)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range ready {
		to := filepath.Join(dir, filepath.Base(b.File))
		if err := copyFile(b.File, to); err != nil {
			return n, fmt.Errorf("export batch %d: %w", b.Seq, err)
		}
		if err := c.Store.BatchExported(ctx, actor, b.ID, dir); err != nil {
			return n, err
		}
		n++
	}
	syncDir(dir)
	return n, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, to)
}

// Pass is one round of sync: build (when logged in), upload, pull. actor is the logged-in
// officer, or System.
func (c *Courier) Pass(ctx context.Context, actor string) (Report, error) {
	var r Report
	c.update(func(s *enroll.SyncState) { s.Running = true })
	defer c.update(func(s *enroll.SyncState) { s.Running = false })
	release, err := c.lock(ctx)
	if err == nil {
		var l *link
		l, err = c.pass(ctx, actor, &r)
		err = classify(ctx, l, err)
		release()
	}
	c.update(func(s *enroll.SyncState) {
		s.LastError = err
		if err == nil {
			s.LastSuccess = c.Now()
		}
	})
	return r, err
}

// pass is Pass under the sync lock. It returns the link it made (nil before one), with which
// classify asks central what a failed connection meant.
func (c *Courier) pass(ctx context.Context, actor string, r *Report) (*link, error) {
	if err := c.tidy(ctx); err != nil {
		return nil, err
	}
	if err := c.drain(ctx, r); err != nil {
		return nil, err
	}
	if c.Store.Unlocked() {
		built, packed, err := c.build(ctx, actor)
		r.Built, r.Packed = built, packed
		// The session may lock while records are read: what is built goes now, the rest
		// at the next login.
		if err != nil && !errors.Is(err, enroll.ErrStationLocked) {
			return nil, err
		}
	}
	l, err := c.link(ctx)
	if err != nil {
		return nil, err
	}
	uerr := c.upload(ctx, l, r)
	perr := c.pull(ctx, l, r)
	if uerr == nil && perr == nil && r.Refused > 0 && c.Store.Unlocked() {
		// Refused batches put their records back: pack and send them again now (after a
		// station is provisioned anew, this is what gets them through).
		again := Report{}
		built, packed, err := c.build(ctx, actor)
		if err != nil && !errors.Is(err, enroll.ErrStationLocked) {
			return l, err
		}
		uerr = c.upload(ctx, l, &again)
		r.Built, r.Packed = r.Built+built, r.Packed+packed
		r.Uploaded, r.BytesSent = r.Uploaded+again.Uploaded, r.BytesSent+again.BytesSent
		r.Refused += again.Refused
		r.Refusals = append(r.Refusals, again.Refusals...)
		r.whole = append(r.whole, again.whole...)
		if uerr == nil {
			perr = c.pull(ctx, l, r)
		}
	}
	if uerr != nil {
		return l, uerr
	}
	if perr != nil {
		return l, perr
	}
	return l, c.notStored(ctx, r)
}

// notStored tells of a batch whose upload central held whole but whose status answer named no
// outcome: central did not store it (its disk or database failed while it ingested). Its
// upload client saw central's 503 turn into "already complete" when it asked again, so without
// this check the pass would end as a success with the batch neither uploaded nor refused.
// Central's sweep stores it later; this station asks again at its next pass.
func (c *Courier) notStored(ctx context.Context, r *Report) error {
	if len(r.whole) == 0 {
		return nil
	}
	ready, err := c.Store.Batches(ctx, enroll.BatchReady)
	if err != nil {
		return err
	}
	waiting := map[string]bool{}
	for _, b := range ready {
		waiting[b.ID] = true
	}
	for _, b := range r.whole {
		if waiting[b.ID] {
			return fmt.Errorf("%w (batch %d: central holds all of it but has not stored it yet; it stores it by itself and this station asks again at its next pass)",
				enroll.ErrCentralBusy, b.Seq)
		}
	}
	return nil
}

// classify gives the trouble an officer can understand its domain error: central out of reach
// or busy (the records wait safely), central refusing this station, or another central at its
// address. The detail stays wrapped. A connection that failed without saying why is put to
// central once more on a connection of its own (l.probe), when the pass got as far as a link.
func classify(ctx context.Context, l *link, err error) error {
	var refused *upload.Refused
	var netErr net.Error
	var opErr *net.OpError
	var foreign x509.UnknownAuthorityError
	switch {
	case err == nil:
		return nil
	case alreadySaid(err):
		return err
	// Central's certificate is not from the authority in the provisioning file: whatever
	// answers there is not this station's central, and no retry changes that.
	case errors.As(err, &foreign):
		return fmt.Errorf("%w (%v)", enroll.ErrWrongCentral, err)
	// A TLS alert from central during the handshake (the alert types are unexported).
	case remoteAlert(err) || errors.As(err, &refused) && refused.Status == http.StatusForbidden:
		return fmt.Errorf("%w (%v)", enroll.ErrCentralRefusedStation, err)
	case upload.Busy(err):
		return fmt.Errorf("%w (%v)", enroll.ErrCentralBusy, err)
	case l != nil && cutShort(err):
		if perr := l.probe(ctx); perr != nil {
			if errors.As(perr, &foreign) {
				return fmt.Errorf("%w (%v; asked again: %v)", enroll.ErrWrongCentral, err, perr)
			}
			return fmt.Errorf("%w (%v; asked again, central answered: %v)", enroll.ErrCentralRefusedStation, err, perr)
		}
		return fmt.Errorf("%w (%v)", enroll.ErrCentralUnreachable, err)
	case errors.As(err, &opErr) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%w (%v)", enroll.ErrCentralUnreachable, err)
	}
	return err
}

// alreadySaid tells an error that already says in the officer's words what happened.
func alreadySaid(err error) bool {
	for _, e := range []error{enroll.ErrCentralBusy, enroll.ErrCentralRefusedStation, enroll.ErrCentralUnreachable,
		enroll.ErrWrongCentral, enroll.ErrSyncRunning, enroll.ErrNotProvisioned} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// remoteAlert tells a TLS alert central sent: crypto/tls reports it as an OpError "remote
// error" (the alert type is unexported), which some wrappers keep only as text.
func remoteAlert(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "remote error" || strings.Contains(err.Error(), "remote error: tls:")
}

// cutShort tells a connection that central (or the line) ended without an answer. Under TLS
// 1.3 a station's certificate is judged after the station thinks the handshake is done, so
// central's refusal arrives as an alert on the first read, and is often lost on the way:
// central closes a connection whose request it never read, the reset overtakes the alert,
// and the station sees "connection reset by peer", an EOF, or HTTP/2's "client conn could
// not be established", which keeps no cause at all. A line that is down, a refused
// connection or a timeout is not cut short: central was never heard, nothing to ask.
func cutShort(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "http2: client conn")
}

// probeTimeout bounds probe. Central answers a station it accepts at once (HTTP/2 has the
// server speak first), and refuses one within its handshake.
const probeTimeout = 30 * time.Second

// probe asks central, on a fresh connection of its own that sends nothing after the
// handshake, whether it accepts this station's certificate. Central that accepts it sends its
// HTTP/2 settings at once; central that refuses it sends a TLS alert and closes, and since
// this connection sent no request central left unread, the close does not reset the line
// and the alert arrives. probe returns the alert (or a handshake error such as another
// central's certificate) when that is what central said, and nil when it accepted the station
// or said nothing conclusive: the original error then stands.
func (l *link) probe(ctx context.Context) error {
	u, err := url.Parse(l.central)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	raw, err := l.dial(ctx, "tcp", addr)
	if err != nil {
		return nil
	}
	// The dialled connection keeps its own idle deadlines; the probe's bound closes it.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	conf := l.tls.Clone()
	conf.NextProtos = []string{"h2"}
	if conf.ServerName == "" {
		conf.ServerName = u.Hostname()
	}
	conn := tls.Client(raw, conf)
	defer conn.Close()
	if err := conn.HandshakeContext(ctx); err != nil {
		var foreign x509.UnknownAuthorityError
		if remoteAlert(err) || errors.As(err, &foreign) {
			return err
		}
		return nil
	}
	if conn.ConnectionState().NegotiatedProtocol != "h2" {
		return nil // a server that waits for the client to speak first: nothing to learn
	}
	if _, err := conn.Read(make([]byte, 1)); err != nil && remoteAlert(err) {
		return err
	}
	return nil
}

// Run does a pass at start, whenever Trigger is called and every interval, backing off after
// failures (doubling up to maxWait), until ctx ends.
func (c *Courier) Run(ctx context.Context, interval, maxWait time.Duration) {
	wait := interval
	for {
		// Another pass on this database (`station sync` in a terminal) is no reason to
		// back off: it is central's state that the back-off spares.
		if _, err := c.Pass(ctx, c.actor()); err != nil && !errors.Is(err, enroll.ErrNotProvisioned) && !errors.Is(err, enroll.ErrSyncRunning) {
			wait = min(wait*2, maxWait)
		} else {
			wait = interval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// DefaultIdle is how long a connection to central may carry nothing, either way, before the
// courier gives it up: a line that stalls (a radio link that drops without closing, a proxy
// that stops forwarding) would otherwise hold a sync forever. The upload resumes from
// central's offset at the next pass. It is as long as central may take to answer a finished
// upload (it verifies the batch's records before it answers).
const DefaultIdle = 2 * time.Minute

// idleDial wraps dial so that every read and write of its connections must make progress
// within idle.
func idleDial(dial func(context.Context, string, string) (net.Conn, error), idle time.Duration) func(context.Context, string, string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: conn, idle: idle}, nil
	}
}

// idleConn is a connection whose every read and write has idle to make progress.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
	return c.Conn.Write(p)
}
