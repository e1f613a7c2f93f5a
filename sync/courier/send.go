package courier

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
		http: &http.Client{Transport: rt}}, nil
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
		// The answer to the last PATCH was lost: central holds every byte and ingests it (or
		// has); the status pull says what it made of the batch.
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
	err := classify(c.pass(ctx, actor, &r))
	c.update(func(s *enroll.SyncState) {
		s.LastError = err
		if err == nil {
			s.LastSuccess = c.Now()
		}
	})
	return r, err
}

func (c *Courier) pass(ctx context.Context, actor string, r *Report) error {
	if err := c.Tidy(ctx); err != nil {
		return err
	}
	if err := c.drain(ctx, r); err != nil {
		return err
	}
	if c.Store.Unlocked() {
		built, packed, err := c.Build(ctx, actor)
		r.Built, r.Packed = built, packed
		// The session may lock while records are read: what is built goes now, the rest
		// at the next login.
		if err != nil && !errors.Is(err, enroll.ErrStationLocked) {
			return err
		}
	}
	l, err := c.link(ctx)
	if err != nil {
		return err
	}
	uerr := c.upload(ctx, l, r)
	perr := c.pull(ctx, l, r)
	if uerr == nil && perr == nil && r.Refused > 0 && c.Store.Unlocked() {
		// Refused batches put their records back: pack and send them again now (after a
		// station is provisioned anew, this is what gets them through).
		again := Report{}
		built, packed, err := c.Build(ctx, actor)
		if err != nil && !errors.Is(err, enroll.ErrStationLocked) {
			return err
		}
		uerr = c.upload(ctx, l, &again)
		r.Built, r.Packed = r.Built+built, r.Packed+packed
		r.Uploaded, r.BytesSent = r.Uploaded+again.Uploaded, r.BytesSent+again.BytesSent
		r.Refused += again.Refused
		r.Refusals = append(r.Refusals, again.Refusals...)
		if uerr == nil {
			perr = c.pull(ctx, l, r)
		}
	}
	if uerr != nil {
		return uerr
	}
	return perr
}

// classify gives the trouble an officer can understand its domain error: central out of reach
// or busy (the records wait safely), or central refusing this station. The detail stays wrapped.
func classify(err error) error {
	var refused *upload.Refused
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case err == nil:
		return nil
	// A TLS alert from central during the handshake (the alert types are unexported).
	case strings.Contains(err.Error(), "remote error: tls:") || errors.As(err, &refused) && refused.Status == http.StatusForbidden:
		return fmt.Errorf("%w (%v)", enroll.ErrCentralRefusedStation, err)
	case upload.Busy(err):
		return fmt.Errorf("%w (%v)", enroll.ErrCentralBusy, err)
	case errors.As(err, &opErr) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%w (%v)", enroll.ErrCentralUnreachable, err)
	}
	return err
}

// Run does a pass at start, whenever Trigger is called and every interval, backing off after
// failures (doubling up to maxWait), until ctx ends.
func (c *Courier) Run(ctx context.Context, interval, maxWait time.Duration) {
	wait := interval
	for {
		if _, err := c.Pass(ctx, c.actor()); err != nil && !errors.Is(err, enroll.ErrNotProvisioned) {
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
