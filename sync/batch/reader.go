package batch

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"

	"github.com/wardpolice/enroll"
)

// frameReader reads a batch's frames, counting the offset for error messages and, when sum
// is set, hashing every byte for the signature.
type frameReader struct {
	r       io.Reader
	off     int64
	sum     hash.Hash
	scratch []byte
}

func newFrameReader(r io.Reader, sum hash.Hash) *frameReader {
	return &frameReader{r: r, sum: sum}
}

// read fills p, returning io.EOF when nothing was left and io.ErrUnexpectedEOF when p was
// only partly filled.
func (fr *frameReader) read(p []byte) (int, error) {
	n, err := io.ReadFull(fr.r, p)
	if fr.sum != nil {
		fr.sum.Write(p[:n])
	}
	fr.off += int64(n)
	return n, err
}

// preamble reads and checks the magic and format version.
func (fr *frameReader) preamble() error {
	var pre [preambleSize]byte
	n, err := fr.read(pre[:])
	if !bytes.Equal(pre[:min(n, len(magic))], magic[:min(n, len(magic))]) {
		return fmt.Errorf("%w: the file starts % x, a batch starts % x", ErrNotBatch, pre[:min(n, len(magic))], magic)
	}
	if err != nil {
		if isEOF(err) {
			if n == 0 {
				return fmt.Errorf("%w: the file is empty", ErrTruncated)
			}
			return fmt.Errorf("%w: the file ends after %d bytes, inside the %d-byte magic and version", ErrTruncated, n, preambleSize)
		}
		return err
	}
	if v := binary.BigEndian.Uint16(pre[len(magic):]); v != Format {
		return fmt.Errorf("%w: batch format %d; this reader knows format %d only", ErrNotBatch, v, Format)
	}
	return nil
}

// next reads a frame header. At the end of the file it returns io.EOF, so that the caller can
// say what was missing.
func (fr *frameReader) next() (typ byte, size int, at int64, err error) {
	var head [frameHeadSize]byte
	at = fr.off
	n, err := fr.read(head[:])
	if err != nil {
		if n == 0 && err == io.EOF {
			return 0, 0, at, io.EOF
		}
		if isEOF(err) {
			return 0, 0, at, fmt.Errorf("%w: the file ends at offset %d, inside a frame header", ErrTruncated, fr.off)
		}
		return 0, 0, at, err
	}
	return head[0], int(binary.BigEndian.Uint32(head[1:])), at, nil
}

// payload reads a frame's n bytes into p, which must be large enough, or into a buffer that
// grows as the bytes arrive when p is nil: a length that lies (below the frame's limit)
// costs no more memory than the bytes actually there.
func (fr *frameReader) payload(p []byte, n int, typ byte, at int64) ([]byte, error) {
	truncated := func() error {
		return fmt.Errorf("%w: the file ends at offset %d, inside the %d-byte %s at offset %d",
			ErrTruncated, fr.off, n, frameName(typ), at)
	}
	if p != nil {
		p = p[:n]
		if _, err := fr.read(p); err != nil {
			if isEOF(err) {
				return nil, truncated()
			}
			return nil, err
		}
		return p, nil
	}
	var buf bytes.Buffer
	for buf.Len() < n {
		step := min(n-buf.Len(), max(buf.Len(), 64<<10))
		buf.Grow(step)
		b := buf.AvailableBuffer()[:step]
		if _, err := fr.read(b); err != nil {
			if isEOF(err) {
				return nil, truncated()
			}
			return nil, err
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// skip reads and hashes n bytes without keeping them.
func (fr *frameReader) skip(n int, typ byte, at int64) error {
	if fr.scratch == nil {
		fr.scratch = make([]byte, maxChunkFrame)
	}
	for n > 0 {
		k := min(n, len(fr.scratch))
		if _, err := fr.payload(fr.scratch, k, typ, at); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// header reads the header frame, which must come first, without interpreting it.
func (fr *frameReader) header() ([]byte, error) {
	typ, n, at, err := fr.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the file ends at offset %d, before the header frame", ErrTruncated, at)
	}
	if err != nil {
		return nil, err
	}
	if typ != frameHeader {
		return nil, fmt.Errorf("%w: the first frame, at offset %d, is a %s, not the header", ErrMalformed, at, frameName(typ))
	}
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("%w: the header frame at offset %d claims %d bytes, more than %d", ErrMalformed, at, n, MaxHeaderSize)
	}
	return fr.payload(nil, n, typ, at)
}

// chunk reads the next chunk frame of the encrypted stream (number index) into buf, or skips
// it when buf is nil. It reports whether it was the final one.
func (fr *frameReader) chunk(buf []byte, index uint64) (ct []byte, final bool, at int64, err error) {
	typ, n, at, err := fr.next()
	if err == io.EOF {
		return nil, false, at, fmt.Errorf("%w: the file ends at offset %d after %s; the encrypted stream has no final chunk",
			ErrTruncated, at, before(index))
	}
	if err != nil {
		return nil, false, at, err
	}
	switch typ {
	case frameChunk:
		if n != maxChunkFrame {
			return nil, false, at, fmt.Errorf("%w: chunk %d at offset %d is %d bytes; every chunk but the final one is exactly %d",
				ErrMalformed, index, at, n, maxChunkFrame)
		}
	case frameFinal:
		if n < tagSize || n > maxChunkFrame {
			return nil, false, at, fmt.Errorf("%w: final chunk %d at offset %d is %d bytes, not %d to %d",
				ErrMalformed, index, at, n, tagSize, maxChunkFrame)
		}
	case frameManifest, frameSig:
		return nil, false, at, fmt.Errorf("%w: a %s at offset %d follows %s: the encrypted stream stops without its final chunk",
			ErrTruncated, frameName(typ), at, before(index))
	default:
		return nil, false, at, fmt.Errorf("%w: a %s at offset %d where chunk %d should be", ErrMalformed, frameName(typ), at, index)
	}
	if buf == nil {
		return nil, typ == frameFinal, at, fr.skip(n, typ, at)
	}
	ct, err = fr.payload(buf, n, typ, at)
	return ct, typ == frameFinal, at, err
}

// before names what precedes chunk index.
func before(index uint64) string {
	if index == 0 {
		return "the header"
	}
	return fmt.Sprintf("chunk %d", index-1)
}

// manifest reads the manifest frame, which must follow the final chunk, uninterpreted.
func (fr *frameReader) manifest() ([]byte, int64, error) {
	typ, n, at, err := fr.next()
	if err == io.EOF {
		return nil, at, fmt.Errorf("%w: the file ends at offset %d after the final chunk; the manifest is missing", ErrTruncated, at)
	}
	if err != nil {
		return nil, at, err
	}
	if typ != frameManifest {
		return nil, at, fmt.Errorf("%w: a %s at offset %d where the manifest should follow the final chunk", ErrMalformed, frameName(typ), at)
	}
	if n > MaxManifestSize {
		return nil, at, fmt.Errorf("%w: the manifest frame at offset %d claims %d bytes, more than %d", ErrMalformed, at, n, MaxManifestSize)
	}
	b, err := fr.payload(nil, n, typ, at)
	return b, at, err
}

// signature reads the signature frame, which must be the last thing in the file.
func (fr *frameReader) signature() ([]byte, int64, error) {
	typ, n, at, err := fr.next()
	if err == io.EOF {
		return nil, at, fmt.Errorf("%w: the file ends at offset %d after the manifest; the signature is missing", ErrTruncated, at)
	}
	if err != nil {
		return nil, at, err
	}
	if typ != frameSig {
		return nil, at, fmt.Errorf("%w: a %s at offset %d where the signature should follow the manifest", ErrMalformed, frameName(typ), at)
	}
	if n != ed25519.SignatureSize {
		return nil, at, fmt.Errorf("%w: the signature frame at offset %d is %d bytes, an Ed25519 signature %d", ErrMalformed, at, n, ed25519.SignatureSize)
	}
	sig, err := fr.payload(make([]byte, n), n, typ, at)
	if err != nil {
		return nil, at, err
	}
	var one [1]byte
	switch _, err := fr.read(one[:]); {
	case err == nil:
		return nil, at, fmt.Errorf("%w: data after the signature, at offset %d", ErrMalformed, fr.off-1)
	case err != io.EOF:
		return nil, at, err
	}
	return sig, at, nil
}

func isEOF(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }

// ReadHeader reads and checks only the header, so that central can decide whether it trusts
// Station and SigningKey before reading on. It reads nothing from r past the header frame.
// The header is not authenticated until Verify has checked the signature.
func ReadHeader(r io.Reader) (Header, error) {
	fr := newFrameReader(r, nil)
	if err := fr.preamble(); err != nil {
		return Header{}, err
	}
	hj, err := fr.header()
	if err != nil {
		return Header{}, err
	}
	h, err := parseHeader(hj)
	if err != nil {
		return Header{}, fmt.Errorf("%w: header frame at offset %d: %v", ErrMalformed, preambleSize, err)
	}
	return h, nil
}

// Verify reads the whole file once: the framing, the signature by key over everything before
// it, then the header and the manifest and their agreement. Content is only interpreted once
// the signature holds, so an altered byte inside a frame is reported as ErrSignature; altered
// framing is ErrMalformed or ErrTruncated. Verify does not decrypt: Open does.
func Verify(r io.Reader, key ed25519.PublicKey) (Header, Manifest, error) {
	if len(key) != ed25519.PublicKeySize {
		return Header{}, Manifest{}, fmt.Errorf("%w: the key to verify with is %d bytes, an Ed25519 public key is %d",
			ErrSignature, len(key), ed25519.PublicKeySize)
	}
	fr := newFrameReader(bufio.NewReader(r), sha256.New())
	if err := fr.preamble(); err != nil {
		return Header{}, Manifest{}, err
	}
	hj, err := fr.header()
	if err != nil {
		return Header{}, Manifest{}, err
	}
	var plain int64 // bytes of the encrypted stream's plaintext
	for index := uint64(0); ; index++ {
		_, final, at, err := fr.chunk(nil, index)
		if err != nil {
			return Header{}, Manifest{}, err
		}
		plain += fr.off - at - frameHeadSize - tagSize
		if final {
			break
		}
	}
	mj, mAt, err := fr.manifest()
	if err != nil {
		return Header{}, Manifest{}, err
	}
	var sum [sha256.Size]byte
	fr.sum.Sum(sum[:0])
	sig, sAt, err := fr.signature()
	if err != nil {
		return Header{}, Manifest{}, err
	}
	if !ed25519.Verify(key, sigMessage(sum[:]), sig) {
		return Header{}, Manifest{}, fmt.Errorf("%w: the signature at offset %d is not by key %s over these %d bytes; the file was altered or signed by another key",
			ErrSignature, sAt, fingerprint(key), sAt)
	}
	h, err := parseHeader(hj)
	if err != nil {
		return Header{}, Manifest{}, fmt.Errorf("%w: header frame at offset %d: %v", ErrMalformed, preambleSize, err)
	}
	if !h.SigningKey.Equal(key) {
		return Header{}, Manifest{}, fmt.Errorf("%w: the header names signing key %s, but the file is signed by %s",
			ErrSignature, fingerprint(h.SigningKey), fingerprint(key))
	}
	m, err := parseManifest(mj)
	if err != nil {
		return Header{}, Manifest{}, fmt.Errorf("%w: manifest frame at offset %d: %v", ErrMalformed, mAt, err)
	}
	if err := m.matches(&h); err != nil {
		return Header{}, Manifest{}, fmt.Errorf("%w: manifest frame at offset %d: %v", ErrMalformed, mAt, err)
	}
	var total int64
	for _, e := range m.Records {
		total += e.Size
	}
	if total != plain {
		return Header{}, Manifest{}, fmt.Errorf("%w: the manifest's %d records add up to %d bytes, the encrypted stream holds %d",
			ErrHash, len(m.Records), total, plain)
	}
	return h, m, nil
}

// fingerprint names a public key in messages: the first 8 bytes of its SHA-256, in hex.
func fingerprint(k ed25519.PublicKey) string {
	s := sha256.Sum256(k)
	return hex.EncodeToString(s[:8])
}

// Open reads the file again and decrypts it, checking each record's hash, size, id and
// order against m (which Verify returned) and their count, and calling fn with each record
// rebuilt whole, images back in Portrait.JPEG and Fingers[i].PNG. fn sees a record only after
// its hash has matched; it owns the record. fn may have been called for the first records
// before a later error: whoever stores them must treat the batch as failed unless Open
// returns nil. An error from fn stops Open and is returned wrapped.
//
// Open does not check the signature (it has no public key): it is meant for the bytes Verify
// accepted. It does check that the file's header and manifest are m's.
func Open(r io.Reader, key hpke.PrivateKey, m Manifest, fn func(e *enroll.Enrollment, entry Entry) error) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("%w: the manifest given to open the batch with: %v", ErrMalformed, err)
	}
	fr := newFrameReader(bufio.NewReader(r), nil)
	if err := fr.preamble(); err != nil {
		return err
	}
	hj, err := fr.header()
	if err != nil {
		return err
	}
	h, err := parseHeader(hj)
	if err != nil {
		return fmt.Errorf("%w: header frame at offset %d: %v", ErrMalformed, preambleSize, err)
	}
	if err := m.matches(&h); err != nil {
		return fmt.Errorf("%w: %v", ErrHash, err)
	}
	kem, kdf, aead := Suite()
	if key == nil {
		return fmt.Errorf("%w: no private key", ErrDecrypt)
	}
	if id := key.KEM().ID(); id != kem.ID() {
		return fmt.Errorf("%w: the private key is for KEM 0x%04x, batch %s is encrypted with X-Wing (0x%04x)", ErrDecrypt, id, h.ID, kem.ID())
	}
	rcp, err := hpke.NewRecipient(h.Enc, key, kdf, aead, info(h.ID, h.Station, h.Seq))
	if err != nil {
		return fmt.Errorf("%w: batch %s: decapsulating the key: %v", ErrDecrypt, h.ID, err)
	}
	s := &plainStream{fr: fr, rcp: rcp, id: h.ID, ct: make([]byte, maxChunkFrame)}
	rec := sha256.New()
	var sum [sha256.Size]byte
	for i := 0; ; i++ {
		end, err := s.atEnd()
		if err != nil {
			return err
		}
		if end {
			if i < len(m.Records) {
				return fmt.Errorf("%w: the encrypted stream ends after %d records; the manifest lists %d (next: %s)",
					ErrHash, i, len(m.Records), m.Records[i].ID)
			}
			break
		}
		if i >= len(m.Records) {
			return fmt.Errorf("%w: the encrypted stream holds more than the manifest's %d records", ErrHash, len(m.Records))
		}
		entry := m.Records[i]
		where := fmt.Sprintf("record %d (manifest id %s)", i, entry.ID)
		rec.Reset()
		raw, err := readRecord(s, entry.Size, rec, where)
		if err != nil {
			return err
		}
		if got := hex.EncodeToString(rec.Sum(sum[:0])); raw.size != entry.Size || got != entry.SHA256 {
			return fmt.Errorf("%w: %s: the stream's record%s is %d bytes with SHA-256 %s; the manifest lists %d bytes, %s",
				ErrHash, where, idHint(raw.js), raw.size, got, entry.Size, entry.SHA256)
		}
		e, err := raw.build(where)
		if err != nil {
			return err
		}
		if e.ID != entry.ID {
			return fmt.Errorf("%w: %s: the stream's record is %q", ErrHash, where, e.ID)
		}
		if fn != nil {
			if err := fn(e, entry); err != nil {
				return fmt.Errorf("batch %s, %s: %w", h.ID, where, err)
			}
		}
	}
	mj, mAt, err := fr.manifest()
	if err != nil {
		return err
	}
	fm, err := parseManifest(mj)
	if err != nil {
		return fmt.Errorf("%w: manifest frame at offset %d: %v", ErrMalformed, mAt, err)
	}
	if !fm.equal(&m) {
		return fmt.Errorf("%w: the manifest at offset %d is not the one given to open the batch with (has the file changed since it was verified?)", ErrHash, mAt)
	}
	_, _, err = fr.signature()
	return err
}

// idHint names the record a JSON holds, when it can be read, for ErrHash messages: "the
// stream holds record B where the manifest lists A" tells an operator more than two hashes.
func idHint(js []byte) string {
	var v struct{ ID string }
	if json.Unmarshal(js, &v) == nil && v.ID != "" && len(v.ID) <= MaxRecordID {
		return fmt.Sprintf(" (id %q)", v.ID)
	}
	return ""
}

// plainStream is the decrypted stream: it reads, checks and decrypts chunks as they are
// needed, one at a time.
type plainStream struct {
	fr    *frameReader
	rcp   *hpke.Recipient
	id    string
	ct    []byte
	aad   []byte
	pt    []byte
	pos   int
	index uint64
	final bool
}

func (s *plainStream) load() error {
	ct, final, at, err := s.fr.chunk(s.ct, s.index)
	if err != nil {
		return err
	}
	s.aad = chunkAAD(s.aad[:0], s.id, s.index, final)
	pt, err := s.rcp.Open(s.aad, ct)
	if err != nil {
		why := "it was altered, moved or, if it is marked final, the stream was cut before it"
		if s.index == 0 {
			why = "the private key is not the one the batch was encrypted to, or the chunk was altered"
		}
		kind := "chunk"
		if final {
			kind = "final chunk"
		}
		return fmt.Errorf("%w: %s %d at offset %d does not decrypt: %s", ErrDecrypt, kind, s.index, at, why)
	}
	s.pt, s.pos, s.final = pt, 0, final
	s.index++
	return nil
}

// atEnd reports whether the stream is over: the final chunk read and used up.
func (s *plainStream) atEnd() (bool, error) {
	for s.pos == len(s.pt) {
		if s.final {
			return true, nil
		}
		if err := s.load(); err != nil {
			return false, err
		}
	}
	return false, nil
}

func (s *plainStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	end, err := s.atEnd()
	if err != nil {
		return 0, err
	}
	if end {
		return 0, io.EOF
	}
	n := copy(p, s.pt[s.pos:])
	s.pos += n
	return n, nil
}
