package courier_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/intake"
)

// Every batch carries the station's audit head, and central keeps it: a station whose
// database and head file were both put back to an older copy (a consistent pair, which the
// station cannot tell from its own) shows at central, where its next batch reuses a number and
// reports history that went back.
func TestBatchesCarryAuditHeadAndCentralSeesRollback(t *testing.T) {
	ctx := context.Background()
	c := newCentral(t, "")
	s := newStationCode(t, "HN-AUD-01", 2, 11)
	s.provision(t, c)
	db := filepath.Join(s.dir, "station.db")

	if r, err := s.courier.Pass(ctx, s.supervisor); err != nil || r.Uploaded != 1 {
		t.Fatalf("first pass: %v %+v", err, r)
	}
	heads, err := c.AuditHeads(ctx, s.code)
	if err != nil || len(heads) != 1 {
		t.Fatalf("central's heads after one batch: %v %+v", err, heads)
	}
	// The head is the station's own: that entry, with that MAC.
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	var mac []byte
	if err := raw.QueryRow(`SELECT mac FROM audit WHERE seq = ?`, heads[0].AuditSeq).Scan(&mac); err != nil || hex.EncodeToString(mac) != heads[0].MAC {
		t.Fatalf("head %d/%s is not the station's entry: %x %v", heads[0].AuditSeq, heads[0].MAC, mac, err)
	}
	raw.Close()

	// The attacker's copy, taken between the first and the second batch: database and head
	// file together.
	s.st.Close()
	snapshot := map[string][]byte{}
	for _, p := range []string{db, db + ".audit-head"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		snapshot[p] = b
	}
	moreRecords(t, s, 2, 12)
	if r, err := s.courier.Pass(ctx, s.supervisor); err != nil || r.Uploaded != 1 {
		t.Fatalf("second pass: %v %+v", err, r)
	}
	heads, _ = c.AuditHeads(ctx, s.code)
	if problems := intake.CheckAuditHeads(heads); len(heads) != 2 || len(problems) != 0 {
		t.Fatalf("two honest batches: %+v %v", heads, problems)
	}

	// Put back: the station sees a consistent older copy; central sees the same batch number
	// again, with an audit head behind the one it already has.
	s.st.Close()
	for p, b := range snapshot {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(db + "-wal")
	os.Remove(db + "-shm")
	moreRecords(t, s, 1, 13)
	if r, _ := s.courier.Pass(ctx, s.supervisor); r.Refused != 1 {
		t.Fatalf("central should refuse the reused batch number: %+v", r)
	}
	heads, _ = c.AuditHeads(ctx, s.code)
	problems := intake.CheckAuditHeads(heads)
	if len(heads) < 3 || !strings.Contains(strings.Join(problems, "\n"), "batch number 2 was used by two batches") ||
		!strings.Contains(strings.Join(problems, "\n"), "the audit went backwards") {
		t.Fatalf("rollback not flagged: %+v\n%s", heads, strings.Join(problems, "\n"))
	}
}

// moreRecords reopens the station's database, logs its supervisor in and adds n records.
func moreRecords(t *testing.T, s *stationUnderTest, n int, seed uint64) {
	t.Helper()
	ctx := context.Background()
	st, c := secondHandle(t, s)
	g := demo.Generator{Store: st, Records: n, Seed: seed, Span: time.Hour, Actor: s.supervisor}
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	s.st, s.courier = st, c
}
