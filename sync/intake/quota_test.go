package intake

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardpolice/enroll/sync/provision"
	"github.com/wardpolice/enroll/sync/wire"
)

// uploadsUnderTest is central serving its handler over mutual TLS on loopback, its clock
// running ahead of the wall clock by later.
type uploadsUnderTest struct {
	c     *Central
	url   string
	later atomic.Int64
}

func serveUploads(t *testing.T) *uploadsUnderTest {
	t.Helper()
	return serveUploadsIn(t, t.TempDir())
}

// serveUploadsIn is serveUploads with central's folder at dir.
func serveUploadsIn(t *testing.T, dir string) *uploadsUnderTest {
	t.Helper()
	u := &uploadsUnderTest{}
	u.c = testCentralIn(t, dir, WithClock(func() time.Time { return time.Now().Add(time.Duration(u.later.Load())) }))
	h, err := u.c.Handler(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = u.c.TLSConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	u.url = srv.URL
	return u
}

// station registers code and returns what the station sends with: its mutual-TLS client.
func (u *uploadsUnderTest) station(t *testing.T, code string) *tusStation {
	t.Helper()
	data, err := u.c.AddStation(context.Background(), code, "Phường "+code, false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := provision.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := f.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return &tusStation{code: code, url: u.url, http: &http.Client{Transport: &http.Transport{TLSClientConfig: conf}}}
}

// tusStation speaks tus to central by hand, so that tests see central's every answer.
type tusStation struct {
	code string
	url  string
	http *http.Client
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (s *tusStation) do(t *testing.T, method, url string, hdr map[string]string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// create asks central for an upload of size bytes of the station's batch.
func (s *tusStation) create(t *testing.T, batch string, size int64) answer {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString
	return s.do(t, http.MethodPost, s.url+wire.UploadPath, map[string]string{
		"Upload-Length":   strconv.FormatInt(size, 10),
		"Upload-Metadata": wire.MetaBatch + " " + b64([]byte(batch)) + "," + wire.MetaStation + " " + b64([]byte(s.code)),
	}, nil)
}

func (s *tusStation) mustCreate(t *testing.T, batch string, size int64) string {
	t.Helper()
	a := s.create(t, batch, size)
	if a.status != http.StatusCreated {
		t.Fatalf("%s: upload of batch %s (%d bytes): %d %s", s.code, batch, size, a.status, a.body)
	}
	return a.header.Get("Location")
}

// overQuota checks that a is central's answer to a station over its bounds: 429, with a
// Retry-After the station's upload client leaves to its courier's back-off.
func overQuota(t *testing.T, what string, a answer) {
	t.Helper()
	if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "ERR_UPLOAD_QUOTA") {
		t.Fatalf("%s: %d %s, want 429 ERR_UPLOAD_QUOTA", what, a.status, a.body)
	}
	if s, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || s < 60 {
		t.Fatalf("%s: Retry-After %q, want minutes", what, a.header.Get("Retry-After"))
	}
}

// uploadFiles lists the upload folder.
func uploadFiles(t *testing.T, c *Central) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(c.Dir, UploadsDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestUploadQuota: a station holds at most MaxOpenUploads unfinished uploads and
// MaxOpenUploadBytes declared; past either, creating one is answered 429 and nothing is
// created. Another station is not held back; an upload over MaxBatchSize or without a
// declared length is refused; an upload the station starts again for the same batch replaces
// the one it lost; a whole upload no longer counts; and once central has removed uploads
// nobody sent to for UploadRetention, their files are gone and the station has room again.
func TestUploadQuota(t *testing.T) {
	u := serveUploads(t)
	var logged bytes.Buffer
	u.c.log = slog.New(slog.NewTextHandler(&logged, nil))
	one, two := u.station(t, "HN-01"), u.station(t, "HN-02")

	var urls []string
	for i := range MaxOpenUploads {
		urls = append(urls, one.mustCreate(t, fmt.Sprintf("b-%d", i), 1000))
	}
	before := uploadFiles(t, u.c)
	overQuota(t, "one upload more than the bound", one.create(t, "b-extra", 1000))
	if after := uploadFiles(t, u.c); !slices.Equal(before, after) {
		t.Fatalf("a refused creation left files: %v, before %v", after, before)
	}
	if l := logged.String(); !strings.Contains(l, "upload refused") || !strings.Contains(l, "station=HN-01") || !strings.Contains(l, "unfinished=4") {
		t.Fatalf("central's log does not show the refusal to the operator:\n%s", l)
	}

	// The bytes: two uploads of the largest batch fill them exactly.
	two.mustCreate(t, "c-1", MaxBatchSize)
	two.mustCreate(t, "c-2", MaxBatchSize)
	overQuota(t, "one byte over the bytes bound", two.create(t, "c-3", 1))
	if a := two.create(t, "c-4", MaxBatchSize+1); a.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("an upload over MaxBatchSize: %d %s", a.status, a.body)
	}
	three := u.station(t, "HN-03")
	if a := three.do(t, http.MethodPost, u.url+wire.UploadPath, map[string]string{"Upload-Defer-Length": "1",
		"Upload-Metadata": wire.MetaBatch + " YQ==," + wire.MetaStation + " " + base64.StdEncoding.EncodeToString([]byte("HN-03"))},
		nil); a.status != http.StatusBadRequest || !strings.Contains(a.body, "Upload-Length") {
		t.Fatalf("an upload without its length: %d %s", a.status, a.body)
	}
	three.mustCreate(t, "d-1", 1000) // HN-01 and HN-02 being full does not hold HN-03 back

	// HN-01 lost the URL of b-0 (a crash before it was saved) and starts b-0 again.
	again := one.mustCreate(t, "b-0", 1000)
	if a := one.do(t, http.MethodHead, urls[0], nil, nil); a.status != http.StatusNotFound {
		t.Fatalf("the upload b-0 replaced: HEAD %d", a.status)
	}
	urls[0] = again

	// b-1 arrives whole (not a batch: refused), and leaves room for another.
	a := one.do(t, http.MethodPatch, urls[1], map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
		make([]byte, 1000))
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("last PATCH of b-1: %d %s", a.status, a.body)
	}
	one.mustCreate(t, "b-extra", 1000)
	overQuota(t, "full again", one.create(t, "b-more", 1000))

	// Nobody sends for longer than the retention: the sweep clears the folder, and HN-01
	// starts afresh.
	u.later.Store(int64(UploadRetention + time.Hour))
	if err := u.c.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left := uploadFiles(t, u.c); len(left) != 0 {
		t.Fatalf("after the retention the upload folder still holds %v", left)
	}
	for i := range MaxOpenUploads {
		one.mustCreate(t, fmt.Sprintf("e-%d", i), 1000)
	}
}

// TestUploadCreationsOneAtATime: a station firing many creations at once cannot slip past the
// bound between counting its uploads and creating one.
func TestUploadCreationsOneAtATime(t *testing.T) {
	u := serveUploads(t)
	one := u.station(t, "HN-01")
	var wg sync.WaitGroup
	statuses := make([]int, 5*MaxOpenUploads)
	for i := range statuses {
		wg.Go(func() { statuses[i] = one.create(t, fmt.Sprintf("b-%d", i), 1000).status })
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("answers %v", statuses)
		}
	}
	if created != MaxOpenUploads {
		t.Fatalf("%d of %d creations at once went through, want %d", created, len(statuses), MaxOpenUploads)
	}
}

// TestReissueDropsUnfinishedUploads: a station re-issued (or removed) can finish none of its
// uploads, so they go at once rather than hold its bounds and the disk; a whole upload stays
// for the sweep, which logs its outcome.
func TestReissueDropsUnfinishedUploads(t *testing.T) {
	u := serveUploads(t)
	one, two := u.station(t, "HN-01"), u.station(t, "HN-02")
	one.mustCreate(t, "b-1", 1000)
	whole := one.mustCreate(t, "b-2", 10)
	one.do(t, http.MethodPatch, whole, map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, make([]byte, 10))
	two.mustCreate(t, "c-1", 1000)
	ctx := context.Background()
	if _, err := u.c.AddStation(ctx, "HN-01", "Phường HN-01", true); err != nil {
		t.Fatal(err)
	}
	if err := u.c.RemoveStation(ctx, "HN-02"); err != nil {
		t.Fatal(err)
	}
	wholeID := whole[strings.LastIndex(whole, "/")+1:]
	if left := uploadFiles(t, u.c); !slices.Equal(left, []string{wholeID, wholeID + ".info"}) {
		t.Fatalf("after re-issue and removal the upload folder holds %v, want only the whole upload %s", left, wholeID)
	}
}

// TestSweepClearsTheUploadFolder: the sweep removes what can never be used again (what a crash
// cut in half, an unfinished upload of a batch central already stores, one nobody sent to for
// UploadRetention) and keeps what a station may still resume: an upload idle for longer than a
// week's closure, and files too fresh to judge.
func TestSweepClearsTheUploadFolder(t *testing.T) {
	c := testCentral(t)
	ctx := context.Background()
	if _, err := c.AddStation(ctx, "HN-01", "Phường HN-01", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.exec(ctx, `INSERT INTO batches (id, station, seq, sha256, size, records, created_at, received_at, source, signing_key)
		VALUES ('stored', 'HN-01', 1, 'x', 1, 1, 0, 0, 'import', 'k')`); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.Dir, UploadsDir)
	now := time.Now()
	file := func(name string, data []byte, age time.Duration) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	// upload writes an unfinished upload of batch, nothing arrived for age.
	upload := func(id, batch string, age time.Duration) {
		info, _ := json.Marshal(map[string]any{"ID": id, "Size": 1000, "Offset": 0,
			"MetaData": map[string]string{wire.MetaBatch: batch, wire.MetaStation: "HN-01"},
			"Storage":  map[string]string{"Type": "filestore", "Path": filepath.Join(dir, id), "InfoPath": filepath.Join(dir, id+".info")}})
		file(id+".info", info, age)
		file(id, make([]byte, 100), age)
	}
	upload("HN-01_expired", "b-1", UploadRetention+time.Hour)
	upload("HN-01_stored", "stored", time.Minute)
	upload("HN-01_tet", "b-2", 9*24*time.Hour)
	upload("HN-01_active", "b-3", time.Minute)
	file("HN-01_crashed.lock", []byte("123"), 2*strayAge)
	file("HN-01_nodata", nil, 2*strayAge)
	file("HN-01_torn.info", []byte(`{"ID":"HN-01_to`), 2*strayAge)
	upload("HN-01_half", "b-4", time.Minute)
	if err := os.Remove(filepath.Join(dir, "HN-01_half")); err != nil { // a removal cut after the data
		t.Fatal(err)
	}
	file("HN-01_new", nil, 0) // its .info is about to be written

	if err := c.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"HN-01_active", "HN-01_active.info", "HN-01_new", "HN-01_tet", "HN-01_tet.info"}
	if left := uploadFiles(t, c); !slices.Equal(left, want) {
		t.Fatalf("after the sweep the upload folder holds %v, want %v", left, want)
	}
}

// TestReplacedUploadStopsItsWriter: a station that starts a batch again while a PATCH still
// trickles into its previous upload of it gets its new upload only once that PATCH has let go;
// the old upload's data is removed, not left growing unseen through the handle tusd held (a
// station could fill central's disk that way, outside every count).
func TestReplacedUploadStopsItsWriter(t *testing.T) {
	u := serveUploads(t)
	one := u.station(t, "HN-01")
	dir := filepath.Join(u.c.Dir, UploadsDir)
	const size = 1 << 20
	for range 3 {
		loc := one.mustCreate(t, "x", size)
		pr, pw := io.Pipe()
		req, err := http.NewRequest(http.MethodPatch, loc, pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = size
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Offset", "0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		done := make(chan struct{})
		go func() {
			defer close(done)
			if resp, err := one.http.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		// All but the last byte: the PATCH stays open, holding the upload.
		if _, err := pw.Write(make([]byte, size-1)); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the PATCH to hold the upload", func() bool {
			st, err := os.Stat(filepath.Join(dir, path.Base(loc)))
			return err == nil && st.Size() > 0
		})
		one.mustCreate(t, "x", size) // the same batch again
		pw.CloseWithError(io.ErrClosedPipe)
		<-done
		if n := deletedButOpen(t, dir); n != 0 {
			t.Fatalf("%d upload files removed but still open for writing", n)
		}
	}
	open, err := u.c.openUploads("HN-01")
	if err != nil || len(open) != 1 {
		t.Fatalf("open uploads %v %v, want the last one only", open, err)
	}
}

// waitUntil polls cond (an event in another goroutine, not a duration being measured).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// deletedButOpen counts this process's open files under dir that were removed (Linux /proc).
func deletedButOpen(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list open files: %v", err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir) && strings.HasSuffix(target, " (deleted)") {
			n++
		}
	}
	return n
}

// TestQuotaInAFolderWithGlobCharacters: central's folder name is a name, not a pattern: in
// "central[1]" the bounds hold, and "central[x" does not turn every creation into an error.
func TestQuotaInAFolderWithGlobCharacters(t *testing.T) {
	for _, name := range []string{"central[1]", "central[x", "central*?"} {
		t.Run(name, func(t *testing.T) {
			u := serveUploadsIn(t, filepath.Join(t.TempDir(), name))
			one := u.station(t, "HN-01")
			for i := range MaxOpenUploads {
				one.mustCreate(t, fmt.Sprintf("b-%d", i), 1000)
			}
			overQuota(t, "one upload over the count", one.create(t, "one-more", 1000))
		})
	}
}

// TestUploadsOfTheOldNamingCount: uploads created before ids carried the station's code count
// against their station, and one declared larger than central now takes is swept at once
// (its station starts again, hears 413 and packs its records into smaller batches).
func TestUploadsOfTheOldNamingCount(t *testing.T) {
	u := serveUploads(t)
	one := u.station(t, "HN-01")
	u.station(t, "HN-02")
	dir := filepath.Join(u.c.Dir, UploadsDir)
	legacy := func(id, station string, size int64) {
		info, err := json.Marshal(map[string]any{"ID": id, "Size": size, "Offset": 0,
			"MetaData": map[string]string{wire.MetaBatch: "old-" + id[len(id)-2:], wire.MetaStation: station},
			"Storage":  map[string]string{"Type": "filestore", "Path": filepath.Join(dir, id), "InfoPath": filepath.Join(dir, id+".info")}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id+".info"), info, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	legacy("0123456789abcdef0123456789abcd01", "HN-01", 8<<30)
	legacy("0123456789abcdef0123456789abcd02", "HN-01", 1000)
	legacy("0123456789abcdef0123456789abcd03", "HN-02", 1000)
	if open, err := u.c.openUploads("HN-01"); err != nil || len(open) != 2 {
		t.Fatalf("HN-01's open uploads %v %v, want its 2 of the old naming", open, err)
	}
	if err := u.c.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "0123456789abcdef0123456789abcd01.info")); !os.IsNotExist(err) {
		t.Fatalf("the 8 GiB upload of the old naming is still there: %v", err)
	}
	for i := range MaxOpenUploads - 1 {
		one.mustCreate(t, fmt.Sprintf("b-%d", i), 1000)
	}
	overQuota(t, "the old upload left counts", one.create(t, "one-more", 1000))
}
