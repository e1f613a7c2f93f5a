package batch

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// images are the realistic-size image bytes every generated record shares, so that the test
// data itself takes constant memory however many records a batch holds: a 50 KB portrait and
// two 40 KB prints (random bytes: only their size matters for throughput and memory).
type images struct{ portrait, right, left []byte }

func newImages() images {
	rng := rand.New(rand.NewPCG(7, 7))
	fill := func(n int) []byte {
		b := make([]byte, n)
		for i := 0; i+8 <= n; i += 8 {
			binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
		}
		return b
	}
	return images{fill(50_000), fill(40_000), fill(40_000)}
}

// realistic makes record i of a batch: a level-2 record of typical size (about 132 KB encoded).
func (im images) realistic(i int) *enroll.Enrollment {
	at := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	fc := func(p enroll.FingerPosition, png []byte) enroll.FingerCapture {
		return enroll.FingerCapture{Position: p, PNG: png, Width: 400, Height: 400, PPI: 500, Device: "simulated",
			Attempts: 1, Quality: enroll.FingerScore{Score: 71}}
	}
	return &enroll.Enrollment{
		ID: fmt.Sprintf("%08x-0d5a-4c1e-8f6b-%012x", i, i), Status: enroll.StatusComplete, Station: "HN-DD-KT-01",
		Officer: "canbo.lan", CreatedAt: at, UpdatedAt: at, CompletedAt: at,
		Citizen: enroll.Citizen{PersonalID: "001090012345", FullName: "Nguyễn Văn Bình",
			DateOfBirth: enroll.Date{Year: 1990, Month: 5, Day: 17}, Gender: enroll.Male,
			Address: "Số 5 phố Hàng Bài, phường Tràng Tiền, quận Hoàn Kiếm, Hà Nội"},
		Phone:     "0987654321",
		Portrait:  &enroll.Portrait{JPEG: im.portrait, Width: 480, Height: 640, Device: "Logitech C920", CapturedAt: at},
		FingerSet: enroll.Level2Fingers(),
		Fingers:   []enroll.FingerCapture{fc(enroll.RightIndex, im.right), fc(enroll.LeftIndex, im.left)},
		Consent:   true, ConsentAt: at,
	}
}

// heapProbe samples the heap in use, the figure that would grow if records were kept.
type heapProbe struct{ peak uint64 }

func (p *heapProbe) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.peak = max(p.peak, ms.HeapInuse)
}

func (p *heapProbe) peakMB() float64 { return float64(p.peak) / (1 << 20) }

// buildN writes n realistic records to out, sampling the heap every few records.
func buildN(tb testing.TB, out io.Writer, n int, im images, to hpke.PublicKey, key ed25519.PrivateKey, probe *heapProbe) (Manifest, int64) {
	w, err := NewWriter(out, testHeader(int64(n)), to, key)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.Add(im.realistic(i)); err != nil {
			tb.Fatal(err)
		}
		if probe != nil && i%5 == 0 {
			probe.sample()
		}
	}
	m, err := w.Close()
	if err != nil {
		tb.Fatal(err)
	}
	if probe != nil {
		probe.sample()
	}
	return m, w.Written()
}

// retained is the live heap after a collection.
func retained() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryFlat builds 50 and 500 records (7 and 66 MB) into io.Discard and reads a 500-record
// batch back: the heap in use at its peak must not grow with the record count, and what the
// writer keeps per record (its manifest entry) must stay small.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 70 MB of batches")
	}
	central, station := testKeys(t, 1)
	im := newImages()

	peak := map[int]uint64{}
	for _, n := range []int{50, 500} {
		runtime.GC()
		var p heapProbe
		buildN(t, io.Discard, n, im, central.PublicKey(), station, &p)
		peak[n] = p.peak
		t.Logf("build %d records: peak heap in use %.1f MB", n, p.peakMB())
	}
	if peak[500] > peak[50]+4<<20 {
		t.Errorf("peak heap grows with the batch: %d records %.1f MB, %d records %.1f MB", 50, float64(peak[50])/(1<<20), 500, float64(peak[500])/(1<<20))
	}

	// What the writer holds between records: one manifest entry each, nothing of the records.
	w, err := NewWriter(io.Discard, testHeader(1), central.PublicKey(), station)
	if err != nil {
		t.Fatal(err)
	}
	var at50 uint64
	for i := 0; i < 500; i++ {
		if i == 50 {
			at50 = retained()
		}
		if err := w.Add(im.realistic(i)); err != nil {
			t.Fatal(err)
		}
	}
	at500 := retained()
	perRecord := (int64(at500) - int64(at50)) / 450
	t.Logf("writer keeps %d bytes a record", perRecord)
	if perRecord > 1024 {
		t.Errorf("writer keeps %d bytes per record; a manifest entry is about 150", perRecord)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// Reading back, from a file so the batch itself is not on the heap.
	path := filepath.Join(t.TempDir(), "b.batch")
	for _, n := range []int{50, 500} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := buildN(t, f, n, im, central.PublicKey(), station, nil)
		f.Close()
		runtime.GC()
		var p heapProbe
		openFile(t, path, central, m, &p)
		peak[n] = p.peak
		t.Logf("open %d records: peak heap in use %.1f MB", n, p.peakMB())
	}
	if peak[500] > peak[50]+4<<20 {
		t.Errorf("peak heap grows with the batch when opening: %.1f MB vs %.1f MB", float64(peak[50])/(1<<20), float64(peak[500])/(1<<20))
	}
}

func openFile(tb testing.TB, path string, key hpke.PrivateKey, m Manifest, probe *heapProbe) {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	i := 0
	err = Open(f, key, m, func(e *enroll.Enrollment, _ Entry) error {
		if probe != nil && i%5 == 0 {
			probe.sample()
		}
		i++
		return nil
	})
	if err != nil || i != len(m.Records) {
		tb.Fatalf("Open: %v after %d records", err, i)
	}
}

// TestNoHugeAllocation: lengths in a file are claims; a reader allocates for the bytes that
// are actually there, not for what a frame header says.
func TestNoHugeAllocation(t *testing.T) {
	central, station := testKeys(t, 1)
	data, m := build(t, testHeader(1), sampleRecords(t)[:1], central.PublicKey(), station)
	fs := splitFrames(t, data)
	head := data[:fs[0].end()]
	withFrame := func(prefix []byte, typ byte, n uint32) []byte {
		b := append(bytes.Clone(prefix), typ, 0, 0, 0, 0)
		binary.BigEndian.PutUint32(b[len(b)-4:], n)
		return append(b, make([]byte, 100)...)
	}
	afterFinal := data[:fs[len(fs)-3].end()]
	for name, file := range map[string][]byte{
		"header claims 64 KiB":   withFrame(data[:preambleSize], frameHeader, MaxHeaderSize),
		"manifest claims 16 MiB": withFrame(afterFinal, frameManifest, MaxManifestSize),
		"chunk claims 64 KiB":    withFrame(head, frameFinal, maxChunkFrame),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := verify(t, file)
		_, oerr := open(t, file, m)
		runtime.ReadMemStats(&after)
		if !isOneOf(err, ErrTruncated) || !isOneOf(oerr, ErrTruncated, ErrDecrypt) {
			t.Errorf("%s: %v / %v", name, err, oerr)
		}
		// Open sets up a chunk buffer (64 KiB) and HPKE state; nothing near the claims.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: reading %d bytes allocated %d", name, len(file), alloc)
		}
	}
	// A record claiming 60 MB in a stream that holds a few bytes.
	rec := append([]byte{0x03, 0x90, 0, 0}, "{}"...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := decode(rec)
	runtime.ReadMemStats(&after)
	if !isOneOf(err, ErrMalformed) {
		t.Errorf("record claiming 60 MB: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("record claiming 60 MB allocated %d", alloc)
	}
}
