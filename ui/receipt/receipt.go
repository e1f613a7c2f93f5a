// Package receipt prints the paper the citizen takes home after a level-2 enrollment: who
// received the application, where and when, the record code to quote when calling the office
// (also as a QR code), what was captured and what happens next. It holds no biometric image:
// the receipt leaves the office in the citizen's pocket.
package receipt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/assets"
)

// Texts gives the receipt's words in the language wanted: the text for key with its {name}
// placeholders filled from params. ui.Translator's F is one.
type Texts func(key string, params map[string]any) string

// Excused is a finger the officer could not capture and why. The officer's free-text note is
// left out on purpose: it may describe an injury, which has no place on a paper that leaves
// the office.
type Excused struct {
	Position enroll.FingerPosition
	Reason   enroll.ExceptionReason
}

// Receipt is what the paper shows, taken from a saved enrollment.
type Receipt struct {
	Office  string    // e.g. "Công an phường Dịch Vọng"
	Station string    // station code
	Officer string    // full name of the officer who received the application
	At      time.Time // when it was received, in the zone the paper should show
	Code    string    // enroll.RecordCode of the record, "K7Q-M3X-D9A"

	FullName    string
	PersonalID  enroll.PersonalID
	DateOfBirth enroll.Date
	Phone       string
	Email       string

	Portrait        bool
	FingersCaptured int // of the fingers the record had to capture
	FingersRequired int
	Excused         []Excused
	Integrations    []enroll.IntegrationRequest

	// Lang is the language Texts speaks ("vi", "en"), written into the PDF for screen readers
	// and spell checkers.
	Lang string
}

// FromEnrollment takes what the receipt shows from a saved record. The record's time of
// completion is when the office received the application; a record saved before completion
// times were kept has only its last change. Lang is left for the caller, who chooses Texts.
func FromEnrollment(e *enroll.Enrollment, office, officerName string) Receipt {
	at := e.CompletedAt
	if at.IsZero() {
		at = e.UpdatedAt
	}
	r := Receipt{
		Office: office, Station: e.Station, Officer: officerName, At: at, Code: enroll.RecordCode(e.ID),
		FullName: e.Citizen.FullName, PersonalID: e.Citizen.PersonalID, DateOfBirth: e.Citizen.DateOfBirth,
		Phone: e.Phone, Email: e.Email,
		// A record read without its images still had its portrait taken.
		Portrait:        e.Portrait != nil,
		FingersRequired: len(e.FingerSet),
		Integrations:    append([]enroll.IntegrationRequest(nil), e.Integrations...),
	}
	for _, p := range e.FingerSet {
		if _, ok := e.Finger(p); ok {
			r.FingersCaptured++
		}
	}
	for _, x := range e.Exceptions {
		r.Excused = append(r.Excused, Excused{Position: x.Position, Reason: x.Reason})
	}
	return r
}

// ForRecord is FromEnrollment with what the station knows around the record: the officer
// named by full name from the station's accounts (by user name, should the account be gone),
// the record's station or else this one's, and the time in the zone the paper shows.
func ForRecord(e *enroll.Enrollment, office, station string, officers []enroll.Officer, zone *time.Location) Receipt {
	name := e.Officer
	for _, o := range officers {
		if o.Username == e.Officer {
			name = o.FullName
		}
	}
	r := FromEnrollment(e, office, name)
	if r.Station == "" {
		r.Station = station
	}
	r.At = r.At.In(zone)
	return r
}

// Page geometry in millimetres: A4, the paper every office printer holds, with the margins of
// Vietnamese administrative documents (Decree 30/2020: left 30-35, right 15-20, top and
// bottom 20-25), the left and top ones narrowed a little so that a receipt fits one page.
const (
	marginLeft  = 25.0
	marginRight = 20.0
	marginTop   = 15.0
	pageWidth   = 210.0
	textWidth   = pageWidth - marginLeft - marginRight
	labelWidth  = 55.0
	qrSide      = 36.0
	lineHeight  = 6.0
	family      = "NotoSans"
)

// Write renders the receipt as a one-page A4 PDF (a record with many excused fingers and
// integrations may run onto a second).
func Write(w io.Writer, r Receipt, t Texts) error {
	if r.Code == "" {
		return errors.New("write receipt: the record has no code")
	}
	// The QR code holds exactly the record code, so a phone's camera app or the office's
	// scanner reads what the citizen would otherwise read out.
	qr, err := qrcode.Encode(r.Code, qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("write receipt %s: QR code: %w", r.Code, err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AddUTF8FontFromBytes(family, "", assets.ReceiptFont())
	pdf.AddUTF8FontFromBytes(family, "B", assets.ReceiptFontBold())
	pdf.SetTitle(t("receipt.doc_title", map[string]any{"code": r.Code}), true)
	pdf.SetAuthor(r.Office, true)
	pdf.SetLang(r.Lang)
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	pdf.AddPage()

	p := page{pdf: pdf, t: t}
	p.header(r)
	p.title()
	p.codeBox(r)
	p.section("receipt.citizen")
	p.row("receipt.full_name", r.FullName)
	p.row("receipt.personal_id", string(r.PersonalID))
	p.row("receipt.date_of_birth", r.DateOfBirth.String())
	p.row("receipt.phone", r.Phone)
	p.row("receipt.email", r.Email)
	p.section("receipt.captured")
	p.captured(r)
	p.section("receipt.next")
	p.next(r)
	p.signatures(r)
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write receipt %s: %w", r.Code, err)
	}
	return nil
}

// page draws on the PDF in the receipt's language.
type page struct {
	pdf *fpdf.Fpdf
	t   Texts
}

func (p page) text(key string) string { return p.t(key, nil) }

func (p page) word(x enroll.Translatable) string { return p.t(x.TranslationKey(), nil) }

func (p page) font(style string, size float64) { p.pdf.SetFont(family, style, size) }

// header is the two columns every Vietnamese administrative paper opens with: the issuing
// office on the left, the country's name and motto on the right, each underlined by a short
// rule.
func (p page) header(r Receipt) {
	const left, right = 72.0, textWidth - 72.0
	top := p.pdf.GetY()
	p.font("B", 10.5)
	p.pdf.MultiCell(left, 5, strings.ToUpper(r.Office), "", "C", false)
	p.font("", 10)
	p.pdf.CellFormat(left, 5, p.t("receipt.station_code", map[string]any{"station": r.Station}), "", 1, "C", false, 0, "")
	leftEnd := p.pdf.GetY()
	p.rule(marginLeft+left/2, leftEnd+1, 24)

	p.pdf.SetXY(marginLeft+left, top)
	p.font("B", 10.5)
	p.pdf.CellFormat(right, 5, p.text("receipt.country"), "", 2, "C", false, 0, "")
	p.font("B", 11)
	p.pdf.CellFormat(right, 5, p.text("receipt.motto"), "", 2, "C", false, 0, "")
	rightEnd := p.pdf.GetY()
	p.rule(marginLeft+left+right/2, rightEnd+1, 50)
	p.pdf.SetXY(marginLeft, max(leftEnd, rightEnd)+8)
}

// rule draws a horizontal line of width w centred on x.
func (p page) rule(x, y, w float64) {
	p.pdf.SetLineWidth(0.3)
	p.pdf.Line(x-w/2, y, x+w/2, y)
}

func (p page) title() {
	p.font("B", 15)
	p.pdf.MultiCell(textWidth, 7.5, p.text("receipt.title"), "", "C", false)
	p.font("B", 11.5)
	p.pdf.MultiCell(textWidth, 6, p.text("receipt.subtitle"), "", "C", false)
	p.pdf.Ln(5)
}

// codeBox frames the record code, large enough to read out over the phone, beside its QR code,
// with who received the application and when.
func (p page) codeBox(r Receipt) {
	const pad = 4.0
	top := p.pdf.GetY()
	height := qrSide + 2*pad
	p.pdf.SetLineWidth(0.4)
	p.pdf.RoundedRect(marginLeft, top, textWidth, height, 2, "1234", "D")
	inner := textWidth - qrSide - 3*pad
	p.pdf.SetXY(marginLeft+pad, top+pad)
	p.font("", 10.5)
	p.pdf.CellFormat(inner, 5, p.text("receipt.code"), "", 2, "L", false, 0, "")
	p.font("B", 28)
	p.pdf.CellFormat(inner, 13, r.Code, "", 2, "L", false, 0, "")
	p.pdf.SetY(p.pdf.GetY() + 2)
	for _, kv := range [][2]string{
		{"receipt.received_at", r.At.Format("02/01/2006 15:04")},
		{"receipt.officer", r.Officer},
	} {
		p.pdf.SetX(marginLeft + pad)
		p.font("", 10.5)
		label := p.text(kv[0]) + ": "
		lw := p.pdf.GetStringWidth(label)
		p.pdf.CellFormat(lw, 6, label, "", 0, "L", false, 0, "")
		p.font("B", 10.5)
		p.pdf.CellFormat(inner-lw, 6, kv[1], "", 2, "L", false, 0, "")
	}
	p.pdf.ImageOptions("qr", marginLeft+textWidth-pad-qrSide, top+pad, qrSide, qrSide, false,
		fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.pdf.SetXY(marginLeft, top+height+4)
}

func (p page) section(key string) {
	p.pdf.Ln(2)
	p.font("B", 11.5)
	p.pdf.CellFormat(textWidth, 7, p.text(key), "B", 1, "L", false, 0, "")
	p.pdf.Ln(1.5)
}

// row is a label and its value; an empty value shows as a dash, so a blank never looks like
// something the officer forgot to fill.
func (p page) row(labelKey, value string) {
	if strings.TrimSpace(value) == "" {
		value = "—"
	}
	p.font("", 10.5)
	p.pdf.CellFormat(labelWidth, lineHeight, p.text(labelKey), "", 0, "L", false, 0, "")
	p.font("B", 10.5)
	p.pdf.MultiCell(textWidth-labelWidth, lineHeight, value, "", "L", false)
}

// captured says what was taken, never showing it: the portrait taken or not, fingers captured
// of those required, the fingers excused and why, and the documents to integrate.
func (p page) captured(r Receipt) {
	portrait := p.text("receipt.portrait_missing")
	if r.Portrait {
		portrait = p.text("receipt.portrait_taken")
	}
	p.row("receipt.portrait", portrait)
	p.row("receipt.fingers", p.t("receipt.fingers_count",
		map[string]any{"captured": r.FingersCaptured, "required": r.FingersRequired}))
	var excused []string
	for _, x := range r.Excused {
		excused = append(excused, p.t("receipt.excused_item", map[string]any{"finger": p.word(x.Position), "reason": p.word(x.Reason)}))
	}
	if len(excused) > 0 {
		p.row("receipt.excused", strings.Join(excused, "\n"))
	}
	docs := []string{p.text("receipt.none")}
	if len(r.Integrations) > 0 {
		docs = docs[:0]
	}
	for _, d := range r.Integrations {
		if n := strings.TrimSpace(d.Number); n != "" {
			docs = append(docs, p.t("receipt.integration_number", map[string]any{"kind": p.word(d.Kind), "number": n}))
		} else {
			docs = append(docs, p.word(d.Kind))
		}
	}
	p.row("receipt.integrations", strings.Join(docs, "\n"))
}

// next tells the citizen what to expect, as numbered paragraphs.
func (p page) next(r Receipt) {
	params := map[string]any{"code": r.Code, "office": r.Office}
	p.font("", 10)
	for i, key := range []string{"receipt.next_verify", "receipt.next_result", "receipt.next_code", "receipt.next_keep"} {
		num := fmt.Sprintf("%d.", i+1)
		p.pdf.CellFormat(6, 5.5, num, "", 0, "L", false, 0, "")
		p.pdf.MultiCell(textWidth-6, 5.5, p.t(key, params), "", "L", false)
	}
}

// signatures leaves room for the citizen and the officer to sign, each with the name printed
// under the space, kept together on one page.
func (p page) signatures(r Receipt) {
	const block = 34.0
	_, pageHeight := p.pdf.GetPageSize()
	_, _, _, bottom := p.pdf.GetMargins()
	if p.pdf.GetY()+6+block > pageHeight-bottom {
		p.pdf.AddPage()
	}
	p.pdf.Ln(6)
	top := p.pdf.GetY()
	half := textWidth / 2
	for i, s := range []struct{ key, name string }{{"receipt.citizen_sign", r.FullName}, {"receipt.officer_sign", r.Officer}} {
		x := marginLeft + float64(i)*half
		p.pdf.SetXY(x, top)
		p.font("B", 10.5)
		p.pdf.CellFormat(half, 5.5, p.text(s.key), "", 2, "C", false, 0, "")
		p.font("", 9.5)
		p.pdf.CellFormat(half, 5, p.text("receipt.sign_hint"), "", 2, "C", false, 0, "")
		p.pdf.SetXY(x, top+block-6)
		p.font("B", 10.5)
		p.pdf.CellFormat(half, 6, s.name, "", 2, "C", false, 0, "")
	}
}
