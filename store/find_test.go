package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// person is a record to save for a search test.
type person struct{ name, id, phone string }

// stationWith is a test station on a clock the test moves, holding one complete record per
// person saved a minute apart, returned by name.
func stationWith(t *testing.T, people ...person) (*Store, *stepClock, map[string]*enroll.Enrollment) {
	t.Helper()
	c := newStepClock()
	s := openTest(t, WithClock(c.now))
	out := map[string]*enroll.Enrollment{}
	for _, p := range people {
		c.tick()
		e := completeRecord(t, p.name, p.id)
		e.Phone = p.phone
		if err := s.Complete(context.Background(), e); err != nil {
			t.Fatal(p.name, err)
		}
		out[p.name] = e
	}
	return s, c, out
}

// stepClock is a store clock that a test moves on by hand.
type stepClock struct{ at time.Time }

func (c *stepClock) now() time.Time { return c.at }
func (c *stepClock) tick()          { c.at = c.at.Add(time.Minute) }

func newStepClock() *stepClock {
	return &stepClock{at: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
}

func names(rs []enroll.Summary) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.FullName)
	}
	return out
}

// saveRecord completes e, or saves it as a draft.
func saveRecord(t *testing.T, s *Store, e *enroll.Enrollment, complete bool) {
	t.Helper()
	save := s.SaveDraft
	if complete {
		save = s.Complete
	}
	if err := save(context.Background(), e); err != nil {
		t.Fatal(e.Citizen.FullName, err)
	}
}

// findCase is a query and the names it should find, in order.
type findCase struct {
	q    enroll.RecordQuery
	want []string
}

func byText(text string, want ...string) findCase {
	return findCase{enroll.RecordQuery{Text: text}, want}
}

func checkFinds(t *testing.T, s *Store, cases []findCase) {
	t.Helper()
	for _, tc := range cases {
		if got := find(t, s, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("find %+v = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func find(t *testing.T, s *Store, q enroll.RecordQuery) []string {
	t.Helper()
	res, err := s.Find(context.Background(), q)
	if err != nil {
		t.Fatalf("find %+v: %v", q, err)
	}
	return names(res)
}

func TestFindNameWordsInAnyOrder(t *testing.T) {
	s, _, _ := stationWith(t,
		person{"Nguyễn Văn An", "001087012345", "0912345678"},
		person{"Nguyễn Văn Bình", "001087000002", "0912000002"},
		person{"Trần Thị An", "001187000003", "0912000003"},
		person{"Lê An Nguyên", "001087000004", "0912000004"}, // "Nguyên" is "nguyen" without diacritics
	)
	// Newest change first: the order the records were saved in, reversed.
	checkFinds(t, s, []findCase{
		byText("nguyen an", "Lê An Nguyên", "Nguyễn Văn An"),
		byText("an nguyen", "Lê An Nguyên", "Nguyễn Văn An"),
		byText("  AN   NGUYỄN ", "Lê An Nguyên", "Nguyễn Văn An"),
		byText("an van nguyen", "Nguyễn Văn An"),
		byText("Nguyễn Văn An", "Nguyễn Văn An"),
		byText("nguyen binh", "Nguyễn Văn Bình"),
		byText("an", "Lê An Nguyên", "Trần Thị An", "Nguyễn Văn An"),
		byText("an an", "Lê An Nguyên", "Trần Thị An", "Nguyễn Văn An"),
		byText("nguyen an binh"),
		byText("nguyen van a"), // blind terms match whole words only
		byText("nguyen ann"),
		byText("\u0301"), // nothing left once the accent is dropped
	})
}

func TestFindByIDNumberPrefixAndPhone(t *testing.T) {
	s, _, _ := stationWith(t,
		person{"Nguyễn Văn An", "001087012345", "0912345678"},
		person{"Nguyễn Văn Bình", "001087099999", "0912000002"},
		person{"Trần Thị Hoa", "001187000001", "0387000001"},
		person{"Đặng Quốc Bảo", "036087000002", "0901000002"},
	)
	checkFinds(t, s, []findCase{
		byText("001087", "Nguyễn Văn Bình", "Nguyễn Văn An"),
		byText("001 087", "Nguyễn Văn Bình", "Nguyễn Văn An"),
		byText("0010870", "Nguyễn Văn Bình", "Nguyễn Văn An"),
		byText("00108701", "Nguyễn Văn An"),
		byText("00108701234", "Nguyễn Văn An"),
		byText("001087012345", "Nguyễn Văn An"),
		byText("001.087.012.345", "Nguyễn Văn An"),
		byText("001087012346"),
		byText("00108"), // five digits are too few to be a prefix
		byText("0011"),
		byText("036087", "Đặng Quốc Bảo"),
		byText("001187000001", "Trần Thị Hoa"),
		byText("0912345678", "Nguyễn Văn An"),
		byText("+84 912 345 678", "Nguyễn Văn An"),
		byText("84912345678", "Nguyễn Văn An"),
		byText("0912.345.678", "Nguyễn Văn An"),
		byText("(091) 234-5678", "Nguyễn Văn An"),
		byText("091234567"), // phones match whole numbers only
	})
}

func TestFindByCode(t *testing.T) {
	ctx := context.Background()
	s, c, people := stationWith(t,
		person{"Nguyễn Văn An", "001087012345", "0912345678"},
		person{"Trần Thị Hoa", "001187000001", "0387000001"},
	)
	an := people["Nguyễn Văn An"]
	code := enroll.RecordCode(an.ID)
	typed := strings.ToLower(strings.ReplaceAll(code, "-", ""))
	if got := find(t, s, enroll.RecordQuery{Text: typed}); !slices.Equal(got, []string{"Nguyễn Văn An"}) {
		t.Errorf("find by code %q = %v", typed, got)
	}
	res, err := s.ByCode(ctx, " "+typed+" ")
	if err != nil || len(res) != 1 || res[0].ID != an.ID {
		t.Errorf("by code %q: %+v %v", typed, res, err)
	}
	for _, bad := range []string{"", "nguyen", "K7Q-M3X", "001087012345"} {
		if _, err := s.ByCode(ctx, bad); !errors.Is(err, ErrNotRecordCode) {
			t.Errorf("by code %q: %v, want ErrNotRecordCode", bad, err)
		}
	}

	// Two ids whose first 45 bits agree (byte 5 is 0x7d and 0x78: only its last 3 bits
	// differ) share a code; a lookup shows both.
	twins := []string{"3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", "3f2a9c1e-5b78-4e8f-9a0b-1c2d3e4f5a6c"}
	for i, id := range twins {
		c.tick()
		e := completeRecord(t, []string{"Phạm Văn Một", "Phạm Văn Hai"}[i], "001087000111")
		e.ID, e.CreatedAt = id, c.at
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	res, err = s.ByCode(ctx, enroll.RecordCode(twins[0]))
	if err != nil || !slices.Equal(names(res), []string{"Phạm Văn Hai", "Phạm Văn Một"}) {
		t.Errorf("twins by code: %v %v", names(res), err)
	}

	// Nine digits are both an ID prefix and a code. The id below is 001087012 read as a code
	// (0·32⁸+0·32⁷+1·32⁶+0·32⁵+8·32⁴+7·32³+0·32²+1·32+2 = 0x40838022, shifted left 3 bits
	// into the id's first 48: 0x0002041c0110).
	c.tick()
	e := completeRecord(t, "Võ Thị Mã", "048187000004")
	e.ID, e.CreatedAt = "0002041c-0110-4000-8000-000000000001", c.at
	if enroll.RecordCode(e.ID) != "001-087-012" {
		t.Fatalf("test id has code %s", enroll.RecordCode(e.ID))
	}
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"001087012", "001-087-012"} {
		if got := find(t, s, enroll.RecordQuery{Text: q}); !slices.Equal(got, []string{"Võ Thị Mã", "Nguyễn Văn An"}) {
			t.Errorf("find %q = %v, want the code's record and the prefix's", q, got)
		}
	}
}

func TestFindFilters(t *testing.T) {
	c := newStepClock()
	s := openTest(t, WithClock(c.now))
	day1 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	save := func(at time.Time, name, id string, complete bool) *enroll.Enrollment {
		c.at = at
		e := completeRecord(t, name, id)
		saveRecord(t, s, e, complete)
		return e
	}
	an := save(day1.Add(10*time.Hour), "Nguyễn Văn An", "001087000011", true)
	save(day1.Add(11*time.Hour), "Nguyễn Thị Hoa", "001187000022", false)
	save(day2.Add(9*time.Hour), "Nguyễn Văn Nam", "001087000033", true)
	save(day2.Add(10*time.Hour), "Trần Văn Bảo", "036087000044", true)
	checkFinds(t, s, []findCase{
		{enroll.RecordQuery{Text: "nguyen", Status: enroll.StatusComplete}, []string{"Nguyễn Văn Nam", "Nguyễn Văn An"}},
		{enroll.RecordQuery{Text: "nguyen", From: day2}, []string{"Nguyễn Văn Nam"}},
		{enroll.RecordQuery{Text: "nguyen", To: day2}, []string{"Nguyễn Thị Hoa", "Nguyễn Văn An"}},
		{enroll.RecordQuery{Text: "nguyen", Limit: 1}, []string{"Nguyễn Văn Nam"}},
		{enroll.RecordQuery{Text: "van", Status: enroll.StatusComplete, From: day2}, []string{"Trần Văn Bảo", "Nguyễn Văn Nam"}},
		{enroll.RecordQuery{Text: "nguyen van", Status: enroll.StatusDraft}, nil},
		{enroll.RecordQuery{Text: "001087", Status: enroll.StatusComplete, From: day2}, []string{"Nguyễn Văn Nam"}},
		{enroll.RecordQuery{Text: enroll.RecordCode(an.ID), From: day2}, nil},
		{enroll.RecordQuery{Text: enroll.RecordCode(an.ID), To: day2}, []string{"Nguyễn Văn An"}},
		{enroll.RecordQuery{Status: enroll.StatusDraft}, []string{"Nguyễn Thị Hoa"}},
		{enroll.RecordQuery{From: day2}, []string{"Trần Văn Bảo", "Nguyễn Văn Nam"}},
		{enroll.RecordQuery{}, []string{"Trần Văn Bảo", "Nguyễn Văn Nam", "Nguyễn Thị Hoa", "Nguyễn Văn An"}},
	})
}

// TestFindOrderFollowsStatusChanges: a record that sync moved on is the newest change, also
// when the search stops at its limit inside the index.
func TestFindOrderFollowsStatusChanges(t *testing.T) {
	ctx := context.Background()
	s, c, people := stationWith(t,
		person{"Nguyễn Văn An", "001087000011", "0912000011"},
		person{"Nguyễn Văn Bình", "001087000022", "0912000022"},
	)
	c.tick()
	b := enroll.Batch{ID: "batch-1", Seq: 1, CreatedAt: c.at, Size: 10, File: "/outbox/b1"}
	if err := s.AddBatch(ctx, "lan.nt", b, []Sent{{ID: people["Nguyễn Văn An"].ID, Revision: strings.Repeat("a", 64)}}); err != nil {
		t.Fatal(err)
	}
	c.tick()
	if err := s.BatchUploaded(ctx, "lan.nt", b.ID); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"nguyen van", "001087", "van nguyen"} {
		if got := find(t, s, enroll.RecordQuery{Text: q, Limit: 1}); !slices.Equal(got, []string{"Nguyễn Văn An"}) {
			t.Errorf("find %q limit 1 = %v, want the record uploaded last", q, got)
		}
	}
}

func TestFindWhileLocked(t *testing.T) {
	s := openTest(t)
	s.Lock()
	if _, err := s.Find(context.Background(), enroll.RecordQuery{Text: "nguyen"}); !errors.Is(err, enroll.ErrStationLocked) {
		t.Errorf("find while locked: %v", err)
	}
}

// initAt sets up a station in a database file the test closes and opens again itself.
func initAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Init(context.Background(), testSetup()); err != nil {
		t.Fatal(err)
	}
	return s
}

// resealForTest seals a record's row as it is now, as the station would after its own write:
// a test that sets a state directly, or that reaches past the row seal to a check under it.
func resealForTest(t *testing.T, s *Store, id string) {
	t.Helper()
	k, err := s.keys()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.inTx(context.Background(), func(tx *sql.Tx) error { return sealRow(context.Background(), tx, k, id) }); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t *testing.T, s *Store, q string, args ...any) {
	t.Helper()
	if _, err := s.db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// oldSearchTerms is how version 1 of the index (before record codes) listed a record's terms:
// every run of whole name words, the whole ID number and the phone.
func oldSearchTerms(name, id, phone string) []string {
	var terms []string
	words := strings.Fields(enroll.SearchKey(name))
	for i := range words {
		for j := i + 1; j <= len(words); j++ {
			terms = append(terms, "n:"+strings.Join(words[i:j], " "))
		}
	}
	if id != "" {
		terms = append(terms, "i:"+id)
	}
	if phone != "" {
		terms = append(terms, "p:"+phone)
	}
	return terms
}

// TestOldIndexIsRebuiltAtLogin: a database whose terms were written by the old scheme, and
// whose records have no codes yet, is found by the new ways after the next open and login.
func TestOldIndexIsRebuiltAtLogin(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	s := initAt(t, path)
	people := []person{{"Nguyễn Văn An", "001087012345", "0912345678"}, {"Nguyễn Văn Bình", "001087099999", "0912000002"}}
	ids := map[string]string{}
	for _, p := range people {
		e := completeRecord(t, p.name, p.id)
		e.Phone = p.phone
		if err := s.Complete(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids[p.name] = e.ID
	}
	// Turn the database back into one the previous build wrote.
	k, _ := s.keys()
	mustExec(t, s, `DELETE FROM search_terms`)
	mustExec(t, s, `DELETE FROM settings WHERE key = 'search_index_version'`)
	mustExec(t, s, `UPDATE enrollments SET code = ''`)
	for _, p := range people {
		for _, term := range oldSearchTerms(p.name, p.id, p.phone) {
			mustExec(t, s, `INSERT INTO search_terms (term, updated_at, enrollment_id)
				SELECT ?, updated_at, id FROM enrollments WHERE id = ?`, k.blind(term), ids[p.name])
		}
	}
	runTerm := k.blind("n:nguyen van")
	oldRows := len(oldSearchTerms(people[0].name, "", "")) + 2 + len(oldSearchTerms(people[1].name, "", "")) + 2
	s.Close()

	s, err := Open(ctx, path, fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var code string
	s.db.QueryRow(`SELECT code FROM enrollments WHERE id = ?`, ids["Nguyễn Văn An"]).Scan(&code)
	if code != enroll.RecordCode(ids["Nguyễn Văn An"]) {
		t.Errorf("code after open: %q", code)
	}
	countTerms := func() int {
		var n int
		s.db.QueryRow(`SELECT count(*) FROM search_terms`).Scan(&n)
		return n
	}
	if n := countTerms(); n != oldRows {
		t.Fatalf("%d terms before login, want the %d old ones untouched", n, oldRows)
	}
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	checkFinds(t, s, []findCase{
		byText("an nguyen", "Nguyễn Văn An"),
		byText("binh nguyen", "Nguyễn Văn Bình"),
		byText("001087", "Nguyễn Văn Bình", "Nguyễn Văn An"),
		byText("001087012345", "Nguyễn Văn An"),
		byText("0912000002", "Nguyễn Văn Bình"),
		byText(code, "Nguyễn Văn An"),
		byText(strings.ToLower(code), "Nguyễn Văn An"),
		byText("nguyen van an", "Nguyễn Văn An"),
		byText("nguyen van", "Nguyễn Văn Bình", "Nguyễn Văn An"),
		byText("nguyen van binh an"),
		byText("001087012345 nguyen an"),
	})
	// Each record: three name words and their three pairs, the ID, its six prefixes (6 to 11
	// digits), the phone (14 in all), topped up with dummies to the same count for every record.
	if n := countTerms(); n != 2*termsPerRecord {
		t.Errorf("%d terms after reindex, want %d", n, 2*termsPerRecord)
	}
	var runs int
	s.db.QueryRow(`SELECT count(*) FROM search_terms WHERE term = ?`, runTerm).Scan(&runs)
	if runs != 0 {
		t.Error("a word-run term survived the reindex")
	}
	if v, _ := s.Setting(ctx, "search_index_version"); v != searchIndexVersion {
		t.Errorf("index version %q", v)
	}
	// The next login finds the index current and leaves it alone.
	marker := bytes.Repeat([]byte{0xee}, 16)
	mustExec(t, s, `INSERT INTO search_terms (term, updated_at, enrollment_id) VALUES (?, 0, ?)`, marker, ids["Nguyễn Văn An"])
	s.Lock()
	if _, err := s.Authenticate(ctx, "lan.nt", "matkhau2026"); err != nil {
		t.Fatal(err)
	}
	var kept int
	s.db.QueryRow(`SELECT count(*) FROM search_terms WHERE term = ?`, marker).Scan(&kept)
	if kept != 1 {
		t.Error("a second login rebuilt the index again")
	}
}

// TestCodesBackfilledOnce: opening gives every record without a code its code, and a record
// saved afterwards gets its code on first save.
func TestCodesBackfilledOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	s := initAt(t, path)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.SaveDraft(ctx, e); err != nil {
		t.Fatal(err)
	}
	codes := rawRows(t, s, `SELECT code FROM enrollments`)
	if !codes[enroll.RecordCode(e.ID)] || len(codes) != 1 {
		t.Errorf("code on first save: %v", codes)
	}
	mustExec(t, s, `UPDATE enrollments SET code = ''`)
	s.Close()
	for range 2 {
		s, err := Open(ctx, path, fastKDF)
		if err != nil {
			t.Fatal(err)
		}
		codes = rawRows(t, s, `SELECT code FROM enrollments`)
		s.Close()
		if !codes[enroll.RecordCode(e.ID)] || len(codes) != 1 {
			t.Errorf("code after open: %v", codes)
		}
	}
}
