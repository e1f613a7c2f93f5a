package store

import (
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"

	"github.com/wardpolice/enroll"
)

// What the disk or the file can do to a station, named so that the officer is told what
// happened and what to do instead of SQLite's words: a full disk, a file that cannot be
// written, a damaged file. A write that fails so is rolled back whole: what was saved before
// stays as it was, and the screen keeps what the officer entered.

// dbFault gives a failed database operation the domain error that says what went wrong,
// keeping SQLite's own error wrapped for the log.
func dbFault(err error) error {
	var e sqlite3.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	// Named once: an error a transaction's body already named comes through inTx again.
	for _, named := range []error{enroll.ErrDiskFull, enroll.ErrDatabaseReadOnly, enroll.ErrDatabaseDamaged} {
		if errors.Is(err, named) {
			return err
		}
	}
	switch e.Code {
	case sqlite3.ErrFull:
		return fmt.Errorf("%w (%w)", enroll.ErrDiskFull, err)
	case sqlite3.ErrReadonly, sqlite3.ErrCantOpen, sqlite3.ErrPerm:
		return fmt.Errorf("%w (%w)", enroll.ErrDatabaseReadOnly, err)
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return fmt.Errorf("%w (%w)", enroll.ErrDatabaseDamaged, err)
	}
	return err
}
