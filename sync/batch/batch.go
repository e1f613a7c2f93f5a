// Package batch is the file in which an enrollment station sends completed records to central.
//
// A batch is self-contained, so the same bytes can go over the resumable upload or on
// removable media: a plain header saying who sent it and to which key it is encrypted, the
// records encrypted to central with HPKE, a plain manifest listing record ids, sizes and
// hashes (no personal data), and the station's Ed25519 signature over everything before it.
// Writing and reading stream: whatever the number of records, one record and one 64 KiB chunk
// are in memory at a time. docs/batch-format.md specifies the bytes for readers in other
// languages.
//
// Central reads a batch in three steps: ReadHeader to learn the station and its signing key
// (and to decide whether it trusts them), Verify for the signature and the manifest, then Open
// to decrypt the records and check each one against the manifest.
package batch

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/wardpolice/enroll"
)

// Format is the version this package writes and the only one it reads.
const Format = 1

// Suite returns the HPKE algorithms of format 1: X-Wing (ML-KEM-768 with X25519), so that
// records captured today stay confidential against a future quantum computer, HKDF-SHA256
// and AES-256-GCM.
func Suite() (hpke.KEM, hpke.KDF, hpke.AEAD) {
	return hpke.MLKEM768X25519(), hpke.HKDFSHA256(), hpke.AES256GCM()
}

// Limits. A reader refuses a length above them before allocating anything for it, so a
// hostile or damaged file cannot make central allocate gigabytes.
const (
	// ChunkSize is the plaintext of every sealed chunk but the last (which holds 0 to
	// ChunkSize bytes).
	ChunkSize = 64 << 10
	// MaxHeaderSize bounds the header JSON: a real one is about 1.8 KB, most of it the
	// encapsulated key, plus whatever the station's endorsement holds.
	MaxHeaderSize = 64 << 10
	// MaxManifestSize bounds the manifest JSON: about 130 bytes a record, so some 120 000
	// records; Writer.Add refuses a record that would pass it with ErrFull.
	MaxManifestSize = 16 << 20
	// MaxRecordSize bounds one record's encoding, images included: a ten-print record with
	// its portrait is about 2 MB.
	MaxRecordSize = 64 << 20
	// MaxRecordID bounds a record id in bytes (records use UUIDs, 36 bytes).
	MaxRecordID = 128
	// RecordsBudget bounds the encodings of all records of one batch together; Writer.Add
	// refuses a record that would pass it with ErrFull, so the record goes in the next batch.
	// The figures it comes from (§12 of docs/batch-format.md, docs/performance.md): a level-2
	// record (portrait, two prints) is about 131 KB encoded, so the station's full batch of
	// 500 records (courier.MaxRecords) is 66 MB and the 1 000-record batch of DESIGN §9's
	// benchmark 132 MB; a ten-print record with its portrait is 1 to 2 MB, so 130 or more of
	// them share a batch and the rare larger set is split. 256 MiB is twice that benchmark
	// batch, and it holds the largest record the format allows (MaxRecordSize) in an empty
	// batch, so every record can leave the station.
	RecordsBudget = 256 << 20
	// MaxSize bounds a whole batch file, about 272 MiB: the preamble, the largest header,
	// RecordsBudget of records sealed in chunks (each chunk adds its frame head and tag; there
	// are at most RecordsBudget/ChunkSize of them, counted here with one more), the largest
	// manifest and the signature. A Writer never passes it, and central refuses an upload
	// that declares more before a byte of it arrives (sync/intake).
	MaxSize = int64(preambleSize) + frameHeadSize + MaxHeaderSize +
		(RecordsBudget/ChunkSize+1)*(frameHeadSize+tagSize) + RecordsBudget +
		frameHeadSize + MaxManifestSize + frameHeadSize + ed25519.SignatureSize
)

// An empty batch must take any record the format allows, or Writer.Add would answer ErrFull
// for ever and the record never leave the station: a negative array length stops the build.
var _ [RecordsBudget - MaxRecordSize]struct{}

const (
	tagSize       = 16 // AES-256-GCM
	maxChunkFrame = ChunkSize + tagSize
	encSize       = 1120 // X-Wing encapsulated key: ML-KEM-768 ciphertext + X25519 share
	preambleSize  = len(magic) + 2
	frameHeadSize = 5
)

// magic starts every batch. Like PNG's signature, the high first byte and the CR LF, SUB, LF
// that follow make a transfer that rewrites line endings or strips the eighth bit show up as
// ErrNotBatch instead of as a signature failure nobody can explain.
var magic = [8]byte{0x89, 'E', 'N', 'B', '\r', '\n', 0x1a, '\n'}

// Frame types, printable so that a hex dump of a batch can be read by eye.
const (
	frameHeader   = 'H'
	frameChunk    = 'C'
	frameFinal    = 'F'
	frameManifest = 'M'
	frameSig      = 'S'
)

func frameName(t byte) string {
	switch t {
	case frameHeader:
		return "header frame"
	case frameChunk:
		return "chunk frame"
	case frameFinal:
		return "final chunk frame"
	case frameManifest:
		return "manifest frame"
	case frameSig:
		return "signature frame"
	}
	return fmt.Sprintf("frame of unknown type 0x%02x", t)
}

// Errors. Every error a reader returns wraps one of them (or is an I/O error of the reader
// it was given) and says what is wrong and where: byte offset, chunk number (from 0), record
// number (from 0) and id.
var (
	// ErrNotBatch: the file does not start with the batch magic, or is of an unknown format.
	ErrNotBatch = errors.New("not an enrollment batch")
	// ErrTruncated: the file, or its encrypted stream, stops before its end.
	ErrTruncated = errors.New("batch truncated")
	// ErrSignature: the signature is not the station's over these bytes.
	ErrSignature = errors.New("batch signature invalid")
	// ErrDecrypt: a chunk does not decrypt: the wrong private key, or chunks altered,
	// reordered or cut off.
	ErrDecrypt = errors.New("batch does not decrypt")
	// ErrHash: the records do not match the manifest: a hash, a size, an id, their order or
	// their count.
	ErrHash = errors.New("batch records do not match the manifest")
	// ErrMalformed: anything else structurally wrong, lengths above the limits included.
	ErrMalformed = errors.New("batch malformed")
)

// ErrFull is Writer.Add's answer when the record would take the manifest past
// MaxManifestSize: close this batch and put the record in the next one.
var ErrFull = errors.New("batch full")

// Header is the plain start of a batch: enough for central to decide whether it trusts the
// sender before reading further, and the HPKE encapsulated key.
type Header struct {
	Format     int               `json:"format"`
	ID         string            `json:"id"`      // batch id (UUID), chosen by the station
	Station    string            `json:"station"` // station code
	Seq        int64             `json:"seq"`     // the station's batch sequence number: 1, 2, 3 … (replay detection at central)
	Created    time.Time         `json:"created"`
	SigningKey ed25519.PublicKey `json:"signing_key"` // the station's signing key
	// Endorsement is opaque here: proof by the station's certificate that SigningKey is the
	// station's, checked by central.
	Endorsement []byte `json:"endorsement,omitempty"`
	KEM         uint16 `json:"kem"` // suite ids, filled by NewWriter
	KDF         uint16 `json:"kdf"`
	AEAD        uint16 `json:"aead"`
	Enc         []byte `json:"enc"` // HPKE encapsulated key, filled by NewWriter
}

// Entry is one record in the manifest.
type Entry struct {
	ID string `json:"id"` // record id
	// SHA256 is the lower-case hex SHA-256 of the record's plaintext encoding (docs/batch-format.md
	// §Records): from the first byte of its JSON length to the last byte of its last image.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"` // bytes of that encoding
}

// Manifest is the plain list of what a batch holds, in stream order. It carries no personal
// data, so central can log it and answer per record before decrypting anything.
type Manifest struct {
	Format  int       `json:"format"`
	Batch   string    `json:"batch"`
	Station string    `json:"station"`
	Seq     int64     `json:"seq"`
	Created time.Time `json:"created"`
	Records []Entry   `json:"records"`
	// Audit is the station's audit head when it made the batch; omitted when its audit has no
	// authenticated entry yet. Signed with the batch, so central can keep it as the station's
	// word on how far its history had reached.
	Audit *AuditHead `json:"audit,omitempty"`
}

// AuditHead is the sequence number and MAC of a station's last authenticated audit entry.
// Central cannot check the MAC (only the station holds its key); it compares the heads a
// station sent over time: they must only ever move forward, and one entry number must always
// come with the same MAC (`central audit check`).
type AuditHead struct {
	Seq int64  `json:"seq"`
	MAC string `json:"mac"` // 64 lower-case hex digits (HMAC-SHA256)
}

func (a *AuditHead) check() error {
	if a.Seq < 1 {
		return fmt.Errorf("audit head: entry number %d: entries are numbered from 1", a.Seq)
	}
	if !isLowerHex(a.MAC, 64) {
		return fmt.Errorf("audit head: MAC %q is not 64 lower-case hex digits", a.MAC)
	}
	return nil
}

// check validates a header's content. Errors are plain descriptions; readers wrap them.
func (h *Header) check() error {
	if h.Format != Format {
		return fmt.Errorf("header says format %d, this file's preamble says %d", h.Format, Format)
	}
	if err := checkUUID(h.ID); err != nil {
		return fmt.Errorf("batch id: %v", err)
	}
	if err := enroll.CheckStationCode(h.Station); err != nil {
		return fmt.Errorf("station code %q is not 3 to 32 upper-case letters, digits and dashes", h.Station)
	}
	if h.Seq < 1 {
		return fmt.Errorf("sequence number %d: sequence numbers start at 1", h.Seq)
	}
	if h.Created.IsZero() {
		return errors.New("creation time missing")
	}
	if len(h.SigningKey) != ed25519.PublicKeySize {
		return fmt.Errorf("signing key is %d bytes, an Ed25519 key is %d", len(h.SigningKey), ed25519.PublicKeySize)
	}
	kem, kdf, aead := Suite()
	if h.KEM != kem.ID() || h.KDF != kdf.ID() || h.AEAD != aead.ID() {
		return fmt.Errorf("HPKE suite KEM 0x%04x, KDF 0x%04x, AEAD 0x%04x; format %d uses 0x%04x, 0x%04x, 0x%04x",
			h.KEM, h.KDF, h.AEAD, Format, kem.ID(), kdf.ID(), aead.ID())
	}
	if len(h.Enc) != encSize {
		return fmt.Errorf("encapsulated key is %d bytes, X-Wing's is %d", len(h.Enc), encSize)
	}
	return nil
}

// check validates a manifest's content on its own (not against a header).
func (m *Manifest) check() error {
	if m.Format != Format {
		return fmt.Errorf("manifest says format %d, this reader knows format %d", m.Format, Format)
	}
	if err := checkUUID(m.Batch); err != nil {
		return fmt.Errorf("manifest batch id: %v", err)
	}
	if err := enroll.CheckStationCode(m.Station); err != nil {
		return fmt.Errorf("manifest station code %q is not 3 to 32 upper-case letters, digits and dashes", m.Station)
	}
	if m.Seq < 1 {
		return fmt.Errorf("manifest sequence number %d: sequence numbers start at 1", m.Seq)
	}
	if m.Created.IsZero() {
		return errors.New("manifest creation time missing")
	}
	if m.Audit != nil {
		if err := m.Audit.check(); err != nil {
			return fmt.Errorf("manifest %v", err)
		}
	}
	seen := make(map[string]int, len(m.Records))
	for i, e := range m.Records {
		if err := checkRecordID(e.ID); err != nil {
			return fmt.Errorf("manifest entry %d: %v", i, err)
		}
		if j, dup := seen[e.ID]; dup {
			return fmt.Errorf("manifest entries %d and %d are both record %q", j, i, e.ID)
		}
		seen[e.ID] = i
		if !isLowerHex(e.SHA256, 64) {
			return fmt.Errorf("manifest entry %d (record %q): sha256 %q is not 64 lower-case hex digits", i, e.ID, e.SHA256)
		}
		if e.Size < 1 || e.Size > MaxRecordSize {
			return fmt.Errorf("manifest entry %d (record %q): size %d outside 1…%d", i, e.ID, e.Size, MaxRecordSize)
		}
	}
	return nil
}

// matches checks that a manifest belongs to the batch a header starts.
func (m *Manifest) matches(h *Header) error {
	switch {
	case m.Batch != h.ID:
		return fmt.Errorf("manifest is for batch %s, the header is batch %s", m.Batch, h.ID)
	case m.Station != h.Station:
		return fmt.Errorf("manifest is from station %s, the header names %s", m.Station, h.Station)
	case m.Seq != h.Seq:
		return fmt.Errorf("manifest has sequence number %d, the header %d", m.Seq, h.Seq)
	case !m.Created.Equal(h.Created):
		return fmt.Errorf("manifest was created %s, the header says %s",
			m.Created.Format(time.RFC3339Nano), h.Created.Format(time.RFC3339Nano))
	}
	return nil
}

// equal compares manifests as values: times by instant, so that a manifest kept by central
// in another time zone still matches the file's.
func (m *Manifest) equal(o *Manifest) bool {
	if m.Format != o.Format || m.Batch != o.Batch || m.Station != o.Station || m.Seq != o.Seq ||
		!m.Created.Equal(o.Created) || len(m.Records) != len(o.Records) || (m.Audit == nil) != (o.Audit == nil) ||
		m.Audit != nil && *m.Audit != *o.Audit {
		return false
	}
	for i := range m.Records {
		if m.Records[i] != o.Records[i] {
			return false
		}
	}
	return true
}

// parseHeader decodes header JSON and checks it. The JSON must be exactly what json.Marshal
// writes for the decoded value: Go's decoder takes the last of duplicate keys and matches
// names case-insensitively, so a lenient reader here and a strict one elsewhere could see two
// different headers in the same signed bytes.
func parseHeader(b []byte) (Header, error) {
	var h Header
	if err := strictJSON(b, &h); err != nil {
		return Header{}, fmt.Errorf("header JSON: %v", err)
	}
	if err := h.check(); err != nil {
		return Header{}, err
	}
	return h, nil
}

// parseManifest decodes manifest JSON (canonical, like the header's) and checks it on its own.
func parseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := strictJSON(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("manifest JSON: %v", err)
	}
	if err := m.check(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func strictJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(canon, b) {
		return errors.New("not in canonical form (unknown, duplicate or differently spelt fields, spacing, or escapes other than json.Marshal's)")
	}
	return nil
}

// checkUUID accepts only the canonical lower-case 36-character form, so that one batch has
// one id string everywhere it is compared and bound (HPKE info, AAD, file names).
func checkUUID(s string) error {
	u, err := uuid.Parse(s)
	if err != nil || u.String() != s {
		return fmt.Errorf("%q is not a lower-case UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
	}
	return nil
}

// checkRecordID holds record ids to the UUIDs stations generate: an id is shown to central's
// operators and stored as a key, and anything freer would let a station put control
// characters or look-alike text there.
func checkRecordID(s string) error {
	switch {
	case s == "":
		return errors.New("record id empty")
	case len(s) > MaxRecordID:
		return fmt.Errorf("record id is %d bytes, more than %d", len(s), MaxRecordID)
	}
	if err := checkUUID(s); err != nil {
		return fmt.Errorf("record id %v", err)
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// Domain-separation labels: each key, AAD and signed message starts with its own label, so
// that no value made for one purpose is valid for another, in this format or any other that
// uses the same keys.
const (
	infoLabel = "enroll batch hpke info\x00"
	aadLabel  = "enroll batch chunk\x00"
	sigLabel  = "enroll batch signature\x00"
)

// info is the HPKE info: the keys of a batch are bound to its format, id, station and
// sequence number, so its chunks cannot be decrypted under another batch's header.
func info(id, station string, seq int64) []byte {
	b := make([]byte, 0, len(infoLabel)+2+2+len(id)+2+len(station)+8)
	b = append(b, infoLabel...)
	b = binary.BigEndian.AppendUint16(b, Format)
	b = appendString16(b, id)
	b = appendString16(b, station)
	return binary.BigEndian.AppendUint64(b, uint64(seq))
}

// chunkAAD binds a chunk to its batch, its place in the stream and whether it is the last:
// the HPKE nonce counter already enforces the order, the final flag makes a stream cut at a
// chunk boundary fail instead of looking complete.
func chunkAAD(dst []byte, id string, index uint64, final bool) []byte {
	dst = append(dst, aadLabel...)
	dst = binary.BigEndian.AppendUint16(dst, Format)
	dst = appendString16(dst, id)
	dst = binary.BigEndian.AppendUint64(dst, index)
	if final {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// sigMessage is what the station signs: the SHA-256 of every byte before the signature
// frame, so that a reader verifies in one streaming pass.
func sigMessage(sum []byte) []byte {
	b := make([]byte, 0, len(sigLabel)+2+len(sum))
	b = append(b, sigLabel...)
	b = binary.BigEndian.AppendUint16(b, Format)
	return append(b, sum...)
}

func appendString16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}
