package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The audit head file: the trail's head kept beside the database (DB.audit-head), so that a
// database put back to an older copy, or cut short, has less than the file says. It is a few
// lines of text, readable without any key so that verify can compare numbers even while
// locked; the tag (an HMAC under the key that MACed the entry) is what only the station can
// make:
//
//	enroll audit head 1
//	seq 41
//	mac 9f…(64 hex digits)
//	key 0            (0: the audit key; else the locked-session key's label)
//	tag 3a…(64 hex digits)

const headMagic = "enroll audit head 1"

// AuditHead is the trail's last authenticated entry: its sequence number and MAC. A station
// sends it in every batch; central compares the heads a station sent over time.
type AuditHead struct {
	Seq int64
	MAC []byte
}

// headFile is the head as written beside the database.
type headFile struct {
	Seq int64
	MAC []byte
	Key int64 // label of the key that tagged it (0: the audit key)
	Tag []byte
}

func headPath(db string) string { return db + ".audit-head" }

func headTag(key []byte, h headFile) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("enroll/v1 audit head\x00"))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(h.Seq)))
	m.Write(h.MAC)
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(h.Key)))
	return m.Sum(nil)
}

func (h headFile) encode() []byte {
	return fmt.Appendf(nil, "%s\nseq %d\nmac %x\nkey %d\ntag %x\n", headMagic, h.Seq, h.MAC, h.Key, h.Tag)
}

// readHeadFile reads and parses the head file; os.ErrNotExist when there is none.
func readHeadFile(path string) (*headFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	bad := fmt.Errorf("%s is not an audit head file", path)
	if len(lines) != 5 || lines[0] != headMagic {
		return nil, bad
	}
	field := func(i int, name string) (string, bool) { return strings.CutPrefix(lines[i], name+" ") }
	var h headFile
	seq, ok1 := field(1, "seq")
	mac, ok2 := field(2, "mac")
	key, ok3 := field(3, "key")
	tag, ok4 := field(4, "tag")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, bad
	}
	var e1, e2, e3, e4 error
	h.Seq, e1 = strconv.ParseInt(seq, 10, 64)
	h.MAC, e2 = hex.DecodeString(mac)
	h.Key, e3 = strconv.ParseInt(key, 10, 64)
	h.Tag, e4 = hex.DecodeString(tag)
	if errors.Join(e1, e2, e3, e4) != nil || h.Seq < 1 || len(h.MAC) != sha256.Size || len(h.Tag) != sha256.Size {
		return nil, bad
	}
	return &h, nil
}

// putHead tags h with key (labelled label) and replaces the head file atomically: a temporary
// file, synced, renamed over the old one, and the folder synced, so that after a power cut the
// file holds the old head or the new one, and a head an entry has since claimed is on disk.
// The caller holds s.audit.mu.
func (s *Store) putHead(h headFile, key []byte, label int64) error {
	if h.Seq == 0 {
		return nil
	}
	h.Key = label
	h.Tag = headTag(key, h)
	path := headPath(s.path)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("audit head file: %w", err)
	}
	_, err = f.Write(h.encode())
	if err == nil && !s.bulk {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("audit head file: %w", err)
	}
	if !s.bulk {
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// auditCommitted runs after every commit (inTx calls it): when the transaction wrote an
// authenticated entry it wakes the head writer, which brings the head file up to date off the
// commit path. Writing it there (two fsyncs) doubled the time to save a record.
func (s *Store) auditCommitted() {
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.dirty || a.closed {
		return
	}
	if a.wake == nil {
		a.wake, a.stop, a.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go s.headWriter()
	}
	select {
	case a.wake <- struct{}{}:
	default: // a wake-up already pending covers this commit too
	}
}

// Head writer pacing: the file is written once commits pause for headQuiet, and at least
// every headMaxDelay while they do not, so that its fsyncs do not queue with the commits'
// during a burst of saves. A crash meanwhile leaves the file a little behind the database,
// which is never mistaken for tampering: entries only claim a head the file durably held.
const (
	headQuiet    = 100 * time.Millisecond
	headMaxDelay = time.Second
)

// headWriter writes the head file after commits, and once more when the store closes.
func (s *Store) headWriter() {
	defer close(s.audit.done)
	for {
		select {
		case <-s.audit.wake:
		case <-s.audit.stop:
			s.refreshHead()
			return
		}
		for start := time.Now(); time.Since(start) < headMaxDelay; {
			select {
			case <-s.audit.wake:
				continue
			case <-s.audit.stop:
				s.refreshHead()
				return
			case <-time.After(headQuiet):
			}
			break
		}
		s.refreshHead()
	}
}

// closeAudit stops the head writer after a last update; Close calls it before closing the
// database.
func (s *Store) closeAudit() {
	a := &s.audit
	a.mu.Lock()
	started := a.wake != nil && !a.closed
	a.closed = true
	a.mu.Unlock()
	if started {
		close(a.stop)
		<-a.done
	}
}

// refreshHead writes the committed database's last authenticated entry to the head file,
// tagged with the key in memory now; not before a login of this process has compared the
// file with the database. A head file that is gone, unreadable or older than this process
// left it is not overwritten: it is evidence, and the next login records it as an
// alarm. A failed write is retried at the next commit.
func (s *Store) refreshHead() {
	ctx := context.Background()
	s.audit.mu.Lock()
	dirty := s.audit.dirty
	s.audit.dirty = false
	s.audit.mu.Unlock()
	if !dirty {
		return
	}
	key, _, label, err := s.entryKey(ctx, s.db)
	if err != nil || key == nil {
		return
	}
	defer clear(key)
	var h headFile
	if err := s.db.QueryRowContext(ctx, `SELECT seq, mac FROM audit WHERE mac IS NOT NULL ORDER BY seq DESC LIMIT 1`).
		Scan(&h.Seq, &h.MAC); err != nil {
		return
	}
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	if !s.audit.checked || h.Seq <= s.audit.anchored {
		return
	}
	cur, err := readHeadFile(headPath(s.path))
	switch {
	case err != nil && (s.audit.anchored > 0 || !errors.Is(err, os.ErrNotExist)):
		return // gone or damaged since this process wrote it
	case err == nil && cur.Seq < s.audit.anchored:
		return // put back to an older copy
	case err == nil && cur.Seq >= h.Seq:
		s.audit.anchored = cur.Seq // another station process on the same file is ahead
		return
	}
	if s.putHead(h, key, label) == nil {
		s.audit.anchored = h.Seq
	}
}

// AuditHead is the database's last authenticated entry, for the manifest of a batch; zero
// when no entry is authenticated yet.
func (s *Store) AuditHead(ctx context.Context) (AuditHead, error) {
	var h AuditHead
	err := s.db.QueryRowContext(ctx, `SELECT seq, mac FROM audit WHERE mac IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&h.Seq, &h.MAC)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("audit head: %w", err)
	}
	return h, nil
}

// trailFacts is what a head file is compared against.
type trailFacts struct {
	last       int64  // highest entry number (0: empty trail)
	macs       bool   // some entry carries a MAC
	anchored   int64  // the highest head-file number an authenticated entry records
	anchoredBy int64  // the entry that records it
	atHead     []byte // MAC of the entry the head file names (nil: absent, or none)
}

// readTrailFacts reads the facts from the database; headSeq is the entry whose MAC to fetch.
func readTrailFacts(ctx context.Context, tx *sql.Tx, headSeq int64) (trailFacts, error) {
	var f trailFacts
	var last sql.NullInt64
	var macs int
	err := tx.QueryRowContext(ctx, `SELECT max(seq), EXISTS (SELECT 1 FROM audit WHERE mac IS NOT NULL) FROM audit`).Scan(&last, &macs)
	if err != nil {
		return f, err
	}
	f.last, f.macs = last.Int64, macs == 1
	// Claims only grow as the file does, so the highest is among the last entries; looking
	// at those keeps every login from reading the whole trail (verify reads it all).
	err = tx.QueryRowContext(ctx, `SELECT anchored, seq FROM audit WHERE seq > ? AND mac IS NOT NULL AND mac_kind IN (?, ?)
		ORDER BY anchored DESC, seq LIMIT 1`, f.last-1000, macLive, macLocked).Scan(&f.anchored, &f.anchoredBy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return f, err
	}
	if headSeq > 0 {
		err = tx.QueryRowContext(ctx, `SELECT mac FROM audit WHERE seq = ?`, headSeq).Scan(&f.atHead)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return f, err
		}
	}
	return f, nil
}

// compareHead says what is wrong between the head file (or the error reading it) and the
// trail, nil when they agree. With auditKey it also checks the file's tag. A head file
// behind the trail is fine as long as no entry says the file was further: a crash between a
// commit and the file's update leaves it so.
//
// What it finds is also what a login records as an audit_alarm entry; the audit browser
// shows those details translated by matching these forms (AlarmSamples lists one of each).
func compareHead(h *headFile, herr error, f trailFacts, auditKey []byte) *AuditBreak {
	switch {
	case errors.Is(herr, os.ErrNotExist) && f.macs:
		return &AuditBreak{Fault: FaultHeadFile, Reason: alarmHeadMissing}
	case errors.Is(herr, os.ErrNotExist):
		return nil
	case herr != nil:
		return &AuditBreak{Fault: FaultHeadFile, Reason: fmt.Sprintf(alarmHeadUnreadable, herr)}
	}
	if auditKey != nil {
		key, err := keyFor(auditKey, h.Key)
		if err != nil || !hmac.Equal(h.Tag, headTag(key, *h)) {
			return &AuditBreak{Fault: FaultHeadFile, Reason: alarmHeadForeign}
		}
	}
	switch {
	case h.Seq > f.last:
		return &AuditBreak{Seq: f.last + 1, Fault: FaultRolledBack, Reason: fmt.Sprintf(alarmCut, h.Seq, f.last)}
	case f.atHead == nil:
		return &AuditBreak{Seq: h.Seq, Fault: FaultRolledBack, Reason: alarmMACStripped}
	case !bytes.Equal(f.atHead, h.MAC):
		return &AuditBreak{Seq: h.Seq, Fault: FaultRolledBack, Reason: alarmOtherEntry}
	case f.anchored > h.Seq:
		return &AuditBreak{Fault: FaultHeadFile, Reason: fmt.Sprintf(alarmHeadOld, h.Seq, f.anchoredBy, f.anchored)}
	}
	return nil
}

// The details of audit_alarm entries: what a login found wrong with the audit.
const (
	alarmNoKey           = "an audit head file (entry %d) exists but the database has no audit key: the keyed part of its audit was removed"
	alarmForged          = "entry %d carries a MAC this station did not make: forged (added behind its back after entry %d, the last its head file names)"
	alarmChangedUnsigned = "entry %d, written by this station while nobody was logged in, was changed in the database before this login could countersign it"
	alarmHeadMissing     = "the audit head file beside the database is missing (deleted, or the database was copied without it), though the trail has authenticated entries"
	alarmHeadUnreadable  = "the audit head file is unreadable: %v"
	alarmHeadForeign     = "the audit head file is not tagged by this station's audit key: forged, or another station's"
	alarmCut             = "rolled back or cut short: the audit head file says the trail reached entry %d, the database ends at %d (the database was put back to an older copy, or entries were deleted from its end)"
	alarmMACStripped     = "rolled back: the audit head file names this entry as authenticated, but in the database it carries no MAC (an older copy written on since, or its MAC stripped)"
	alarmOtherEntry      = "rolled back: this is not the entry the audit head file names (the database was put back to an older copy and written on since, or its history rewritten)"
	alarmHeadOld         = "the audit head file was put back to an older copy: it says entry %d, but entry %d records that the file had reached %d"
)

// AlarmSamples is one detail of each form a login's audit_alarm entry takes, for the audit
// browser's translation test.
func AlarmSamples() []string {
	return []string{
		fmt.Sprintf(alarmNoKey, 41), fmt.Sprintf(alarmForged, 58, 57), fmt.Sprintf(alarmChangedUnsigned, 60),
		alarmHeadMissing, fmt.Sprintf(alarmHeadUnreadable, errors.New("unexpected end of JSON input")), alarmHeadForeign,
		fmt.Sprintf(alarmCut, 120, 97), alarmMACStripped, alarmOtherEntry, fmt.Sprintf(alarmHeadOld, 80, 95, 90),
	}
}
