// Package register reads and writes the citizen register as CSV: the identity data central
// checks level-2 records against, and the reference fingerprints taken when the citizen's card
// was issued, which central compares the captured fingers with. The demo station writes one
// beside its synthetic enrollments; central loads it.
//
// The columns are personal_id, full_name, date_of_birth (yyyy-mm-dd), gender (as the card
// prints it) and, optionally, fingerprints: the reference prints as one ISO/IEC 19794-2:2005
// finger minutiae record, base64, with one view per finger (the view's finger position is
// the ISO code, 1 right thumb … 10 left little). A file of the first four columns only (an
// identity-only register) is read as before.
package register

import (
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric/minutiae"
)

// header is the CSV's first line; identityColumns of it are required.
var header = []string{"personal_id", "full_name", "date_of_birth", "gender", "fingerprints"}

const identityColumns = 4

// Entry is one citizen of the register: identity and, when the register holds them, the
// reference prints (nil when it does not).
type Entry struct {
	enroll.RegisterEntry
	Prints *minutiae.ISORecord
}

// Reference is the reference template of the finger at p, if the entry holds one.
func (e Entry) Reference(p enroll.FingerPosition) (*minutiae.Template, bool, error) {
	if e.Prints == nil {
		return nil, false, nil
	}
	for i, v := range e.Prints.Views {
		if v.Position == uint8(p) {
			t, err := e.Prints.Template(i)
			return t, err == nil, err
		}
	}
	return nil, false, nil
}

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

func (w *Writer) Write(e Entry) error {
	prints := ""
	if e.Prints != nil {
		if err := checkViews(e.Prints); err != nil {
			return fmt.Errorf("register: %s: %w", e.PersonalID, err)
		}
		b, err := e.Prints.MarshalBinary()
		if err != nil {
			return fmt.Errorf("register: %s: %w", e.PersonalID, err)
		}
		prints = base64.StdEncoding.EncodeToString(b)
	}
	return w.w.Write([]string{string(e.PersonalID), e.FullName, e.DateOfBirth.ISO(), e.Gender.CardWord(), prints})
}

// Close flushes.
func (w *Writer) Close() error {
	w.w.Flush()
	return w.w.Error()
}

// Read parses a register CSV, calling fn for each entry. A bad line stops the read with an
// error that names the line and the field.
func Read(r io.Reader, fn func(Entry) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // the header says how many: checked below
	cr.ReuseRecord = true
	first, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("register: empty file, want a header line " + strings.Join(header, ","))
	}
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if n := len(first); n != identityColumns && n != len(header) {
		return fmt.Errorf("register: line 1: %d columns, want the header %s (the last column is optional)", n, strings.Join(header, ","))
	}
	for i := range first {
		if strings.TrimSpace(strings.TrimPrefix(first[i], "\ufeff")) != header[i] {
			return fmt.Errorf("register: line 1: column %d is %q, want %q (header %s)", i+1, first[i], header[i], strings.Join(header, ","))
		}
	}
	cr.FieldsPerRecord = len(first)
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

func parse(rec []string) (Entry, error) {
	var e Entry
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
	if len(rec) > identityColumns && strings.TrimSpace(rec[identityColumns]) != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rec[identityColumns]))
		if err != nil {
			return e, fmt.Errorf("fingerprints: not base64: %w", err)
		}
		if e.Prints, err = minutiae.ParseISORecord(b); err != nil {
			return e, fmt.Errorf("fingerprints: %w", err)
		}
		if err := checkViews(e.Prints); err != nil {
			return e, fmt.Errorf("fingerprints: %w", err)
		}
	}
	return e, nil
}

// checkViews holds the reference record to what central can use: each view a finger position
// of the ten, once.
func checkViews(r *minutiae.ISORecord) error {
	seen := map[uint8]bool{}
	for i, v := range r.Views {
		if !enroll.FingerPosition(v.Position).Valid() {
			return fmt.Errorf("view %d has finger position %d, want 1 (right thumb) to 10 (left little)", i, v.Position)
		}
		if seen[v.Position] {
			return fmt.Errorf("view %d: a second view of finger position %d (%s)", i, v.Position, enroll.FingerPosition(v.Position))
		}
		seen[v.Position] = true
	}
	return nil
}
