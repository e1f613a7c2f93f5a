package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/wardpolice/enroll"
)

// dataKeySize is AES-256's.
const dataKeySize = 32

// keyGen is one generation of the random data key and what is derived from it: the sealing
// key for personal fields and images, and the index key for blind search terms. Both are
// derived from the data key so that one wrapped secret per slot is all a login needs; a key
// rotation (rekey.go) makes a new generation, and with it a new index key, so the search
// terms are rewritten too.
type keyGen struct {
	gen   uint32
	data  []byte
	seal  []byte
	index []byte
	rows  []byte // authenticates records' clear columns (rowseal.go)
	aead  cipher.AEAD
}

func deriveGen(gen uint32, data []byte) (*keyGen, error) {
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
	rows, err := hkdf.Key(sha256.New, data, nil, "enroll/v1 row seal", 32)
	if err != nil {
		return nil, err
	}
	aead, err := gcm(seal)
	if err != nil {
		return nil, err
	}
	return &keyGen{gen: gen, data: data, seal: seal, index: index, rows: rows, aead: aead}, nil
}

// zero overwrites the key bytes this generation owns. The AES key schedule inside aead is
// unexported and cannot be cleared from Go; dropping the last reference is all that can be
// done for it.
func (g *keyGen) zero() {
	clear(g.data)
	clear(g.seal)
	clear(g.index)
	clear(g.rows)
	g.aead = nil
}

// keys is the key holder of one session: what a login unwrapped, until Lock. Every use takes
// the read lock and close takes the write lock, so closing waits for a seal or an HMAC under
// way to finish and then zeroes the material: work that still holds the holder afterwards
// finds it empty and fails (open says "station locked"; seal and blind give nil, which every
// sealed column and the search terms refuse, see migration 0009) instead of computing under
// zeroed keys.
//
// During a key rotation the holder has two generations: cur seals and blinds, old only
// opens what is not yet re-sealed.
type keys struct {
	mu  sync.RWMutex
	cur *keyGen
	old *keyGen
}

// newKeys is a holder for the first generation of a data key.
func newKeys(data []byte) (*keys, error) { return newKeysAt(1, data) }

func newKeysAt(gen uint32, data []byte) (*keys, error) {
	g, err := deriveGen(gen, data)
	if err != nil {
		return nil, err
	}
	return &keys{cur: g}, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// close forgets and zeroes every key the holder owns.
func (k *keys) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, g := range []*keyGen{k.cur, k.old} {
		if g != nil {
			g.zero()
		}
	}
	k.cur, k.old = nil, nil
}

// usable is nil while the holder has its keys, enroll.ErrStationLocked once it was closed.
// A write that sealed with the holder can check it last, before committing.
func (k *keys) usable() error {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.cur == nil {
		return enroll.ErrStationLocked
	}
	return nil
}

// generation is the generation new values are sealed under (0 once closed).
func (k *keys) generation() uint32 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.cur == nil {
		return 0
	}
	return k.cur.gen
}

// same tells whether two holders hold the same keys (a second login in one session).
func (k *keys) same(o *keys) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	o.mu.RLock()
	defer o.mu.RUnlock()
	eq := func(a, b *keyGen) bool {
		if a == nil || b == nil {
			return a == b
		}
		return a.gen == b.gen && hmac.Equal(a.data, b.data)
	}
	return eq(k.cur, o.cur) && eq(k.old, o.old)
}

// rotate makes next the generation new values are sealed under; the current one stays for
// opening until endRotation.
func (k *keys) rotate(next *keyGen) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cur == nil {
		next.zero()
		return enroll.ErrStationLocked
	}
	if k.old != nil {
		k.old.zero()
	}
	k.old, k.cur = k.cur, next
	return nil
}

// endRotation forgets the previous generation once nothing is sealed under it any more.
func (k *keys) endRotation() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.old != nil {
		k.old.zero()
		k.old = nil
	}
}

// Sealed value formats. Version 1 (the first generation's, still read): version byte, 12-byte
// nonce, ciphertext and tag. Version 2 adds the data key's generation after the version byte,
// so that during a rotation each value says which key opens it, a write under a stale key is
// refused by the database (migration 0009's triggers compare the first five bytes), and
// "nothing is left under the old key" is a query.
const (
	sealV1      = 1
	sealV2      = 2
	sealHeadLen = 5
)

// sealHeader is how a value sealed under generation gen begins.
func sealHeader(gen uint32) []byte { return binary.BigEndian.AppendUint32([]byte{sealV2}, gen) }

// fieldAD binds a sealed value to its record and field: a value copied into another record
// or another column does not open.
func fieldAD(record, field string) []byte {
	return []byte("enroll/v1\x00" + record + "\x00" + field)
}

// seal encrypts plain for record's field under the current generation: header, random 12-byte
// nonce, ciphertext and tag; the header is authenticated with the record and field. A closed
// holder gives nil.
func (k *keys) seal(record, field string, plain []byte) []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	g := k.cur
	if g == nil {
		return nil
	}
	n := g.aead.NonceSize()
	out := make([]byte, sealHeadLen+n, sealHeadLen+n+len(plain)+g.aead.Overhead())
	copy(out, sealHeader(g.gen))
	rand.Read(out[sealHeadLen:])
	ad := append(append([]byte(nil), out[:sealHeadLen]...), fieldAD(record, field)...)
	return g.aead.Seal(out, out[sealHeadLen:], plain, ad)
}

// sealedGen reads the generation a sealed value was sealed under, and where its nonce
// starts; ok is false for something that is no sealed value.
func sealedGen(sealed []byte) (gen uint32, body int, ok bool) {
	switch {
	case len(sealed) > 0 && sealed[0] == sealV1:
		return 1, 1, true
	case len(sealed) >= sealHeadLen && sealed[0] == sealV2:
		return binary.BigEndian.Uint32(sealed[1:sealHeadLen]), sealHeadLen, true
	}
	return 0, 0, false
}

// open reverses seal with the generation the value names; a value altered in the file, moved
// to another record or sealed under a key this session does not hold fails.
func (k *keys) open(record, field string, sealed []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.cur == nil {
		return nil, fmt.Errorf("open %s of record %s: %w", field, record, enroll.ErrStationLocked)
	}
	gen, body, ok := sealedGen(sealed)
	if !ok {
		return nil, fmt.Errorf("open %s of record %s: not a sealed value", field, record)
	}
	var g *keyGen
	for _, c := range []*keyGen{k.cur, k.old} {
		if c != nil && c.gen == gen {
			g = c
		}
	}
	switch {
	case g == nil && gen > k.cur.gen:
		return nil, fmt.Errorf("open %s of record %s: sealed under data key generation %d, newer than this session's (%d): log in again",
			field, record, gen, k.cur.gen)
	case g == nil:
		return nil, fmt.Errorf("open %s of record %s: sealed under data key generation %d, which was rotated away (put back from an older copy?)",
			field, record, gen)
	}
	n := g.aead.NonceSize()
	if len(sealed) < body+n+g.aead.Overhead() {
		return nil, fmt.Errorf("open %s of record %s: not a sealed value", field, record)
	}
	ad := fieldAD(record, field)
	if body == sealHeadLen {
		ad = append(append([]byte(nil), sealed[:sealHeadLen]...), ad...)
	}
	plain, err := g.aead.Open(nil, sealed[body:body+n], sealed[body+n:], ad)
	if err != nil {
		return nil, fmt.Errorf("open %s of record %s: altered, or sealed for another record", field, record)
	}
	return plain, nil
}

// blind is the search index entry for a normalised term: a keyed HMAC, so the database holds
// no searchable plain text and terms cannot be guessed without the data key. 16 bytes keep
// collisions out of reach for any station's record count. A closed holder gives nil.
func (k *keys) blind(term string) []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.cur == nil {
		return nil
	}
	m := hmac.New(sha256.New, k.cur.index)
	m.Write([]byte(term))
	return m.Sum(nil)[:16]
}

// rowMAC authenticates msg under the current generation: the generation, then the HMAC. A
// closed holder gives nil, which the row_mac column refuses.
func (k *keys) rowMAC(msg []byte) []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.cur == nil {
		return nil
	}
	m := hmac.New(sha256.New, k.cur.rows)
	m.Write(msg)
	return m.Sum(binary.BigEndian.AppendUint32(nil, k.cur.gen))
}

// checkRowMAC tells whether mac authenticates msg under a generation this session holds.
func (k *keys) checkRowMAC(msg, mac []byte) (bool, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.cur == nil {
		return false, enroll.ErrStationLocked
	}
	if len(mac) != 4+sha256.Size {
		return false, nil
	}
	gen := binary.BigEndian.Uint32(mac)
	for _, g := range []*keyGen{k.cur, k.old} {
		if g != nil && g.gen == gen {
			m := hmac.New(sha256.New, g.rows)
			m.Write(msg)
			return hmac.Equal(m.Sum(nil), mac[4:]), nil
		}
	}
	return false, nil
}

// sealTo seals the current generation's data key to a slot's public key (see Key slots below).
func (k *keys) sealTo(pub []byte, name string) (wrapped []byte, gen uint32, err error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.cur == nil {
		return nil, 0, enroll.ErrStationLocked
	}
	w, err := sealToSlot(pub, name, k.cur.gen, k.cur.data)
	return w, k.cur.gen, err
}

// Key slots. A slot is a key pair of the post-quantum hybrid KEM the batches use
// (ML-KEM-768 + X25519, HPKE): the data key is sealed to its public half, which is stored in
// the clear; the private half is what a login recovers: an officer's slot keeps it sealed
// under a key derived from their password (argon2id, salt and cost stored with the slot), the
// recovery slot derives it from the recovery key (already 256 random bits).
//
// Why public keys: a rotation must seal the new data key to every remaining slot, and the
// station knows no officer's password and not the recovery key. Sealing to a public key needs
// neither, and the old data key gives nothing of the new one, so an officer who was disabled,
// or anyone who learnt the old key, cannot follow the rotation. Keeping a copy of each new key
// under a long-term "recovery KEK" that the station could use would have kept that KEK
// readable by every holder of any data key, which is exactly who a rotation shuts out.
//
// A slot written before this scheme (public NULL) still opens: its data key is wrapped
// directly under the password's key. An officer's is converted at their next login; the
// recovery slot's when the recovery key is next used (Recover, UpgradeRecovery).
const (
	recoverySlot = "recovery"
	slotPrefix   = "officer:"
)

func officerSlot(username string) string { return slotPrefix + username }

var slotKEM = hpke.MLKEM768X25519()

// slotInfo binds a sealed data key to its slot and to the generation it belongs to, so a
// data key cannot be moved between slots or passed off as another generation.
func slotInfo(name string, gen uint32) []byte {
	return fmt.Appendf(nil, "enroll/v2 slot\x00%s\x00%d", name, gen)
}

func sealToSlot(pub []byte, name string, gen uint32, dataKey []byte) ([]byte, error) {
	pk, err := slotKEM.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("key slot %s: public key: %w", name, err)
	}
	return hpke.Seal(pk, hpke.HKDFSHA256(), hpke.AES256GCM(), slotInfo(name, gen), dataKey)
}

func openFromSlot(priv hpke.PrivateKey, name string, gen uint32, wrapped []byte) ([]byte, error) {
	return hpke.Open(priv, hpke.HKDFSHA256(), hpke.AES256GCM(), slotInfo(name, gen), wrapped)
}

// passwordKEK derives an officer slot's key from the password. The copy of the password Go
// makes for argon2 is zeroed; the string itself is immutable and cannot be.
func (s *Store) passwordKEK(password string, salt []byte, p PasswordParams) []byte {
	pw := []byte(password)
	defer clear(pw)
	kek := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, 32)
	if s.afterKDF != nil {
		s.afterKDF()
	}
	return kek
}

// recoveryKEK is the key of a recovery slot from before key rotation existed.
func recoveryKEK(recovery, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, recovery, salt, "enroll/v1 recovery slot", 32)
}

// recoverySeed is the recovery slot's private key seed: the slot can be opened by whoever has
// the recovery key, and sealed to by anyone (its public half is in the database).
func recoverySeed(recovery, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, recovery, salt, "enroll/v2 recovery slot", 32)
}

// newSlotPair makes an officer slot's key pair: the seed (to seal under the password's key)
// and the public key.
func newSlotPair() (seed, pub []byte, err error) {
	seed = make([]byte, 32)
	rand.Read(seed)
	priv, err := slotKEM.NewPrivateKey(seed)
	if err != nil {
		return nil, nil, err
	}
	return seed, priv.PublicKey().Bytes(), nil
}

// slotPrivate rebuilds a slot's private key from its seed and checks it against the public key
// on record: a public key swapped in the file would otherwise receive the next rotation's key.
func slotPrivate(seed, pub []byte, name string) (hpke.PrivateKey, error) {
	priv, err := slotKEM.NewPrivateKey(seed)
	if err != nil {
		return nil, fmt.Errorf("key slot %s: %w", name, err)
	}
	if !hmac.Equal(priv.PublicKey().Bytes(), pub) {
		return nil, fmt.Errorf("key slot %s: its public key is not its own", name)
	}
	return priv, nil
}

// wrap seals secret (a slot's private key seed, or a data key in a slot from before) for slot
// name under kek.
func wrap(kek, secret []byte, name string) ([]byte, error) {
	aead, err := gcm(kek)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, secret, []byte("enroll/v1 slot\x00"+name)), nil
}

// unwrap opens what wrap sealed; it fails when kek is wrong (wrong password), which is how a
// password is checked: there is no separate password hash to attack.
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
