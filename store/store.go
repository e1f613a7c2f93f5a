// Package store keeps the station's records in one SQLite database file: officers, settings
// and enrollments with their images. Every change is one transaction; the database runs in
// WAL mode with synchronous=FULL so that a record reported saved survives a power cut.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/wardpolice/enroll"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an open station database.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
	kdf  PasswordParams
	// afterKDF runs after each password key derivation (WithAfterKeyDerivation).
	afterKDF func()
	bulk     bool
	// lockAfter failed logins in a row lock the account for lockFor.
	lockAfter int
	lockFor   time.Duration
	// k holds the data key between a login and Lock.
	mu sync.Mutex
	k  *keys
	// audit is the keyed audit's state in this process (auditkey.go).
	audit auditState
	// purgePending is set while purged data may still sit in the WAL: a truncating
	// checkpoint found readers in the way. The checkpointer retries until one succeeds.
	purgePending atomic.Bool
	purgeRetry   time.Duration
	// maxPages, when set, caps the file (withMaxPages); readOnly opens it read-only.
	maxPages int
	readOnly bool
	// ckpt serialises this process's checkpoints. SQLite refuses a checkpoint while another
	// runs, at once and without the busy handler: a save's truncating checkpoint that met the
	// background pass failed, and under the demo's saves the WAL grew to 142 MB.
	ckpt sync.Mutex
	// wrote wakes the checkpointer after a commit; stop ends it.
	wrote chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

// Option adjusts how the store is opened.
type Option func(*Store)

// WithClock replaces the wall clock, for tests and for the demo generator.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithPasswordParams sets the argon2id cost for new password hashes.
func WithPasswordParams(p PasswordParams) Option { return func(s *Store) { s.kdf = p } }

// WithAfterKeyDerivation runs done after each derivation of a password's key, when the 64 MiB
// argon2id filled are garbage: the station's window hands them back to the system there
// (issue 19). Short-lived commands and tests leave the runtime to it.
func WithAfterKeyDerivation(done func()) Option { return func(s *Store) { s.afterKDF = done } }

// WithLockout sets how many failed logins in a row lock an account, and for how long
// (default 5 and 15 minutes).
func WithLockout(attempts int, d time.Duration) Option {
	return func(s *Store) { s.lockAfter, s.lockFor = attempts, d }
}

// withReadOnly opens the file read-only, as a read-only disk or file would leave it, for tests.
func withReadOnly() Option { return func(s *Store) { s.readOnly = true } }

// withMaxPages caps the database at n pages on every connection, as a full disk would, for
// tests.
func withMaxPages(n int) Option { return func(s *Store) { s.maxPages = n } }

// withPurgeRetry shortens the retry of an unfinished purge, for tests.
func withPurgeRetry(d time.Duration) Option { return func(s *Store) { s.purgeRetry = d } }

// WithBulkLoad turns off fsync, for generating benchmark data only: a crash may lose or
// corrupt what was written. The station itself never uses it.
func WithBulkLoad() Option { return func(s *Store) { s.bulk = true } }

// Open opens (creating if needed) the database at path and brings its schema up to date.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	s := &Store{path: path, now: time.Now, kdf: DefaultPasswordParams(),
		lockAfter:  enroll.NumericSettingDefault(enroll.SettingLockAttempts),
		lockFor:    time.Duration(enroll.NumericSettingDefault(enroll.SettingLockMinutes)) * time.Minute,
		purgeRetry: defaultPurgeRetry}
	for _, o := range opts {
		o(s)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	if s.bulk {
		q.Set("_synchronous", "OFF")
	}
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	q.Set("_txlock", "immediate")
	if s.readOnly {
		q.Set("mode", "ro")
	}
	// Auto-checkpoints run inside whichever commit crosses the WAL threshold, copying megabytes
	// of images and syncing the database file while the officer waits for "saved". They are
	// off on every connection; checkpoint() does the work in the background instead.
	// secure_delete overwrites deleted rows and freed pages with zeros, so purged records
	// do not linger in the file's free space.
	// record_code fills in the codes of records saved before codes existed in one statement
	// (backfillCodes): row by row from Go, 200 000 records took seconds.
	drv := &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if err := c.RegisterFunc("record_code", enroll.RecordCode, true); err != nil {
			return err
		}
		// journal_size_limit: a WAL restarted after a checkpoint is cut back to the budget
		// rather than kept at the largest size it ever reached.
		_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = 0; PRAGMA secure_delete = ON; PRAGMA journal_size_limit = %d",
			checkpointWALMax), nil)
		if err == nil && s.maxPages > 0 {
			_, err = c.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", s.maxPages), nil)
		}
		return err
	}}
	// Sealed data, the audit trail and the station's client key: readable by the station's
	// user only, also in a file an earlier build created with wider permissions.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return nil, fmt.Errorf("open database %s: it is readable by others and cannot be made private: %w", p, err)
			}
		}
	}
	db := sql.OpenDB(connector{drv: drv, dsn: "file:" + path + "?" + q.Encode()})
	s.db = db
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, dbFault(err))
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database %s: %w", path, dbFault(err))
	}
	if err := s.backfillCodes(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database %s: %w", path, err)
	}
	// A purge that could not empty the WAL before the station stopped is finished now.
	if v, err := s.Setting(ctx, settingPurgeWALPending); err == nil && v != "" {
		s.purgePending.Store(true)
	}
	s.wrote, s.stop, s.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go s.checkpointer()
	return s, nil
}

type connector struct {
	drv *sqlite3.SQLiteDriver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

// Checkpoint pacing: wait for writes to pause so the checkpoint's own fsyncs do not queue
// behind or ahead of a commit's, unless the WAL has grown by checkpointStep meanwhile.
const (
	checkpointQuiet = 500 * time.Millisecond
	// checkpointStep is how much the WAL may grow under writes that do not pause before the
	// checkpointer copies it anyway. What it leaves uncopied is what the writer that finds
	// the WAL past checkpointWALTrigger must copy inside its own save (inTx): with 32 MB
	// left to copy, that save took 140-1500 ms on the 2-core VM; with a few MB, tens of ms.
	checkpointStep   = 4 << 20
	checkpointWALMax = 64 << 20
	// checkpointWALTrigger is the WAL size at which the checkpointer stops waiting for a
	// pause in writes: half the budget, so that what is committed while it copies still
	// fits under it.
	checkpointWALTrigger = checkpointWALMax / 2
	// checkpointWALForce is where the writer waits for a full checkpoint.
	checkpointWALForce = checkpointWALMax * 3 / 4
	// busyTimeout is how long a statement waits for another connection's write lock.
	busyTimeout = 10 * time.Second
	// defaultPurgeRetry is how often a purge whose data is still in the WAL tries again.
	defaultPurgeRetry = 5 * time.Second
)

// checkpointer copies committed WAL pages into the database file after writes, off the
// commit path. PASSIVE never blocks the next commit; a truncating checkpoint on Close leaves
// a small WAL behind.
func (s *Store) checkpointer() {
	defer close(s.done)
	for {
		var retry <-chan time.Time
		if s.purgePending.Load() {
			retry = time.After(s.purgeRetry)
		}
		select {
		case <-s.stop:
			return
		case <-s.wrote:
		case <-retry:
			s.finishPurge(context.Background())
			continue
		}
		mark := s.walSize()
		for s.walSize() < checkpointWALTrigger && s.writesContinue(mark+checkpointStep) {
		}
		if s.stopping() {
			return
		}
		// A PASSIVE checkpoint never blocks a commit. Under writes that do not pause (the demo
		// generator, a bulk import) it never catches up, and the WAL only restarts once a
		// checkpoint has: past checkpointWALTrigger the next writer empties it (inTx). A
		// truncating checkpoint here would only wait for the write lock the writer keeps
		// taking, and hold off the writer's own.
		if _, _, _, err := s.checkpoint(context.Background(), s.db, "PASSIVE"); err != nil && s.db.Ping() != nil {
			return
		}
		if s.purgePending.Load() {
			s.finishPurge(context.Background())
		}
	}
}

// writesContinue waits checkpointQuiet and reports whether another commit came meanwhile.
// It sleeps in short steps rather than waiting on a timer channel (channel timers fire late
// on some VMs), and gives up early when the store is closing or the WAL reaches grownTo.
func (s *Store) writesContinue(grownTo int64) bool {
	for range 10 {
		time.Sleep(checkpointQuiet / 10)
		if s.stopping() || s.walSize() >= grownTo {
			return false
		}
	}
	select {
	case <-s.wrote:
		return true
	default:
		return false
	}
}

// checkpoint runs a checkpoint of the given mode on q (the pool, or a connection of its own)
// once no other of this process's runs; it reports SQLite's busy flag and how many WAL frames
// were logged and copied.
func (s *Store) checkpoint(ctx context.Context, q sqlRunner, mode string) (busy, logged, copied int, err error) {
	s.ckpt.Lock()
	defer s.ckpt.Unlock()
	err = q.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logged, &copied)
	return busy, logged, copied, err
}

func (s *Store) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

func (s *Store) walSize() int64 {
	fi, err := os.Stat(s.path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// committed wakes the checkpointer; a wake-up already pending covers this commit too.
func (s *Store) committed() {
	select {
	case s.wrote <- struct{}{}:
	default:
	}
}

// Close stops the checkpointer, checkpoints what is left and closes the database.
func (s *Store) Close() error {
	s.closeAudit()
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
		s.checkpoint(context.Background(), s.db, "TRUNCATE")
	}
	return s.db.Close()
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		if version == encryptionMigration {
			if err := s.refusePlainRecords(ctx); err != nil {
				return err
			}
		}
		if err := s.apply(ctx, version, name); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// encryptionMigration rebuilds the tables for sealed records.
const encryptionMigration = 4

// ErrPlainDatabase is a database set up by a pre-release build that stored records in the
// clear; it cannot be opened by this one.
var ErrPlainDatabase = errors.New("this database was set up by a pre-release station that did not encrypt records; " +
	"set up the station again with a new database file")

// refusePlainRecords stops the encryption migration from running over a database that
// already has officers: their records would have to be sealed with a key only a login could
// create, and dropping them would lose data.
func (s *Store) refusePlainRecords(ctx context.Context) error {
	var applied, officers int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, encryptionMigration).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return nil
	}
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM officers`).Scan(&officers)
	if err != nil && !strings.Contains(err.Error(), "no such table") {
		return err
	}
	if officers > 0 {
		return ErrPlainDatabase
	}
	return nil
}

// apply runs one migration unless it already ran; the check and the change are one
// transaction, so two stations processes starting at once cannot apply it twice.
func (s *Store) apply(ctx context.Context, version int, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, s.now().UnixMilli())
		return err
	})
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	switch wal := s.walSize(); {
	case wal >= checkpointWALForce:
		// The copies below did not let the WAL start over (a reader kept an old snapshot, or
		// the background pass was always running): this waits, at the cost of this one save.
		s.checkpoint(ctx, s.db, "TRUNCATE")
	case wal >= checkpointWALTrigger && s.ckpt.TryLock():
		// The WAL starts over from its beginning only when a writer finds it all copied, and
		// under writes that never pause (the demo generator, a bulk import) the checkpointer
		// is always a commit or two behind. The writer copies that little itself, so the
		// transaction it begins next writes from the WAL's start. While the background pass
		// runs it does not wait: the next save tries again.
		s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		s.ckpt.Unlock()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dbFault(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return dbFault(err)
	}
	if err := tx.Commit(); err != nil {
		return dbFault(err)
	}
	if s.wrote != nil {
		s.committed()
	}
	s.auditCommitted()
	return nil
}

// IntegrityCheck runs SQLite's own consistency check.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

// Setting reads a station setting; a missing one is "".
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting writes a station setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}
