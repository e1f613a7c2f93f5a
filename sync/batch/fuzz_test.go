package batch

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"math"
	"runtime/metrics"
	"testing"

	"github.com/wardpolice/enroll"
)

// fuzzBatch is a real batch made with the fixed keys, with its manifest. Its images are cut
// to a few bytes: the fuzzer minimises every interesting input, and on inputs of tens of
// kilobytes that takes the whole run.
func fuzzBatch(f *testing.F) ([]byte, Manifest) {
	central, station := testKeys(f, 1)
	recs := sampleRecords(f)
	small := []*enroll.Enrollment{recs[0], recs[2], recs[4]}
	for _, e := range small {
		if e.Portrait != nil {
			e.Portrait.JPEG = e.Portrait.JPEG[:40]
		}
		for i := range e.Fingers {
			e.Fingers[i].PNG = e.Fingers[i].PNG[:30]
		}
	}
	data, m := build(f, testHeader(5), small, central.PublicKey(), station)
	f.Logf("seed batch: %d bytes", len(data))
	return data, m
}

// addSeeds adds the batch and cuts of it at every frame boundary and inside each frame.
func addSeeds(f *testing.F, data []byte) {
	f.Add(data)
	f.Add([]byte{})
	f.Add(data[:preambleSize])
	for _, fr := range splitFrames(f, data) {
		f.Add(data[:fr.at])
		f.Add(data[:fr.at+frameHeadSize])
		f.Add(data[:fr.at+frameHeadSize+len(fr.payload)/2])
	}
}

// allocGuard fails an execution that allocated far more than its input could justify: a
// reader must allocate for bytes that are there, not for lengths a frame claims.
type allocGuard struct {
	s []metrics.Sample
}

func newAllocGuard() *allocGuard {
	return &allocGuard{s: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}}
}

func (g *allocGuard) read() uint64 {
	metrics.Read(g.s)
	return g.s[0].Value.Uint64()
}

// check runs one execution and fails it when it allocated past the bound. The runtime counts
// every goroutine's allocations, the fuzzing engine's own among them (it minimises an input in
// the same process), so one reading can run ahead of what run allocated; run is deterministic,
// so it is measured again, up to three times, and judged by its smallest reading.
func (g *allocGuard) check(t *testing.T, input int, run func()) {
	t.Helper()
	// Open keeps a 64 KiB ciphertext buffer and HPKE state, Verify a 64 KiB scratch buffer; a
	// record part claiming more than a megabyte gets a first megabyte before its bytes are
	// read (see recordReader.bytes); and the runtime counts small allocations by the span, so
	// the count runs ahead by up to a few hundred KB.
	const fixed = 2 << 20
	bound := fixed + uint64(8*input)
	least := uint64(math.MaxUint64)
	for range 3 {
		before := g.read()
		run()
		least = min(least, g.read()-before)
		if least <= bound {
			return
		}
	}
	t.Fatalf("%d bytes of input allocated %d bytes", input, least)
}

func checkSentinel(t *testing.T, err error) {
	if err != nil && !isOneOf(err, sentinels...) {
		t.Fatalf("error without exactly one sentinel: %v", err)
	}
}

func FuzzReadHeader(f *testing.F) {
	data, _ := fuzzBatch(f)
	addSeeds(f, data)
	g := newAllocGuard()
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		var err error
		g.check(t, len(b), func() { h, err = ReadHeader(bytes.NewReader(b)) })
		checkSentinel(t, err)
		if err != nil {
			return
		}
		if err := h.check(); err != nil {
			t.Fatalf("ReadHeader returned a header its own check refuses: %v", err)
		}
		hj, _ := json.Marshal(&h)
		if !bytes.Contains(b, hj) {
			t.Fatal("accepted header does not re-encode to the bytes it came from")
		}
	})
}

func FuzzVerify(f *testing.F) {
	data, _ := fuzzBatch(f)
	addSeeds(f, data)
	_, station := testKeys(f, 1)
	key := station.Public().(ed25519.PublicKey)
	g := newAllocGuard()
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		var m Manifest
		var err error
		g.check(t, len(b), func() { h, m, err = Verify(bytes.NewReader(b), key) })
		checkSentinel(t, err)
		if err != nil {
			return
		}
		if err := m.matches(&h); err != nil {
			t.Fatalf("Verify accepted a manifest that does not match its header: %v", err)
		}
	})
}

func FuzzOpen(f *testing.F) {
	data, m := fuzzBatch(f)
	addSeeds(f, data)
	central, _ := testKeys(f, 1)
	g := newAllocGuard()
	f.Fuzz(func(t *testing.T, b []byte) {
		var n int
		var err error
		g.check(t, len(b), func() {
			n = 0
			err = Open(bytes.NewReader(b), central, m, func(e *enroll.Enrollment, entry Entry) error {
				if e.ID != entry.ID || entry != m.Records[n] {
					t.Fatalf("record %d: %s with entry %+v", n, e.ID, entry)
				}
				n++
				return nil
			})
		})
		checkSentinel(t, err)
		if err == nil && n != len(m.Records) {
			t.Fatalf("Open succeeded after %d of %d records", n, len(m.Records))
		}
	})
}

func FuzzManifest(f *testing.F) {
	data, _ := fuzzBatch(f)
	fs := splitFrames(f, data)
	mj := fs[len(fs)-2].payload
	f.Add(mj)
	f.Add(mj[:len(mj)/2])
	f.Add([]byte(`{"format":1,"batch":"0b6d5e2a-4f1c-4a8e-9d3b-000000000001","station":"ABC","seq":1,"created":"2025-01-01T00:00:00Z","records":[]}`))
	f.Add([]byte(`{"format":1,"records":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			return
		}
		if err := m.check(); err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(&m)
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted manifest is not canonical:\n%s\n%s", b, again)
		}
	})
}

// FuzzRecord drives the record decoder with any plaintext, which the AEAD keeps FuzzOpen from
// reaching: no panic, only ErrMalformed or ErrHash, and what it accepts survives re-encoding.
func FuzzRecord(f *testing.F) {
	for _, e := range sampleRecords(f)[:3] {
		js, parts, err := splitRecord(e)
		if err != nil {
			f.Fatal(err)
		}
		enc := encodeRaw(js, parts...)
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
	}
	f.Add(encodeRaw([]byte(`{"ID":"r","Portrait":{},"Fingers":[{"Position":2}]}`), part{1, 0, []byte("j")}, part{2, 2, []byte("p")}))
	g := newAllocGuard()
	f.Fuzz(func(t *testing.T, b []byte) {
		var e *enroll.Enrollment
		var err error
		g.check(t, len(b), func() { e, err = decode(b) })
		checkSentinel(t, err)
		if err != nil {
			return
		}
		js, parts, err := splitRecord(e)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		enc := encodeRaw(js, parts...)
		e2, err := decode(enc)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		js2, parts2, err := splitRecord(e2)
		if err != nil {
			t.Fatal(err)
		}
		if again := encodeRaw(js2, parts2...); !bytes.Equal(again, enc) {
			t.Fatalf("record changed through a second encoding:\n%q\n%q", enc, again)
		}
	})
}
