package upload

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
)

// The benchmarks move the same 64 MiB from memory over mutual TLS on
// loopback into a file in a temp dir, through the same kind of http.Client.
// Neither side fsyncs: tusd's filestore does not, so the plain PUT does not
// either. Files are removed between iterations, outside the timer.
const benchSize = 64 << 20

var benchChunks = []int64{1 << 20, 2 << 20, 4 << 20, 8 << 20, 16 << 20, benchSize}

type benchRig struct {
	p       *pki
	data    []byte
	tusDir  string
	tus     *httptest.Server
	putDir  string
	put     *httptest.Server
	putHTTP *http.Client
}

func newBenchRig(b *testing.B) *benchRig {
	r := &benchRig{p: newPKI(b), data: randomBytes(b, benchSize), tusDir: b.TempDir(), putDir: b.TempDir()}
	r.tus = serveTLS(b, r.p, "127.0.0.1:0", newTusHandler(b, r.tusDir, handler.Config{}))
	b.Cleanup(r.tus.Close)
	r.put = serveTLS(b, r.p, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		f, err := os.CreateTemp(r.putDir, "put-*")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, err = io.Copy(f, req.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Location", "/put/"+filepath.Base(f.Name()))
		w.WriteHeader(http.StatusCreated)
	}))
	b.Cleanup(r.put.Close)
	r.putHTTP = r.p.httpClient(true)
	return r
}

func (r *benchRig) client(chunk int64) *Client {
	return &Client{HTTP: r.p.httpClient(true), Endpoint: r.tus.URL + basePath, ChunkSize: chunk}
}

// upload sends the data through c and returns how long it took.
func (r *benchRig) upload(b *testing.B, c *Client) time.Duration {
	start := time.Now()
	res, err := c.Upload(b.Context(), bytes.NewReader(r.data), benchSize, map[string]string{"batch": "bench"}, "", nil, nil)
	d := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if res.Sent != benchSize {
		b.Fatalf("sent %d", res.Sent)
	}
	b.StopTimer()
	files, err := filepath.Glob(filepath.Join(r.tusDir, path.Base(res.URL)+"*"))
	if err != nil || len(files) == 0 {
		b.Fatalf("upload files for %s: %v %v", res.URL, files, err)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			b.Fatal(err)
		}
	}
	b.StartTimer()
	return d
}

// putOnce sends the data in one plain PUT and returns how long it took.
func (r *benchRig) putOnce(b *testing.B) time.Duration {
	start := time.Now()
	// A SectionReader, as the tus client uses, so both bodies reach the
	// transport through the same copy path.
	req, err := http.NewRequestWithContext(b.Context(), http.MethodPut, r.put.URL+"/put", io.NewSectionReader(bytes.NewReader(r.data), 0, benchSize))
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = benchSize
	resp, err := r.putHTTP.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != http.StatusCreated {
		b.Fatal(resp.Status)
	}
	b.StopTimer()
	if err := os.Remove(filepath.Join(r.putDir, path.Base(resp.Header.Get("Location")))); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	return d
}

func BenchmarkUploadLoopback(b *testing.B) {
	r := newBenchRig(b)
	for _, chunk := range benchChunks {
		b.Run(fmt.Sprintf("chunk=%dMiB", chunk>>20), func(b *testing.B) {
			c := r.client(chunk)
			b.SetBytes(benchSize)
			for b.Loop() {
				r.upload(b, c)
			}
		})
	}
}

func BenchmarkPlainPUT(b *testing.B) {
	r := newBenchRig(b)
	b.SetBytes(benchSize)
	for b.Loop() {
		r.putOnce(b)
	}
}

// BenchmarkUploadVsPUT alternates the two in one loop, so a busy machine
// slows both alike and the ratio (the DESIGN §9 budget, ≥ 0.5) stays
// meaningful even when the absolute MB/s wander.
func BenchmarkUploadVsPUT(b *testing.B) {
	r := newBenchRig(b)
	for _, chunk := range benchChunks {
		b.Run(fmt.Sprintf("chunk=%dMiB", chunk>>20), func(b *testing.B) {
			c := r.client(chunk)
			var tusTime, putTime time.Duration
			for b.Loop() {
				putTime += r.putOnce(b)
				tusTime += r.upload(b, c)
			}
			mbps := func(d time.Duration) float64 { return float64(b.N) * benchSize / 1e6 / d.Seconds() }
			b.ReportMetric(mbps(tusTime), "tus-MB/s")
			b.ReportMetric(mbps(putTime), "put-MB/s")
			b.ReportMetric(putTime.Seconds()/tusTime.Seconds(), "tus/put")
		})
	}
}
