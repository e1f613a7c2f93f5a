package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wardpolice/enroll"
)

// ErrNotRecordCode is a lookup by code given something that cannot be one.
var ErrNotRecordCode = errors.New("not a record code: nine letters and digits, like K7Q-M3X-D9A")

// Blind index namespaces: a term is a namespace and a normalised value, stored only as its
// keyed HMAC (keys.blind). Namespaces keep a name word from ever matching a number.
const (
	termName     = "n:"  // one word of the name's search key
	termNamePair = "nn:" // two words of it, in alphabetical order
	termID       = "i:"  // the whole personal ID number
	termIDPrefix = "ip:" // the ID number's first minIDPrefix to maxIDPrefix digits
	termPhone    = "p:"
)

// Six digits are the birth province, century and gender and birth year: what an officer can
// know of a number without the card. Shorter prefixes would each match a large share of the
// station and only add index rows.
const (
	minIDPrefix = 6
	maxIDPrefix = 11
)

// searchIndexVersion names the term scheme. Version 1 (no setting) indexed runs of name words
// and whole numbers only; 2 indexes single words and pairs of words, so that words match in
// any order, and ID prefixes; 3 tops every record's terms up to the same count with dummies.
// A database whose terms are older is reindexed at the next login.
const (
	searchIndexVersion = "3"
	settingSearchIndex = "search_index_version"
)

// searchTerms lists what a record can be found by. Blind terms only match whole values: a
// name is found by its whole words, an ID number by all its digits or its leading ones, a
// phone by all its digits.
//
// Pairs of name words are what keeps a search by two or more common words fast: "nguyen van
// an" walks the records holding its rarest pair and checks the third word, where with single
// words alone it would walk every An (or, worse, every Nguyễn) to find the few that are all
// three. A pair says nothing the single words do not (two records share a pair exactly when
// they share both words), and a record's number of pairs follows from its number of words.
func searchTerms(sum summary) []string {
	var terms []string
	words := nameWords(sum.FullName)
	for i, w := range words {
		terms = append(terms, termName+w)
		for _, v := range words[i+1:] {
			terms = append(terms, pairTerm(w, v))
		}
	}
	if id := string(sum.PersonalID); id != "" {
		terms = append(terms, termID+id)
		for n := minIDPrefix; n <= maxIDPrefix && n < len(id); n++ {
			terms = append(terms, termIDPrefix+id[:n])
		}
	}
	if sum.Phone != "" {
		terms = append(terms, termPhone+sum.Phone)
	}
	return terms
}

// nameWords are the distinct words of s's search key: no diacritics, lower case.
func nameWords(s string) []string {
	var words []string
	for _, w := range strings.Fields(enroll.SearchKey(s)) {
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}

func pairTerm(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return termNamePair + a + " " + b
}

// writeSearchTerms replaces a record's terms.
func writeSearchTerms(ctx context.Context, tx *sql.Tx, k *keys, id string, sum summary, updated int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_terms WHERE enrollment_id = ?`, id); err != nil {
		return err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO search_terms (term, updated_at, enrollment_id) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	return insertTerms(ctx, ins, k, id, sum, updated)
}

func insertTerms(ctx context.Context, ins *sql.Stmt, k *keys, id string, sum summary, updated int64) error {
	for _, t := range blindTerms(k, sum) {
		if _, err := ins.ExecContext(ctx, t, updated, id); err != nil {
			return err
		}
	}
	return nil
}

// touchRecord moves a record's last change to at, in its terms too: a search reads each
// term's matches newest first in index order and stops at its limit, which is only right
// while the terms carry the record's own updated_at.
func touchRecord(ctx context.Context, tx *sql.Tx, id string, at int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET updated_at = ? WHERE id = ?`, at, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE search_terms SET updated_at = ? WHERE enrollment_id = ?`, at, id)
	return err
}

// reindex rewrites every record's terms from its sealed summary when the database's terms are
// of an older scheme, then records the scheme. It needs the index key, so it runs at login;
// one transaction, so a crash leaves the old terms and the old version, and the next login
// starts again. The version is read inside the transaction: two logins at once index once.
func (s *Store) reindex(ctx context.Context, k *keys) error {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingSearchIndex).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("rebuild search index: %w", err)
	}
	if v == searchIndexVersion {
		return nil
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingSearchIndex).Scan(&v)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if v == searchIndexVersion {
			return nil
		}
		if err := rebuildTerms(ctx, tx, k); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingSearchIndex, searchIndexVersion)
		return err
	})
	if err != nil {
		return fmt.Errorf("rebuild search index: %w", err)
	}
	return nil
}

// rebuildTerms replaces every term. Terms are random HMACs: inserted record by record they
// land all over both of the table's B-trees, each insert a page miss once the index outgrows
// SQLite's cache. So they are collected in a scratch table in arrival order, copied over in
// key order, and the second index is built after, by one sort.
func rebuildTerms(ctx context.Context, tx *sql.Tx, k *keys) error {
	for _, q := range []string{
		// Index first: deleting rows one by one from both trees was most of a reindex.
		`DROP INDEX search_terms_record`,
		`DELETE FROM search_terms`,
		`CREATE TEMP TABLE new_terms (term BLOB NOT NULL, updated_at INTEGER NOT NULL, enrollment_id TEXT NOT NULL)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	// Purged stubs have no summary and keep no terms.
	rows, err := tx.QueryContext(ctx, `SELECT id, updated_at, summary FROM enrollments WHERE summary IS NOT NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	// Many rows per statement: one statement per term made the calls into SQLite most of the
	// work.
	const batch = 256
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := `INSERT INTO new_terms (term, updated_at, enrollment_id) VALUES (?, ?, ?)` + strings.Repeat(`, (?, ?, ?)`, len(args)/3-1)
		_, err := tx.ExecContext(ctx, q, args...)
		args = args[:0]
		return err
	}
	for rows.Next() {
		var id string
		var updated int64
		var sealed []byte
		if err := rows.Scan(&id, &updated, &sealed); err != nil {
			return err
		}
		var sum summary
		if err := openJSON(k, id, fieldSummary, sealed, &sum); err != nil {
			return err
		}
		for _, t := range blindTerms(k, sum) {
			args = append(args, t, updated, id)
		}
		if len(args) >= 3*batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	for _, q := range []string{
		`INSERT OR IGNORE INTO search_terms (term, updated_at, enrollment_id)
			SELECT term, updated_at, enrollment_id FROM new_terms ORDER BY term, updated_at, enrollment_id`,
		`DROP TABLE new_terms`,
		// As migration 0007 made it.
		`CREATE INDEX search_terms_record ON search_terms (enrollment_id, term)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// backfillCodes gives the records saved before codes existed their code. It runs at every
// open and costs one index probe once every record has one.
func (s *Store) backfillCodes(ctx context.Context) error {
	var missing bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM enrollments WHERE code = '')`).Scan(&missing); err != nil {
		return fmt.Errorf("record codes: %w", err)
	}
	if !missing {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE enrollments SET code = record_code(id) WHERE code = ''`)
	if err != nil {
		return fmt.Errorf("record codes: %w", err)
	}
	return nil
}

// ByCode lists the records whose code is the one typed (any case, with or without dashes;
// see enroll.ParseRecordCode), newest change first: normally one, but two of a station's
// records may share a code, and then the officer sees both.
func (s *Store) ByCode(ctx context.Context, code string) ([]enroll.Summary, error) {
	c, ok := enroll.ParseRecordCode(code)
	if !ok {
		return nil, fmt.Errorf("find record by code: %w", ErrNotRecordCode)
	}
	return s.summaries(ctx, `SELECT `+summaryColumns+` FROM enrollments e WHERE e.code = ?
		ORDER BY e.updated_at DESC, e.id`, c)
}

// Find searches the records by what an officer typed (see enroll.RecordQuery) within the
// query's filters, newest change first. Text is tried as every kind of value it could be, and
// the matches of each are put together: nine digits are both an ID prefix and a record code.
// An empty Text lists by the filters alone.
func (s *Store) Find(ctx context.Context, q enroll.RecordQuery) ([]enroll.Summary, error) {
	k, err := s.keys()
	if err != nil {
		return nil, fmt.Errorf("find records: %w", err)
	}
	f := Filter{Status: q.Status, From: q.From, To: q.To, Limit: q.Limit}
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return s.List(ctx, f)
	}
	limit := limitOr(q.Limit)
	sources, args, err := s.sources(ctx, k, text, f, limit)
	if err != nil {
		return nil, fmt.Errorf("find records: %w", err)
	}
	if len(sources) == 0 {
		return nil, nil
	}
	query := `SELECT ` + summaryColumns + ` FROM enrollments e WHERE e.id IN (` + strings.Join(sources, " UNION ") + `)
		ORDER BY e.updated_at DESC, e.id LIMIT ?`
	res, err := s.summaries(ctx, query, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("find records: %w", err)
	}
	return res, nil
}

// sources are the subqueries (see source) of the records text may mean, with their arguments.
func (s *Store) sources(ctx context.Context, k *keys, text string, f Filter, limit int) ([]string, []any, error) {
	var sources []string
	var args []any
	add := func(driver string, probes []string) error {
		q, a, err := s.source(ctx, k, driver, probes, f, limit)
		sources, args = append(sources, q), append(args, a...)
		return err
	}
	if digits, ok := digitsOf(text); ok {
		var terms []string
		switch n := len(digits); {
		case n == 12:
			terms = append(terms, termID+digits)
		case n >= minIDPrefix && n <= maxIDPrefix:
			terms = append(terms, termIDPrefix+digits)
		}
		terms = append(terms, termPhone+digits)
		// "84…" without the plus, and the other ways NormalizePhone accepts.
		if p, err := enroll.NormalizePhone(text); err == nil && p != digits {
			terms = append(terms, termPhone+p)
		}
		for _, t := range terms {
			if err := add(t, nil); err != nil {
				return nil, nil, err
			}
		}
	} else if words := nameWords(text); len(words) > 0 {
		driver, probes, err := s.namePlan(ctx, k, words)
		if err != nil {
			return nil, nil, err
		}
		if err := add(driver, probes); err != nil {
			return nil, nil, err
		}
	}
	if code, ok := enroll.ParseRecordCode(text); ok {
		where, wargs := f.where()
		q, a := codeSource(code, where, wargs, limit)
		sources, args = append(sources, q), append(args, a...)
	}
	return sources, args, nil
}

// digitsOf reads text as a number typed with the separators people use, +84 standing for the
// leading 0 of a phone number; ok is false when anything else is in it.
func digitsOf(text string) (string, bool) {
	d := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '(', ')', '\u00a0':
			return -1
		}
		return r
	}, text)
	if strings.HasPrefix(d, "+84") {
		d = "0" + d[3:]
	}
	return d, d != "" && strings.Trim(d, "0123456789") == ""
}

// namePlan chooses how to find the records holding every one of words: the term to walk
// (for one word its term, for more the rarest pair's) and the single-word terms to check on
// each record it yields.
func (s *Store) namePlan(ctx context.Context, k *keys, words []string) (driver string, probes []string, err error) {
	if len(words) == 1 {
		return termName + words[0], nil, nil
	}
	type pair struct{ a, b int }
	var pairs []pair
	var counts []countQuery
	for i := range words {
		for j := i + 1; j < len(words); j++ {
			pairs = append(pairs, pair{i, j})
			counts = append(counts, termCount(k, pairTerm(words[i], words[j])))
		}
	}
	best, err := s.rarest(ctx, counts)
	if err != nil {
		return "", nil, err
	}
	p := pairs[best]
	for i, w := range words {
		if i != p.a && i != p.b {
			probes = append(probes, termName+w)
		}
	}
	return pairTerm(words[p.a], words[p.b]), probes, nil
}

// countQuery selects one row per record of a candidate way to start a search.
type countQuery struct {
	q    string
	args []any
}

func termCount(k *keys, term string) countQuery {
	return countQuery{`SELECT 1 FROM search_terms WHERE term = ?`, []any{k.blind(term)}}
}

// rarestCaps are where counting stops: a search should start from the candidate with the
// fewest records, but counting a common word's tens of thousands would cost more than the
// search. So counting stops at the first cap, and goes on to the next only while every
// candidate reaches it; past the last, all are common, their records likely overlap densely,
// and the first is as good as any.
var rarestCaps = []int{2000, 16000}

// rarest returns which candidate has the fewest records.
func (s *Store) rarest(ctx context.Context, cands []countQuery) (int, error) {
	best := 0
	for _, limit := range rarestCaps {
		if len(cands) == 1 {
			break
		}
		least := limit
		for i, c := range cands {
			n, err := s.countUpTo(ctx, c, limit)
			if err != nil {
				return 0, err
			}
			if n < least {
				best, least = i, n
			}
		}
		if least < limit {
			break
		}
	}
	return best, nil
}

// countUpTo counts c's rows, stopping at limit.
func (s *Store) countUpTo(ctx context.Context, c countQuery, limit int) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (`+c.q+` LIMIT ?)`, append(c.args, limit)...).Scan(&n)
	return n, err
}

// source is a subquery of the ids of the records holding driver and every one of probes and
// passing f, newest change first, at most limit. It walks the driver term's records newest
// first, stopping at limit; but when f (a status, a day) passes few records and the term's
// records are many, a walk would pass over many term records to find limit that pass f, and
// the search starts from f's records instead.
func (s *Store) source(ctx context.Context, k *keys, driver string, probes []string, f Filter, limit int) (string, []any, error) {
	where, wargs := f.where()
	if len(where) == 0 {
		q, a := termSource(k, driver, probes, nil, nil, limit)
		return q, a, nil
	}
	q := `SELECT e.id FROM enrollments e WHERE ` + strings.Join(where, " AND ")
	if yes, err := s.startFromFilter(ctx, termCount(k, driver), countQuery{q, wargs}, limit); err != nil || !yes {
		q, a := termSource(k, driver, probes, where, wargs, limit)
		return q, a, err
	}
	args := append([]any{}, wargs...)
	for _, term := range append([]string{driver}, probes...) {
		q += ` AND EXISTS (SELECT 1 FROM search_terms o WHERE o.enrollment_id = e.id AND o.term = ?)`
		args = append(args, k.blind(term))
	}
	return `SELECT id FROM (` + q + ` ORDER BY e.updated_at DESC LIMIT ?)`, append(args, limit), nil
}

// startFromFilter tells whether a search should start from the filter's records rather than
// the term's. The term's walk stops after limit matches; if the filter passes a share F/N of
// all records, that is after about limit·N/F of the term's T records (all T at most).
// Starting from the filter reads all its F records (they are not in the order of the result).
func (s *Store) startFromFilter(ctx context.Context, term, filter countQuery, limit int) (bool, error) {
	const most = 1 << 14 // counting further costs more than it could save
	f, err := s.countUpTo(ctx, filter, most)
	if err != nil || f >= most {
		return false, err
	}
	t, err := s.countUpTo(ctx, term, most)
	if err != nil {
		return false, err
	}
	// The largest rowid stands for the record count: exact but for deleted drafts, and free.
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM enrollments`).Scan(&n); err != nil {
		return false, err
	}
	return f < min(t, limit*n/max(f, 1)), nil
}

// termSource is a subquery of the ids of the records that hold driver and every one of
// probes and meet the conditions where (on enrollments e), newest change first, at most
// limit. It walks the driver's index entries newest first, so it stops after limit matches
// however common the term.
func termSource(k *keys, driver string, probes []string, where []string, wargs []any, limit int) (string, []any) {
	q := `SELECT t.enrollment_id AS id FROM search_terms t`
	if len(where) > 0 {
		// CROSS JOIN keeps the term's index as the outer loop (SQLite does not reorder it).
		q += ` CROSS JOIN enrollments e ON e.id = t.enrollment_id`
	}
	q += ` WHERE t.term = ?`
	args := []any{k.blind(driver)}
	for _, term := range probes {
		q += ` AND EXISTS (SELECT 1 FROM search_terms o WHERE o.enrollment_id = t.enrollment_id AND o.term = ?)`
		args = append(args, k.blind(term))
	}
	for _, w := range where {
		q += ` AND ` + w
	}
	args = append(args, wargs...)
	q += ` ORDER BY t.updated_at DESC LIMIT ?`
	// A compound SELECT's members take no ORDER BY or LIMIT of their own: hence the wrapper.
	return `SELECT id FROM (` + q + `)`, append(args, limit)
}

// codeSource is a subquery of the ids of the records with a canonical code, as termSource.
func codeSource(code string, where []string, wargs []any, limit int) (string, []any) {
	q := `SELECT e.id FROM enrollments e WHERE e.code = ?`
	args := []any{code}
	for _, w := range where {
		q += ` AND ` + w
	}
	q += ` ORDER BY e.updated_at DESC LIMIT ?`
	return `SELECT id FROM (` + q + `)`, append(append(args, wargs...), limit)
}
