package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardpolice/enroll/cmd/internal/cli"
	"github.com/wardpolice/enroll/sync/intake"
)

// databaseFile, in central's folder, says which database central init set the folder up with,
// so that the commands after it use the same one: a PostgreSQL URL without its password, or
// a SQLite file. A folder set up before it existed has none, and uses what --db says.
const databaseFile = "database.json"

// databaseRecord is databaseFile's content.
type databaseRecord struct {
	// Kind is "postgres" or "sqlite".
	Kind string `json:"kind"`
	// Address is the PostgreSQL URL without its password, or the SQLite file's path ("": the
	// folder's own central.db).
	Address string `json:"address"`
	// Password is true when the URL init was given had a password: it is not kept here, so
	// every command needs --db or $CENTRAL_DB with it.
	Password bool   `json:"password,omitempty"`
	Note     string `json:"note,omitempty"`
}

// checkDSN refuses a database address central cannot use: an URL of another kind would
// otherwise be taken for a SQLite file's name.
func checkDSN(dsn string) error {
	if dsn == "" || intake.IsPostgres(dsn) {
		return nil
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		return fmt.Errorf("%s:// databases are not supported: give a postgres://USER@HOST/DATABASE URL, or a SQLite file's path (default: central.db in the folder)", scheme)
	}
	return nil
}

// withoutPassword is a PostgreSQL URL without its password, and whether it had one.
func withoutPassword(dsn string) (string, bool, error) {
	u, err := neturl.Parse(dsn)
	if err != nil {
		return "", false, fmt.Errorf("the database URL does not parse: %v", maskedURLError(err))
	}
	had := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			had = true
			u.User = neturl.User(u.User.Username())
		}
	}
	if q := u.Query(); q.Has("password") {
		had = true
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String(), had, nil
}

// maskedURLError is a URL parse error without the URL (which may hold a password).
func maskedURLError(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// describeDB is how serve and init name the database: "PostgreSQL postgres://central:xxxxx@…"
// or "SQLite /srv/central/central.db".
func describeDB(dsn string) string {
	if intake.IsPostgres(dsn) {
		return "PostgreSQL " + intake.RedactDSN(dsn)
	}
	return "SQLite " + dsn
}

func readDatabaseRecord(dir string) (*databaseRecord, error) {
	data, err := os.ReadFile(filepath.Join(dir, databaseFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var r databaseRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, databaseFile), err)
	}
	return &r, nil
}

// recordDatabase writes databaseFile for the database init sets the folder up with.
func recordDatabase(dir, dsn string) (*databaseRecord, error) {
	r := &databaseRecord{Kind: "sqlite", Address: dsn}
	if intake.IsPostgres(dsn) {
		addr, had, err := withoutPassword(dsn)
		if err != nil {
			return nil, err
		}
		r.Kind, r.Address, r.Password = "postgres", addr, had
		if had {
			r.Note = "the password is not kept here: every central command needs --db or $CENTRAL_DB with it"
		}
	} else if dsn == intake.DefaultDB(dir) {
		r.Address = "" // the folder's own central.db, wherever the folder is moved
	} else if abs, err := filepath.Abs(dsn); err == nil {
		r.Address = abs
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, databaseFile), append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", databaseFile, err)
	}
	return r, nil
}

// resolveDSN is the database a command on the folder uses: --db (or $CENTRAL_DB) when given,
// else the one init recorded, else the folder's SQLite file. A folder set up for PostgreSQL
// never silently gets a new SQLite database.
func (f *flags) resolveDSN() (string, error) {
	dsn := f.dbArg()
	if err := checkDSN(dsn); err != nil {
		return "", &cli.UsageError{Err: fmt.Errorf("--db: %w", err), Help: f.Help}
	}
	r, err := readDatabaseRecord(*f.dir)
	if err != nil {
		return "", err
	}
	switch {
	case r == nil && dsn == "":
		return intake.DefaultDB(*f.dir), nil
	case r == nil, intake.IsPostgres(dsn):
		return dsn, nil
	case r.Kind == "postgres" && dsn == "" && !r.Password:
		return r.Address, nil
	case r.Kind == "postgres" && dsn == "":
		return "", &cli.UsageError{Err: fmt.Errorf("central in %s uses the PostgreSQL database %s, whose password is not kept in the folder: "+
			"give its URL with the password with --db or $CENTRAL_DB (e.g. export CENTRAL_DB='%s' with the password)",
			*f.dir, r.Address, withPlaceholder(r.Address)), Help: f.Help}
	case r.Kind == "postgres":
		if _, err := os.Stat(dsn); err != nil {
			return "", &cli.UsageError{Err: fmt.Errorf("central in %s was set up with the PostgreSQL database %s, and --db names a SQLite file, %s, that does not exist: "+
				"give the PostgreSQL URL with --db or $CENTRAL_DB (a new, empty SQLite database would hold none of central's stations and records)",
				*f.dir, r.Address, dsn), Help: f.Help}
		}
		return dsn, nil
	case dsn == "" && r.Address != "":
		return r.Address, nil
	case dsn == "":
		return intake.DefaultDB(*f.dir), nil
	}
	return dsn, nil
}

// dbArg is --db, else $CENTRAL_DB.
func (f *flags) dbArg() string {
	if *f.db != "" {
		return *f.db
	}
	return os.Getenv("CENTRAL_DB")
}

// withPlaceholder puts PASSWORD where a URL's password goes: what to type, not what it is.
func withPlaceholder(addr string) string {
	u, err := neturl.Parse(addr)
	if err != nil || u.User == nil {
		return addr
	}
	return strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":PASSWORD@", 1)
}

// errDatabaseTaken: the database init was given already holds another central's stations.
var errDatabaseTaken = errors.New("the database already belongs to another central")

// checkNewDatabase opens the database init was given before anything is created, so that a
// database that cannot be reached leaves nothing behind, and refuses one that already holds
// stations: they were provisioned by another central's CA, and could not connect to this one.
func checkNewDatabase(ctx context.Context, dsn string, takeOver bool) error {
	driver, source := "pgx", dsn
	if !intake.IsPostgres(dsn) {
		if _, err := os.Stat(dsn); errors.Is(err, os.ErrNotExist) {
			return nil // a new SQLite file: created with the folder
		} else if err != nil {
			return fmt.Errorf("database %s: %w", dsn, err)
		}
		driver, source = "sqlite3", "file:"+dsn+"?mode=ro"
	}
	d, err := sql.Open(driver, source)
	if err != nil {
		return fmt.Errorf("database %s: %w", intake.RedactDSN(dsn), err)
	}
	defer d.Close()
	if err := d.PingContext(ctx); err != nil {
		return fmt.Errorf("cannot use the database %s: %w", intake.RedactDSN(dsn), err)
	}
	tables := `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'stations'`
	if driver == "sqlite3" {
		tables = `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'stations'`
	}
	var n int
	if err := d.QueryRowContext(ctx, tables).Scan(&n); err != nil {
		return fmt.Errorf("cannot use the database %s: %w", intake.RedactDSN(dsn), err)
	}
	if n == 0 {
		return nil
	}
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM stations`).Scan(&n); err != nil {
		return fmt.Errorf("cannot use the database %s: %w", intake.RedactDSN(dsn), err)
	}
	if n == 0 || takeOver {
		return nil
	}
	return fmt.Errorf("%w: %s holds %d station(s) provisioned by another central, whose certificates this new folder's CA did not issue "+
		"(they could not connect to it). Give that central's folder with --dir instead of setting up a new one, or another database with --db; "+
		"to make the new central own this database anyway, run again with --take-over-database and then give every station a new "+
		"provisioning file (central station add CODE --reissue)", errDatabaseTaken, intake.RedactDSN(dsn), n)
}

// folderSnapshot is what a folder held before init, so that a failed init removes only what
// it created.
type folderSnapshot struct {
	dir     string
	existed bool
	entries map[string]bool
}

func snapshotFolder(dir string) folderSnapshot {
	s := folderSnapshot{dir: dir, entries: map[string]bool{}}
	list, err := os.ReadDir(dir)
	if err != nil {
		return s
	}
	s.existed = true
	for _, e := range list {
		s.entries[e.Name()] = true
	}
	return s
}

// undo removes what appeared in the folder since the snapshot (the folder too, if init made it).
func (s folderSnapshot) undo() {
	if !s.existed {
		os.RemoveAll(s.dir)
		return
	}
	list, _ := os.ReadDir(s.dir)
	for _, e := range list {
		if !s.entries[e.Name()] {
			os.RemoveAll(filepath.Join(s.dir, e.Name()))
		}
	}
}
