package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
)

// PasswordParams are argon2id's cost parameters for officers' key slots.
type PasswordParams struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultPasswordParams follow RFC 9106's second recommendation (t=3, m=64 MiB), with two
// lanes for the two-core station PCs: 0.44 s per login on the reference machine
// (BenchmarkLogin), once per session for the officer and per guess for an attacker with a
// copied database.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 2}
}

func (p PasswordParams) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

func parseParams(s string) (PasswordParams, error) {
	var p PasswordParams
	if _, err := fmt.Sscanf(s, "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, fmt.Errorf("key slot parameters %q: %w", s, err)
	}
	if p.Time == 0 || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) {
		return p, fmt.Errorf("key slot parameters %q: out of range", s)
	}
	return p, nil
}

// sqlRunner is a *sql.DB or a *sql.Tx.
type sqlRunner interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// keyWatchers are told when a store's data key becomes available (k) or is forgotten (nil),
// for parts of the store that keep something derived from it. Register in an init func.
var keyWatchers []func(s *Store, k *keys)

func watchKeys(fn func(s *Store, k *keys)) { keyWatchers = append(keyWatchers, fn) }

func (s *Store) keysChanged(k *keys) {
	for _, fn := range keyWatchers {
		fn(s, k)
	}
}

// unlock keeps the key holder for the session; Lock forgets it. A key rotation a killed
// process left unfinished is finished first, then search terms written under an older scheme
// are rewritten (only the key can compute either), so that no session ever works on
// half-rotated data or misses old records; if that fails the store stays as it was and the
// login fails. actor is who logged in.
func (s *Store) unlock(ctx context.Context, k *keys, actor string) error {
	if err := s.finishRekey(ctx, k, actor); err != nil {
		k.close()
		return err
	}
	if err := s.reindex(ctx, k); err != nil {
		k.close()
		return err
	}
	if err := s.sealRows(ctx, k, actor); err != nil {
		k.close()
		return err
	}
	if err := s.catchUpBatches(ctx, k); err != nil {
		k.close()
		return err
	}
	s.mu.Lock()
	old := s.k
	if old != nil && old.same(k) {
		// A second login in the same session (a supervisor accepting a finger): the work
		// under way keeps its holder, the new copy goes.
		s.mu.Unlock()
		k.close()
		return nil
	}
	s.k = k
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
	s.keysChanged(k)
	return nil
}

// Lock forgets the data key: until the next login nothing personal can be read or written.
// The station calls it on logout and when the session locks. It swaps in an empty holder
// first (new work gets enroll.ErrStationLocked at once), then closes the old one: that waits
// for a seal or HMAC under way, zeroes the keys, and leaves work still holding it to fail
// cleanly rather than compute under zeroed keys.
func (s *Store) Lock() {
	s.mu.Lock()
	k := s.k
	s.k = nil
	s.mu.Unlock()
	if k != nil {
		k.close()
	}
	s.keysChanged(nil)
}

// Unlocked tells whether a login has unwrapped the data key.
func (s *Store) Unlocked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.k != nil
}

func (s *Store) keys() (*keys, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.k == nil {
		return nil, enroll.ErrStationLocked
	}
	return s.k, nil
}

// slotRow is a key_slots row.
type slotRow struct {
	name   string
	salt   []byte
	params string
	public []byte // nil: a slot from before public-key slots
	secret []byte
	wrap   []byte
	next   []byte // during a rotation: the next data key, sealed to public
	gen    uint32
}

func readSlot(ctx context.Context, q sqlRunner, name string) (slotRow, error) {
	r := slotRow{name: name}
	err := q.QueryRowContext(ctx, `SELECT salt, params, public, secret, wrapped, next_wrapped, generation
		FROM key_slots WHERE name = ?`, name).Scan(&r.salt, &r.params, &r.public, &r.secret, &r.wrap, &r.next, &r.gen)
	return r, err
}

// digest is what the roster vouches for in a slot: everything that decides who can open it.
// The sealed data keys are left out: they change with each rotation and cannot be swapped
// unnoticed anyway (a data key from another slot or generation does not open, and an older
// data key does not open the roster).
func (r slotRow) digest() []byte {
	h := sha256.New()
	parts := [][]byte{[]byte(r.name), r.salt, []byte(r.params), r.public, r.secret}
	if r.public == nil {
		parts = append(parts, r.wrap) // a slot from before: the data key under the password's key
	}
	for _, p := range parts {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p))))
		h.Write(p)
	}
	return h.Sum(nil)
}

// putSlot stores (or replaces) a slot.
func putSlot(ctx context.Context, tx *sql.Tx, r slotRow, at int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO key_slots (name, salt, params, public, secret, wrapped, next_wrapped, generation, created_at)
		VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)
		ON CONFLICT (name) DO UPDATE SET salt = excluded.salt, params = excluded.params, public = excluded.public,
			secret = excluded.secret, wrapped = excluded.wrapped, next_wrapped = NULL, generation = excluded.generation,
			created_at = excluded.created_at`, r.name, r.salt, r.params, r.public, r.secret, r.wrap, r.gen, at)
	return err
}

// writeSlot gives username a new slot for password: a new key pair (so an old copy of the
// slot and the old password open nothing sealed after this), its private half sealed under
// the password's key, and the data key sealed to its public half.
func (s *Store) writeSlot(ctx context.Context, tx *sql.Tx, username, password string, k *keys) error {
	name := officerSlot(username)
	salt := make([]byte, 16)
	rand.Read(salt)
	kek := s.passwordKEK(password, salt, s.kdf)
	defer clear(kek)
	return s.putOfficerSlot(ctx, tx, name, salt, s.kdf.String(), kek, k)
}

func (s *Store) putOfficerSlot(ctx context.Context, tx *sql.Tx, name string, salt []byte, params string, kek []byte, k *keys) error {
	seed, pub, err := newSlotPair()
	if err != nil {
		return err
	}
	defer clear(seed)
	secret, err := wrap(kek, seed, name)
	if err != nil {
		return err
	}
	w, gen, err := k.sealTo(pub, name)
	if err != nil {
		return err
	}
	return putSlot(ctx, tx, slotRow{name: name, salt: salt, params: params, public: pub, secret: secret, wrap: w, gen: gen},
		s.now().UnixMilli())
}

// openedSlot is what a password or the recovery key opened: a key holder with every data key
// generation the slot holds, and for a slot from before public-key slots, the key that opened
// it (to convert it), which the caller zeroes.
type openedSlot struct {
	k      *keys
	legacy []byte
	row    slotRow
}

func (o *openedSlot) close() {
	if o.k != nil {
		o.k.close()
	}
	clear(o.legacy)
}

// holderFrom builds the key holder from a slot's data keys (the current generation's and,
// during a rotation, the next one's), opened by open.
func holderFrom(open func(wrapped []byte, gen uint32) ([]byte, error), r slotRow) (*keys, error) {
	dk, err := open(r.wrap, r.gen)
	if err != nil {
		return nil, err
	}
	k, err := newKeysAt(r.gen, dk)
	if err != nil {
		return nil, err
	}
	if r.next == nil {
		return k, nil
	}
	next, err := open(r.next, r.gen+1)
	if err == nil {
		var g *keyGen
		if g, err = deriveGen(r.gen+1, next); err == nil {
			err = k.rotate(g)
		}
	}
	if err != nil {
		k.close()
		return nil, err
	}
	return k, nil
}

// openOfficerSlot returns the keys if password opens username's slot. A wrong password and a
// missing slot cost the same argon2id work; both are enroll.ErrBadLogin.
func (s *Store) openOfficerSlot(ctx context.Context, username, password string) (*openedSlot, error) {
	name := officerSlot(username)
	r, err := readSlot(ctx, s.db, name)
	if errors.Is(err, sql.ErrNoRows) {
		clear(s.passwordKEK(password, make([]byte, 16), s.kdf))
		return nil, enroll.ErrBadLogin
	}
	if err != nil {
		return nil, fmt.Errorf("key slot %s: %w", name, err)
	}
	p, err := parseParams(r.params)
	if err != nil {
		return nil, err
	}
	kek := s.passwordKEK(password, r.salt, p)
	if r.public == nil {
		return openLegacySlot(kek, r, enroll.ErrBadLogin)
	}
	defer clear(kek)
	seed, err := unwrap(kek, r.secret, name)
	if err != nil {
		return nil, enroll.ErrBadLogin
	}
	defer clear(seed)
	k, err := s.openSealedKeys(seed, r)
	if err != nil {
		return nil, err
	}
	return &openedSlot{k: k, row: r}, nil
}

// openLegacySlot opens a slot from before public-key slots, whose data key is wrapped directly
// under kek; wrong is the error for a kek that does not open it. kek is kept (to convert the
// slot) or zeroed.
func openLegacySlot(kek []byte, r slotRow, wrong error) (*openedSlot, error) {
	dk, err := unwrap(kek, r.wrap, r.name)
	if err != nil {
		clear(kek)
		return nil, wrong
	}
	k, err := newKeysAt(r.gen, dk)
	if err != nil {
		clear(kek)
		return nil, err
	}
	return &openedSlot{k: k, legacy: kek, row: r}, nil
}

// openSealedKeys opens a public-key slot's data keys with the private key grown from seed. A
// private key that opens the slot but does not match its public key, or data keys that do
// not open, mean the slot was altered: an officer sees it as a slot that does not open the
// data.
func (s *Store) openSealedKeys(seed []byte, r slotRow) (*keys, error) {
	priv, err := slotPrivate(seed, r.public, r.name)
	if err != nil {
		return nil, &enroll.OfficerTampered{Username: officerOf(r.name), What: enroll.TamperSlot}
	}
	k, err := holderFrom(func(w []byte, gen uint32) ([]byte, error) {
		return openFromSlot(priv, r.name, gen, w)
	}, r)
	if err != nil {
		return nil, &enroll.OfficerTampered{Username: officerOf(r.name), What: enroll.TamperStaleKey}
	}
	return k, nil
}

func officerOf(slot string) string {
	if slot == recoverySlot {
		return ""
	}
	return strings.TrimPrefix(slot, slotPrefix)
}

// openRecoverySlot returns the keys if rk opens the recovery slot.
func (s *Store) openRecoverySlot(ctx context.Context, rk RecoveryKey) (*openedSlot, error) {
	r, err := readSlot(ctx, s.db, recoverySlot)
	if err != nil {
		return nil, fmt.Errorf("recovery slot: %w", err)
	}
	if r.public == nil {
		kek, err := recoveryKEK(rk[:], r.salt)
		if err != nil {
			return nil, err
		}
		return openLegacySlot(kek, r, enroll.ErrBadRecoveryKey)
	}
	seed, err := recoverySeed(rk[:], r.salt)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	priv, err := slotKEM.NewPrivateKey(seed)
	if err != nil || !hmac.Equal(priv.PublicKey().Bytes(), r.public) {
		// Another key grows another key pair: that is what a wrong recovery key looks like.
		return nil, enroll.ErrBadRecoveryKey
	}
	k, err := holderFrom(func(w []byte, gen uint32) ([]byte, error) {
		return openFromSlot(priv, recoverySlot, gen, w)
	}, r)
	if err != nil {
		return nil, &enroll.OfficerTampered{What: enroll.TamperRecoverySlot}
	}
	return &openedSlot{k: k, row: r}, nil
}

// writeRecoverySlot (re)writes the recovery slot as a public-key slot for rk.
func (s *Store) writeRecoverySlot(ctx context.Context, tx *sql.Tx, rk RecoveryKey, k *keys) error {
	salt := make([]byte, 16)
	rand.Read(salt)
	seed, err := recoverySeed(rk[:], salt)
	if err != nil {
		return err
	}
	defer clear(seed)
	priv, err := slotKEM.NewPrivateKey(seed)
	if err != nil {
		return err
	}
	pub := priv.PublicKey().Bytes()
	w, gen, err := k.sealTo(pub, recoverySlot)
	if err != nil {
		return err
	}
	return putSlot(ctx, tx, slotRow{name: recoverySlot, salt: salt, params: "", public: pub, wrap: w, gen: gen}, s.now().UnixMilli())
}

// Integrity of the officers' rows. The clear columns decide who may do what (role, disabled)
// and which slot opens the data, so the station keeps what it last wrote there in one sealed
// value, the roster, and compares: at each login (the officer logging in, once their slot has
// opened: a row edited while the station is locked can only be found then), for the actor of
// every supervisor action here, and for every slot before a rotation seals the new key to it.
// An edit names the row and the column; a row or slot put back from an older copy differs
// from the roster too. Putting back the roster itself with the rows is a rollback of the
// whole set; the roster records the audit entry of the change it was written with, so a
// later officer change in the (authenticated) audit trail gives that away.

// officersRosterField is the roster's sealed field (of no record).
const officersRosterField = "officers:roster"

// officerAttest is what the roster vouches for in one officer's row and slot.
type officerAttest struct {
	FullName   string
	Role       enroll.Role
	Disabled   bool
	MustChange bool
	CreatedAt  int64
	Slot       []byte `json:",omitempty"` // slot digest; none without a slot
}

type roster struct {
	// AuditSeq is the audit entry the roster was written with (the last officer change).
	AuditSeq int64
	Officers map[string]officerAttest
	Recovery []byte // the recovery slot's digest
	// RowsSealed says every record carries its row seal (rowseal.go): set at setup, or once
	// the first login after the upgrade sealed the older records. From then on a record
	// without a seal had it removed.
	RowsSealed bool `json:",omitempty"`
}

// officerChanges are the audit actions written with a roster change: one after the roster's
// AuditSeq means the roster is older than the trail.
var officerChanges = []string{enroll.ActionStationInit, enroll.ActionOfficerCreate, enroll.ActionOfficerReset,
	enroll.ActionOfficerDisable, enroll.ActionOfficerEnable, enroll.ActionPasswordChange, enroll.ActionOfficersSealed,
	enroll.ActionRekeyStart, enroll.ActionRekeyFinish, enroll.ActionRecordsSealed}

// currentOfficers reads the rows as they are now, in the roster's terms.
func currentOfficers(ctx context.Context, q sqlRunner) (map[string]officerAttest, []byte, error) {
	all, err := allSlots(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	slots := map[string]slotRow{}
	for _, r := range all {
		slots[r.name] = r
	}
	out := map[string]officerAttest{}
	rows, err := q.QueryContext(ctx, `SELECT username, full_name, role, disabled, must_change, created_at FROM officers`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var user string
		var a officerAttest
		if err := rows.Scan(&user, &a.FullName, &a.Role, &a.Disabled, &a.MustChange, &a.CreatedAt); err != nil {
			return nil, nil, err
		}
		if r, ok := slots[officerSlot(user)]; ok {
			a.Slot = r.digest()
		}
		out[user] = a
	}
	var rec []byte
	if r, ok := slots[recoverySlot]; ok {
		rec = r.digest()
	}
	return out, rec, rows.Err()
}

// officerChange audits a change to the accounts and seals the roster as it leaves them, in the
// change's transaction: the roster then names that entry (see officerChanges).
func (s *Store) officerChange(ctx context.Context, tx *sql.Tx, k *keys, actor, action, record, detail string) error {
	if err := s.appendAudit(ctx, tx, actor, action, record, detail); err != nil {
		return err
	}
	return s.writeRoster(ctx, tx, k)
}

// writeRoster seals the officers' rows as they are now, after the audit entry of the change
// in the same transaction.
func (s *Store) writeRoster(ctx context.Context, tx *sql.Tx, k *keys) error {
	var r roster
	if prev, err := loadRoster(ctx, tx, k); err == nil && prev != nil {
		r.RowsSealed = prev.RowsSealed
	}
	return s.sealRoster(ctx, tx, k, r)
}

// sealRoster writes r with the officers' rows as they are now.
func (s *Store) sealRoster(ctx context.Context, tx *sql.Tx, k *keys, r roster) error {
	var err error
	if r.Officers, r.Recovery, err = currentOfficers(ctx, tx); err != nil {
		return fmt.Errorf("officer roster: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(seq), 0) FROM audit`).Scan(&r.AuditSeq); err != nil {
		return fmt.Errorf("officer roster: %w", err)
	}
	if err := putSealed(ctx, tx, k, "officer_roster", officersRosterField, r); err != nil {
		return fmt.Errorf("officer roster: %w", err)
	}
	return nil
}

// loadRoster opens the roster; nil when there is none yet.
func loadRoster(ctx context.Context, q sqlRunner, k *keys) (*roster, error) {
	var sealed []byte
	err := q.QueryRowContext(ctx, `SELECT sealed FROM officer_roster WHERE id = 1`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("officer roster: %w", err)
	}
	plain, err := k.open("", officersRosterField, sealed)
	if errors.Is(err, enroll.ErrStationLocked) {
		return nil, err
	}
	if err != nil {
		// Sealed under a key this slot did not give (a slot from before a rotation), or
		// altered.
		return nil, &enroll.OfficerTampered{What: enroll.TamperStaleKey}
	}
	var r roster
	if err := json.Unmarshal(plain, &r); err != nil {
		return nil, &enroll.OfficerTampered{What: enroll.TamperRoster}
	}
	return &r, nil
}

// ensureRoster seals the roster of a station set up before rosters existed, trusting its rows
// as they are (there was nothing to check them against), and audits it. Such a station has
// only slots from before public-key slots, which the login converts after this; a station
// with any public-key slot had a roster from then on (Init writes both), so a roster missing
// there was deleted, and is refused. (Forging slots of the old kind needs the data key.)
func (s *Store) ensureRoster(ctx context.Context, k *keys, actor string) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM officer_roster`).Scan(&n); err != nil || n > 0 {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var done bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM officer_roster)`).Scan(&done); err != nil || done {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM key_slots WHERE public IS NOT NULL)`).Scan(&done); err != nil {
			return err
		}
		if done {
			return &enroll.OfficerTampered{What: enroll.TamperRoster}
		}
		return s.officerChange(ctx, tx, k, actor, enroll.ActionOfficersSealed, "", "")
	})
}

// checkOfficers compares the rows with the roster: every officer when users is nil, else those
// named, and the recovery slot when recovery is set. ignore lists columns not to compare (those
// the caller is about to rewrite). Every difference is returned, in name order.
func checkOfficers(ctx context.Context, q sqlRunner, k *keys, users []string, recovery bool, ignore ...string) ([]*enroll.OfficerTampered, error) {
	r, err := loadRoster(ctx, q, k)
	var t *enroll.OfficerTampered
	if errors.As(err, &t) {
		return []*enroll.OfficerTampered{t}, nil
	}
	if err != nil {
		return nil, err
	}
	if r == nil {
		return []*enroll.OfficerTampered{{What: enroll.TamperRoster}}, nil
	}
	var later bool
	args := []any{r.AuditSeq}
	for _, a := range officerChanges {
		args = append(args, a)
	}
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit WHERE seq > ? AND action IN (?`+
		strings.Repeat(", ?", len(officerChanges)-1)+`))`, args...).Scan(&later); err != nil {
		return nil, fmt.Errorf("officer roster: %w", err)
	}
	if later {
		return []*enroll.OfficerTampered{{What: enroll.TamperRollback}}, nil
	}
	now, rec, err := currentOfficers(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("officer roster: %w", err)
	}
	if users == nil {
		seen := map[string]bool{}
		for u := range now {
			users, seen[u] = append(users, u), true
		}
		for u := range r.Officers {
			if !seen[u] {
				users = append(users, u)
			}
		}
	}
	skip := map[string]bool{}
	for _, c := range ignore {
		skip[c] = true
	}
	var out []*enroll.OfficerTampered
	if recovery && !skip[enroll.TamperRecoverySlot] && !hmac.Equal(rec, r.Recovery) {
		out = append(out, &enroll.OfficerTampered{What: enroll.TamperRecoverySlot})
	}
	slices.Sort(users)
	for _, u := range users {
		want, listed := r.Officers[u]
		got, present := now[u]
		switch {
		case !listed && present:
			out = append(out, &enroll.OfficerTampered{Username: u, What: enroll.TamperUnknown})
			continue
		case listed && !present:
			out = append(out, &enroll.OfficerTampered{Username: u, What: enroll.TamperMissing})
			continue
		case !listed:
			continue
		}
		for _, c := range []struct {
			what string
			same bool
		}{
			{enroll.TamperRole, want.Role == got.Role},
			{enroll.TamperDisabled, want.Disabled == got.Disabled},
			{enroll.TamperMustChange, want.MustChange == got.MustChange},
			{enroll.TamperFullName, want.FullName == got.FullName},
			{enroll.TamperCreated, want.CreatedAt == got.CreatedAt},
			{enroll.TamperSlot, hmac.Equal(want.Slot, got.Slot)},
		} {
			if !c.same && !skip[c.what] {
				out = append(out, &enroll.OfficerTampered{Username: u, What: c.what})
			}
		}
	}
	return out, nil
}

// checkOfficer is checkOfficers for one officer, as one error.
func checkOfficer(ctx context.Context, q sqlRunner, k *keys, username string, ignore ...string) error {
	found, err := checkOfficers(ctx, q, k, []string{username}, false, ignore...)
	if err != nil {
		return err
	}
	if len(found) > 0 {
		if found[0].Username == "" && found[0].What != enroll.TamperRecoverySlot {
			found[0].Username = username // name the row the officer was logging in with
		}
		return found[0]
	}
	return nil
}

// VerifyOfficers compares every officer's row and slot, and the recovery slot, with what the
// station last wrote; the administration screen lists what differs. It needs a login.
func (s *Store) VerifyOfficers(ctx context.Context) ([]*enroll.OfficerTampered, error) {
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("check officer accounts: %w", err)
	}
	found, err := checkOfficers(ctx, s.db, k, nil, true)
	if err != nil {
		return nil, fmt.Errorf("check officer accounts: %w", err)
	}
	return found, nil
}

// requireCheckedSupervisor is requireSupervisor with the actor's row checked against the
// roster: an officer made supervisor by an edit of the file is refused by name.
func requireCheckedSupervisor(ctx context.Context, tx *sql.Tx, k *keys, actor string) error {
	if err := requireSupervisor(ctx, tx, actor); err != nil {
		return err
	}
	return checkOfficer(ctx, tx, k, actor)
}

// refuseDuringRekey stops officer changes while a rotation is unfinished: their slots could
// not be given the next key. The next login finishes the rotation.
func refuseDuringRekey(ctx context.Context, q sqlRunner) error {
	var pending bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM rekey)`).Scan(&pending); err != nil {
		return err
	}
	if pending {
		return enroll.ErrRotationUnfinished
	}
	return nil
}

// Init sets up a new station in one transaction: office and code, a fresh random data key, the
// first supervisor's key slot, the recovery slot and the roster. It returns the recovery key,
// to be shown once and kept on paper: it is the only way back in if every password is lost.
// The store is unlocked afterwards.
func (s *Store) Init(ctx context.Context, setup enroll.StationSetup) (string, error) {
	rk, err := s.init(ctx, setup)
	if err != nil {
		return "", err
	}
	return rk.String(), nil
}

func (s *Store) init(ctx context.Context, setup enroll.StationSetup) (RecoveryKey, error) {
	setup = setup.Normalize()
	if err := setup.Check(); err != nil {
		return RecoveryKey{}, err
	}
	dk := make([]byte, dataKeySize)
	rand.Read(dk)
	k, err := newKeysAt(1, dk)
	if err != nil {
		return RecoveryKey{}, err
	}
	rk, err := newRecoveryKey()
	if err != nil {
		k.close()
		return RecoveryKey{}, err
	}
	sup := setup.Supervisor
	name, _ := enroll.NormalizeName(sup.FullName)
	now := s.now().UnixMilli()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM officers`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errors.New("this station is already set up")
		}
		for k, v := range map[string]string{enroll.SettingOffice: setup.Office, enroll.SettingStation: setup.Code} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return err
			}
		}
		if err := s.writeRecoverySlot(ctx, tx, rk, k); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO officers (username, full_name, role, created_at) VALUES (?, ?, ?, ?)`,
			sup.Username, name, string(enroll.RoleSupervisor), now); err != nil {
			return err
		}
		if err := s.writeSlot(ctx, tx, sup.Username, sup.Password, k); err != nil {
			return err
		}
		// The roster is sealed from the start, with the public-key slots that tell a station
		// set up with rosters from one set up before (ensureRoster), and says that records
		// carry row seals from the first.
		if err := s.appendAudit(ctx, tx, sup.Username, enroll.ActionStationInit, "", "station "+setup.Code+"; supervisor "+sup.Username); err != nil {
			return err
		}
		if err := sealSettings(ctx, tx, k); err != nil {
			return err
		}
		return s.sealRoster(ctx, tx, k, roster{RowsSealed: true})
	})
	if err != nil {
		k.close()
		return RecoveryKey{}, fmt.Errorf("set up station: %w", err)
	}
	return rk, s.unlock(ctx, k, sup.Username)
}

// CreateOfficer adds an account; actor is the supervisor doing it. The new officer's slot
// receives the data key already in memory, so the store must be unlocked.
func (s *Store) CreateOfficer(ctx context.Context, actor string, n enroll.OfficerForm) (enroll.Officer, error) {
	n.Username = strings.TrimSpace(n.Username)
	if err := n.Check(); err != nil {
		return enroll.Officer{}, err
	}
	if n.Role != enroll.RoleOfficer && n.Role != enroll.RoleSupervisor {
		return enroll.Officer{}, fmt.Errorf("create officer %s: unknown role %q", n.Username, n.Role)
	}
	k, err := s.keys()
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("create officer %s: %w", n.Username, err)
	}
	name, _ := enroll.NormalizeName(n.FullName)
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		if err := refuseDuringRekey(ctx, tx); err != nil {
			return err
		}
		// The supervisor chose this password and knows it: the officer replaces it at the first
		// login, so that what the audit trail puts in their name was done by them.
		if _, err := tx.ExecContext(ctx, `INSERT INTO officers (username, full_name, role, created_at, must_change) VALUES (?, ?, ?, ?, 1)`,
			n.Username, name, string(n.Role), now.UnixMilli()); err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return enroll.ErrOfficerExists
			}
			return err
		}
		if err := s.writeSlot(ctx, tx, n.Username, n.Password, k); err != nil {
			return err
		}
		return s.officerChange(ctx, tx, k, actor, enroll.ActionOfficerCreate, "", n.Username+" as "+string(n.Role))
	})
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("create officer %s: %w", n.Username, err)
	}
	return enroll.Officer{Username: n.Username, FullName: name, Role: n.Role, CreatedAt: now}, nil
}

func requireSupervisor(ctx context.Context, tx *sql.Tx, actor string) error {
	var role string
	var disabled bool
	err := tx.QueryRowContext(ctx, `SELECT role, disabled FROM officers WHERE username = ?`, actor).Scan(&role, &disabled)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (disabled || role != string(enroll.RoleSupervisor)) {
		return enroll.ErrNotSupervisor
	}
	return err
}

// OfficerCount tells whether the station has been set up (no officers means first run).
func (s *Store) OfficerCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM officers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count officers: %w", err)
	}
	return n, nil
}

// Officers lists every account, supervisors first.
func (s *Store) Officers(ctx context.Context) ([]enroll.Officer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT username, full_name, role, disabled, must_change, created_at
		FROM officers ORDER BY role DESC, username`)
	if err != nil {
		return nil, fmt.Errorf("list officers: %w", err)
	}
	defer rows.Close()
	var out []enroll.Officer
	for rows.Next() {
		var o enroll.Officer
		var role string
		var created int64
		if err := rows.Scan(&o.Username, &o.FullName, &role, &o.Disabled, &o.MustChange, &created); err != nil {
			return nil, fmt.Errorf("list officers: %w", err)
		}
		o.Role, o.CreatedAt = enroll.Role(role), time.UnixMilli(created)
		out = append(out, o)
	}
	return out, rows.Err()
}

// officerState reads the columns a login decides on.
func (s *Store) officerState(ctx context.Context, username string) (o enroll.Officer, lockedUntil int64, err error) {
	var role string
	var created int64
	err = s.db.QueryRowContext(ctx, `SELECT username, full_name, role, disabled, must_change, created_at, locked_until
		FROM officers WHERE username = ?`, username).
		Scan(&o.Username, &o.FullName, &role, &o.Disabled, &o.MustChange, &created, &lockedUntil)
	o.Role, o.CreatedAt = enroll.Role(role), time.UnixMilli(created)
	return o, lockedUntil, err
}

// Authenticate checks a login by opening the officer's key slot with the password, checks the
// officer's row against the roster, and keeps the keys for the session. A wrong user name
// costs the same time as a wrong password, so the answer's timing does not reveal which user
// names exist. After lockAfter failures in a row the account is locked for lockFor, whatever
// password is given; every attempt is audited.
func (s *Store) Authenticate(ctx context.Context, username, password string) (enroll.Officer, error) {
	username = strings.TrimSpace(strings.ToLower(username))
	o, lockedUntil, err := s.officerState(ctx, username)
	if errors.Is(err, sql.ErrNoRows) {
		clear(s.passwordKEK(password, make([]byte, 16), s.kdf))
		s.Audit(ctx, username, enroll.ActionLoginFailed, "", "unknown user name")
		return enroll.Officer{}, enroll.ErrBadLogin
	}
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, dbFault(err))
	}
	now := s.now()
	if now.UnixMilli() < lockedUntil {
		s.Audit(ctx, o.Username, enroll.ActionLoginFailed, "", "account locked")
		return enroll.Officer{}, &enroll.LockedOut{Until: time.UnixMilli(lockedUntil)}
	}
	if o.Disabled {
		// A disabled officer has no slot left to check the password against; the same work
		// is done so the answer takes as long as any other.
		clear(s.passwordKEK(password, make([]byte, 16), s.kdf))
		s.Audit(ctx, o.Username, enroll.ActionLoginFailed, "", "account disabled")
		return enroll.Officer{}, enroll.ErrDisabled
	}
	opened, err := s.openOfficerSlot(ctx, o.Username, password)
	if errors.Is(err, enroll.ErrBadLogin) {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username,
			s.countFailure(ctx, o.Username, enroll.ActionLoginFailed, "wrong password", enroll.ErrBadLogin))
	}
	if err != nil {
		s.Audit(ctx, o.Username, enroll.ActionLoginFailed, "", err.Error())
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, dbFault(err))
	}
	defer clear(opened.legacy)
	k := opened.k
	err = s.ensureRoster(ctx, k, o.Username)
	if err == nil {
		err = checkOfficer(ctx, s.db, k, o.Username)
	}
	if err != nil {
		k.close()
		s.Audit(ctx, o.Username, enroll.ActionLoginFailed, "", err.Error())
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, dbFault(err))
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// The lock-out is checked again here, in the same statement that clears the count: a
		// wrong guess running alongside may have locked the account while the slot opened.
		res, err := tx.ExecContext(ctx, `UPDATE officers SET failed_logins = 0, locked_until = 0
			WHERE username = ? AND locked_until <= ?`, o.Username, now.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return enroll.ErrLockedOut
		}
		if opened.legacy != nil {
			// A slot from before public-key slots: converted now that its key is at hand.
			r := opened.row
			if err := s.putOfficerSlot(ctx, tx, r.name, r.salt, r.params, opened.legacy, k); err != nil {
				return err
			}
			if err := s.writeRoster(ctx, tx, k); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, o.Username, enroll.ActionLogin, "", "")
	})
	if err == nil {
		err = s.unlock(ctx, k, o.Username)
	} else {
		k.close()
	}
	if err != nil {
		return enroll.Officer{}, fmt.Errorf("log in %s: %w", username, dbFault(err))
	}
	return o, nil
}

// countFailure counts a wrong password (or recovery key) against username in one statement, so
// that guesses made in parallel each count, and locks the account when the count reaches the
// station's limit; it audits the attempt as action. It returns wrong, or enroll.ErrLockedOut
// when this attempt locked the account.
func (s *Store) countFailure(ctx context.Context, username, action, what string, wrong error) error {
	// The station's settings, when a supervisor set them, else the store's options.
	lockAfter, _ := s.NumericSetting(ctx, enroll.SettingLockAttempts, s.lockAfter)
	minutes, _ := s.NumericSetting(ctx, enroll.SettingLockMinutes, int(s.lockFor/time.Minute))
	lockFor := time.Duration(minutes) * time.Minute
	limit := lockAfter
	if limit <= 0 {
		limit = int(^uint32(0) >> 1) // no lock-out
	}
	until := s.now().Add(lockFor).UnixMilli()
	result := wrong
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var failed int
		var locked int64
		err := tx.QueryRowContext(ctx, `UPDATE officers SET
				failed_logins = CASE WHEN failed_logins + 1 >= ?1 THEN 0 ELSE failed_logins + 1 END,
				locked_until = CASE WHEN failed_logins + 1 >= ?1 THEN ?2 ELSE locked_until END
			WHERE username = ?3 RETURNING failed_logins, locked_until`, limit, until, username).Scan(&failed, &locked)
		if errors.Is(err, sql.ErrNoRows) {
			failed = 0 // no such account: nothing to count, the attempt is still audited
		} else if err != nil {
			return err
		}
		detail := fmt.Sprintf("%s (%d in a row)", what, failed)
		if err == nil && failed == 0 && locked == until {
			result, detail = &enroll.LockedOut{Until: time.UnixMilli(until)}, fmt.Sprintf("%s; locked for %s", what, lockFor)
		}
		if action == enroll.ActionRecovery {
			detail = what // the trail's form for recovery attempts
		}
		return s.appendAudit(ctx, tx, username, action, "", detail)
	})
	if err != nil {
		return fmt.Errorf("count failed attempt of %s: %w", username, err)
	}
	return result
}

// ChangePassword lets an officer choose a new password, given the current one. Their slot gets
// a new key pair (so the old password with an old copy of the slot opens nothing sealed from
// now on); nothing else is re-encrypted. A wrong current password counts towards the lock-out
// like a wrong login, and is audited.
func (s *Store) ChangePassword(ctx context.Context, username, current, next, confirm string) error {
	if err := enroll.CheckNewPassword(current, next, confirm); err != nil {
		return err
	}
	_, lockedUntil, err := s.officerState(ctx, username)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = enroll.ErrBadLogin
		}
		return fmt.Errorf("change password of %s: %w", username, err)
	}
	if s.now().UnixMilli() < lockedUntil {
		s.Audit(ctx, username, enroll.ActionLoginFailed, "", "account locked")
		return fmt.Errorf("change password of %s: %w", username, &enroll.LockedOut{Until: time.UnixMilli(lockedUntil)})
	}
	opened, err := s.openOfficerSlot(ctx, username, current)
	if errors.Is(err, enroll.ErrBadLogin) {
		err = s.countFailure(ctx, username, enroll.ActionLoginFailed, "wrong password", enroll.ErrBadLogin)
	}
	if err != nil {
		return fmt.Errorf("change password of %s: %w", username, err)
	}
	defer opened.close()
	k := opened.k
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := refuseDuringRekey(ctx, tx); err != nil {
			return err
		}
		if err := checkOfficer(ctx, tx, k, username); err != nil {
			return err
		}
		if err := s.writeSlot(ctx, tx, username, next, k); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET must_change = 0, failed_logins = 0 WHERE username = ?`, username); err != nil {
			return err
		}
		return s.officerChange(ctx, tx, k, username, enroll.ActionPasswordChange, "", "")
	})
	if err != nil {
		return fmt.Errorf("change password of %s: %w", username, err)
	}
	return nil
}

// ResetPassword is a supervisor setting a forgotten password, or giving a re-enabled officer
// a slot again: the officer's slot is written anew from the keys in memory, the lock-out is
// cleared, and the officer must choose a new password at the next login.
func (s *Store) ResetPassword(ctx context.Context, actor, username, password, confirm string) error {
	if err := enroll.CheckPassword(password, confirm); err != nil {
		return err
	}
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("reset password of %s: %w", username, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		if err := refuseDuringRekey(ctx, tx); err != nil {
			return err
		}
		// The target's row must be the station's own, or the reset would launder an edit (a
		// role raised in the file) into the roster. Its slot and forced change are rewritten.
		if err := checkOfficer(ctx, tx, k, username, enroll.TamperSlot, enroll.TamperMustChange); err != nil {
			return err
		}
		return s.resetSlot(ctx, tx, actor, username, password, k, actor != username)
	})
	if err != nil {
		return fmt.Errorf("reset password of %s: %w", username, err)
	}
	return nil
}

func (s *Store) resetSlot(ctx context.Context, tx *sql.Tx, actor, username, password string, k *keys, mustChange bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE officers SET must_change = ?, failed_logins = 0, locked_until = 0
		WHERE username = ?`, mustChange, username)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return enroll.ErrUnknownOfficer
	}
	if err := s.writeSlot(ctx, tx, username, password, k); err != nil {
		return err
	}
	return s.officerChange(ctx, tx, k, actor, enroll.ActionOfficerReset, "", username)
}

// SetDisabled turns an account off or back on. Disabling deletes the officer's key slot, so
// their password opens nothing any more (a rotation, Rekey, also makes any copy of the data
// key they may have kept useless for what is sealed after it); enabling them again gives no
// slot back: a supervisor sets a password (ResetPassword), which writes a new one.
// Supervisors cannot disable themselves or the last active supervisor, so the station always
// has someone to manage it.
func (s *Store) SetDisabled(ctx context.Context, actor, username string, disabled bool) error {
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("change account %s: %w", username, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		if disabled && actor == username {
			return enroll.ErrSelfDisable
		}
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM officers WHERE username = ?`, username).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return enroll.ErrUnknownOfficer
		}
		if err != nil {
			return err
		}
		if err := refuseDuringRekey(ctx, tx); err != nil {
			return err
		}
		if err := checkOfficer(ctx, tx, k, username); err != nil {
			return err
		}
		if disabled && role == string(enroll.RoleSupervisor) {
			var active int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM officers WHERE role = 'supervisor' AND disabled = 0
				AND username != ?`, username).Scan(&active); err != nil {
				return err
			}
			if active == 0 {
				return enroll.ErrLastSupervisor
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET disabled = ? WHERE username = ?`, disabled, username); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM key_slots WHERE name = ?`, officerSlot(username)); err != nil {
				return err
			}
		}
		action := enroll.ActionOfficerEnable
		if disabled {
			action = enroll.ActionOfficerDisable
		}
		return s.officerChange(ctx, tx, k, actor, action, "", username)
	})
	if err != nil {
		return fmt.Errorf("change account %s: %w", username, err)
	}
	return nil
}

// HasKeySlot tells whether an officer has a key slot, that is, whether any password of theirs
// can open the data (a re-enabled officer has none until a supervisor sets a password).
func (s *Store) HasKeySlot(ctx context.Context, username string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM key_slots WHERE name = ?`, officerSlot(username)).Scan(&n); err != nil {
		return false, fmt.Errorf("key slot of %s: %w", username, err)
	}
	return n > 0, nil
}

// Recover opens the data with the recovery key (as typed from the paper) after passwords were
// lost, and gives the supervisor username a new password (a new slot). A wrong key counts
// towards that account's lock-out and is audited. A recovery slot from before public-key slots
// is converted. The store is unlocked afterwards.
func (s *Store) Recover(ctx context.Context, key, username, password, confirm string) error {
	rk, err := ParseRecoveryKey(key)
	if err != nil {
		return fmt.Errorf("recover: %w", enroll.ErrBadRecoveryKey)
	}
	if err := enroll.CheckPassword(password, confirm); err != nil {
		return err
	}
	username = strings.TrimSpace(strings.ToLower(username))
	if _, lockedUntil, err := s.officerState(ctx, username); err == nil && s.now().UnixMilli() < lockedUntil {
		s.Audit(ctx, username, enroll.ActionRecovery, "", "account locked")
		return fmt.Errorf("recover: %w", enroll.ErrLockedOut)
	}
	opened, err := s.openRecoverySlot(ctx, rk)
	if errors.Is(err, enroll.ErrBadRecoveryKey) {
		return fmt.Errorf("recover: %w", s.countFailure(ctx, username, enroll.ActionRecovery, "wrong recovery key", enroll.ErrBadRecoveryKey))
	}
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	defer clear(opened.legacy)
	k := opened.k
	fail := func(err error) error {
		k.close()
		return fmt.Errorf("recover: %w", err)
	}
	if err := s.ensureRoster(ctx, k, username); err != nil {
		return fail(err)
	}
	// A rotation a killed process left is finished first (the recovery slot holds the next
	// key too), so the new slot is written for the current key.
	if err := s.finishRekey(ctx, k, username); err != nil {
		return fail(err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM officers WHERE username = ?`, username).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) || err == nil && role != string(enroll.RoleSupervisor) {
			return enroll.ErrNotSupervisor
		}
		if err != nil {
			return err
		}
		// The role must be the station's own; whatever else is wrong with the account is what
		// the recovery rewrites.
		if err := checkOfficer(ctx, tx, k, username, enroll.TamperDisabled, enroll.TamperSlot, enroll.TamperMustChange); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET disabled = 0 WHERE username = ?`, username); err != nil {
			return err
		}
		if opened.legacy != nil {
			if err := s.writeRecoverySlot(ctx, tx, rk, k); err != nil {
				return err
			}
		}
		if err := s.appendAudit(ctx, tx, username, enroll.ActionRecovery, "", "data opened with the recovery key"); err != nil {
			return err
		}
		return s.resetSlot(ctx, tx, username, username, password, k, false)
	})
	if err != nil {
		return fail(err)
	}
	return s.unlock(ctx, k, username)
}

// UpgradeRecovery converts a recovery slot from before key rotation existed, which cannot be
// given a new data key without the recovery key, to one that can. A rotation asks for it
// (enroll.ErrRecoverySlotOld). actor is the supervisor logged in; a wrong key is audited.
func (s *Store) UpgradeRecovery(ctx context.Context, actor, key string) error {
	k, err := s.keys()
	if err != nil {
		return fmt.Errorf("renew recovery slot: %w", err)
	}
	rk, err := ParseRecoveryKey(key)
	if err != nil {
		return fmt.Errorf("renew recovery slot: %w", enroll.ErrBadRecoveryKey)
	}
	opened, err := s.openRecoverySlot(ctx, rk)
	if errors.Is(err, enroll.ErrBadRecoveryKey) {
		s.Audit(ctx, actor, enroll.ActionRecovery, "", "wrong recovery key")
	}
	if err != nil {
		return fmt.Errorf("renew recovery slot: %w", err)
	}
	defer opened.close()
	if !opened.k.same(k) {
		return fmt.Errorf("renew recovery slot: %w", &enroll.OfficerTampered{What: enroll.TamperRecoverySlot})
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireCheckedSupervisor(ctx, tx, k, actor); err != nil {
			return err
		}
		if err := refuseDuringRekey(ctx, tx); err != nil {
			return err
		}
		if err := s.writeRecoverySlot(ctx, tx, rk, k); err != nil {
			return err
		}
		return s.officerChange(ctx, tx, k, actor, enroll.ActionOfficersSealed, "", "")
	})
	if err != nil {
		return fmt.Errorf("renew recovery slot: %w", err)
	}
	return nil
}

// OfficerRole returns an account's role, or ErrNotFound.
func (s *Store) OfficerRole(ctx context.Context, username string) (enroll.Role, error) {
	var role string
	err := s.db.QueryRowContext(ctx, `SELECT role FROM officers WHERE username = ?`, username).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("officer %s: %w", username, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("officer %s: %w", username, err)
	}
	return enroll.Role(role), nil
}
