package batch

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
)

var sentinels = []error{ErrNotBatch, ErrTruncated, ErrSignature, ErrDecrypt, ErrHash, ErrMalformed}

// isOneOf reports whether err wraps one of the sentinels wanted, and only one sentinel at all:
// central maps an error to one reason.
func isOneOf(err error, want ...error) bool {
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		return false
	}
	for _, w := range want {
		if errors.Is(err, w) {
			return true
		}
	}
	return false
}

func newFixture(t *testing.T) ([]byte, Manifest, []tframe) {
	t.Helper()
	central, station := testKeys(t, 1)
	data, m := build(t, testHeader(7), sampleRecords(t), central.PublicKey(), station)
	return data, m, splitFrames(t, data)
}

func verify(t *testing.T, data []byte) error {
	t.Helper()
	_, station := testKeys(t, 1)
	_, _, err := Verify(bytes.NewReader(data), station.Public().(ed25519.PublicKey))
	return err
}

func open(t *testing.T, data []byte, m Manifest) (int, error) {
	t.Helper()
	central, _ := testKeys(t, 1)
	n := 0
	err := Open(bytes.NewReader(data), central, m, func(*enroll.Enrollment, Entry) error { n++; return nil })
	return n, err
}

// TestFlippedByte alters one byte at a time over the whole file: the preamble, every frame
// header byte, and payload bytes of every frame. Each must be refused with the sentinel that
// names the damage.
func TestFlippedByte(t *testing.T) {
	data, m, fs := newFixture(t)
	type pos struct {
		at   int
		want []error
		what string
	}
	var ps []pos
	for i := 0; i < preambleSize; i++ {
		ps = append(ps, pos{i, []error{ErrNotBatch}, "preamble"})
	}
	for _, f := range fs {
		for i := 0; i < frameHeadSize; i++ {
			ps = append(ps, pos{f.at + i, []error{ErrMalformed, ErrTruncated}, frameName(f.typ) + " head"})
		}
		start := f.at + frameHeadSize
		step := max(1, len(f.payload)/40)
		for i := 0; i < len(f.payload); i += step {
			ps = append(ps, pos{start + i, []error{ErrSignature}, frameName(f.typ)})
		}
		ps = append(ps, pos{f.end() - 1, []error{ErrSignature}, frameName(f.typ) + " last byte"})
	}
	if len(ps) < 300 {
		t.Fatalf("only %d positions", len(ps))
	}
	for _, p := range ps {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(data)
			bad[p.at] ^= mask
			err := verify(t, bad)
			if !isOneOf(err, p.want...) {
				t.Errorf("byte %d (%s) ^ %#02x: Verify: %v; want one of %v", p.at, p.what, mask, err, p.want)
			}
			if err != nil && !strings.Contains(err.Error(), "offset") && !errors.Is(err, ErrNotBatch) {
				t.Errorf("byte %d (%s): error does not say where: %v", p.at, p.what, err)
			}
		}
	}

	// Open has no signature to lean on: the AEAD catches a changed chunk.
	for _, f := range fs {
		if f.typ != frameChunk && f.typ != frameFinal {
			continue
		}
		for _, i := range []int{0, len(f.payload) / 2, len(f.payload) - 1} {
			bad := bytes.Clone(data)
			bad[f.at+frameHeadSize+i] ^= 0x20
			if _, err := open(t, bad, m); !isOneOf(err, ErrDecrypt) {
				t.Errorf("chunk at %d, byte %d flipped: Open: %v; want ErrDecrypt", f.at, i, err)
			}
		}
	}
}

// TestTruncated cuts the file at many lengths, every frame boundary among them (where a
// reader that trusted the framing alone would see a shorter but complete-looking file).
func TestTruncated(t *testing.T) {
	data, m, fs := newFixture(t)
	cuts := map[int]bool{}
	for i := 0; i < 64; i++ {
		cuts[i] = true
	}
	for _, f := range fs {
		for _, d := range []int{0, 1, frameHeadSize - 1, frameHeadSize, frameHeadSize + 1} {
			cuts[f.at+d] = true
		}
		cuts[f.end()-1] = true
	}
	for i := 0; i < len(data); i += 997 {
		cuts[i] = true
	}
	cuts[len(data)-1] = true
	for n := range cuts {
		err := verify(t, data[:n])
		if !isOneOf(err, ErrTruncated) {
			t.Errorf("cut at %d of %d: Verify: %v; want ErrTruncated", n, len(data), err)
		}
		if _, err := open(t, data[:n], m); !isOneOf(err, ErrTruncated) {
			t.Errorf("cut at %d of %d: Open: %v; want ErrTruncated", n, len(data), err)
		}
	}
	if _, err := ReadHeader(bytes.NewReader(data[:fs[0].end()-1])); !isOneOf(err, ErrTruncated) {
		t.Errorf("ReadHeader on a cut header: %v", err)
	}
	if _, err := ReadHeader(bytes.NewReader(data[:fs[0].end()])); err != nil {
		t.Errorf("ReadHeader needs no more than the header: %v", err)
	}
}

// TestStreamCut removes the end of the encrypted stream but keeps the manifest and a valid
// signature, as a station with a bug (or an attacker with the station's key) could: the final
// flag in the AAD is what catches it.
func TestStreamCut(t *testing.T) {
	_, m, fs := newFixture(t)
	_, station := testKeys(t, 1)
	last := len(fs) - 3 // the final chunk
	if fs[last].typ != frameFinal || fs[last-1].typ != frameChunk {
		t.Fatal("unexpected frames")
	}
	// Drop the final chunk.
	cut := append(append([]tframe{}, fs[:last]...), fs[last+1:]...)
	bad := joinFrames(cut, station)
	if err := verify(t, bad); !isOneOf(err, ErrTruncated) {
		t.Errorf("final chunk removed: Verify: %v", err)
	}
	if _, err := open(t, bad, m); !isOneOf(err, ErrTruncated) {
		t.Errorf("final chunk removed: Open: %v", err)
	}
	// Drop it and mark the chunk before it final.
	cut[last-1].typ = frameFinal
	bad = joinFrames(cut, station)
	if _, err := open(t, bad, m); !isOneOf(err, ErrDecrypt) {
		t.Errorf("middle chunk marked final: Open: %v", err)
	}
}

func TestChunksSwapped(t *testing.T) {
	data, m, fs := newFixture(t)
	_, station := testKeys(t, 1)
	if fs[1].typ != frameChunk || fs[2].typ != frameChunk {
		t.Fatal("need two middle chunks")
	}
	sw := append([]tframe{}, fs...)
	sw[1], sw[2] = sw[2], sw[1]
	for _, key := range []ed25519.PrivateKey{nil, station} { // as found, and re-signed by the station
		bad := joinFrames(sw, key)
		if bytes.Equal(bad, data) {
			t.Fatal("swap changed nothing")
		}
		if key == nil {
			if err := verify(t, bad); !isOneOf(err, ErrSignature) {
				t.Errorf("chunks swapped: Verify: %v", err)
			}
		} else if err := verify(t, bad); err != nil {
			t.Fatalf("re-signed file should verify: %v", err)
		}
		n, err := open(t, bad, m)
		if !isOneOf(err, ErrDecrypt) || n != 0 {
			t.Errorf("chunks swapped: Open: %v after %d records", err, n)
		}
		if err != nil && !strings.Contains(err.Error(), "chunk 0") {
			t.Errorf("error does not name the chunk: %v", err)
		}
	}
	// A chunk dropped from the middle.
	drop := append(append([]tframe{}, fs[:1]...), fs[2:]...)
	if _, err := open(t, joinFrames(drop, station), m); !isOneOf(err, ErrDecrypt) {
		t.Errorf("chunk dropped: Open: %v", err)
	}
}

func TestWrongKeys(t *testing.T) {
	data, m, fs := newFixture(t)
	otherCentral, otherStation := testKeys(t, 2)
	if _, _, err := Verify(bytes.NewReader(data), otherStation.Public().(ed25519.PublicKey)); !isOneOf(err, ErrSignature) {
		t.Errorf("Verify with another station's key: %v", err)
	}
	// Signed by another key that the header does not name.
	bad := joinFrames(fs, otherStation)
	if _, _, err := Verify(bytes.NewReader(bad), otherStation.Public().(ed25519.PublicKey)); !isOneOf(err, ErrSignature) ||
		!strings.Contains(err.Error(), "header names signing key") {
		t.Errorf("signed by a key the header does not name: %v", err)
	}
	if err := verify(t, bad); !isOneOf(err, ErrSignature) {
		t.Errorf("signed by another key: %v", err)
	}
	if _, _, err := Verify(bytes.NewReader(data), nil); !isOneOf(err, ErrSignature) {
		t.Errorf("Verify with no key: %v", err)
	}
	err := Open(bytes.NewReader(data), otherCentral, m, func(*enroll.Enrollment, Entry) error {
		t.Error("a record came out under the wrong key")
		return nil
	})
	if !isOneOf(err, ErrDecrypt) || !strings.Contains(err.Error(), "private key") {
		t.Errorf("Open with another central key: %v", err)
	}
	if err := Open(bytes.NewReader(data), nil, m, nil); !isOneOf(err, ErrDecrypt) {
		t.Errorf("Open with no key: %v", err)
	}
}

// resign replaces the manifest with a modified one and signs the result with the station's
// key: the station itself lying (or buggy), which only the records' hashes can catch.
func resign(t *testing.T, fs []tframe, m Manifest) []byte {
	t.Helper()
	_, station := testKeys(t, 1)
	mj, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]tframe{}, fs...)
	for i := range out {
		if out[i].typ == frameManifest {
			out[i].payload = mj
		}
	}
	return joinFrames(out, station)
}

func TestManifestMismatch(t *testing.T) {
	data, m, fs := newFixture(t)
	with := func(f func(rs []Entry) []Entry) Manifest {
		c := m
		c.Records = f(append([]Entry{}, m.Records...))
		return c
	}
	swapped := with(func(rs []Entry) []Entry { rs[0], rs[1] = rs[1], rs[0]; return rs })
	fewer := with(func(rs []Entry) []Entry { return rs[:len(rs)-1] })
	more := with(func(rs []Entry) []Entry {
		return append(rs, Entry{ID: "3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5eff", SHA256: strings.Repeat("ab", 32), Size: 100})
	})
	rehashed := with(func(rs []Entry) []Entry { rs[2].SHA256 = strings.Repeat("0", 64); return rs })
	renamed := with(func(rs []Entry) []Entry { rs[3].ID = "3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5eee"; return rs })

	// Re-signed by the station: Verify can only compare sizes with the stream's length.
	for name, c := range map[string]struct {
		m          Manifest
		verifyErr  error
		openDetail string
	}{
		"order":  {swapped, nil, "3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5e02"},
		"fewer":  {fewer, ErrHash, "more than the manifest's 4 records"},
		"more":   {more, ErrHash, "ends after 5 records; the manifest lists 6"},
		"hash":   {rehashed, nil, "SHA-256"},
		"record": {renamed, nil, `the stream's record is "3f1c2b7e-0d5a-4c1e-8f6b-1a2b3c4d5e04"`},
	} {
		bad := resign(t, fs, c.m)
		_, station := testKeys(t, 1)
		_, vm, err := Verify(bytes.NewReader(bad), station.Public().(ed25519.PublicKey))
		if c.verifyErr != nil {
			if !isOneOf(err, c.verifyErr) {
				t.Errorf("%s: Verify: %v; want %v", name, err, c.verifyErr)
			}
			vm = c.m // central would have stopped; Open must refuse on its own too
		} else if err != nil {
			t.Fatalf("%s: Verify: %v", name, err)
		}
		for _, file := range [][]byte{bad, data} {
			_, err := open(t, file, vm)
			if !isOneOf(err, ErrHash) || !strings.Contains(err.Error(), c.openDetail) {
				t.Errorf("%s: Open: %v; want ErrHash saying %q", name, err, c.openDetail)
			}
		}
	}

	// A manifest for another batch.
	other := m
	other.Batch = "0b6d5e2a-4f1c-4a8e-9d3b-000000000099"
	if _, err := open(t, data, other); !isOneOf(err, ErrHash) {
		t.Errorf("manifest of another batch: Open: %v", err)
	}
	// A manifest with a header that disagrees (re-signed): Verify refuses it.
	other = m
	other.Seq = 8
	if err := verify(t, resign(t, fs, other)); !isOneOf(err, ErrMalformed) {
		t.Errorf("manifest with another sequence number: %v", err)
	}
}

// TestCanonicalJSON: header and manifest JSON must be exactly json.Marshal's, so that no two
// readers can see different values in the same signed bytes.
func TestCanonicalJSON(t *testing.T) {
	data, _, fs := newFixture(t)
	_, station := testKeys(t, 1)
	hj := fs[0].payload
	mj := fs[len(fs)-2].payload
	variants := map[string][2][]byte{
		"header with spaces":        {bytes.Replace(hj, []byte(`,"id"`), []byte(`, "id"`), 1), nil},
		"header key case":           {bytes.Replace(hj, []byte(`"station"`), []byte(`"Station"`), 1), nil},
		"header duplicate key":      {bytes.Replace(hj, []byte(`{"format":1,`), []byte(`{"format":1,"seq":1,`), 1), nil},
		"header unknown key":        {bytes.Replace(hj, []byte(`{"format":1,`), []byte(`{"format":1,"x":1,`), 1), nil},
		"manifest duplicate record": {nil, bytes.Replace(mj, []byte(`"records":[{`), []byte(`"records":[{"id":"z",`), 1)},
		"manifest trailing space":   {nil, append(bytes.Clone(mj), ' ')},
	}
	for name, v := range variants {
		out := append([]tframe{}, fs...)
		if v[0] != nil {
			out[0].payload = v[0]
		}
		if v[1] != nil {
			out[len(out)-2].payload = v[1]
		}
		bad := joinFrames(out, station)
		if bytes.Equal(bad, data) {
			t.Fatalf("%s: no change", name)
		}
		if err := verify(t, bad); !isOneOf(err, ErrMalformed) {
			t.Errorf("%s: Verify: %v", name, err)
		}
		if v[0] != nil {
			if _, err := ReadHeader(bytes.NewReader(bad)); !isOneOf(err, ErrMalformed) {
				t.Errorf("%s: ReadHeader: %v", name, err)
			}
		}
	}
}

func TestFramingRejections(t *testing.T) {
	data, m, fs := newFixture(t)
	frame := func(typ byte, n uint32) []byte {
		b := []byte{typ, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[1:], n)
		return b
	}
	pre := data[:preambleSize]
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	hdr := data[:fs[0].end()]
	manifestAndSig := data[fs[len(fs)-2].at:]
	cases := map[string]struct {
		file []byte
		want error
	}{
		"empty":                 {nil, ErrTruncated},
		"not a batch":           {[]byte("PK\x03\x04 a zip file, not a batch at all"), ErrNotBatch},
		"format 2":              {cat(magic[:], []byte{0, 2}), ErrNotBatch},
		"chunk first":           {cat(pre, frame(frameChunk, 10)), ErrMalformed},
		"header too big":        {cat(pre, frame(frameHeader, MaxHeaderSize+1)), ErrMalformed},
		"header of 4 GB":        {cat(pre, frame(frameHeader, 0xffffffff)), ErrMalformed},
		"manifest too big":      {cat(hdr, frame(frameFinal, 16), make([]byte, 16), frame(frameManifest, MaxManifestSize+1)), ErrMalformed},
		"short middle chunk":    {cat(hdr, frame(frameChunk, 100), make([]byte, 100)), ErrMalformed},
		"oversized final chunk": {cat(hdr, frame(frameFinal, maxChunkFrame+1)), ErrMalformed},
		"final under a tag":     {cat(hdr, frame(frameFinal, 15)), ErrMalformed},
		"second header":         {cat(hdr, frame(frameHeader, 2), []byte("{}")), ErrMalformed},
		"unknown frame":         {cat(hdr, frame('X', 0)), ErrMalformed},
		"no chunks":             {cat(hdr, manifestAndSig), ErrTruncated},
		"signature too short":   {cat(data[:fs[len(fs)-1].at], frame(frameSig, 63), make([]byte, 63)), ErrMalformed},
		"trailing data":         {cat(data, []byte{0}), ErrMalformed},
		"two manifests":         {cat(data[:fs[len(fs)-1].at], data[fs[len(fs)-2].at:]), ErrMalformed},
	}
	for name, c := range cases {
		err := verify(t, c.file)
		if !isOneOf(err, c.want) {
			t.Errorf("%s: Verify: %v; want %v", name, err, c.want)
		}
		if _, oerr := open(t, c.file, m); name != "manifest too big" && name != "signature too short" &&
			name != "trailing data" && name != "two manifests" && !isOneOf(oerr, c.want) {
			t.Errorf("%s: Open: %v; want %v", name, oerr, c.want)
		}
		t.Logf("%s: %v", name, err)
	}
	// Open checks the framing after the stream as well.
	for _, name := range []string{"signature too short", "trailing data", "two manifests"} {
		if _, err := open(t, cases[name].file, m); !isOneOf(err, ErrMalformed) {
			t.Errorf("%s: Open: %v", name, err)
		}
	}
}

// encodeRaw writes a record encoding by hand, for decoder tests: JSON then parts.
func encodeRaw(js []byte, parts ...part) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(js)))
	b.Write(js)
	binary.Write(&b, binary.BigEndian, uint16(len(parts)))
	for _, p := range parts {
		b.Write([]byte{p.kind, p.pos})
		binary.Write(&b, binary.BigEndian, uint32(len(p.data)))
		b.Write(p.data)
	}
	return b.Bytes()
}

func decode(b []byte) (*enroll.Enrollment, error) {
	raw, err := readRecord(bytes.NewReader(b), MaxRecordSize, sha256.New(), "test record")
	if err != nil {
		return nil, err
	}
	return raw.build("test record")
}

// TestRecordParts: images must match the JSON one for one: a part for a finger the JSON does
// not have, a missing part, parts out of order, and images inlined in the JSON are refused.
func TestRecordParts(t *testing.T) {
	img := []byte("image bytes")
	js := func(e enroll.Enrollment) []byte { b, _ := json.Marshal(&e); return b }
	twoFingers := js(enroll.Enrollment{ID: "r", Portrait: &enroll.Portrait{},
		Fingers: []enroll.FingerCapture{{Position: enroll.RightIndex}, {Position: enroll.LeftIndex}}})
	portraitOnly := js(enroll.Enrollment{ID: "r", Portrait: &enroll.Portrait{}})
	pp := part{partPortrait, 0, img}
	ri := part{partFinger, byte(enroll.RightIndex), img}
	li := part{partFinger, byte(enroll.LeftIndex), img}

	if e, err := decode(encodeRaw(twoFingers, pp, ri, li)); err != nil || !bytes.Equal(e.Fingers[1].PNG, img) {
		t.Fatalf("valid record: %v", err)
	}
	for name, b := range map[string][]byte{
		"finger not in the JSON": encodeRaw(portraitOnly, pp, ri),
		"missing finger part":    encodeRaw(twoFingers, pp, ri),
		"fingers out of order":   encodeRaw(twoFingers, pp, li, ri),
		"portrait missing":       encodeRaw(twoFingers, ri, li),
		"portrait not first":     encodeRaw(twoFingers, ri, pp, li),
		"no parts at all":        encodeRaw(twoFingers),
		"portrait with position": encodeRaw(portraitOnly, part{partPortrait, 3, img}),
		"unknown part kind":      encodeRaw(portraitOnly, part{7, 0, img}),
		"image inside JSON":      encodeRaw(js(enroll.Enrollment{ID: "r", Portrait: &enroll.Portrait{JPEG: img}}), pp),
		"finger inside JSON": encodeRaw(js(enroll.Enrollment{ID: "r",
			Fingers: []enroll.FingerCapture{{Position: enroll.RightIndex, PNG: img}}}), ri),
		"two captures of a finger": encodeRaw(js(enroll.Enrollment{ID: "r",
			Fingers: []enroll.FingerCapture{{Position: enroll.RightIndex}, {Position: enroll.RightIndex}}}), ri, ri),
		"position out of range": encodeRaw(js(enroll.Enrollment{ID: "r",
			Fingers: []enroll.FingerCapture{{Position: 0}}}), part{partFinger, 0, img}),
		"JSON not JSON":       encodeRaw([]byte("{not json"), pp),
		"twelve parts":        encodeRaw(portraitOnly, pp, pp, pp, pp, pp, pp, pp, pp, pp, pp, pp, pp),
		"cut inside a part":   encodeRaw(portraitOnly, pp)[:20+len(portraitOnly)-6],
		"JSON length too big": append([]byte{0xff, 0xff, 0xff, 0xff}, portraitOnly...),
	} {
		_, err := decode(b)
		if !isOneOf(err, ErrMalformed) {
			t.Errorf("%s: %v; want ErrMalformed", name, err)
		}
	}
	// A record longer than its manifest entry says is a mismatch, caught before reading on.
	b := encodeRaw(portraitOnly, pp)
	if _, err := readRecord(bytes.NewReader(b), int64(len(b)-1), sha256.New(), "r"); !isOneOf(err, ErrHash) {
		t.Errorf("record longer than its entry: %v", err)
	}
}

func TestErrorMessages(t *testing.T) {
	data, m, fs := newFixture(t)
	bad := bytes.Clone(data)
	bad[fs[3].at+100] ^= 1
	_, err := open(t, bad, m)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", fs[3].at)) || !strings.Contains(err.Error(), "chunk 2") {
		t.Errorf("Open error should name chunk 2 and its offset %d: %v", fs[3].at, err)
	}
	err = verify(t, data[:fs[2].at])
	if err == nil || !strings.Contains(err.Error(), "after chunk 0") {
		t.Errorf("truncation message: %v", err)
	}
	t.Log(err)
}

// TestRecordIDNotUUID: record ids are the UUIDs stations generate. A station signing a batch
// whose ids are anything else (here, terminal escapes that central's operators would see) has
// it refused as malformed, naming the entry and showing the id only quoted.
func TestRecordIDNotUUID(t *testing.T) {
	data, m, fs := newFixture(t)
	for name, id := range map[string]string{
		"terminal escapes": "\x1b[2J\x1b[31mrecord\x1b[0m",
		"upper case":       strings.ToUpper(m.Records[2].ID),
		"braces":           "{" + m.Records[2].ID + "}",
		"urn":              "urn:uuid:" + m.Records[2].ID,
		"no dashes":        strings.ReplaceAll(m.Records[2].ID, "-", ""),
		"trailing newline": m.Records[2].ID + "\n",
	} {
		c := m
		c.Records = append([]Entry{}, m.Records...)
		c.Records[2].ID = id
		bad := resign(t, fs, c)
		err := verify(t, bad)
		if !isOneOf(err, ErrMalformed) || !strings.Contains(err.Error(), "manifest entry 2: record id") {
			t.Errorf("%s: Verify: %v; want malformed naming manifest entry 2", name, err)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\x1b\n") {
			t.Errorf("%s: the error carries the id raw: %q", name, err)
		}
		// Open is given a manifest only after Verify accepted it, but refuses on its own too.
		if n, err := open(t, data, c); n != 0 || !isOneOf(err, ErrMalformed) || !strings.Contains(err.Error(), "manifest entry 2") {
			t.Errorf("%s: Open: %d records, %v; want malformed before any record", name, n, err)
		}
	}
	if err := verify(t, data); err != nil {
		t.Fatalf("the unaltered batch: %v", err)
	}
}
