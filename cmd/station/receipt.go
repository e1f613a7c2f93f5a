package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/ui"
	"github.com/wardpolice/enroll/ui/receipt"
)

// vietnam is the zone receipts show times in. Vietnam has kept UTC+7 without daylight saving
// since 1975, so a fixed zone is exact and needs no time zone database on the machine.
var vietnam = time.FixedZone("ICT", 7*3600)

// runReceipt: `station receipt CODE --out FILE.pdf --user U` writes a saved record's receipt again, for
// a citizen who lost theirs or an office whose printer was down when the record was saved.
func runReceipt(args []string, in io.Reader, out io.Writer) error {
	var path, lang *string
	fs, db, user, pos, err := syncFlags("receipt", "officer who prints it, required: the print is audited under this name ("+passwordFrom+")", args, out,
		func(fs *flag.FlagSet) {
			path = fs.String("out", "", "PDF file to write")
			lang = fs.String("lang", ui.LangVI, "language of the receipt (vi or en)")
		})
	if err != nil {
		return err
	}
	// Everything the command line can get wrong is said before the password is asked for.
	if len(pos) != 1 {
		return fs.Mistake("name the record, one, by its code as on its screen or an earlier receipt, or by its id (station records --user NAME lists both): station receipt K7Q-M3X-D9A --out FILE.pdf --user NAME")
	}
	code, byID := recordArg(pos[0])
	switch {
	case code == "":
		return fs.Mistake("%q is not a record code: nine letters and digits, e.g. K7Q-M3X-D9A, or a record's id (station records lists both)", pos[0])
	case *path == "":
		return fs.Mistake("say where to write it: --out FILE.pdf")
	case *user == "":
		return fs.Mistake("say who prints it: --user NAME (the print is audited)")
	case *lang != ui.LangVI && *lang != ui.LangEN:
		return fs.Mistake("--lang %q: vi or en", *lang)
	}
	tr, err := ui.NewTranslator(assets.Translations(), *lang)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	ctx := context.Background()
	st, _, _, err := session(ctx, "receipt", *db, *user, in, out, false)
	if err != nil {
		return err
	}
	defer st.Close()
	id := byID
	if id == "" {
		if id, err = findByCode(ctx, st, code); err != nil {
			return fmt.Errorf("receipt: %w", err)
		}
	}
	e, err := st.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	switch e.Status {
	case enroll.StatusDraft:
		return fmt.Errorf("receipt: record %s is not saved yet: finish it in the station's window first (a receipt is for a saved application)", code)
	case enroll.StatusPurged:
		return fmt.Errorf("receipt: record %s was purged: central confirmed it and its personal data was deleted from this station; the citizen follows it in the VNeID app", code)
	}
	r, err := receiptOf(ctx, st, e)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	r.Lang = tr.Lang()
	// Rendered in memory first, so a failure leaves no half-written file behind; the file
	// holds the citizen's personal data, so it is the officer's alone.
	var buf bytes.Buffer
	if err := receipt.Write(&buf, r, tr.F); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if err := os.WriteFile(*path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if err := st.Audit(ctx, *user, enroll.ActionReceiptPrint, e.ID, "written to "+*path); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	fmt.Fprintf(out, "receipt for record %s written to %s\n", r.Code, *path)
	return nil
}

// recordArg reads the record the officer named: a code as typed (any case, dashes or not), or
// the record's full id, which is how one of two records sharing a code is named. It returns
// the canonical code, and the id when one was given; an empty code when it is neither.
func recordArg(s string) (code, id string) {
	if c, ok := enroll.ParseRecordCode(s); ok {
		return c, ""
	}
	if u, err := uuid.Parse(strings.TrimSpace(s)); err == nil {
		return enroll.RecordCode(u.String()), u.String()
	}
	return "", ""
}

// findByCode finds the one record with the code. Two of a station's records seldom share one
// (about 1 in 1 800 among 200 000 records); when they do, both are listed with the ids that
// tell them apart.
func findByCode(ctx context.Context, st *store.Store, code string) (string, error) {
	found, err := st.ByCode(ctx, code)
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no record on this station has the code %s (check it letter by letter; a record made at another station is not here)", code)
	case 1:
		return found[0].ID, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d records share the code %s; name the right one by its id instead of the code:", len(found), code)
	for _, s := range found {
		fmt.Fprintf(&b, "\n  %s  %s  %s, created %s", s.ID, s.FullName, s.PersonalID, s.CreatedAt.In(vietnam).Format("02/01/2006 15:04"))
	}
	return "", errors.New(b.String())
}

// receiptOf fills a receipt from the record and the station's settings and accounts, the
// time in Vietnam's zone.
func receiptOf(ctx context.Context, st *store.Store, e *enroll.Enrollment) (receipt.Receipt, error) {
	office, err := st.Setting(ctx, enroll.SettingOffice)
	if err != nil {
		return receipt.Receipt{}, err
	}
	station, err := st.Setting(ctx, enroll.SettingStation)
	if err != nil {
		return receipt.Receipt{}, err
	}
	officers, err := st.Officers(ctx)
	if err != nil {
		return receipt.Receipt{}, err
	}
	return receipt.ForRecord(e, office, station, officers, vietnam), nil
}
