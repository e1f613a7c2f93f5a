package store

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/mattn/go-sqlite3"

	"github.com/wardpolice/enroll"
)

// Keyed audit: the scheme (issue 16; the README's "Audit trail" section says the same for
// supervisors).
//
// Every entry is still hash-chained (audit.go), so anyone can check continuity; on top of
// that each entry gets an HMAC over its chained hash under a key the database file alone does
// not give. Because the hash chains everything before it, an entry's MAC also vouches for
// every earlier entry.
//
//   - The audit key (32 random bytes) is sealed under the data key in audit_key, created at
//     the first login after the upgrade, and opened per use from the session's keys: it is
//     in memory only while someone is logged in. Entries written then are "live".
//   - Entries are also written while no data key is in memory: failed logins before anyone
//     logged in, the session lock, the courier's uploads and verdicts. At each login the
//     station derives a locked-session key from the audit key (HKDF with a fresh random label)
//     and keeps only that one after Lock(): entries written while locked are "locked", MACed
//     under it. It authenticates nothing but those entries, so someone who reads the running
//     station's memory while it is locked can forge only entries of that locked period.
//   - A process that never had a login since it started (the window before the first login,
//     `station sync` without --user) has no key at all: its entries are chained and carry no
//     MAC. The next login countersigns every entry without a MAC as its first work: "own"
//     if this process wrote it (it remembers their hashes, so a change in between shows as an
//     alarm), "old" if it predates the upgrade, otherwise "found". Nothing distinguishes a
//     "found" entry from one forged with the sqlite3 tool (no secret was there to write it
//     with); verify lists them so a supervisor can look at them, and never calls them
//     authentic. Entries from before the upgrade are only as good as the unkeyed chain was.
//   - The head (sequence number and MAC of the last authenticated entry) is also kept outside
//     the database, in DB.audit-head (audithead.go), tagged under the same keys and replaced
//     atomically (and synced) soon after every commit that wrote an authenticated entry: off
//     the commit path, paced so a burst of saves does not wait for it. A database rolled back
//     to an older copy, or cut short, has less than its head file says; every authenticated
//     entry records the head file's sequence number as the writer knew it durably written
//     ("anchored"), so a head file put back to an older copy shows too, while a crash that
//     only left the file a little behind does not. Each login compares the file with the
//     database before it writes anything and records what it finds as an audit_alarm entry,
//     so the evidence outlives the next head update.
//   - Each sync batch carries the head in its signed manifest; central keeps every head it was
//     sent and `central audit check STATION` says whether they only ever moved forward. That
//     catches what the station alone cannot: the database and its head file both put back to
//     an older matching pair.

// The keyed audit rides on two hooks of the key handling: a data key rotation re-seals the
// audit key with the station's other sealed values, and every login (Init, Authenticate,
// Recover: whatever puts a data key in place) runs auditUnlocked before the login returns.
// Its errors are dropped there: a login is never refused for the audit's sake; what could not
// be countersigned stays unsigned and verify reports it.
func init() {
	resealOnRekey("audit_key", "sealed", "", fieldAuditKey)
	watchKeys(func(s *Store, k *keys) {
		if k != nil {
			s.auditUnlocked(context.Background(), k)
		}
	})
}

// How an entry was authenticated: bound into its MAC, so it cannot be relabelled.
const (
	macLive   = "live"   // written while the data key was in memory
	macLocked = "locked" // written while locked, under this process's locked-session key
	macOwn    = "own"    // written with no key; countersigned by the same process at its next login
	macFound  = "found"  // found without a MAC at a login: another keyless process, or forged
	macOld    = "old"    // written before the audit was keyed (before the upgrade)
)

// fieldAuditKey names the sealed audit key (sealed like a record's field, with no record).
const fieldAuditKey = "audit:key"

// auditSystem is the officer name of the entries the station writes on its own account.
const auditSystem = "system"

// maxOwn bounds how many key-less entries a process remembers until its first login; past
// it they are countersigned as found, which is still honest.
const maxOwn = 100000

// auditState is what a process keeps in memory for the keyed audit.
type auditState struct {
	mu sync.Mutex
	// locked is the locked-session key derived at the last login, label its label.
	locked []byte
	label  int64
	// own: entries this process wrote with no key at all, seq → hash.
	own map[int64][]byte
	// anchored is the head file's sequence number as this process last wrote or validated it.
	anchored int64
	// checked: a login of this process compared the head file with the database; until then
	// the head file is not written (it may be evidence).
	checked bool
	// dirty: an authenticated entry was written since the head file was last brought up to date.
	dirty bool
	// The head writer (audithead.go): started at the first authenticated commit.
	wake, stop, done chan struct{}
	closed           bool
}

func (a *auditState) remember(seq int64, hash []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.own == nil {
		a.own = map[int64][]byte{}
	}
	if len(a.own) < maxOwn {
		a.own[seq] = hash
	}
}

func (a *auditState) anchoredSeq() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.anchored
}

func (a *auditState) markDirty() {
	a.mu.Lock()
	a.dirty = true
	a.mu.Unlock()
}

// lockedKey returns a copy of the locked-session key and its label, nil before any login.
func (a *auditState) lockedKey() ([]byte, int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.locked == nil {
		return nil, 0
	}
	return append([]byte(nil), a.locked...), a.label
}

// entryMAC authenticates an entry's chained hash, how it was authenticated and the head file's
// sequence number its writer knew.
func entryMAC(key, hash []byte, kind string, anchored int64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("enroll/v1 audit entry\x00"))
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write(hash)
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(anchored)))
	return m.Sum(nil)
}

// deriveLocked is the locked-session key labelled label: anyone with the audit key can
// recompute it to verify, nobody without it can.
func deriveLocked(auditKey []byte, label int64) ([]byte, error) {
	return hkdf.Key(sha256.New, auditKey, nil, fmt.Sprintf("enroll/v1 audit locked session %d", label), 32)
}

// keyFor is the key MACs and head tags labelled label are made with: the audit key itself for
// 0, else the locked-session key of that label.
func keyFor(auditKey []byte, label int64) ([]byte, error) {
	if label == 0 {
		return auditKey, nil
	}
	return deriveLocked(auditKey, label)
}

// macChecker verifies entries' MACs, deriving each locked-session key once.
type macChecker struct {
	auditKey []byte
	locked   map[int64][]byte
}

func newMACChecker(auditKey []byte) *macChecker {
	return &macChecker{auditKey: auditKey, locked: map[int64][]byte{}}
}

func (c *macChecker) holds(label int64, hash []byte, kind string, anchored int64, mac []byte) bool {
	key, ok := c.locked[label]
	if label == 0 {
		key = c.auditKey
	} else if !ok {
		var err error
		if key, err = deriveLocked(c.auditKey, label); err != nil {
			return false
		}
		c.locked[label] = key
	}
	return hmac.Equal(mac, entryMAC(key, hash, kind, anchored))
}

func (c *macChecker) clear() {
	for _, k := range c.locked {
		clear(k)
	}
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// errNoAuditKey: the audit key does not exist yet, or does not open with this session's keys.
var errNoAuditKey = errors.New("no audit key")

// openAuditKey opens the audit key with the session's keys.
func openAuditKey(ctx context.Context, q rowQuerier, k *keys) ([]byte, error) {
	var sealed []byte
	if err := q.QueryRowContext(ctx, `SELECT sealed FROM audit_key WHERE id = 1`).Scan(&sealed); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: its row was deleted", errNoAuditKey)
		}
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if sealed == nil {
		return nil, errNoAuditKey
	}
	a, err := k.open("", fieldAuditKey, sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoAuditKey, err)
	}
	return a, nil
}

// entryKey picks what an entry written now is authenticated with: the audit key while the
// store is unlocked, else this process's locked-session key, else nothing (key nil). The key
// is a copy for the caller to clear.
func (s *Store) entryKey(ctx context.Context, q rowQuerier) (key []byte, kind string, label int64, err error) {
	if k, kerr := s.keys(); kerr == nil {
		a, err := openAuditKey(ctx, q, k)
		switch {
		case err == nil:
			return a, macLive, 0, nil
		case !errors.Is(err, errNoAuditKey):
			return nil, "", 0, err
		}
		// Unlocked, but the key is missing or does not open (verify reports it): fall back
		// to what a locked station would do rather than refuse the officer's work.
	}
	if e, label := s.audit.lockedKey(); e != nil {
		return e, macLocked, label, nil
	}
	return nil, "", 0, nil
}

// auditUnlocked runs at every login, as soon as the session's keys are in place: it creates
// the audit key at the first login after the upgrade, compares the head file with the database
// (recording any disagreement as an alarm entry before the head file is rewritten),
// countersigns every entry that has no MAC yet, and derives this process's next
// locked-session key. An audit key that is missing or does not
// open, or triggers that refuse the countersigning, are left for verify to report, so a
// damaged audit never locks officers out of their work.
func (s *Store) auditUnlocked(ctx context.Context, k *keys) error {
	var auditKey []byte
	var head int64
	var headMAC []byte
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var keyedAfter int64
		var sealed []byte
		if err := tx.QueryRowContext(ctx, `SELECT keyed_after, sealed FROM audit_key WHERE id = 1`).Scan(&keyedAfter, &sealed); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil // deleted: verify says so
			}
			return err
		}
		file, ferr := readHeadFile(headPath(s.path))
		var fileSeq int64
		if ferr == nil {
			fileSeq = file.Seq
		}
		facts, err := readTrailFacts(ctx, tx, fileSeq)
		if err != nil {
			return err
		}
		var alarms []string
		if sealed == nil {
			if facts.macs {
				return nil // the key was removed from under MACed entries: verify says so
			}
			if ferr == nil && keyedAfter > 0 {
				alarms = append(alarms, fmt.Sprintf(alarmNoKey, file.Seq))
			}
			// A new station at the path of an old one finds that one's head file: keyedAfter
			// is 0 there, and the file is simply replaced below.
			ferr = errHeadIgnored
			a := make([]byte, 32)
			rand.Read(a)
			sealed = k.seal("", fieldAuditKey, a)
			if sealed == nil {
				return nil // locked meanwhile
			}
			if _, err := tx.ExecContext(ctx, `UPDATE audit_key SET sealed = ?, created_at = ? WHERE id = 1 AND sealed IS NULL`,
				sealed, s.now().UnixMilli()); err != nil {
				return err
			}
		}
		a, err := k.open("", fieldAuditKey, sealed)
		if err != nil {
			return nil // verify says the key does not open
		}
		auditKey = a
		if ferr != errHeadIgnored {
			if br := compareHead(file, ferr, facts, a); br != nil {
				alarms = append(alarms, br.Reason)
			}
		}
		if ferr == nil {
			forged, err := forgedAfter(ctx, tx, a, file.Seq)
			if err != nil {
				return err
			}
			alarms = append(alarms, forged...)
		}
		more, err := s.countersign(ctx, tx, a, keyedAfter)
		if err != nil {
			return err
		}
		for _, msg := range append(alarms, more...) {
			if err := s.insertEntry(ctx, tx, auditSystem, enroll.ActionAuditAlarm, "", msg, a, macLive, 0); err != nil {
				return err
			}
		}
		err = tx.QueryRowContext(ctx, `SELECT seq, mac FROM audit WHERE mac IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&head, &headMAC)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // nothing authenticated: no head to write
		}
		return err
	})
	defer clear(auditKey)
	var sqlErr sqlite3.Error
	if errors.As(err, &sqlErr) && sqlErr.Code == sqlite3.ErrConstraint {
		// The append-only triggers were replaced by ones that refuse countersigning: the
		// entries stay unsigned and verify reports the triggers; the officer can still work.
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if auditKey == nil {
		return nil
	}
	var r [8]byte
	rand.Read(r[:])
	label := int64(binary.BigEndian.Uint64(r[:])>>2) + 1 // positive: 0 names the audit key itself
	locked, err := deriveLocked(auditKey, label)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	clear(s.audit.locked)
	s.audit.locked, s.audit.label = locked, label
	for seq := range s.audit.own {
		if seq <= head {
			delete(s.audit.own, seq)
		}
	}
	// The file was compared above; from now on it holds what this login left.
	s.audit.checked = true
	if err := s.putHead(headFile{Seq: head, MAC: headMAC}, auditKey, 0); err == nil {
		s.audit.anchored, s.audit.dirty = head, false
	}
	return nil
}

// maxLoginCheck bounds how many entries past the head file a login checks the MACs of (a
// station process that wrote locked entries without updating the head file leaves a few).
const maxLoginCheck = 10000

// forgedAfter checks the MACs of the entries after the head file's: a process that held a
// key wrote them, or someone pretends one did. A MAC that does not hold is recorded now,
// while the head file still shows where the station's own entries ended (verify, later,
// sees only that the MAC does not hold).
func forgedAfter(ctx context.Context, tx *sql.Tx, auditKey []byte, head int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, hash, mac, mac_kind, mac_key, anchored FROM audit
		WHERE seq > ? AND mac IS NOT NULL ORDER BY seq LIMIT ?`, head, maxLoginCheck)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	macs := newMACChecker(auditKey)
	defer macs.clear()
	var alarms []string
	for rows.Next() {
		var seq, label, anchored int64
		var hash, mac []byte
		var kind string
		if err := rows.Scan(&seq, &hash, &mac, &kind, &label, &anchored); err != nil {
			return nil, err
		}
		if !macs.holds(label, hash, kind, anchored, mac) {
			alarms = append(alarms, fmt.Sprintf(alarmForged, seq, head))
		}
	}
	return alarms, rows.Err()
}

// errHeadIgnored marks a head file that belongs to no keyed trail of this database.
var errHeadIgnored = errors.New("head file ignored")

// countersign MACs every entry that has none, in batches (the first login after the upgrade
// may find the whole trail), and returns alarms for entries this process wrote that changed
// before it could countersign them.
func (s *Store) countersign(ctx context.Context, tx *sql.Tx, auditKey []byte, keyedAfter int64) ([]string, error) {
	s.audit.mu.Lock()
	own := make(map[int64][]byte, len(s.audit.own))
	for seq, h := range s.audit.own {
		own[seq] = h
	}
	s.audit.mu.Unlock()
	update, err := tx.PrepareContext(ctx, `UPDATE audit SET mac = ?, mac_kind = ?, mac_key = 0 WHERE seq = ? AND mac IS NULL`)
	if err != nil {
		return nil, err
	}
	defer update.Close()
	var alarms []string
	for {
		rows, err := tx.QueryContext(ctx, `SELECT seq, hash FROM audit WHERE mac IS NULL ORDER BY seq LIMIT 1000`)
		if err != nil {
			return nil, err
		}
		type pending struct {
			seq  int64
			hash []byte
		}
		var batch []pending
		for rows.Next() {
			var p pending
			if err := rows.Scan(&p.seq, &p.hash); err != nil {
				rows.Close()
				return nil, err
			}
			batch = append(batch, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			return alarms, nil
		}
		for _, p := range batch {
			kind := macFound
			mine, known := own[p.seq]
			switch {
			case known && hmac.Equal(mine, p.hash):
				kind = macOwn
			case known:
				alarms = append(alarms, fmt.Sprintf(alarmChangedUnsigned, p.seq))
			case p.seq <= keyedAfter:
				kind = macOld
			}
			if _, err := update.ExecContext(ctx, entryMAC(auditKey, p.hash, kind, 0), kind, p.seq); err != nil {
				return nil, err
			}
		}
	}
}
