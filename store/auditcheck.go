package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wardpolice/enroll"
)

// AuditReport is what CheckAudit found.
type AuditReport struct {
	Entries int64
	// Keyed: the MACs and the head file's tag were checked (someone is logged in). Without
	// the key the counts below are what the file claims, and only the chain is checked.
	Keyed bool
	// Authenticated entries by how: written while logged in, while locked, without a key and
	// countersigned at the next login by the same process, before the upgrade.
	Live, Locked, Own, Old int64
	// Found: entries a login found without a MAC and could not tell from forged ones; their
	// numbers (the first 50) for a supervisor to look at.
	Found     int64
	FoundSeqs []int64
	// Unsigned: entries written while no key was in memory that no login has countersigned
	// yet, and the first of them.
	Unsigned      int64
	FirstUnsigned int64
	// HeadFile is the entry the head file names (0: no head file).
	HeadFile int64
	// Breaks is every kind of damage found, the first entry-level one first; empty when the
	// trail is intact.
	Breaks []*AuditBreak
}

// CheckAudit walks the whole trail and compares it with its head file. Every check that needs
// no key is always done: numbering, chain and hashes, the database's own head, the head file's
// numbers, the append-only triggers. Logged in, it also checks every entry's MAC and the head
// file's tag, which is what tells a forged or rewritten trail from the station's own.
func (s *Store) CheckAudit(ctx context.Context) (*AuditReport, error) {
	r := &AuditReport{}
	var keyedAfter int64
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT keyed_after, sealed FROM audit_key WHERE id = 1`).Scan(&keyedAfter, &sealed)
	keyRow := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	var auditKey []byte
	var keyBreak *AuditBreak
	if k, kerr := s.keys(); kerr == nil && sealed != nil {
		a, err := k.open("", fieldAuditKey, sealed)
		switch {
		case errors.Is(err, enroll.ErrStationLocked):
			// Locked while verify started: check what needs no key.
		case err != nil:
			keyBreak = &AuditBreak{Fault: FaultKey, Reason: "the audit key does not open with the data key " +
				"(replaced in the file, or not re-sealed when the data key was rotated): no MAC can be checked"}
		default:
			auditKey = a
			defer clear(a)
			r.Keyed = true
		}
	}
	head, herr := readHeadFile(headPath(s.path))
	if herr == nil {
		r.HeadFile = head.Seq
	}

	w := trailWalk{r: r, macs: newMACChecker(auditKey), head: head, prev: make([]byte, sha256.Size), want: 1}
	defer w.macs.clear()
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, officer, action, record_id, detail, prev_hash, hash,
		mac, mac_kind, mac_key, anchored FROM audit ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e walkedEntry
		if err := rows.Scan(&e.seq, &e.at, &e.officer, &e.action, &e.record, &e.detail, &e.prevHash, &e.hash,
			&e.mac, &e.kind, &e.label, &e.anchored); err != nil {
			return nil, fmt.Errorf("verify audit: %w", err)
		}
		w.step(e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	if w.entryBreak != nil {
		r.Breaks = append(r.Breaks, w.entryBreak)
	}

	// The whole trail gone: a station that is set up wrote at least its set-up entry.
	if r.Entries == 0 {
		if n, err := s.OfficerCount(ctx); err != nil {
			return nil, err
		} else if n > 0 {
			r.Breaks = append(r.Breaks, &AuditBreak{Seq: 1, Fault: FaultDeleted,
				Reason: "the whole trail was deleted: it is empty, but the station is set up"})
		}
	}
	if keyedAfter > w.facts.last {
		r.Breaks = append(r.Breaks, &AuditBreak{Seq: w.facts.last + 1, Fault: FaultTruncated, Reason: fmt.Sprintf(
			"deleted from the end: the trail ends at entry %d, but it held %d entries when its audit was keyed", w.facts.last, keyedAfter)})
	}
	if br, err := s.checkUnkeyedHead(ctx, w.facts.last, w.prev); err != nil {
		return nil, err
	} else if br != nil {
		r.Breaks = append(r.Breaks, br)
	}
	switch {
	case !keyRow:
		r.Breaks = append(r.Breaks, &AuditBreak{Fault: FaultKey, Reason: "the audit key's row was deleted from the database"})
	case sealed == nil && w.facts.macs:
		r.Breaks = append(r.Breaks, &AuditBreak{Fault: FaultKey, Reason: "the audit key was removed from the database, though entries carry MACs"})
	case sealed == nil && herr == nil && keyedAfter > 0:
		r.Breaks = append(r.Breaks, &AuditBreak{Fault: FaultHeadFile, Reason: fmt.Sprintf(
			"an audit head file (entry %d) exists, but the database has no audit key: the keyed part of its audit was removed", head.Seq)})
	case sealed == nil:
		// Not keyed yet: the first login after the upgrade creates the key and the head file.
	default:
		if br := compareHead(head, herr, w.facts, auditKey); br != nil {
			r.Breaks = append(r.Breaks, br)
		}
	}
	if keyBreak != nil {
		r.Breaks = append(r.Breaks, keyBreak)
	}
	if ok, err := s.auditGuarded(ctx); err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	} else if !ok {
		r.Breaks = append(r.Breaks, &AuditBreak{Fault: FaultGuards,
			Reason: "the triggers that keep the trail append-only were removed or replaced"})
	}
	r.Breaks = append(r.Breaks, w.alarms...)
	return r, nil
}

// auditGuarded tells whether both append-only triggers are there as migration 0008 made them
// (the update guard lets countersigning fill in a missing MAC and nothing else).
func (s *Store) auditGuarded(ctx context.Context) (bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var update, del bool
	for rows.Next() {
		var name, body string
		if err := rows.Scan(&name, &body); err != nil {
			return false, err
		}
		switch name {
		case "audit_no_update":
			update = strings.Contains(body, "WHEN OLD.mac IS NOT NULL OR NEW.mac IS NULL") && strings.Contains(body, "RAISE(ABORT")
		case "audit_no_delete":
			del = strings.Contains(body, "BEFORE DELETE ON audit BEGIN") && strings.Contains(body, "RAISE(ABORT")
		}
	}
	return update && del, rows.Err()
}

// checkUnkeyedHead compares the trail's end with the head the database keeps of itself
// (settings.audit_head): it names entries cut from the end, or appended, by someone who did not
// also fix that row up.
func (s *Store) checkUnkeyedHead(ctx context.Context, last int64, lastHash []byte) (*AuditBreak, error) {
	head, err := s.Setting(ctx, "audit_head")
	if err != nil || head == "" {
		return nil, err
	}
	seqText, _, _ := strings.Cut(head, ":")
	seq, perr := strconv.ParseInt(seqText, 10, 64)
	switch {
	case perr != nil:
		return &AuditBreak{Fault: FaultAltered, Reason: fmt.Sprintf("the database's record of the trail's head (%q) is unreadable", head)}, nil
	case seq > last:
		return &AuditBreak{Seq: last + 1, Fault: FaultTruncated, Reason: fmt.Sprintf(
			"entries %d to %d were deleted from the end (the database's record of the head says %d)", last+1, seq, seq)}, nil
	case seq < last:
		return &AuditBreak{Seq: seq + 1, Fault: FaultForged, Reason: fmt.Sprintf(
			"forged: entries after %d were added behind the station's back (the database's record of the head says %d)", seq, seq)}, nil
	case head != fmt.Sprintf("%d:%x", last, lastHash):
		return &AuditBreak{Seq: last, Fault: FaultAltered, Reason: "the database's record of the trail's head names another last entry"}, nil
	}
	return nil, nil
}

// walkedEntry is one row of the trail as verify reads it.
type walkedEntry struct {
	seq, at, label, anchored              int64
	officer, action, record, detail, kind string
	prevHash, hash, mac                   []byte
}

// trailWalk checks entries in order and gathers what the head file is compared against.
type trailWalk struct {
	r          *AuditReport
	macs       *macChecker
	head       *headFile
	prev       []byte
	want       int64
	facts      trailFacts
	entryBreak *AuditBreak // the first damaged entry
	alarms     []*AuditBreak
}

func (w *trailWalk) fail(b *AuditBreak) {
	if w.entryBreak == nil {
		w.entryBreak = b
	}
}

func (w *trailWalk) step(e walkedEntry) {
	r := w.r
	r.Entries++
	w.facts.last = e.seq
	switch {
	case e.seq != w.want:
		w.fail(&AuditBreak{Seq: w.want, Fault: FaultMissing, Reason: fmt.Sprintf("deleted (the next entry present is %d)", e.seq)})
	case !bytes.Equal(e.prevHash, w.prev):
		w.fail(&AuditBreak{Seq: e.seq, Fault: FaultAltered, Reason: "does not chain to the entry before it"})
	case !bytes.Equal(e.hash, entryHash(e.prevHash, e.seq, e.at, e.officer, e.action, e.record, e.detail)):
		w.fail(&AuditBreak{Seq: e.seq, Fault: FaultAltered, Reason: "its contents were changed"})
	}
	w.prev, w.want = e.hash, e.seq+1
	if e.mac == nil {
		r.Unsigned++
		if r.FirstUnsigned == 0 {
			r.FirstUnsigned = e.seq
		}
		return
	}
	w.facts.macs = true
	if w.head != nil && e.seq == w.head.Seq {
		w.facts.atHead = e.mac
	}
	if !w.authentic(e) {
		return
	}
	switch e.kind {
	case macLive:
		r.Live++
	case macLocked:
		r.Locked++
	case macOwn:
		r.Own++
	case macOld:
		r.Old++
	case macFound:
		r.Found++
		if len(r.FoundSeqs) < 50 {
			r.FoundSeqs = append(r.FoundSeqs, e.seq)
		}
	}
	if (e.kind == macLive || e.kind == macLocked) && e.anchored > w.facts.anchored {
		w.facts.anchored, w.facts.anchoredBy = e.anchored, e.seq
	}
	if e.action == enroll.ActionAuditAlarm && e.officer == auditSystem {
		w.alarms = append(w.alarms, &AuditBreak{Seq: e.seq, Fault: FaultAlarm, Reason: "at a login the station found: " + e.detail})
	}
}

// authentic checks an entry's MAC (with the key; without it only that its kind is one the
// station writes) and names the entry when it does not hold.
func (w *trailWalk) authentic(e walkedEntry) bool {
	switch e.kind {
	case macLive, macLocked, macOwn, macOld, macFound:
	default:
		w.fail(&AuditBreak{Seq: e.seq, Fault: FaultForged, Reason: fmt.Sprintf("forged: its MAC is of a kind the station never writes (%q)", e.kind)})
		return false
	}
	if w.macs.auditKey == nil || w.macs.holds(e.label, e.hash, e.kind, e.anchored, e.mac) {
		return true
	}
	if w.head == nil || e.seq > w.head.Seq {
		w.fail(&AuditBreak{Seq: e.seq, Fault: FaultForged, Reason: "forged: its MAC does not hold, the station did not write it " +
			"(added with another tool, or copied from elsewhere)"})
	} else {
		w.fail(&AuditBreak{Seq: e.seq, Fault: FaultRewritten, Reason: "rewritten: its MAC does not hold, it is not as the station wrote it " +
			"(it or an entry before it was changed, entries before it were deleted and the rest renumbered, or it was inserted)"})
	}
	return false
}

// AuditHeadFile is where the head file is kept, for commands that tell the operator.
func (s *Store) AuditHeadFile() string { return headPath(s.path) }
