package batch

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// specEncoding encodes a record the way docs/batch-format.md says, written apart from the
// Writer so that the manifest's hashes are checked against the document, not against the
// code that made them.
func specEncoding(t *testing.T, e *enroll.Enrollment) []byte {
	t.Helper()
	c := *e
	var images [][2]any // part kind and position, with the bytes
	var imgs [][]byte
	if e.Portrait != nil {
		p := *e.Portrait
		p.JPEG = nil
		c.Portrait = &p
		images = append(images, [2]any{byte(1), byte(0)})
		imgs = append(imgs, e.Portrait.JPEG)
	}
	if e.Fingers != nil {
		c.Fingers = append([]enroll.FingerCapture(nil), e.Fingers...)
		for i := range c.Fingers {
			c.Fingers[i].PNG = nil
			images = append(images, [2]any{byte(2), byte(e.Fingers[i].Position)})
			imgs = append(imgs, e.Fingers[i].PNG)
		}
	}
	js, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(js, []byte(`"JPEG":"`)) || bytes.Contains(js, []byte(`"PNG":"`)) {
		t.Fatal("image bytes left in the JSON")
	}
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(js)))
	b.Write(js)
	binary.Write(&b, binary.BigEndian, uint16(len(images)))
	for i, k := range images {
		b.WriteByte(k[0].(byte))
		b.WriteByte(k[1].(byte))
		binary.Write(&b, binary.BigEndian, uint32(len(imgs[i])))
		b.Write(imgs[i])
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	central, station := testKeys(t, 1)
	recs := sampleRecords(t)
	h := testHeader(42)
	data, m := build(t, h, recs, central.PublicKey(), station)

	if !reflect.DeepEqual(recs, sampleRecords(t)) {
		t.Fatal("building the batch changed the caller's records")
	}

	rh, err := ReadHeader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	vh, vm, err := Verify(bytes.NewReader(data), station.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rh, vh) {
		t.Errorf("ReadHeader and Verify disagree:\n%+v\n%+v", rh, vh)
	}
	if vh.ID != h.ID || vh.Station != h.Station || vh.Seq != h.Seq || !vh.Created.Equal(h.Created) ||
		!bytes.Equal(vh.Endorsement, h.Endorsement) || !vh.SigningKey.Equal(station.Public()) || vh.Format != Format {
		t.Errorf("header read back differs: %+v", vh)
	}
	kem, kdf, aead := Suite()
	if vh.KEM != 0x647a || vh.KDF != 0x0001 || vh.AEAD != 0x0002 || kem.ID() != vh.KEM || kdf.ID() != vh.KDF || aead.ID() != vh.AEAD {
		t.Errorf("suite ids %#x %#x %#x", vh.KEM, vh.KDF, vh.AEAD)
	}
	if !vm.equal(&m) || !vm.Created.Equal(h.Created) || vm.Batch != h.ID || vm.Seq != 42 {
		t.Errorf("Verify's manifest differs from the Writer's:\n%+v\n%+v", vm, m)
	}
	if len(vm.Records) != len(recs) {
		t.Fatalf("manifest lists %d records, %d written", len(vm.Records), len(recs))
	}
	for i, e := range recs {
		enc := specEncoding(t, e)
		sum := sha256.Sum256(enc)
		want := Entry{ID: e.ID, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(enc))}
		if vm.Records[i] != want {
			t.Errorf("entry %d = %+v, the specification gives %+v", i, vm.Records[i], want)
		}
	}

	var got []*enroll.Enrollment
	err = Open(bytes.NewReader(data), central, vm, func(e *enroll.Enrollment, entry Entry) error {
		if entry != vm.Records[len(got)] {
			t.Errorf("record %d came with entry %+v", len(got), entry)
		}
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := sampleRecords(t)
	if len(got) != len(want) {
		t.Fatalf("Open gave %d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := utc(got[i]), utc(want[i])
		if !reflect.DeepEqual(g, w) {
			t.Errorf("record %d (%s) differs after the round trip:\n got %+v\nwant %+v", i, want[i].ID, g, w)
		}
		if w.Portrait != nil && !bytes.Equal(g.Portrait.JPEG, w.Portrait.JPEG) {
			t.Errorf("record %d: portrait bytes differ", i)
		}
	}
	if len(got[1].Fingers) != 10 || got[2].Exceptions[0].Note != "cụt đốt ngón do tai nạn lao động" {
		t.Error("ten-print or exception record lost detail")
	}
}

// TestNothingPersonalInClear checks the promise the manifest makes: names, ID numbers,
// addresses and images appear only encrypted.
func TestNothingPersonalInClear(t *testing.T) {
	central, station := testKeys(t, 1)
	recs := sampleRecords(t)
	data, _ := build(t, testHeader(1), recs, central.PublicKey(), station)
	for _, e := range recs {
		secrets := []string{e.Citizen.FullName, string(e.Citizen.PersonalID), e.Phone}
		if e.Citizen.Address != "" {
			secrets = append(secrets, e.Citizen.Address)
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%q is in the clear", s)
			}
		}
		for _, f := range e.Fingers {
			if bytes.Contains(data, f.PNG[:64]) {
				t.Errorf("%s image of %s is in the clear", f.Position, e.ID)
			}
		}
	}
	if !bytes.Contains(data, []byte(recs[0].ID)) {
		t.Error("record ids should be listed in the clear manifest")
	}
}

func TestFraming(t *testing.T) {
	central, station := testKeys(t, 1)
	data, _ := build(t, testHeader(1), sampleRecords(t), central.PublicKey(), station)
	if !bytes.HasPrefix(data, []byte("\x89ENB\r\n\x1a\n\x00\x01")) {
		t.Fatalf("preamble % x", data[:10])
	}
	fs := splitFrames(t, data)
	var types []byte
	for _, f := range fs {
		types = append(types, f.typ)
	}
	// The big record alone is more than two chunks.
	if s := string(types); !strings.HasPrefix(s, "HCC") || !strings.HasSuffix(s, "CFMS") || strings.Trim(s[1:len(s)-3], "C") != "" {
		t.Fatalf("frame sequence %q, want H C… F M S with at least three chunks", s)
	}
	for _, f := range fs {
		if f.typ == frameChunk && len(f.payload) != ChunkSize+16 {
			t.Errorf("chunk at %d is %d bytes", f.at, len(f.payload))
		}
	}
}

// TestChunkBoundaries builds streams that end just before, on and just after chunk
// boundaries: the final chunk may be empty or full, and never confused with a middle one.
func TestChunkBoundaries(t *testing.T) {
	central, station := testKeys(t, 2)
	rec := func(id string, size int) *enroll.Enrollment {
		e := &enroll.Enrollment{ID: id, Station: "HN-DD-KT-01", Portrait: &enroll.Portrait{Width: 1}}
		js, parts, err := splitRecord(e)
		if err != nil {
			t.Fatal(err)
		}
		e.Portrait.JPEG = bytes.Repeat([]byte{0xd8}, size-int(encodedSize(js, parts)))
		return e
	}
	for _, tc := range []struct {
		name   string
		sizes  []int
		chunks string
	}{
		{"empty", nil, "F"},
		{"one byte short", []int{ChunkSize - 1}, "F"},
		{"exactly one chunk", []int{ChunkSize}, "F"},
		{"one byte over", []int{ChunkSize + 1}, "CF"},
		{"two records filling two chunks", []int{ChunkSize, ChunkSize}, "CF"},
		{"records across boundaries", []int{ChunkSize - 1000, 2000, 3*ChunkSize - 1000}, "CCCF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recs []*enroll.Enrollment
			for i, n := range tc.sizes {
				recs = append(recs, rec(fmt.Sprintf("3f1c2b7e-0d5a-4c1e-8f6b-%012x", i), n))
			}
			data, m := build(t, testHeader(3), recs, central.PublicKey(), station)
			var chunks []byte
			for _, f := range splitFrames(t, data) {
				if f.typ == frameChunk || f.typ == frameFinal {
					chunks = append(chunks, f.typ)
				}
			}
			if string(chunks) != tc.chunks {
				t.Errorf("chunks %q, want %q", chunks, tc.chunks)
			}
			_, vm, err := Verify(bytes.NewReader(data), station.Public().(ed25519.PublicKey))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			err = Open(bytes.NewReader(data), central, vm, func(e *enroll.Enrollment, entry Entry) error {
				if entry.Size != int64(tc.sizes[n]) || !bytes.Equal(e.Portrait.JPEG, recs[n].Portrait.JPEG) {
					t.Errorf("record %d: size %d, want %d", n, entry.Size, tc.sizes[n])
				}
				n++
				return nil
			})
			if err != nil || n != len(tc.sizes) || len(m.Records) != n {
				t.Fatalf("Open: %v after %d records", err, n)
			}
		})
	}
}

func TestWriterRefusals(t *testing.T) {
	central, station := testKeys(t, 1)
	var out bytes.Buffer

	for name, h := range map[string]Header{
		"no id":         func() Header { h := testHeader(1); h.ID = ""; return h }(),
		"upper-case id": func() Header { h := testHeader(1); h.ID = strings.ToUpper(h.ID); return h }(),
		"bad station":   func() Header { h := testHeader(1); h.Station = "hn dd"; return h }(),
		"seq 0":         func() Header { h := testHeader(1); h.Seq = 0; return h }(),
		"no time":       func() Header { h := testHeader(1); h.Created = time.Time{}; return h }(),
		"format 2":      func() Header { h := testHeader(1); h.Format = 2; return h }(),
		"other key":     func() Header { h := testHeader(1); h.SigningKey = make([]byte, 32); return h }(),
		"endorsement":   func() Header { h := testHeader(1); h.Endorsement = make([]byte, MaxHeaderSize); return h }(),
	} {
		out.Reset()
		if _, err := NewWriter(&out, h, central.PublicKey(), station); err == nil {
			t.Errorf("%s: NewWriter accepted the header", name)
		}
	}

	w, err := NewWriter(&out, testHeader(1), central.PublicKey(), station)
	if err != nil {
		t.Fatal(err)
	}
	recs := sampleRecords(t)
	if err := w.Add(recs[0]); err != nil {
		t.Fatal(err)
	}
	before := w.Written()
	bad := []*enroll.Enrollment{
		nil,
		{},      // no id
		recs[0], // already in
		func() *enroll.Enrollment {
			e := *recs[1]
			e.ID = "3f1c2b7e-0d5a-4c1e-8f6b-0000000000aa"
			e.Fingers = append(e.Fingers, e.Fingers[0])
			return &e
		}(),
		func() *enroll.Enrollment {
			e := *recs[1]
			e.ID = "3f1c2b7e-0d5a-4c1e-8f6b-0000000000bb"
			e.Fingers = []enroll.FingerCapture{{Position: 11}}
			return &e
		}(),
	}
	for i, e := range bad {
		if err := w.Add(e); err == nil {
			t.Errorf("bad record %d accepted", i)
		}
	}
	if w.Written() != before {
		t.Error("a refused record wrote bytes")
	}
	if err := w.Add(recs[1]); err != nil {
		t.Fatalf("the writer is unusable after refusing a record: %v", err)
	}
	m, err := w.Close()
	if err != nil || len(m.Records) != 2 {
		t.Fatalf("Close: %v, %d records", err, len(m.Records))
	}
	if _, _, err := Verify(bytes.NewReader(out.Bytes()), station.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(recs[2]); err == nil {
		t.Error("Add after Close accepted")
	}
	if _, err := w.Close(); err == nil {
		t.Error("second Close accepted")
	}
}

type failWriter struct{ left int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errors.New("disk full")
	}
	f.left -= len(p)
	return len(p), nil
}

// TestWriterOutputError checks that a failed write spoils the batch for good instead of
// leaving a file with a hole in it that looks complete.
func TestWriterOutputError(t *testing.T) {
	central, station := testKeys(t, 1)
	fw := &failWriter{left: 100 << 10}
	w, err := NewWriter(fw, testHeader(1), central.PublicKey(), station)
	if err != nil {
		t.Fatal(err)
	}
	var addErr error
	for _, e := range sampleRecords(t) {
		if addErr = w.Add(e); addErr != nil {
			break
		}
	}
	if addErr == nil || !strings.Contains(addErr.Error(), "disk full") {
		t.Fatalf("Add error %v, want the output's error", addErr)
	}
	if _, err := w.Close(); err == nil {
		t.Fatal("Close succeeded after a failed write")
	}
}
