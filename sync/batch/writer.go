package batch

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strings"

	"github.com/wardpolice/enroll"
)

// Writer builds a batch. It holds one chunk of plaintext and the manifest entries (about 130
// bytes a record); records go to the output as they are added. A Writer is not safe for
// concurrent use.
type Writer struct {
	w      io.Writer
	h      Header
	key    ed25519.PrivateKey
	sender *hpke.Sender
	sum    hash.Hash // of every byte written: what the signature covers
	n      int64

	buf   []byte // plaintext of the chunk being filled
	index uint64 // of that chunk
	aad   []byte
	rec   hash.Hash // of the record being written

	entries      []Entry
	ids          map[string]struct{}
	manifestSize int
	recordsSize  int64 // the encodings of the records added, against RecordsBudget
	audit        *AuditHead

	// err is sticky: once part of a record or frame may have reached the output, the batch
	// is spoilt and nothing more is written.
	err    error
	closed bool
}

var errClosed = errors.New("batch: writer already closed")

// NewWriter writes the header to w and returns a writer that streams records encrypted to
// `to`. h needs ID, Station, Seq and Created; Format and SigningKey may be left zero (they are
// filled from Format and key) and the suite ids and Enc are always filled. Created is written
// in UTC.
func NewWriter(w io.Writer, h Header, to hpke.PublicKey, key ed25519.PrivateKey) (*Writer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("batch: signing key is %d bytes, an Ed25519 private key is %d", len(key), ed25519.PrivateKeySize)
	}
	kem, kdf, aead := Suite()
	if to == nil {
		return nil, errors.New("batch: no central public key to encrypt to")
	}
	if id := to.KEM().ID(); id != kem.ID() {
		return nil, fmt.Errorf("batch: central's key is for KEM 0x%04x; format %d encrypts to X-Wing (0x%04x)", id, Format, kem.ID())
	}
	if h.Format == 0 {
		h.Format = Format
	}
	pub := key.Public().(ed25519.PublicKey)
	if h.SigningKey == nil {
		h.SigningKey = pub
	} else if !pub.Equal(h.SigningKey) {
		return nil, errors.New("batch: header's signing key is not the public half of the key that signs")
	}
	h.Created = h.Created.UTC()
	h.KEM, h.KDF, h.AEAD = kem.ID(), kdf.ID(), aead.ID()
	h.Enc = make([]byte, encSize) // placeholder, so check can vet everything the sender needs
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("batch: header: %v", err)
	}
	enc, sender, err := hpke.NewSender(to, kdf, aead, info(h.ID, h.Station, h.Seq))
	if err != nil {
		return nil, fmt.Errorf("batch: setting up encryption to central's key: %w", err)
	}
	h.Enc = enc
	hj, err := json.Marshal(&h)
	if err != nil {
		return nil, fmt.Errorf("batch: header: %w", err)
	}
	if len(hj) > MaxHeaderSize {
		return nil, fmt.Errorf("batch: header is %d bytes (endorsement %d), more than %d", len(hj), len(h.Endorsement), MaxHeaderSize)
	}
	bw := &Writer{
		w: w, h: h, key: key, sender: sender, sum: sha256.New(), rec: sha256.New(),
		buf:          make([]byte, 0, ChunkSize),
		aad:          make([]byte, 0, len(aadLabel)+2+2+len(h.ID)+8+1),
		ids:          make(map[string]struct{}),
		entries:      []Entry{},
		manifestSize: manifestBaseSize(&h),
	}
	var pre [preambleSize]byte
	copy(pre[:], magic[:])
	binary.BigEndian.PutUint16(pre[len(magic):], Format)
	bw.write(pre[:])
	bw.frame(frameHeader, hj)
	if bw.err != nil {
		return nil, bw.err
	}
	return bw, nil
}

// Header returns the header as written, suite ids and encapsulated key included.
func (w *Writer) Header() Header {
	h := w.h
	h.SigningKey = bytes.Clone(h.SigningKey)
	h.Endorsement = bytes.Clone(h.Endorsement)
	h.Enc = bytes.Clone(h.Enc)
	return h
}

// Written returns the number of bytes written to the output so far.
func (w *Writer) Written() int64 { return w.n }

// Add writes one whole record, images included. A record that cannot go in the batch (no id,
// an id already in it, a bad finger position, too big, ErrFull) is refused before any of it
// is written, and the batch stays usable; an error writing the output spoils the batch. ErrFull
// comes when the record would take the manifest past MaxManifestSize or the records past
// RecordsBudget, which keeps the file within MaxSize.
func (w *Writer) Add(e *enroll.Enrollment) error {
	if w.closed {
		return errClosed
	}
	if w.err != nil {
		return w.err
	}
	if e == nil {
		return errors.New("batch: nil record")
	}
	if err := checkRecordID(e.ID); err != nil {
		return fmt.Errorf("batch: %v", err)
	}
	if _, dup := w.ids[e.ID]; dup {
		return fmt.Errorf("batch: record %s is already in this batch", e.ID)
	}
	js, parts, err := splitRecord(e)
	if err != nil {
		return fmt.Errorf("batch: record %s: %v", e.ID, err)
	}
	size := encodedSize(js, parts)
	if size > MaxRecordSize {
		return fmt.Errorf("batch: record %s is %d bytes encoded, more than %d", e.ID, size, MaxRecordSize)
	}
	entrySize := entryJSONSize(e.ID)
	if w.manifestSize+entrySize > MaxManifestSize {
		return fmt.Errorf("%w: record %s would take the manifest past %d bytes after %d records", ErrFull, e.ID, MaxManifestSize, len(w.entries))
	}
	if w.recordsSize+size > RecordsBudget {
		return fmt.Errorf("%w: record %s (%d bytes) would take the records past %d bytes after %d records", ErrFull, e.ID, size,
			RecordsBudget, len(w.entries))
	}

	w.rec.Reset()
	var head [partHeadSize]byte
	binary.BigEndian.PutUint32(head[:], uint32(len(js)))
	w.put(head[:recordHeadSize])
	w.put(js)
	binary.BigEndian.PutUint16(head[:], uint16(len(parts)))
	w.put(head[:partsHeadSize])
	for _, p := range parts {
		head[0], head[1] = p.kind, p.pos
		binary.BigEndian.PutUint32(head[2:], uint32(len(p.data)))
		w.put(head[:])
		w.put(p.data)
	}
	if w.err != nil {
		return w.err
	}
	var sum [sha256.Size]byte
	w.entries = append(w.entries, Entry{ID: e.ID, SHA256: hex.EncodeToString(w.rec.Sum(sum[:0])), Size: size})
	w.ids[e.ID] = struct{}{}
	w.manifestSize += entrySize
	w.recordsSize += size
	return nil
}

// SetAudit puts the station's audit head into the manifest (docs/batch-format.md §7). The
// station takes it just before Close, so the batch reports its history as of the moment it
// was signed.
func (w *Writer) SetAudit(a AuditHead) error {
	if err := a.check(); err != nil {
		return fmt.Errorf("batch: %v", err)
	}
	w.audit = &a
	return nil
}

// Close seals the final chunk and writes the manifest and the signature. It does not close
// the output. The manifest it returns is the one written.
func (w *Writer) Close() (Manifest, error) {
	if w.closed {
		return Manifest{}, errClosed
	}
	w.closed = true
	if w.err != nil {
		return Manifest{}, w.err
	}
	w.seal(true)
	m := Manifest{
		Format: Format, Batch: w.h.ID, Station: w.h.Station, Seq: w.h.Seq, Created: w.h.Created,
		Records: w.entries, Audit: w.audit,
	}
	mj, err := json.Marshal(&m)
	if err != nil {
		return Manifest{}, fmt.Errorf("batch: manifest: %w", err)
	}
	if len(mj) > MaxManifestSize { // Add keeps below it; this guards the estimate
		return Manifest{}, fmt.Errorf("batch: manifest is %d bytes, more than %d", len(mj), MaxManifestSize)
	}
	w.frame(frameManifest, mj)
	var sum [sha256.Size]byte
	w.frame(frameSig, ed25519.Sign(w.key, sigMessage(w.sum.Sum(sum[:0]))))
	if w.err != nil {
		return Manifest{}, w.err
	}
	return m, nil
}

// put appends record bytes to the plaintext stream. A full chunk is sealed only when more
// bytes come, so that whatever is left at Close, even a whole chunk, goes out as the final one.
func (w *Writer) put(p []byte) {
	w.rec.Write(p)
	for len(p) > 0 && w.err == nil {
		if len(w.buf) == ChunkSize {
			w.seal(false)
		}
		n := copy(w.buf[len(w.buf):ChunkSize], p)
		w.buf = w.buf[:len(w.buf)+n]
		p = p[n:]
	}
}

func (w *Writer) seal(final bool) {
	if w.err != nil {
		return
	}
	w.aad = chunkAAD(w.aad[:0], w.h.ID, w.index, final)
	ct, err := w.sender.Seal(w.aad, w.buf)
	if err != nil {
		w.err = fmt.Errorf("batch: sealing chunk %d: %w", w.index, err)
		return
	}
	t := byte(frameChunk)
	if final {
		t = frameFinal
	}
	w.frame(t, ct)
	w.index++
	w.buf = w.buf[:0]
}

func (w *Writer) frame(t byte, payload []byte) {
	var head [frameHeadSize]byte
	head[0] = t
	binary.BigEndian.PutUint32(head[1:], uint32(len(payload)))
	w.write(head[:])
	w.write(payload)
}

func (w *Writer) write(p []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	w.sum.Write(p[:n])
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("batch: writing at offset %d: %w", w.n, err)
	}
}

// manifestBaseSize is the manifest JSON's length with no records and the longest audit head.
func manifestBaseSize(h *Header) int {
	b, _ := json.Marshal(&Manifest{Format: Format, Batch: h.ID, Station: h.Station, Seq: h.Seq, Created: h.Created, Records: []Entry{},
		Audit: &AuditHead{Seq: math.MaxInt64, MAC: strings.Repeat("0", 64)}})
	return len(b)
}

// entryJSONSize is the most an entry for a record with this id adds to the manifest JSON: its
// hash has a fixed length and its size at most as many digits as MaxRecordSize.
func entryJSONSize(id string) int {
	b, _ := json.Marshal(Entry{ID: id, SHA256: strings.Repeat("0", 64), Size: MaxRecordSize})
	return len(b) + 1 // the comma before it
}
