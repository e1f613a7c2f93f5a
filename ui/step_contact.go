package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// contactStep records how the citizen is reached (phone and/or e-mail) and which documents
// they ask to have integrated into the account.
type contactStep struct {
	w                  *wizard
	phone, email       *widget.Entry
	phoneErr, emailErr *widget.Label
	contactErr         *widget.Label
	intErr             *widget.Label
	checks             map[enroll.IntegrationKind]*widget.Check
	numbers            map[enroll.IntegrationKind]*widget.Entry
	showAll            bool
}

func newContactStep(w *wizard) *contactStep {
	st := &contactStep{w: w, phone: widget.NewEntry(), email: widget.NewEntry(),
		phoneErr: errorLabel(), emailErr: errorLabel(), contactErr: errorLabel(), intErr: errorLabel(),
		checks: map[enroll.IntegrationKind]*widget.Check{}, numbers: map[enroll.IntegrationKind]*widget.Entry{}}
	st.phone.SetText(w.e.Phone)
	st.email.SetText(w.e.Email)
	st.phone.OnChanged = func(string) { st.validate() }
	st.email.OnChanged = func(string) { st.validate() }
	for _, k := range enroll.AllIntegrationKinds() {
		num := widget.NewEntry()
		num.Disable()
		check := widget.NewCheck("", func(on bool) {
			if on {
				num.Enable()
			} else {
				num.Disable()
			}
		})
		for _, r := range w.e.Integrations {
			if r.Kind == k {
				check.SetChecked(true)
				num.SetText(r.Number)
			}
		}
		st.checks[k], st.numbers[k] = check, num
	}
	return st
}

func (st *contactStep) view() fyne.CanvasObject {
	tr := st.w.s.tr
	st.phone.SetPlaceHolder("0912 345 678")
	st.email.SetPlaceHolder("ten@example.vn")
	contact := widget.NewForm(
		widget.NewFormItem(tr.T("field.phone"), container.NewVBox(st.phone, st.phoneErr)),
		widget.NewFormItem(tr.T("field.email"), container.NewVBox(st.email, st.emailErr)),
	)
	grid := container.NewGridWithColumns(2)
	for _, k := range enroll.AllIntegrationKinds() {
		st.checks[k].Text = tr.W(k)
		st.checks[k].Refresh()
		st.numbers[k].SetPlaceHolder(tr.T("contact.number_hint"))
		grid.Add(st.checks[k])
		grid.Add(st.numbers[k])
	}
	hint := widget.NewLabel(tr.T("contact.hint"))
	hint.Wrapping = fyne.TextWrapWord
	st.validate()
	return container.NewVScroll(container.NewVBox(
		widget.NewCard(tr.T("contact.title"), "", container.NewVBox(hint, contact, st.contactErr)),
		widget.NewCard(tr.T("contact.integrations"), tr.T("contact.integrations_sub"), container.NewVBox(grid, st.intErr)),
	))
}

func (st *contactStep) requests() []enroll.IntegrationRequest {
	var rs []enroll.IntegrationRequest
	for _, k := range enroll.AllIntegrationKinds() {
		if st.checks[k].Checked {
			rs = append(rs, enroll.IntegrationRequest{Kind: k, Number: strings.TrimSpace(st.numbers[k].Text)})
		}
	}
	return rs
}

// validate shows problems live; it returns the normalised phone and e-mail when all is well.
func (st *contactStep) validate() (phone, email string, ok bool) {
	tr := st.w.s.tr
	phone, perr := enroll.NormalizePhone(st.phone.Text)
	email, eerr := enroll.NormalizeEmail(st.email.Text)
	msg := func(err error) string {
		if fe, ok := enroll.AsFieldError(err); ok {
			return tr.FieldMessage(fe)
		}
		return ""
	}
	setError(st.phoneErr, msg(perr))
	setError(st.emailErr, msg(eerr))
	cerr := enroll.CheckContact(phone, email)
	if perr != nil || eerr != nil || !st.showAll {
		setError(st.contactErr, "")
	} else {
		setError(st.contactErr, msg(cerr))
	}
	var ierr error
	for _, r := range st.requests() {
		if ierr = r.Check(); ierr != nil {
			break
		}
	}
	setError(st.intErr, msg(ierr))
	return phone, email, perr == nil && eerr == nil && cerr == nil && ierr == nil
}

func (st *contactStep) commit() bool {
	st.showAll = true
	phone, email, ok := st.validate()
	if !ok {
		st.w.status.SetText(st.w.s.tr.T("wizard.fix_errors"))
		return false
	}
	st.w.e.Phone, st.w.e.Email, st.w.e.Integrations = phone, email, st.requests()
	return true
}

func (st *contactStep) leave() {}

func (st *contactStep) first() fyne.Focusable { return st.phone }
