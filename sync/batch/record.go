package batch

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"

	"github.com/wardpolice/enroll"
)

// A record's plaintext encoding (docs/batch-format.md §Records) is its JSON with the image
// bytes taken out, then the images as parts of their own, so that the 100 KB or so of images
// a record carries are not inflated by a third in base64:
//
//	u32 JSON length, JSON, u16 part count, parts
//	part: u8 kind, u8 finger position (0 for the portrait), u32 length, bytes
//
// The parts are the portrait when the JSON has one, then one per element of Fingers, in
// order; an image that is absent has a part of length 0.
const (
	partPortrait = 1
	partFinger   = 2

	// maxParts is a portrait and ten fingers, positions being unique.
	maxParts = 11

	recordHeadSize = 4
	partsHeadSize  = 2
	partHeadSize   = 6
)

type part struct {
	kind byte
	pos  byte
	data []byte
}

// splitRecord returns e's JSON with the image bytes removed and its image parts, which share
// e's image bytes. e is not changed: the portrait and fingers are copied before their images
// are cleared.
func splitRecord(e *enroll.Enrollment) ([]byte, []part, error) {
	c := *e
	parts := make([]part, 0, 1+len(e.Fingers))
	if e.Portrait != nil {
		p := *e.Portrait
		p.JPEG = nil
		c.Portrait = &p
		parts = append(parts, part{kind: partPortrait, data: e.Portrait.JPEG})
	}
	if e.Fingers != nil {
		c.Fingers = make([]enroll.FingerCapture, len(e.Fingers))
		var seen [enroll.LeftLittle + 1]bool
		for i, f := range e.Fingers {
			if !f.Position.Valid() {
				return nil, nil, fmt.Errorf("finger %d has position %d, not 1 to 10", i, f.Position)
			}
			if seen[f.Position] {
				return nil, nil, fmt.Errorf("two captures of the %s", f.Position)
			}
			seen[f.Position] = true
			parts = append(parts, part{kind: partFinger, pos: byte(f.Position), data: f.PNG})
			f.PNG = nil
			c.Fingers[i] = f
		}
	}
	js, err := json.Marshal(&c)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding as JSON: %v", err)
	}
	return js, parts, nil
}

// encodedSize is the length of the encoding of a record split into js and parts.
func encodedSize(js []byte, parts []part) int64 {
	n := int64(recordHeadSize+partsHeadSize) + int64(len(js))
	for _, p := range parts {
		n += partHeadSize + int64(len(p.data))
	}
	return n
}

// rawRecord is a record's encoding cut along its lengths, before the JSON is interpreted.
type rawRecord struct {
	js    []byte
	parts []part
	size  int64
}

// recordReader reads one record's bytes, hashing and counting them, and refusing to read past
// the size the manifest gives the record.
type recordReader struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	limit int64
	where string
}

func (rr *recordReader) fill(p []byte, what string) error {
	if _, err := io.ReadFull(rr.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: %s: the encrypted stream ends inside its %s", ErrMalformed, rr.where, what)
		}
		return err // the stream's own error, already saying where
	}
	rr.h.Write(p)
	rr.n += int64(len(p))
	return nil
}

// need refuses a length before anything is allocated for it.
func (rr *recordReader) need(n int64, what string) error {
	if n > MaxRecordSize {
		return fmt.Errorf("%w: %s: its %s claims %d bytes, more than a record may hold (%d)", ErrMalformed, rr.where, what, n, MaxRecordSize)
	}
	if rr.n+n > rr.limit {
		return fmt.Errorf("%w: %s: its %s would take it past the %d bytes the manifest gives it", ErrHash, rr.where, what, rr.limit)
	}
	return nil
}

// bytes reads n bytes. Beyond a megabyte the buffer grows as the data arrives, so a length
// that lies costs no more memory than the bytes actually there.
func (rr *recordReader) bytes(n int64, what string) ([]byte, error) {
	if err := rr.need(n, what); err != nil {
		return nil, err
	}
	const step = 1 << 20
	if n <= step {
		b := make([]byte, n)
		return b, rr.fill(b, what)
	}
	b := make([]byte, 0, step)
	for int64(len(b)) < n {
		grow := int(min(n-int64(len(b)), int64(max(len(b), step))))
		b = slices.Grow(b, grow)[:len(b)+grow]
		if err := rr.fill(b[len(b)-grow:], what); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// readRecord reads one record's encoding from r (the decrypted stream) into its JSON and
// parts, hashing every byte into h, reading at most limit bytes. where names the record in
// errors.
func readRecord(r io.Reader, limit int64, h hash.Hash, where string) (*rawRecord, error) {
	rr := &recordReader{r: r, h: h, limit: limit, where: where}
	var head [partHeadSize]byte
	if err := rr.need(recordHeadSize, "JSON length"); err != nil {
		return nil, err
	}
	if err := rr.fill(head[:recordHeadSize], "JSON length"); err != nil {
		return nil, err
	}
	js, err := rr.bytes(int64(binary.BigEndian.Uint32(head[:])), "JSON")
	if err != nil {
		return nil, err
	}
	if err := rr.need(partsHeadSize, "part count"); err != nil {
		return nil, err
	}
	if err := rr.fill(head[:partsHeadSize], "part count"); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(head[:]))
	if n > maxParts {
		return nil, fmt.Errorf("%w: %s: %d image parts, more than a portrait and ten fingers", ErrMalformed, where, n)
	}
	rec := &rawRecord{js: js, parts: make([]part, n)}
	for i := range rec.parts {
		what := fmt.Sprintf("part %d header", i)
		if err := rr.need(partHeadSize, what); err != nil {
			return nil, err
		}
		if err := rr.fill(head[:], what); err != nil {
			return nil, err
		}
		p := part{kind: head[0], pos: head[1]}
		if p.kind != partPortrait && p.kind != partFinger {
			return nil, fmt.Errorf("%w: %s: part %d is of unknown kind %d", ErrMalformed, where, i, p.kind)
		}
		if p.data, err = rr.bytes(int64(binary.BigEndian.Uint32(head[2:])), fmt.Sprintf("part %d", i)); err != nil {
			return nil, err
		}
		if len(p.data) == 0 {
			p.data = nil // an absent image, as it was before encoding
		}
		rec.parts[i] = p
	}
	rec.size = rr.n
	return rec, nil
}

// build interprets a record: its JSON, then its images put back where the JSON says they
// belong. Parts that do not match the JSON one for one are refused, never guessed at.
func (rec *rawRecord) build(where string) (*enroll.Enrollment, error) {
	e := new(enroll.Enrollment)
	if err := json.Unmarshal(rec.js, e); err != nil {
		return nil, fmt.Errorf("%w: %s: record JSON: %v", ErrMalformed, where, err)
	}
	want := len(e.Fingers)
	if e.Portrait != nil {
		want++
		if len(e.Portrait.JPEG) > 0 {
			return nil, fmt.Errorf("%w: %s: portrait image inside the JSON; images travel as parts", ErrMalformed, where)
		}
	}
	var seen [enroll.LeftLittle + 1]bool
	for i, f := range e.Fingers {
		if !f.Position.Valid() {
			return nil, fmt.Errorf("%w: %s: finger %d has position %d, not 1 to 10", ErrMalformed, where, i, f.Position)
		}
		if seen[f.Position] {
			return nil, fmt.Errorf("%w: %s: two captures of the %s", ErrMalformed, where, f.Position)
		}
		seen[f.Position] = true
		if len(f.PNG) > 0 {
			return nil, fmt.Errorf("%w: %s: %s image inside the JSON; images travel as parts", ErrMalformed, where, f.Position)
		}
	}
	if len(rec.parts) != want {
		return nil, fmt.Errorf("%w: %s: %d image parts, the JSON needs %d (portrait: %t, fingers: %d)",
			ErrMalformed, where, len(rec.parts), want, e.Portrait != nil, len(e.Fingers))
	}
	parts := rec.parts
	if e.Portrait != nil {
		if p := parts[0]; p.kind != partPortrait || p.pos != 0 {
			return nil, fmt.Errorf("%w: %s: part 0 is %s, the JSON has a portrait first", ErrMalformed, where, p)
		}
		e.Portrait.JPEG = parts[0].data
		parts = parts[1:]
	}
	for i := range e.Fingers {
		f := &e.Fingers[i]
		if p := parts[i]; p.kind != partFinger || int(p.pos) != int(f.Position) {
			return nil, fmt.Errorf("%w: %s: part %d is %s, the JSON's finger %d is the %s",
				ErrMalformed, where, len(rec.parts)-len(parts)+i, p, i, f.Position)
		}
		f.PNG = parts[i].data
	}
	return e, nil
}

func (p part) String() string {
	switch p.kind {
	case partPortrait:
		if p.pos != 0 {
			return fmt.Sprintf("a portrait with finger position %d", p.pos)
		}
		return "the portrait"
	case partFinger:
		return fmt.Sprintf("an image of the %s", enroll.FingerPosition(p.pos))
	}
	return fmt.Sprintf("a part of kind %d", p.kind)
}
