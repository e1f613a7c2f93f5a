package receipt

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/wardpolice/enroll/assets"
)

// RecoverySheet is the paper the recovery key is kept on: it opens every record of the
// station when every supervisor password is lost, so it goes into the office safe.
type RecoverySheet struct {
	Office     string
	Station    string
	Supervisor string // who set the station up
	At         time.Time
	Key        string
	Lang       string
}

// WriteRecoveryKey renders the sheet as a one-page A4 PDF: the key large, in a fixed-width
// face so that groups line up and 0/O, 1/l are told apart, and what it is for.
func WriteRecoveryKey(w io.Writer, s RecoverySheet, t Texts) error {
	if s.Key == "" {
		return errors.New("write recovery key sheet: no key")
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.AddUTF8FontFromBytes(family, "", assets.ReceiptFont())
	pdf.AddUTF8FontFromBytes(family, "B", assets.ReceiptFontBold())
	pdf.SetTitle(t("recovery_sheet.title", nil), true)
	pdf.SetAuthor(s.Office, true)
	pdf.SetLang(s.Lang)
	pdf.AddPage()
	p := page{pdf: pdf, t: t}
	p.header(Receipt{Office: s.Office, Station: s.Station})
	p.font("B", 15)
	pdf.MultiCell(textWidth, 7.5, p.text("recovery_sheet.title"), "", "C", false)
	pdf.Ln(6)
	// The key is ASCII: the PDF's built-in Courier needs no embedded font.
	pdf.SetFont("Courier", "B", 18)
	pdf.MultiCell(textWidth, 10, s.Key, "1", "C", false)
	pdf.Ln(6)
	p.row("recovery_sheet.station", s.Station)
	p.row("recovery_sheet.supervisor", s.Supervisor)
	p.row("recovery_sheet.made_at", s.At.Format("02/01/2006 15:04"))
	pdf.Ln(4)
	for _, key := range []string{"recovery_sheet.what", "recovery_sheet.keep", "recovery_sheet.use"} {
		p.font("", 10.5)
		pdf.MultiCell(textWidth, 5.5, p.text(key), "", "L", false)
		pdf.Ln(2)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write recovery key sheet: %w", err)
	}
	return nil
}
