package batch

import (
	"crypto/ed25519"
	"crypto/hpke"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

var benchSizes = []int{100, 1000}

// BenchmarkBuild is the budget's "build + encrypt + sign a 1 000-record batch ≥ 100 MB/s,
// memory flat" (DESIGN §9): realistic records into io.Discard, MB/s over the batch's bytes,
// peak-MB the heap in use at its highest while building.
func BenchmarkBuild(b *testing.B) {
	central, station := testKeys(b, 1)
	im := newImages()
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			_, size := buildN(b, io.Discard, n, im, central.PublicKey(), station, nil)
			b.SetBytes(size)
			runtime.GC()
			var p heapProbe
			b.ResetTimer()
			for b.Loop() {
				buildN(b, io.Discard, n, im, central.PublicKey(), station, &p)
			}
			b.ReportMetric(p.peakMB(), "peak-MB")
		})
	}
}

// BenchmarkOpen reads a batch back from a file (so that the batch is not on the heap):
// decrypt, check every record against the manifest, rebuild it.
func BenchmarkOpen(b *testing.B) {
	central, station := testKeys(b, 1)
	im := newImages()
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "b.batch")
			m, size := buildFile(b, path, n, im, central.PublicKey(), station)
			b.SetBytes(size)
			runtime.GC()
			var p heapProbe
			b.ResetTimer()
			for b.Loop() {
				openFile(b, path, central, m, &p)
			}
			b.ReportMetric(p.peakMB(), "peak-MB")
		})
	}
}

// BenchmarkVerify is central's first pass: framing, hash of every byte, signature, manifest.
func BenchmarkVerify(b *testing.B) {
	central, station := testKeys(b, 1)
	im := newImages()
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "b.batch")
			_, size := buildFile(b, path, n, im, central.PublicKey(), station)
			b.SetBytes(size)
			b.ResetTimer()
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := Verify(f, station.Public().(ed25519.PublicKey)); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

func buildFile(b *testing.B, path string, n int, im images, to hpke.PublicKey, key ed25519.PrivateKey) (Manifest, int64) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	return buildN(b, f, n, im, to, key, nil)
}
