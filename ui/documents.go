package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/ui/receipt"
)

// Documents hands a PDF to the desktop: the default viewer, or the default printer. The
// station's binary wires it to xdg-open and lp; without it the screens offer only "Save as".
type Documents interface {
	Open(name string, pdf []byte) error
	Print(name string, pdf []byte) error
}

// receiptPDF renders a saved record's receipt in the officer's language.
func (s *Station) receiptPDF(e *enroll.Enrollment) ([]byte, error) {
	// Without the accounts the receipt still names the officer, by user name.
	officers, _ := s.cfg.Store.Officers(context.Background())
	r := receipt.ForRecord(e, s.office, s.code, officers, s.cfg.Now().Location())
	r.Lang = s.tr.Lang()
	var b bytes.Buffer
	if err := receipt.Write(&b, r, s.tr.F); err != nil {
		return nil, fmt.Errorf("receipt for %s: %w", e.ID, err)
	}
	return b.Bytes(), nil
}

// showReceipt offers the citizen's receipt: open it, print it, or save it as a PDF.
func (s *Station) showReceipt(e *enroll.Enrollment) {
	pdf, err := s.receiptPDF(e)
	if err != nil {
		s.showError(err)
		return
	}
	code := enroll.RecordCode(e.ID)
	name := "bien-nhan-" + code + ".pdf"
	audit := func(how string) error {
		return s.cfg.Store.Audit(context.Background(), s.officer.Username, enroll.ActionReceiptPrint, e.ID, "receipt "+how)
	}
	s.offerDocument(s.tr.F("receipt.dialog_title", map[string]any{"code": code}),
		s.tr.F("receipt.dialog_text", map[string]any{"name": e.Citizen.FullName, "code": code}), name, pdf, audit)
}

// offerDocument is the dialog that opens, prints or saves a PDF; each use is audited first
// (a paper with personal data leaves a trace).
func (s *Station) offerDocument(title, text, name string, pdf []byte, audit func(how string) error) {
	intro := widget.NewLabel(text)
	intro.Wrapping = fyne.TextWrapWord
	msg := errorLabel()
	done := widget.NewLabel("")
	do := func(how string, act func() error) func() {
		return func() {
			setError(msg, "")
			if err := audit(how); err != nil {
				setError(msg, s.tr.Err(err))
				return
			}
			if err := act(); err != nil {
				setError(msg, s.tr.Err(err))
				return
			}
			done.SetText(s.tr.T(documentHowKey(how) + "_done"))
		}
	}
	var buttons []fyne.CanvasObject
	if s.cfg.Documents != nil {
		print := widget.NewButton(s.tr.T("document.print"), do("print", func() error { return s.cfg.Documents.Print(name, pdf) }))
		print.Importance = widget.HighImportance
		buttons = append(buttons, print,
			widget.NewButton(s.tr.T("document.open"), do("open", func() error { return s.cfg.Documents.Open(name, pdf) })))
	}
	buttons = append(buttons, widget.NewButton(s.tr.T("document.save"), func() {
		save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return // cancelled
			}
			do("save", func() error {
				_, werr := io.Copy(w, bytes.NewReader(pdf))
				if cerr := w.Close(); werr == nil {
					werr = cerr
				}
				return werr
			})()
		}, s.win)
		save.SetFileName(name)
		save.SetFilter(storage.NewExtensionFileFilter([]string{".pdf"}))
		save.Show()
	}))
	d := dialog.NewCustom(title, s.tr.T("dialog.close"), container.NewVBox(intro, container.NewHBox(buttons...), done, msg), s.win)
	d.Resize(fyne.NewSize(560, 240))
	d.Show()
	s.watchInput()
}

// offerRecoverySheet prints or saves the recovery key on paper for the office safe. Each use
// is audited under the supervisor who set the station up.
func (s *Station) offerRecoverySheet(key string, sup enroll.OfficerForm) {
	var b bytes.Buffer
	err := receipt.WriteRecoveryKey(&b, receipt.RecoverySheet{Office: s.office, Station: s.code,
		Supervisor: sup.FullName + " (" + sup.Username + ")", At: s.cfg.Now(), Key: key, Lang: s.tr.Lang()}, s.tr.F)
	if err != nil {
		s.showError(err)
		return
	}
	audit := func(how string) error {
		return s.cfg.Store.Audit(context.Background(), sup.Username, enroll.ActionReceiptPrint, "", "recovery key sheet "+how)
	}
	s.offerDocument(s.tr.T("recovery_sheet.title"), s.tr.F("recovery_sheet.dialog_text", map[string]any{"station": s.code}),
		"khoa-khoi-phuc-"+s.code+".pdf", b.Bytes(), audit)
}
