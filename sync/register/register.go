// Package register reads and writes the citizen register as CSV: the identity data central
// checks level-2 records against. The demo station writes one beside its synthetic
// enrollments; central loads it.
package register

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wardpolice/enroll"
)

// Header is the CSV's first line.
var header = []string{"personal_id", "full_name", "date_of_birth", "gender"}

// Writer writes register entries: date of birth as yyyy-mm-dd, gender as the card prints it.
type Writer struct{ w *csv.Writer }

// NewWriter writes the header line.
func NewWriter(w io.Writer) (*Writer, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	return &Writer{cw}, nil
}

func (w *Writer) Write(e enroll.RegisterEntry) error {
	return w.w.Write([]string{string(e.PersonalID), e.FullName, e.DateOfBirth.ISO(), e.Gender.CardWord()})
}

// Close flushes.
func (w *Writer) Close() error {
	w.w.Flush()
	return w.w.Error()
}

// Read parses a register CSV, calling fn for each entry. A bad line stops the read with an
// error that names the line and the field.
func Read(r io.Reader, fn func(enroll.RegisterEntry) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	cr.ReuseRecord = true
	first, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("register: empty file, want a header line " + strings.Join(header, ","))
	}
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	for i, h := range header {
		if strings.TrimSpace(strings.TrimPrefix(first[i], "\ufeff")) != h {
			return fmt.Errorf("register: line 1: column %d is %q, want %q (header %s)", i+1, first[i], h, strings.Join(header, ","))
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		line, _ := cr.FieldPos(0)
		e, err := parse(rec)
		if err != nil {
			return fmt.Errorf("register: line %d: %w", line, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

func parse(rec []string) (enroll.RegisterEntry, error) {
	var e enroll.RegisterEntry
	var err error
	if e.PersonalID, err = enroll.ParsePersonalID(rec[0]); err != nil {
		return e, err
	}
	if e.FullName, err = enroll.NormalizeName(rec[1]); err != nil {
		return e, err
	}
	if e.DateOfBirth, err = enroll.ParseDate(enroll.FieldDateOfBirth, rec[2]); err != nil {
		return e, err
	}
	if e.Gender, err = enroll.ParseGender(rec[3]); err != nil {
		return e, err
	}
	return e, nil
}
