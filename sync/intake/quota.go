package intake

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tus/tusd/v2/pkg/filelocker"
	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/wardpolice/enroll/sync/wire"
)

// What one station may hold at central in unfinished uploads, checked when it creates one
// (beforeUpload). A station sends one batch at a time: its courier goes through the ready
// batches oldest first, stops at the first that fails and resumes that same upload at the
// next pass. So in normal work a station holds one unfinished upload, and two while
// `station sync` runs from the command line beside the application. Two more are for uploads
// it can no longer resume that central keeps until they expire, those of a station restored
// from an older backup (it builds its batches again under new ids); central clears the other
// kinds at once: an upload of a batch the station starts again (admitUpload supersedes it), of
// a batch central stored by another way (the sweep), and of a station re-issued or removed
// (its old certificate and key can finish nothing). That makes 4. The bytes allow one batch
// of the largest size being sent while another as large is left behind; real batches are far
// smaller (500 typical records are 66 MB), so the count is what a station meets first.
// Together they bound what a station can make central keep to about 544 MiB, where 2 000
// uploads of 8 GiB each were accepted before.
const (
	MaxOpenUploads     = 4
	MaxOpenUploadBytes = 2 * MaxBatchSize
)

// quotaRetryAfter is the Retry-After of an answer over the bounds: a station's upload in
// progress takes minutes to finish (a 66 MB batch at 1 Mbit/s, 9 minutes). The station's
// upload client hands such an answer to its courier, which tries again after its own back-off
// (one minute, doubling to fifteen: cmd/station).
const quotaRetryAfter = 10 * time.Minute

// uploadIDSep separates the station code from the random part of an upload id. Station codes
// are letters, digits and dashes (enroll.CheckStationCode), so the station's uploads are the
// files named CODE_…: counting them reads no other station's.
const uploadIDSep = "_"

// newUploadID names a station's new upload.
func newUploadID(station string) string { return station + uploadIDSep + strings.ToLower(rand.Text()) }

// openUpload is an unfinished upload in the upload folder.
type openUpload struct {
	id       string
	batch    string
	declared int64 // its Upload-Length
}

// openUploads lists the station's unfinished uploads: those whose data file holds fewer bytes
// than declared. A whole upload is not counted: the sweep ingests it and then removes it. The
// folder is listed, not globbed: central's own folder name may hold glob characters. Uploads
// named before ids carried the station's code (no separator in the name) are read too, and
// counted when their .info names the station.
func (c *Central) openUploads(station string) ([]openUpload, error) {
	dir := filepath.Join(c.Dir, UploadsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("uploads of station %s: %w", station, err)
	}
	var out []openUpload
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".info")
		if !ok || !strings.HasPrefix(id, station+uploadIDSep) && strings.Contains(id, uploadIDSep) {
			continue
		}
		fi, err := readInfo(filepath.Join(dir, e.Name()))
		if err != nil {
			// Removed since the listing, or an .info cut short by a crash, which no request
			// can use: the sweep removes it.
			continue
		}
		st, err := os.Stat(filepath.Join(dir, id))
		if err != nil || fi.MetaData[wire.MetaStation] != station || st.Size() >= fi.Size {
			continue
		}
		out = append(out, openUpload{id: id, batch: fi.MetaData[wire.MetaBatch], declared: fi.Size})
	}
	return out, nil
}

// uploadLocker is the lock on uploads that tusd's requests take and central takes to remove
// one. Who wants the lock of a busy upload leaves a .stop file, which the holder looks for
// every second (tusd's default, 5 s, would hold a station's next upload creation that long
// when it replaces one still being written); the acquirer looks again every half second.
func uploadLocker(dir string) filelocker.FileLocker {
	l := filelocker.New(dir)
	l.HolderPollInterval, l.AcquirerPollInterval = time.Second, 500*time.Millisecond
	return l
}

// lockWait is how long central waits for a request writing to an upload to let go of it
// before removing the upload: a few of the holder's polls.
const lockWait = 5 * time.Second

// removeUpload removes an upload's data, .info and lock files, holding the upload's lock: a
// request still writing to it is asked to stop first. Removed under a running PATCH, the data
// file would go on growing unseen through the handle tusd holds, outside every count (a station
// could fill the disk by starting the same batch again and again while trickling into each).
// An upload whose lock is not had within lockWait stays, and the error says so.
func (c *Central) removeUpload(ctx context.Context, id string) error {
	dir := filepath.Join(c.Dir, UploadsDir)
	lock, err := uploadLocker(dir).NewLock(id)
	if err != nil {
		return fmt.Errorf("remove upload %s: %w", id, err)
	}
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	if err := lock.Lock(lctx, func() {}); err != nil {
		return fmt.Errorf("remove upload %s: a request still writes to it: %w", id, err)
	}
	bin := filepath.Join(dir, id)
	var errs []error
	for _, p := range []string{bin, bin + ".info"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, lock.Unlock()) // removes the lock and .stop files
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove upload %s: %w", id, err)
	}
	return nil
}

// admitUpload decides whether station may create an upload of size bytes for batch: an
// unfinished upload of the same batch is one the station has lost (it creates an upload only
// when it has none it can resume) and goes, once no request writes to it any more; then the
// rest must leave room under the bounds.
// The error is a tusd one, which tusd answers to the station as it is.
func (c *Central) admitUpload(ctx context.Context, station, batch string, size int64) error {
	open, err := c.openUploads(station)
	if err != nil {
		c.log.Warn("upload quota", "station", station, "err", err)
		return handler.NewError("ERR_INTAKE", "central could not count this station's uploads; try again later", http.StatusServiceUnavailable)
	}
	var n int
	var held int64
	for _, u := range open {
		if u.batch == batch {
			err := c.removeUpload(ctx, u.id)
			if err == nil {
				continue
			}
			// Still being written (or not removable): it still takes its room.
			c.log.Warn("superseded upload", "station", station, "upload", u.id, "err", err)
		}
		n++
		held += u.declared
	}
	if n+1 <= MaxOpenUploads && held+size <= MaxOpenUploadBytes {
		return nil
	}
	// The operator's sign of a station stuck at its bound (it retries every pass).
	c.log.Warn("upload refused: station at its bound of unfinished uploads", "station", station, "batch", batch,
		"unfinished", n, "bytes", held, "asked", size)
	e := handler.NewError("ERR_UPLOAD_QUOTA", fmt.Sprintf(
		"station %s has %d unfinished uploads (%d bytes); a station may hold %d and %d bytes: try again once one is finished or cleared",
		station, n, held, MaxOpenUploads, MaxOpenUploadBytes), http.StatusTooManyRequests)
	e.HTTPResponse.Header = handler.HTTPHeader{"Retry-After": strconv.Itoa(int(quotaRetryAfter / time.Second))}
	return e
}

// dropStationUploads removes every unfinished upload of a station that can finish none: one
// re-issued (its old certificate is refused, and batches signed with its old key would be) or
// removed. Whole uploads stay for the sweep, which ingests them and logs their outcome.
func (c *Central) dropStationUploads(ctx context.Context, station string) {
	open, err := c.openUploads(station)
	for _, u := range open {
		err = errors.Join(err, c.removeUpload(ctx, u.id))
	}
	if err != nil {
		c.log.Warn("uploads of a station re-issued or removed", "station", station, "err", err)
	}
}

// creations lets one upload creation per station run at a time in this process: beforeUpload
// counts a station's uploads from the folder, and two creations counted at once would both
// pass the bounds before either upload exists. Central processes sharing the folder count
// apart, so a station may pass the bounds by one upload per other process at most.
type creations struct {
	mu   sync.Mutex
	turn map[string]chan struct{} // one per station, holding a token while its creation runs
}

// wrap serialises the POSTs (creations) of each station through next.
func (cr *creations) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		release, err := cr.acquire(r.Context(), r.Header.Get(stationHeader))
		if err != nil {
			return // the station went away while it waited: nobody to answer
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}

func (cr *creations) acquire(ctx context.Context, station string) (func(), error) {
	cr.mu.Lock()
	if cr.turn == nil {
		cr.turn = map[string]chan struct{}{}
	}
	ch, ok := cr.turn[station]
	if !ok {
		ch = make(chan struct{}, 1)
		cr.turn[station] = ch
	}
	cr.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
