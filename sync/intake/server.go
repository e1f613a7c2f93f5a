package intake

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/filestore"
	"github.com/tus/tusd/v2/pkg/handler"
	expslog "golang.org/x/exp/slog"

	"github.com/wardpolice/enroll/sync/ack"
	"github.com/wardpolice/enroll/sync/batch"
	"github.com/wardpolice/enroll/sync/wire"
)

const (
	// stationHeader is set by the server from the client certificate; whatever a client
	// sends under that name is dropped.
	stationHeader = "X-Enroll-Station"
	// MaxBatchSize bounds one upload: the largest batch file a station writes (about 272 MiB;
	// sync/batch derives it from the size of real records). An upload declaring more is
	// refused (413) before a byte of it arrives, unless central already has its batch.
	MaxBatchSize = batch.MaxSize
	// legacyMaxUpload is the bound uploads had before batches had one.
	legacyMaxUpload = 8 << 30
)

// maxStatusRequest bounds a status request's body: as many ids as central answers at once,
// each as long as a record id may be (stations send 36-byte UUIDs) with its quotes and comma,
// and the JSON around them. About 2.5 MiB.
const maxStatusRequest = int64(wire.MaxStatusRecords+wire.MaxStatusBatches)*(batch.MaxRecordID+int64(len(`"",`))) + 1<<10

// UploadRetention is how long central keeps an unfinished upload nobody sends to: the time
// counts from its last byte. DESIGN §7 promises that an interrupted upload resumes from
// central's offset, and ward offices are offline for more than a week at a time: the Tết
// closure alone is 7 to 9 days, a typhoon's broken lines take longer. Past the retention the
// station sends the batch again from its first byte (nothing is lost, the link pays twice),
// so it is set well beyond such outages; the per-station bounds (MaxOpenUploads,
// MaxOpenUploadBytes) cap what the longer wait can cost in disk.
const UploadRetention = 30 * 24 * time.Hour

// strayAge is how old a file in the upload folder without an .info must be before the sweep
// removes it: tusd writes an upload's data file a moment before its .info, and a request may
// hold a lock file of an upload removed under it for as long as it runs.
const strayAge = time.Hour

// unavailableRetryAfter is the Retry-After of a 503 for central's own trouble (its database
// or disk): long enough that the station's upload client does not retry in place (it waits at
// most 30 s there) but hands the answer to the courier, whose next pass comes a minute later.
const unavailableRetryAfter = time.Minute

// statusReadTimeout bounds the time a station takes to send a status request's body; the
// server as a whole has no ReadTimeout, which would cut off long tus uploads.
const statusReadTimeout = time.Minute

// TLSConfig is central's side of mutual TLS: a client certificate issued by central's CA is
// required, and it must be the one last issued to a station that is still registered.
func (c *Central) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.keys.Server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    c.keys.CA.Pool(),
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("a station certificate is required")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Only a definite refusal ends the handshake: the alert it sends tells the station
			// to be provisioned again. When central cannot look the station up (its database
			// does not answer), the connection goes on and stations() answers each request 503,
			// so the station keeps its records and comes back later.
			if _, err := c.trust(ctx, cs.PeerCertificates[0]); errors.Is(err, ErrStationRefused) {
				return err
			}
			return nil
		},
	}
}

// Handler is central's HTTP interface: tus uploads and status. It expects requests that came
// through TLSConfig; a request without a verified client certificate gets 403 and nothing else.
// tusd's own messages go to logOut at warning level and above (tusd logs with x/exp/slog).
func (c *Central) Handler(logOut io.Writer) (http.Handler, error) {
	dir := filepath.Join(c.Dir, UploadsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload folder: %w", err)
	}
	composer := handler.NewStoreComposer()
	filestore.New(dir).UseIn(composer)
	uploadLocker(dir).UseIn(composer)
	tus, err := handler.NewHandler(handler.Config{
		BasePath:      wire.UploadPath,
		StoreComposer: composer,
		// tusd's own bound answers 413 before beforeUpload runs, and so before central can
		// tell a station that it already has the batch (one built before batches had a size
		// bound and imported from removable media): beforeUpload applies MaxBatchSize after
		// that answer, tusd only the bound stations had before.
		MaxSize:                   legacyMaxUpload,
		DisableDownload:           true,
		DisableTermination:        true,
		DisableConcatenation:      true,
		Logger:                    expslog.New(expslog.NewTextHandler(logOut, &expslog.HandlerOptions{Level: expslog.LevelWarn})),
		PreUploadCreateCallback:   c.beforeUpload,
		PreFinishResponseCallback: c.afterUpload,
	})
	if err != nil {
		return nil, fmt.Errorf("upload handler: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(wire.UploadPath, http.StripPrefix(wire.UploadPath, (&creations{}).wrap(tus)))
	mux.HandleFunc("POST "+wire.StatusPath, c.status)
	return c.stations(mux), nil
}

// stations lets through only requests from a station central trusts, naming it in
// stationHeader for what follows.
func (c *Central) stations(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(stationHeader)
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "a station certificate is required", http.StatusForbidden)
			return
		}
		code, err := c.trust(r.Context(), r.TLS.PeerCertificates[0])
		if errors.Is(err, ErrStationRefused) {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if err != nil {
			// The detail (the database's words) is for central's operator; the station hears
			// that central cannot take it now, which it tells its officer as "busy, records
			// kept". The station is named from its certificate, which the CA verified.
			c.log.Error("station not checked: central's database did not answer", "station", StationOf(r.TLS.PeerCertificates[0]),
				"request", r.Method+" "+r.URL.Path, "err", err)
			w.Header().Set("Retry-After", strconv.Itoa(int(unavailableRetryAfter/time.Second)))
			http.Error(w, "central cannot check this station now (its database does not answer); try again later", http.StatusServiceUnavailable)
			return
		}
		r.Header.Set(stationHeader, code)
		if id, ok := strings.CutPrefix(r.URL.Path, wire.UploadPath); ok && id != "" {
			if owner, err := c.uploadOwner(id); err != nil || owner != code {
				// Another station's upload, or none: the same answer, so ids cannot be probed.
				http.Error(w, "no such upload", http.StatusNotFound)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// uploadOwner reads which station created a tus upload (its metadata, checked at creation).
func (c *Central) uploadOwner(id string) (string, error) {
	if strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") {
		return "", errors.New("not an upload id")
	}
	fi, err := readInfo(filepath.Join(c.Dir, UploadsDir, id+".info"))
	if err != nil {
		return "", err
	}
	return fi.MetaData[wire.MetaStation], nil
}

func readInfo(path string) (handler.FileInfo, error) {
	var fi handler.FileInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return fi, err
	}
	if err := json.Unmarshal(data, &fi); err != nil {
		return fi, fmt.Errorf("upload %s: %w", path, err)
	}
	return fi, nil
}

// beforeUpload checks a new upload's metadata: it must name a batch of the connected station,
// and a batch central already stored is answered at once (nothing to send again). The upload
// must declare its length, at most MaxBatchSize, and fit the station's bounds (admitUpload);
// its id starts with the station's code, so that the station's uploads can be counted by name.
func (c *Central) beforeUpload(hook handler.HookEvent) (handler.HTTPResponse, handler.FileInfoChanges, error) {
	station := hook.HTTPRequest.Header.Get(stationHeader)
	id, claimed := hook.Upload.MetaData[wire.MetaBatch], hook.Upload.MetaData[wire.MetaStation]
	if id == "" || claimed == "" {
		return handler.HTTPResponse{}, handler.FileInfoChanges{},
			handler.NewError("ERR_BATCH_METADATA", "an upload must name its batch and station (metadata batch, station)", http.StatusBadRequest)
	}
	if claimed != station {
		return handler.HTTPResponse{}, handler.FileInfoChanges{},
			handler.NewError("ERR_BATCH_STATION", fmt.Sprintf("station %s cannot upload a batch of station %s", station, claimed), http.StatusForbidden)
	}
	out, err := c.BatchOutcomes(hook.Context, station, []string{id})
	if err != nil {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, err
	}
	if len(out) == 1 && out[0].Outcome == ack.BatchReceived {
		e := handler.NewError("ERR_BATCH_RECEIVED", fmt.Sprintf("batch %s is already at central; nothing to send", id), http.StatusConflict)
		e.HTTPResponse.Header = handler.HTTPHeader{wire.OutcomeHeader: ack.BatchDuplicate}
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, e
	}
	if hook.Upload.Size > MaxBatchSize {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, handler.NewError("ERR_MAX_SIZE_EXCEEDED",
			fmt.Sprintf("batch %s is %d bytes, more than the %d central takes", id, hook.Upload.Size, MaxBatchSize), http.StatusRequestEntityTooLarge)
	}
	if hook.Upload.SizeIsDeferred {
		// Its bytes would count against nothing until its last PATCH.
		return handler.HTTPResponse{}, handler.FileInfoChanges{},
			handler.NewError("ERR_UPLOAD_LENGTH", "an upload must declare its length (Upload-Length) when it is created", http.StatusBadRequest)
	}
	if err := c.admitUpload(hook.Context, station, id, hook.Upload.Size); err != nil {
		return handler.HTTPResponse{}, handler.FileInfoChanges{}, err
	}
	return handler.HTTPResponse{}, handler.FileInfoChanges{ID: newUploadID(station)}, nil
}

// afterUpload ingests a finished upload before answering its last PATCH, so the station learns
// at once whether central stored or refused its batch.
func (c *Central) afterUpload(hook handler.HookEvent) (handler.HTTPResponse, error) {
	path := hook.Upload.Storage[filestore.StorageKeyPath]
	station, id := hook.HTTPRequest.Header.Get(stationHeader), hook.Upload.MetaData[wire.MetaBatch]
	out, err := c.Ingest(hook.Context, path, From{Source: SourceUpload, Station: station, Batch: id})
	if err != nil {
		// Central's own trouble (a full disk, a database that does not answer): its operator
		// hears of it now, not at the next sweep. The upload is whole on disk; the sweep
		// ingests it later.
		c.log.Error("batch not stored", "station", station, "batch", id, "upload", hook.Upload.ID, "err", err)
		// Retry-After beyond the station's in-place retries: its next attempt would find the
		// upload whole and hear nothing of this answer, so it hands it to its courier at once,
		// which tells the officer that central could not take the batch yet.
		e := handler.NewError("ERR_INTAKE", "central could not store the batch yet; it will", http.StatusServiceUnavailable)
		e.HTTPResponse.Header["Retry-After"] = strconv.Itoa(int(unavailableRetryAfter / time.Second))
		return handler.HTTPResponse{}, e
	}
	if out.Outcome == ack.BatchRefused {
		e := handler.NewError("ERR_BATCH_REFUSED", out.Reason, http.StatusUnprocessableEntity)
		e.HTTPResponse.Header = handler.HTTPHeader{wire.OutcomeHeader: ack.BatchRefused}
		return handler.HTTPResponse{}, e
	}
	return handler.HTTPResponse{Header: handler.HTTPHeader{wire.OutcomeHeader: out.Outcome}}, nil
}

// status answers a wire.StatusRequest with a signed acknowledgement.
func (c *Central) status(w http.ResponseWriter, r *http.Request) {
	station := r.Header.Get(stationHeader)
	// Not every ResponseWriter supports deadlines (tests' recorders do not); the body limit
	// still bounds the request there.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(statusReadTimeout))
	var req wire.StatusRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxStatusRequest)).Decode(&req); err != nil {
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("status request: more than the %d bytes central reads", maxStatusRequest), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "status request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(req.Batches) > wire.MaxStatusBatches {
		http.Error(w, fmt.Sprintf("status request: %d batch ids, more than the %d central answers at once", len(req.Batches), wire.MaxStatusBatches),
			http.StatusRequestEntityTooLarge)
		return
	}
	if len(req.Records) > wire.MaxStatusRecords {
		http.Error(w, fmt.Sprintf("status request: %d record ids, more than the %d central answers at once", len(req.Records), wire.MaxStatusRecords),
			http.StatusRequestEntityTooLarge)
		return
	}
	body, err := c.statusAck(r.Context(), station, req)
	if err != nil {
		// The detail is central's (database, keys): for its operator, not for the station. It
		// is central's own trouble, which its operator must fix: an error, not a warning.
		c.log.Error("status not answered", "station", station, "err", err)
		http.Error(w, "central could not answer now; ask again later", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// statusAck is the signed acknowledgement answering a station's status request.
func (c *Central) statusAck(ctx context.Context, station string, req wire.StatusRequest) ([]byte, error) {
	verdicts, err := c.Verdicts(ctx, station, req.Records)
	if err != nil {
		return nil, err
	}
	batches, err := c.BatchOutcomes(ctx, station, req.Batches)
	if err != nil {
		return nil, err
	}
	body, err := c.Ack(station, batches, verdicts)
	if err != nil {
		return nil, fmt.Errorf("sign acknowledgement for %s: %w", station, err)
	}
	return body, nil
}

// Sweep finishes what a crash or a lost response left in the upload folder and keeps the
// folder from growing: a whole upload with no outcome is ingested; an upload whose batch has
// an outcome is deleted a minute later (by then its station has had its answer); an unfinished
// upload is deleted once nobody has sent to it for UploadRetention, or as soon as central
// stores its batch by another way; and what a crash cut in half goes (an .info without its
// data, or data and lock files without their .info).
func (c *Central) Sweep(ctx context.Context) error {
	dir := filepath.Join(c.Dir, UploadsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	listed := make(map[string]bool, len(entries))
	for _, e := range entries {
		listed[e.Name()] = true
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".info") {
			errs = append(errs, c.sweepOne(ctx, filepath.Join(dir, name)))
			continue
		}
		id := strings.TrimSuffix(strings.TrimSuffix(name, ".lock"), ".stop")
		if e.IsDir() || listed[id+".info"] {
			continue
		}
		if st, err := e.Info(); err == nil && c.now().Sub(st.ModTime()) > strayAge {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("sweep: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

func (c *Central) sweepOne(ctx context.Context, infoPath string) error {
	bin := strings.TrimSuffix(infoPath, ".info")
	remove := func() error {
		if err := c.removeUpload(ctx, filepath.Base(bin)); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		return nil
	}
	fi, err := readInfo(infoPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil // another central process swept it
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) {
		// An .info a crash cut short (tusd rewrites it in place): no request can use the
		// upload, and its station, told it is gone, starts another. A fresh one may be
		// being written now. Any other error (no file handle left, a disk error) says
		// nothing about the upload, which stays.
		if st, serr := os.Stat(infoPath); serr == nil && c.now().Sub(st.ModTime()) > strayAge {
			return remove()
		}
	}
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	// tusd's .info keeps the offset of its creation; the data file's size is how much arrived.
	st, err := os.Stat(bin)
	if errors.Is(err, os.ErrNotExist) {
		// tusd writes the data file before the .info: an .info alone is a removal cut short.
		return remove()
	}
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	station, id := fi.MetaData[wire.MetaStation], fi.MetaData[wire.MetaBatch]
	if st.Size() != fi.Size {
		// An upload declared larger than central now takes (one created before the bound)
		// can never be a batch central accepts: its station, told it is gone, starts again and
		// hears 413, and packs its records again into batches within the bound.
		if c.now().Sub(st.ModTime()) > UploadRetention || fi.Size > MaxBatchSize {
			return remove()
		}
		// The batch came on removable media, or by another upload: its station, told this
		// upload is gone, creates another and hears at once that central has the batch.
		var stored int
		if err := c.db.queryRow(ctx, `SELECT count(*) FROM batches WHERE id = ? AND station = ?`, id, station).Scan(&stored); err != nil {
			return fmt.Errorf("sweep %s: %w", infoPath, err)
		}
		if stored > 0 {
			return remove()
		}
		return nil
	}
	// The outcome is looked up for this station's batch: another station's refusal of a batch
	// under the same id says nothing about this one.
	var decided sql.NullInt64
	if err := c.db.queryRow(ctx, `SELECT max(at) FROM intake_log WHERE batch_id = ? AND station = ?`,
		id, station).Scan(&decided); err != nil {
		return fmt.Errorf("sweep %s: %w", infoPath, err)
	}
	if !decided.Valid {
		_, err := c.Ingest(ctx, bin, From{Source: SourceUpload, Station: station, Batch: id})
		return err
	}
	// A minute after the outcome the station has had its answer or can ask for it.
	if c.now().Sub(time.UnixMilli(decided.Int64)) > time.Minute {
		return remove()
	}
	return nil
}

// Serve runs central's HTTPS server on addr until ctx ends, sweeping the upload folder at
// start and every sweepEvery.
func (c *Central) Serve(ctx context.Context, addr string, logOut io.Writer, sweepEvery time.Duration, ready func(net.Addr)) error {
	log := slog.New(slog.NewTextHandler(logOut, nil))
	c.log = log
	h, err := c.Handler(logOut)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	// No ReadTimeout: it would cut off tus uploads of large batches, for which tusd keeps its
	// own per-read deadlines; the status handler sets its own (statusReadTimeout).
	srv := &http.Server{Handler: h, TLSConfig: c.TLSConfig(), ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			if err := c.Sweep(ctx); err != nil {
				log.Warn("sweep", "err", err)
			}
			if _, err := c.VerifyPending(ctx, nil); err != nil {
				log.Warn("verify", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if ready != nil {
		ready(ln.Addr())
	}
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// StationOf names the station a verified client certificate belongs to.
func StationOf(cert *x509.Certificate) string { return cert.Subject.CommonName }
