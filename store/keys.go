package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// dataKeySize is AES-256's.
const dataKeySize = 32

// keys are what the random data key unlocks: the sealing key for personal fields and images,
// and the index key for blind search terms. Both are derived from the data key so that one
// wrapped secret per slot is all a login needs.
type keys struct {
	data  []byte
	aead  cipher.AEAD
	index []byte
}

func newKeys(data []byte) (*keys, error) {
	if len(data) != dataKeySize {
		return nil, fmt.Errorf("data key: %d bytes, want %d", len(data), dataKeySize)
	}
	seal, err := hkdf.Key(sha256.New, data, nil, "enroll/v1 seal", 32)
	if err != nil {
		return nil, err
	}
	index, err := hkdf.Key(sha256.New, data, nil, "enroll/v1 blind index", 32)
	if err != nil {
		return nil, err
	}
	aead, err := gcm(seal)
	if err != nil {
		return nil, err
	}
	return &keys{data: data, aead: aead, index: index}, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealVersion leads every sealed value, so a later format can be told apart.
const sealVersion = 1

// fieldAD binds a sealed value to its record and field: a value copied into another record
// or another column does not open.
func fieldAD(record, field string) []byte {
	return []byte("enroll/v1\x00" + record + "\x00" + field)
}

// seal encrypts plain for record's field: version, random 12-byte nonce, ciphertext and tag.
func (k *keys) seal(record, field string, plain []byte) []byte {
	out := make([]byte, 1+k.aead.NonceSize(), 1+k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:])
	return k.aead.Seal(out, out[1:], plain, fieldAD(record, field))
}

// open reverses seal; a value altered in the file or moved to another record fails.
func (k *keys) open(record, field string, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < 1+n+k.aead.Overhead() || sealed[0] != sealVersion {
		return nil, fmt.Errorf("open %s of record %s: not a sealed value", field, record)
	}
	plain, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], fieldAD(record, field))
	if err != nil {
		return nil, fmt.Errorf("open %s of record %s: altered, or sealed for another record", field, record)
	}
	return plain, nil
}

// blind is the search index entry for a normalised term: a keyed HMAC, so the database holds
// no searchable plain text and terms cannot be guessed without the data key. 16 bytes keep
// collisions out of reach for any station's record count.
func (k *keys) blind(term string) []byte {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(term))
	return m.Sum(nil)[:16]
}

// Key slots. Each wraps the same data key under a key-encryption key: an officer's comes from
// their password through argon2id (the salt and cost stored with the slot), the recovery
// slot's from the recovery key through HKDF (it is already 256 random bits).
const (
	recoverySlot = "recovery"
	slotPrefix   = "officer:"
)

func officerSlot(username string) string { return slotPrefix + username }

func passwordKEK(password string, salt []byte, p PasswordParams) []byte {
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
}

func recoveryKEK(recovery, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, recovery, salt, "enroll/v1 recovery slot", 32)
}

// wrap seals the data key for slot name under kek.
func wrap(kek, dataKey []byte, name string) ([]byte, error) {
	aead, err := gcm(kek)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, dataKey, []byte("enroll/v1 slot\x00"+name)), nil
}

// unwrap opens a slot; it fails when kek is wrong (wrong password), which is how a password
// is checked: there is no separate password hash to attack.
func unwrap(kek, wrapped []byte, name string) ([]byte, error) {
	aead, err := gcm(kek)
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(wrapped) < n+aead.Overhead() {
		return nil, fmt.Errorf("key slot %s: truncated", name)
	}
	return aead.Open(nil, wrapped[:n], wrapped[n:], []byte("enroll/v1 slot\x00"+name))
}

// RecoveryKey is the 256-bit secret printed once at set-up. Written as 13 groups of four
// base32 letters and digits: no 0/1/8/9 to mistake for O/I/B/g, readable over the phone.
type RecoveryKey [32]byte

func newRecoveryKey() (RecoveryKey, error) {
	var k RecoveryKey
	_, err := rand.Read(k[:])
	return k, err
}

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (k RecoveryKey) String() string {
	s := recoveryEncoding.EncodeToString(k[:])
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// ParseRecoveryKey reads a recovery key as typed: case, spaces and dashes do not matter.
func ParseRecoveryKey(s string) (RecoveryKey, error) {
	var k RecoveryKey
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
	if want := recoveryEncoding.EncodedLen(len(k)); len(clean) != want {
		return k, fmt.Errorf("recovery key: %d letters and digits, want %d", len(clean), want)
	}
	b, err := recoveryEncoding.DecodeString(clean)
	if err != nil {
		return k, fmt.Errorf("recovery key: only letters A-Z and digits 2-7 are used: %w", err)
	}
	copy(k[:], b)
	return k, nil
}
