package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // central's database, read directly

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/sync/intake"
)

// verify is what follows every kill: the station restarts and is checked as it is; then the
// next sync runs and the station and central are checked against each other.
func (h *harness) verify(ctx context.Context, it *iteration) {
	if !h.checkStation(ctx, it) {
		h.ep.broken = true
		return
	}
	if !h.syncUntilDecided(ctx, it) {
		return
	}
	h.checkAfterSync(ctx, it)
}

// rank orders the statuses a record saved complete moves through; it never goes back.
func rank(s enroll.Status) int {
	switch s {
	case enroll.StatusComplete:
		return 1
	case enroll.StatusBatched:
		return 2
	case enroll.StatusUploaded:
		return 3
	case enroll.StatusReceived:
		return 4
	case enroll.StatusVerified:
		return 5
	case enroll.StatusPurged:
		return 6
	}
	return 0
}

// openStation opens the station database as the station does after a crash, and logs in.
func (h *harness) openStation(ctx context.Context, it *iteration) *store.Store {
	st, err := store.Open(ctx, h.ep.db)
	if err != nil {
		h.res.problem(it, "the station database does not open after the kill: %v", err)
		h.res.IntegrityFailures++
		return nil
	}
	if _, err := st.Authenticate(ctx, supervisor, password); err != nil {
		h.res.problem(it, "login after the kill: %v", err)
		st.Close()
		return nil
	}
	return st
}

// checkStation: integrity_check; every record the ledger knows exists once, whole, and did
// not move backwards; records the killed process made without saying so are its in-flight
// person's; every image decrypts; the audit trail verifies.
func (h *harness) checkStation(ctx context.Context, it *iteration) bool {
	st, err := store.Open(ctx, h.ep.db)
	if err != nil {
		h.res.problem(it, "the station database does not open after the kill: %v", err)
		h.res.IntegrityFailures++
		return false
	}
	defer st.Close()
	if err := st.IntegrityCheck(ctx); err != nil {
		h.res.problem(it, "%v", err)
		h.res.IntegrityFailures++
	}
	if _, err := st.Authenticate(ctx, supervisor, password); err != nil {
		h.res.problem(it, "login after the kill: %v", err)
		return false
	}
	list, err := st.List(ctx, store.Filter{Limit: 1 << 30})
	if err != nil {
		h.res.problem(it, "list records: %v", err)
		return false
	}
	ep := h.ep
	inDB := map[string]enroll.Summary{}
	byPID := map[enroll.PersonalID]string{}
	for _, s := range list {
		inDB[s.ID] = s
		if s.PersonalID == "" {
			continue
		}
		if other, ok := byPID[s.PersonalID]; ok {
			h.res.problem(it, "DUPLICATE: records %s and %s are both citizen %s", other, s.ID, s.PersonalID)
			h.res.Duplicated++
		}
		byPID[s.PersonalID] = s.ID
		if _, known := ep.ledger[s.ID]; known {
			continue
		}
		// A record the killed process created but had not announced: it must be a person it
		// was working on, and that person's only record.
		p, ok := h.pidPerson[s.PersonalID]
		switch {
		case !ok || !it.handed[p]:
			h.res.problem(it, "record %s (citizen %s, %s) appeared without any process enrolling that citizen", s.ID, s.PersonalID, s.Status)
		case ep.person[p] != nil:
			h.res.problem(it, "DUPLICATE: person %d has record %s and a second one %s (%s)", p, ep.person[p].id, s.ID, s.Status)
			h.res.Duplicated++
		default:
			r := ep.record(s.ID, p)
			r.step = s.Step
			if s.Status != enroll.StatusDraft {
				r.complete = true
			}
			h.res.Adopted++
		}
	}
	for _, r := range ep.ledger {
		s, ok := inDB[r.id]
		if !ok {
			if r.complete {
				h.res.problem(it, "LOST: record %s (person %d) was saved complete and is gone", r.id, r.person)
				h.res.Lost++
			} else if r.step > enroll.StepIdentify {
				h.res.problem(it, "LOST: draft %s (person %d) saved at step %d is gone", r.id, r.person, r.step)
				h.res.Lost++
			}
			delete(ep.ledger, r.id)
			delete(ep.person, r.person)
			continue
		}
		h.checkRecord(ctx, it, st, r, s)
		r.status, r.returned = s.Status, !s.Returned.IsZero()
	}
	h.checkAudit(ctx, it, st)
	return true
}

// checkRecord reads one record back whole.
func (h *harness) checkRecord(ctx context.Context, it *iteration, st *store.Store, r *rec, s enroll.Summary) {
	switch {
	case r.complete && s.Status == enroll.StatusDraft && s.Returned.IsZero():
		h.res.problem(it, "record %s (person %d) was saved complete and is a draft again without central's word", r.id, r.person)
	case r.complete && s.Status != enroll.StatusDraft && rank(s.Status) < rank(r.status):
		h.res.problem(it, "record %s (person %d) went back from %s to %s", r.id, r.person, r.status, s.Status)
	case !r.complete && s.Status == enroll.StatusDraft && s.Step < r.step:
		h.res.problem(it, "draft %s (person %d) was saved at step %d and reads back at step %d", r.id, r.person, r.step, s.Step)
	}
	if s.Status != enroll.StatusDraft {
		r.complete = true
	}
	if s.Status == enroll.StatusPurged {
		return
	}
	e, err := st.Get(ctx, r.id)
	if err != nil {
		h.res.problem(it, "UNDECRYPTABLE: record %s (person %d, %s): %v", r.id, r.person, s.Status, err)
		h.res.Undecryptable++
		return
	}
	want := h.ps.People[r.person]
	if string(e.Citizen.PersonalID) != want.PID && !(s.Status == enroll.StatusDraft && e.Step <= enroll.StepIdentify) {
		h.res.problem(it, "record %s holds citizen %q, person %d is %s", r.id, e.Citizen.PersonalID, r.person, want.PID)
	}
	images := 0
	if e.Portrait != nil && len(e.Portrait.JPEG) > 0 {
		images++
	}
	for _, f := range e.Fingers {
		if len(f.PNG) > 0 {
			images++
		}
	}
	whole := s.Status != enroll.StatusDraft || e.Step >= enroll.StepReview || !s.Returned.IsZero()
	switch {
	case whole && images != want.Images:
		h.res.problem(it, "record %s (person %d, %s) reads back with %d of its %d images", r.id, r.person, s.Status, images, want.Images)
		h.res.Undecryptable++
	case !whole && e.Step >= enroll.StepFingers && (e.Portrait == nil || len(e.Portrait.JPEG) == 0):
		h.res.problem(it, "draft %s (person %d) at step %d has lost its portrait", r.id, r.person, e.Step)
	}
	h.res.Reads++
}

// checkAudit verifies the trail as `station audit verify --user` does, logged in.
func (h *harness) checkAudit(ctx context.Context, it *iteration, st *store.Store) {
	r, err := st.CheckAudit(ctx)
	if err != nil {
		h.res.problem(it, "audit verify: %v", err)
		h.res.AuditBreaks++
		return
	}
	for _, b := range r.Breaks {
		h.res.problem(it, "AUDIT: %v", b)
		h.res.AuditBreaks++
	}
	// Entries found without a MAC at a login are what a station tool run without a login
	// leaves (or a forger): the harness logs in for every command, so none may appear.
	if r.Found > h.ep.found {
		h.res.problem(it, "AUDIT: %d more entries without a MAC found at login (entries %v)", r.Found-h.ep.found, r.FoundSeqs)
		h.ep.found = r.Found
	}
	h.res.AuditEntries = max(h.res.AuditEntries, r.Entries)
}

var countsLine = regexp.MustCompile(`records: (\d+) waiting for a batch, (\d+) in batches, (\d+) at central awaiting its verdict`)

// syncUntilDecided runs `station sync --user` until every record is decided, as an officer
// pressing F5 would. The first pass must succeed; later passes are only needed when central,
// restarted, is still verifying what it stored before the kill (it does so in the background).
func (h *harness) syncUntilDecided(ctx context.Context, it *iteration) bool {
	const maxPasses = 12
	var lastOut string
	for pass := 1; pass <= maxPasses; pass++ {
		it.passes = pass
		out, err := stationCmd(h.bins.station, password, "sync", "--user", supervisor, "--db", h.ep.db)
		lastOut = out
		if err != nil && pass == 1 {
			h.res.problem(it, "the first sync after the kill failed: %v", err)
		}
		m := countsLine.FindStringSubmatch(out)
		if err == nil && m != nil && m[1] == "0" && m[2] == "0" && m[3] == "0" {
			return true
		}
		if m != nil && m[3] != "0" {
			h.reviewPending(it)
		}
		if ctx.Err() != nil {
			return false
		}
		time.Sleep(time.Duration(pass) * 200 * time.Millisecond)
	}
	h.res.problem(it, "SYNC: %d sync passes and records still wait:\n%s", maxPasses, lastOut)
	return false
}

// reviewPending decides the records central holds for an examiner (a fingerprint score too
// close to call): the harness checks crash safety, not the matcher.
func (h *harness) reviewPending(it *iteration) {
	db, err := h.centralDB()
	if err != nil {
		return
	}
	defer db.Close()
	rows, err := db.Query(`SELECT record_id FROM reviews WHERE station = ? AND decided_at IS NULL`, stationCode)
	if err != nil {
		return
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		if _, err := h.ep.c.run("review", "verify", stationCode, id); err != nil {
			h.res.problem(it, "%v", err)
		}
		h.res.Reviewed++
	}
}

func (h *harness) centralDB() (*sql.DB, error) {
	path := intake.DefaultDB(h.ep.c.dir)
	return sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
}

// checkedCentralDB opens central's database read-only and runs integrity_check on it, noting a
// failure (when: what just happened, for the problem's text); nil when it does not open.
func (h *harness) checkedCentralDB(it *iteration, when string) *sql.DB {
	db, err := h.centralDB()
	if err != nil {
		h.res.problem(it, "central database: %v", err)
		return nil
	}
	if res := integrity(db); res != "ok" {
		h.res.problem(it, "central integrity_check%s: %s", when, res)
		h.res.IntegrityFailures++
	}
	return db
}

// checkAfterSync: every record saved complete is decided and at central once, whole, with
// the verdict the station holds; every batch the station built is stored whole at central.
func (h *harness) checkAfterSync(ctx context.Context, it *iteration) {
	st := h.openStation(ctx, it)
	if st == nil {
		return
	}
	defer st.Close()
	list, err := st.List(ctx, store.Filter{Limit: 1 << 30})
	if err != nil {
		h.res.problem(it, "list records: %v", err)
		return
	}
	ep := h.ep
	for _, s := range list {
		if r, ok := ep.ledger[s.ID]; ok {
			r.status, r.returned = s.Status, !s.Returned.IsZero()
		}
	}
	batches, err := st.Batches(ctx)
	if err != nil {
		h.res.problem(it, "station batches: %v", err)
		return
	}
	db := h.checkedCentralDB(it, "")
	if db == nil {
		return
	}
	defer db.Close()
	type crec struct {
		status, pid, batch string
		images             int
	}
	at := map[string]*crec{}
	rows, err := db.Query(`SELECT id, status, personal_id, batch_id FROM records WHERE station = ?`, stationCode)
	if err != nil {
		h.res.problem(it, "central records: %v", err)
		return
	}
	for rows.Next() {
		c := &crec{}
		var id string
		if err := rows.Scan(&id, &c.status, &c.pid, &c.batch); err != nil {
			h.res.problem(it, "central records: %v", err)
		}
		at[id] = c
	}
	rows.Close()
	if err := scanCounts(db, `SELECT record_id, count(*) FROM images WHERE station = ? GROUP BY record_id`, func(id string, n int) {
		if c := at[id]; c != nil {
			c.images = n
		}
	}); err != nil {
		h.res.problem(it, "central images: %v", err)
	}
	for _, r := range ep.ledger {
		if !r.complete {
			continue
		}
		c := at[r.id]
		want := h.ps.People[r.person]
		switch {
		case c == nil:
			h.res.problem(it, "LOST AT CENTRAL: record %s (person %d, %s at the station) is not at central after the sync", r.id, r.person, r.status)
			h.res.Lost++
			continue
		case c.pid != want.PID:
			h.res.problem(it, "central holds record %s as citizen %s, it is %s", r.id, c.pid, want.PID)
		case c.images != want.Images:
			h.res.problem(it, "HALF STORED: central holds record %s with %d of its %d images", r.id, c.images, want.Images)
		}
		r.central = c.status
		station := "other"
		switch {
		case r.status == enroll.StatusVerified || r.status == enroll.StatusPurged:
			station = "verified"
		case r.status == enroll.StatusDraft && r.returned:
			station = "rejected"
		}
		if station != c.status {
			h.res.problem(it, "record %s (person %d): the station has it %s%s, central %s", r.id, r.person, r.status,
				map[bool]string{true: " (returned)"}[r.returned], c.status)
		}
	}
	for id := range at {
		if r, ok := ep.ledger[id]; !ok || !r.complete {
			h.res.problem(it, "central holds record %s, which the station never saved complete", id)
		}
	}
	// Every batch whole: its manifest's record count is what central holds under it.
	type cbatch struct{ records, held int }
	cb := map[string]*cbatch{}
	brows, err := db.Query(`SELECT id, records FROM batches WHERE station = ?`, stationCode)
	if err != nil {
		h.res.problem(it, "central batches: %v", err)
		return
	}
	for brows.Next() {
		var id string
		b := &cbatch{}
		if err := brows.Scan(&id, &b.records); err != nil {
			h.res.problem(it, "central batches: %v", err)
		}
		cb[id] = b
	}
	brows.Close()
	for _, c := range at {
		if b := cb[c.batch]; b != nil {
			b.held++
		} else {
			h.res.problem(it, "central holds a record of batch %s, which it has no row for", c.batch)
		}
	}
	for id, b := range cb {
		if b.held != b.records {
			h.res.problem(it, "HALF STORED: central's batch %s lists %d records and holds %d", id, b.records, b.held)
		}
	}
	for _, b := range batches {
		switch b.State {
		case enroll.BatchUploaded:
			if cb[b.ID] == nil {
				h.res.problem(it, "batch %d (%s) is uploaded at the station and not stored at central", b.Seq, b.ID)
			}
		case enroll.BatchRefused:
			h.res.problem(it, "REFUSED: central refused batch %d (%s): %s", b.Seq, b.ID, b.Reason)
		default:
			h.res.problem(it, "batch %d (%s) is still %s after the sync", b.Seq, b.ID, b.State)
		}
	}
	h.res.CentralBatches = max(h.res.CentralBatches, len(cb))
	// Central has every batch: the outbox keeps none of them (nor a half-written one).
	entries, err := os.ReadDir(filepath.Join(filepath.Dir(ep.db), "outbox"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		h.res.problem(it, "outbox: %v", err)
	}
	for _, e := range entries {
		if ep.leftover[e.Name()] {
			continue
		}
		ep.leftover[e.Name()] = true
		state := "no batch"
		for _, b := range batches {
			if filepath.Base(b.File) == e.Name() {
				state = fmt.Sprintf("batch %d, %s", b.Seq, b.State)
			}
		}
		h.res.problem(it, "LEFTOVER: the outbox still holds %s (%s) after the sync; no later sync removes it", e.Name(), state)
		h.res.Leftovers++
	}
}

func integrity(db *sql.DB) string {
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		return err.Error()
	}
	return res
}

func scanCounts(db *sql.DB, q string, fn func(string, int)) error {
	rows, err := db.Query(q, stationCode)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		fn(id, n)
	}
	return rows.Err()
}

// checkImported looks at central right after the import that followed a killed one, before
// its server runs: every record it holds is decided (or waits for an examiner).
func (h *harness) checkImported(it *iteration) {
	db := h.checkedCentralDB(it, " after the killed import")
	if db == nil {
		return
	}
	defer db.Close()
	var undecided int
	var ids []string
	rows, err := db.Query(`SELECT id FROM records r WHERE station = ? AND status = ? AND NOT EXISTS (
		SELECT 1 FROM reviews v WHERE v.station = r.station AND v.record_id = r.id AND v.decided_at IS NULL)`,
		stationCode, string(enroll.StatusReceived))
	if err != nil {
		h.res.problem(it, "central records: %v", err)
		return
	}
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			undecided++
			if len(ids) < 5 {
				ids = append(ids, id)
			}
		}
	}
	rows.Close()
	if undecided > 0 {
		h.res.problem(it, "UNDECIDED: after the killed import and a complete second `central import`, central holds %d records stored but never verified (%s); only a running `central serve` decides them",
			undecided, strings.Join(ids, ", "))
		h.res.ImportUndecided += undecided
	}
}

// String names the kill a problem was found after.
func (it *iteration) String() string {
	if it == nil {
		return "harness"
	}
	return fmt.Sprintf("kill %d (%s, attempt %d, %s+%s)", it.kill, it.point.Name, it.attempt, it.op, it.delay.Round(time.Millisecond))
}
