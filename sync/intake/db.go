// Package intake is the central system's side of sync: the stations it trusts, the batches and
// records it receives (uploaded or imported from removable media), their verification against
// the citizen register, and the verdicts it reports back. One database holds it all: SQLite by
// default, PostgreSQL when several central processes share the work.
package intake

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, for --db postgres://…
	_ "github.com/mattn/go-sqlite3"
)

// db is the central database with its dialect: queries are written with ? placeholders and
// rebound to $n for PostgreSQL.
type db struct {
	*sql.DB
	postgres bool
}

// openDB opens dsn: a postgres:// URL, or a SQLite file path.
func openDB(ctx context.Context, dsn string) (*db, error) {
	d := &db{}
	var err error
	if IsPostgres(dsn) {
		d.postgres = true
		d.DB, err = sql.Open("pgx", dsn)
	} else {
		// Citizens' records and images: readable by central's user only, also in a file an
		// earlier build created with wider permissions.
		for _, p := range []string{dsn, dsn + "-wal", dsn + "-shm"} {
			if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
				if err := os.Chmod(p, 0o600); err != nil {
					return nil, fmt.Errorf("central database %s is readable by others and cannot be made private: %w", p, err)
				}
			}
		}
		d.DB, err = sql.Open("sqlite3", "file:"+dsn+"?_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate")
	}
	if err != nil {
		return nil, fmt.Errorf("open central database: %w", err)
	}
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open central database %s: %w", RedactDSN(dsn), err)
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("central database schema: %w", err)
	}
	return d, nil
}

// IsPostgres tells a PostgreSQL URL from a SQLite file's path.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// RedactDSN is a database address fit to print or log: a PostgreSQL URL's password, given
// after the user name or as ?password=, reads "xxxxx".
func RedactDSN(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(an address that does not parse)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// q rebinds ? placeholders for the dialect.
func (d *db) q(query string) string {
	if !d.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d *db) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.ExecContext(ctx, d.q(query), args...)
}

func (d *db) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return d.QueryRowContext(ctx, d.q(query), args...)
}

func (d *db) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.QueryContext(ctx, d.q(query), args...)
}

// tx wraps a transaction with the same rebinding.
type tx struct {
	*sql.Tx
	d *db
}

func (t tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.ExecContext(ctx, t.d.q(query), args...)
}

func (t tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.QueryRowContext(ctx, t.d.q(query), args...)
}

func (d *db) inTx(ctx context.Context, fn func(tx) error) error {
	t, err := d.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx{t, d}); err != nil {
		t.Rollback()
		return err
	}
	return t.Commit()
}

// schema is written once for both dialects; blob is the binary column type.
func schema(blob string) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS stations (
			code        TEXT PRIMARY KEY,
			name        TEXT NOT NULL,
			cert_sha256 TEXT NOT NULL,
			endorse_sha256 TEXT NOT NULL,
			active      INTEGER NOT NULL,
			added_at    BIGINT NOT NULL,
			removed_at  BIGINT,
			signing_key ` + blob + `,
			last_seen   BIGINT
		)`,
		// A batch central stored, known by its station and id. A sequence number is unique per
		// station and signing key: one used by one batch and claimed by another is a replay
		// (a station set up again gets a new key and counts from 1).
		`CREATE TABLE IF NOT EXISTS batches (
			station     TEXT NOT NULL REFERENCES stations (code),
			id          TEXT NOT NULL,
			seq         BIGINT NOT NULL,
			sha256      TEXT NOT NULL,
			size        BIGINT NOT NULL,
			records     INTEGER NOT NULL,
			created_at  BIGINT NOT NULL,
			received_at BIGINT NOT NULL,
			source      TEXT NOT NULL,
			signing_key ` + blob + ` NOT NULL,
			PRIMARY KEY (station, id),
			UNIQUE (station, signing_key, seq)
		)`,
		// One row per record, the newest copy central accepted (revision: its content hash). A
		// record is known by its station and id: one station cannot reach another's records.
		`CREATE TABLE IF NOT EXISTS records (
			station     TEXT NOT NULL REFERENCES stations (code),
			id          TEXT NOT NULL,
			batch_id    TEXT NOT NULL,
			revision    TEXT NOT NULL,
			personal_id TEXT NOT NULL,
			status      TEXT NOT NULL,
			reason      TEXT NOT NULL DEFAULT '',
			document    ` + blob + ` NOT NULL,
			received_at BIGINT NOT NULL,
			decided_at  BIGINT,
			PRIMARY KEY (station, id),
			FOREIGN KEY (station, batch_id) REFERENCES batches (station, id)
		)`,
		`CREATE INDEX IF NOT EXISTS records_station ON records (station, status)`,
		// One level-2 account per citizen: two central processes verifying the same citizen at
		// once cannot both succeed (VerifyPending turns the loser into already_enrolled).
		`CREATE UNIQUE INDEX IF NOT EXISTS records_one_verified ON records (personal_id) WHERE status = 'verified'`,
		`CREATE INDEX IF NOT EXISTS records_personal_id ON records (personal_id)`,
		`CREATE TABLE IF NOT EXISTS images (
			station    TEXT NOT NULL,
			record_id  TEXT NOT NULL,
			kind       TEXT NOT NULL,
			position   INTEGER NOT NULL,
			media_type TEXT NOT NULL,
			data       ` + blob + ` NOT NULL,
			PRIMARY KEY (station, record_id, kind, position),
			FOREIGN KEY (station, record_id) REFERENCES records (station, id) ON DELETE CASCADE
		)`,
		// The citizen register the records are checked against (a demo CSV is loaded here).
		`CREATE TABLE IF NOT EXISTS register (
			personal_id   TEXT PRIMARY KEY,
			full_name     TEXT NOT NULL,
			date_of_birth TEXT NOT NULL,
			gender        TEXT NOT NULL
		)`,
		// The register's reference prints, one minutiae template (minutiae.Template's own
		// format) per citizen and finger position, taken when the citizen's card was issued.
		`CREATE TABLE IF NOT EXISTS register_prints (
			personal_id TEXT NOT NULL REFERENCES register (personal_id) ON DELETE CASCADE,
			position    INTEGER NOT NULL,
			template    ` + blob + ` NOT NULL,
			PRIMARY KEY (personal_id, position)
		)`,
		// Records whose fingers an examiner must judge (review.go): the copy held, the
		// comparisons that called for it, and the examiner's decision once made.
		`CREATE TABLE IF NOT EXISTS reviews (
			station    TEXT NOT NULL,
			record_id  TEXT NOT NULL,
			revision   TEXT NOT NULL,
			flagged_at BIGINT NOT NULL,
			fingers    TEXT NOT NULL,
			decided_at BIGINT,
			decision   TEXT,
			reason     TEXT,
			examiner   TEXT,
			PRIMARY KEY (station, record_id, revision),
			FOREIGN KEY (station, record_id) REFERENCES records (station, id) ON DELETE CASCADE
		)`,
		// Every batch that reached central and what became of it, refusals included: the
		// operator's trace. It holds ids and reasons, never a batch's content.
		`CREATE TABLE IF NOT EXISTS intake_log (
			at       BIGINT NOT NULL,
			station  TEXT NOT NULL,
			batch_id TEXT NOT NULL,
			source   TEXT NOT NULL,
			outcome  TEXT NOT NULL,
			reason   TEXT NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS intake_log_batch ON intake_log (batch_id)`,
		// Every audit head a station's signed batches reported (audit.go): kept even when the
		// batch itself was refused, since a refused replay is what a rolled-back station sends.
		`CREATE TABLE IF NOT EXISTS audit_heads (
			station     TEXT NOT NULL,
			batch_id    TEXT NOT NULL,
			batch_seq   BIGINT NOT NULL,
			signing_key ` + blob + ` NOT NULL,
			audit_seq   BIGINT NOT NULL,
			mac         TEXT NOT NULL,
			received_at BIGINT NOT NULL,
			PRIMARY KEY (station, batch_id)
		)`,
	}
}

func (d *db) migrate(ctx context.Context) error {
	// One connection for the whole schema: PostgreSQL's advisory lock belongs to a session,
	// and several central processes may start at once against one database.
	conn, err := d.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	blob := "BLOB"
	if d.postgres {
		blob = "BYTEA"
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7310)`); err != nil {
			return err
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7310)`)
	}
	for _, stmt := range schema(blob) {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(strings.Fields(stmt)[:6], " "), err)
		}
	}
	return nil
}
