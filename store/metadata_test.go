package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
)

// TestFileDoesNotTellNameLengthWordsOrPhone reads a real station file as someone with the
// sqlite3 tool would: two records, one with a two-word name and no phone, the other with a
// five-word name and a phone, must look the same size in every sealed value and have the same
// number of search terms.
func TestFileDoesNotTellNameLengthWordsOrPhone(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	short := completeRecord(t, "Lê An", "001087012345")
	short.Phone = ""
	long := completeRecord(t, "Nguyễn Thị Ngọc Minh Khuê", "001187000009")
	if err := s.SaveDraft(ctx, short); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDraft(ctx, long); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+s.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	sizes := func(q string) (a, b int) {
		t.Helper()
		if err := raw.QueryRow(q, short.ID, long.ID).Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		return a, b
	}
	if a, b := sizes(`SELECT (SELECT length(summary) FROM enrollments WHERE id = ?1), (SELECT length(summary) FROM enrollments WHERE id = ?2)`); a != b {
		t.Errorf("sealed summaries of %d and %d bytes tell the names apart", a, b)
	}
	if a, b := sizes(`SELECT (SELECT length(data) FROM documents WHERE enrollment_id = ?1), (SELECT length(data) FROM documents WHERE enrollment_id = ?2)`); a != b {
		t.Errorf("sealed documents of %d and %d bytes tell the records apart", a, b)
	}
	if a, b := sizes(`SELECT (SELECT count(*) FROM search_terms WHERE enrollment_id = ?1), (SELECT count(*) FROM search_terms WHERE enrollment_id = ?2)`); a != b || a != termsPerRecord {
		t.Errorf("%d and %d search terms tell the word count and the phone apart (want %d each)", a, b, termsPerRecord)
	}
	// And the padding does not get in the way of reading or finding them.
	for _, e := range []struct{ id, q, name string }{{short.ID, "le an", "Lê An"}, {long.ID, "khue ngoc", "Nguyễn Thị Ngọc Minh Khuê"}} {
		got, err := s.Get(ctx, e.id)
		if err != nil || got.Citizen.FullName != e.name {
			t.Errorf("read back %s: %v", e.name, err)
		}
		found, err := s.Search(ctx, e.q, 10)
		if err != nil || len(found) != 1 || found[0].ID != e.id {
			t.Errorf("search %q: %+v %v", e.q, found, err)
		}
	}
}

// TestDeletedImageIsAnError: a portrait or print row deleted from the file makes the record
// unreadable with the picture named, instead of reading back as a record without it.
func TestDeletedImageIsAnError(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	e := completeRecord(t, "Nguyễn Văn An", "001087012345")
	if err := s.Complete(ctx, e); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, c := range []struct{ kind, named string }{{"finger", "finger 2"}, {"portrait", "the portrait"}} {
		if _, err := raw.Exec(`DELETE FROM images WHERE enrollment_id = ? AND kind = ?`, e.ID, c.kind); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, e.ID); !errors.Is(err, enroll.ErrRecordTampered) {
			t.Errorf("%s row deleted: %v, want the row seal to refuse it", c.kind, err)
		}
		// Under the row seal, the document still names the missing picture.
		resealForTest(t, s, e.ID)
		_, err := s.Get(ctx, e.ID)
		if !errors.Is(err, enroll.ErrImageMissing) || !strings.Contains(err.Error(), c.named) {
			t.Errorf("%s row deleted: %v", c.kind, err)
		}
	}
}
