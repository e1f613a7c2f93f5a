package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wardpolice/enroll"
)

// dbInUse is the station database file the command opened (openStore, openExisting): a fault
// of the database reported after that names the file and its folder. One command runs per
// process, so one file.
var dbInUse string

// errNotStationDB: --db names a file that is no SQLite database at all, most likely a
// mistyped path rather than a damaged station.
var errNotStationDB = errors.New("not a station database")

// checkDBPath refuses, before SQLite is asked, a database path that names a folder.
func checkDBPath(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder, not a station database file: name the file with --db, e.g. --db %s", path, filepath.Join(path, "station.db"))
	}
	return nil
}

// openFault says what an error opening the database at path means when the file is no SQLite
// file at all: SQLite calls it "not a database", and the station a damaged one.
func openFault(path string, err error) error {
	if errors.Is(err, enroll.ErrDatabaseDamaged) && !looksLikeSQLite(path) {
		return fmt.Errorf("%s is %w (it is not a SQLite file): check the --db path; nothing was changed in it", path, errNotStationDB)
	}
	return err
}

// looksLikeSQLite tells a file that starts as every SQLite database does. An empty file is a
// new database to SQLite.
func looksLikeSQLite(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true // not the question here
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	return n == 0 || bytes.Equal(head[:n], []byte("SQLite format 3\x00")[:n])
}

// explainFault says where a fault of the database lies and what to do there, in place of the
// store's general words: the disk of a full disk, and which of the file, its folder or the
// disk cannot be written. What the command was doing stays in front.
func explainFault(err error, path string) error {
	if err == nil || path == "" {
		return err
	}
	dir := filepath.Dir(path)
	var named error
	var says string
	switch {
	case errors.Is(err, enroll.ErrDiskFull):
		named = enroll.ErrDiskFull
		says = fmt.Sprintf("%v; the database is %s, on the disk holding %s (df -h %s shows its free space)", enroll.ErrDiskFull, path, dir, dir)
	case errors.Is(err, enroll.ErrDatabaseReadOnly):
		named = enroll.ErrDatabaseReadOnly
		folder := unix.Access(dir, unix.W_OK)
		switch {
		case folder == unix.EROFS:
			says = fmt.Sprintf("the disk holding %s is mounted read-only: nothing was saved; ask the technician to make it writable", dir)
		case folder != nil:
			says = fmt.Sprintf("the folder %s, which holds the database, cannot be written by this user (the station keeps its journal, %s-wal and %s-shm, beside %s): "+
				"nothing was saved; ask the technician to make the folder writable for this user", dir, filepath.Base(path), filepath.Base(path), filepath.Base(path))
		case unix.Access(path, unix.W_OK) != nil:
			says = fmt.Sprintf("the database file %s is read-only for this user: nothing was saved; ask the technician to make it writable", path)
		default:
			return err
		}
	default:
		return err
	}
	// The store's words, and SQLite's after them, are replaced; what comes before them stays.
	msg := err.Error()
	if i := strings.Index(msg, named.Error()); i >= 0 {
		says = msg[:i] + says
	}
	return &rewordedError{msg: says, err: err}
}

// rewordedError is an error said in other words, still an instance of what it wraps.
type rewordedError struct {
	msg string
	err error
}

func (e *rewordedError) Error() string { return e.msg }
func (e *rewordedError) Unwrap() error { return e.err }
