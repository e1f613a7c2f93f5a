package ui

import (
	"bytes"
	"image/jpeg"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// reviewStep shows everything captured, takes the citizen's consent and the officer's
// confirmation (the save button names the officer who confirms).
type reviewStep struct {
	w       *wizard
	consent *widget.Check
	msg     *widget.Label
}

func newReviewStep(w *wizard) *reviewStep {
	st := &reviewStep{w: w, msg: errorLabel()}
	st.consent = widget.NewCheck("", func(on bool) {
		if on {
			setError(st.msg, "")
		}
	})
	return st
}

// view starts the consent unticked, whatever the record held: the citizen agrees to what
// is on this screen now. A record central returned was corrected since its consent, a draft
// resumed may have changed, and after the idle lock the citizen at the counter may not be
// the one who agreed.
func (st *reviewStep) view() fyne.CanvasObject {
	tr := st.w.s.tr
	st.untick()
	st.consent.Text = tr.T("review.consent")
	st.consent.Refresh()
	consent := widget.NewCard(tr.T("review.consent_title"), "", container.NewVBox(st.consent, st.msg))
	// The consent sits in a footer under the scrolling record, just above the save button,
	// so the box Space ticks and the message about it are always where the officer looks.
	return container.NewBorder(nil, consent, nil, nil, container.NewVScroll(st.w.s.recordView(st.w.e)))
}

func (st *reviewStep) commit() bool {
	if !st.consent.Checked {
		setError(st.msg, st.w.s.tr.T("err.consent_missing"))
		st.w.status.SetText(st.w.s.tr.T("wizard.fix_errors"))
		return false
	}
	st.w.e.Consent = true
	st.w.e.ConsentAt = st.w.s.cfg.Now()
	return true
}

func (st *reviewStep) leave() {}

// resume runs when the station wakes from the idle lock on this step.
func (st *reviewStep) resume() { st.untick() }

func (st *reviewStep) untick() {
	st.consent.SetChecked(false)
	st.w.e.Consent, st.w.e.ConsentAt = false, time.Time{}
}

func (st *reviewStep) first() fyne.Focusable { return st.consent }

// recordView lays out a whole record: identity, contact, integrations, portrait, fingers.
func (s *Station) recordView(e *enroll.Enrollment) fyne.CanvasObject {
	tr := s.tr
	c := e.Citizen
	row := func(key, value string) *widget.FormItem {
		v := widget.NewLabel(value)
		v.Wrapping = fyne.TextWrapWord
		return widget.NewFormItem(tr.T(key), v)
	}
	id := string(c.PersonalID)
	if _, province := c.PersonalID.Province(); province != "" {
		id += "  (" + province + ")"
	}
	identity := widget.NewForm(
		row("field.personal_id", id),
		row("field.full_name", c.FullName),
		row("field.date_of_birth", c.DateOfBirth.String()),
		row("field.gender", tr.W(c.Gender)),
		row("field.address", c.Address),
		row("field.issue_date", c.IssueDate.String()),
		row("field.old_id", c.OldID),
	)
	var ints []string
	for _, r := range e.Integrations {
		s := tr.W(r.Kind)
		if r.Number != "" {
			s += " (" + r.Number + ")"
		}
		ints = append(ints, s)
	}
	if len(ints) == 0 {
		ints = []string{tr.T("review.none")}
	}
	contact := widget.NewForm(
		row("field.phone", e.Phone),
		row("field.email", e.Email),
		row("contact.integrations", strings.Join(ints, "; ")),
	)
	if e.ID != "" {
		contact.Append(tr.T("review.record_code"), widget.NewLabelWithStyle(enroll.RecordCode(e.ID), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		contact.Append(tr.T("review.record_id"), widget.NewLabel(e.ID))
		contact.Append(tr.T("review.status"), widget.NewLabel(tr.W(e.Status)))
	}
	if !e.Returned.IsZero() {
		why := widget.NewLabel(s.reason(e.Returned))
		why.Importance = widget.DangerImportance
		why.Wrapping = fyne.TextWrapWord
		contact.Append(tr.T("sync.central_says"), why)
	}
	var portrait fyne.CanvasObject = widget.NewLabel(tr.T("err.portrait_missing"))
	if e.Portrait != nil {
		if img, err := jpeg.Decode(bytes.NewReader(e.Portrait.JPEG)); err == nil {
			ci := canvas.NewImageFromImage(img)
			ci.FillMode = canvas.ImageFillContain
			ci.SetMinSize(fyne.NewSize(180, 240))
			portrait = ci
		}
	}
	fingers := container.NewHBox()
	for _, p := range e.FingerSet {
		var cell fyne.CanvasObject
		if f, ok := e.Finger(p); ok {
			cell = container.NewVBox(fingerThumb(f), widget.NewLabel(tr.W(p)))
		} else if x, ok := e.Exception(p); ok {
			l := widget.NewLabel(tr.W(p) + "\n" + tr.W(x.Reason) + "\n" + x.Note)
			l.Importance = widget.WarningImportance
			cell = l
		} else {
			l := widget.NewLabel(tr.W(p) + "\n" + tr.T("review.missing"))
			l.Importance = widget.DangerImportance
			cell = l
		}
		fingers.Add(cell)
	}
	top := container.NewBorder(nil, nil, nil, portrait,
		container.NewVBox(widget.NewCard(tr.T("review.identity"), "", identity), widget.NewCard(tr.T("contact.title"), "", contact)))
	return container.NewVBox(top, widget.NewCard(tr.T("review.fingers"), "", container.NewHScroll(fingers)))
}

// savedStep confirms the record is safe, gives its code and hands over the receipt: the
// citizen's next need, so it has the keyboard and the primary colour.
type savedStep struct {
	w       *wizard
	receipt *widget.Button
}

func newSavedStep(w *wizard) *savedStep { return &savedStep{w: w} }

func (st *savedStep) view() fyne.CanvasObject {
	tr := st.w.s.tr
	// The code is what the citizen reads out over the phone; the id is for other systems.
	code := widget.NewLabelWithStyle(enroll.RecordCode(st.w.e.ID), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	code.SizeName = theme.SizeNameHeadingText
	code.Selectable = true
	id := widget.NewLabel(st.w.e.ID)
	id.Selectable = true // officers copy it into other systems
	receipt := widget.NewButton(tr.T("receipt.button"), func() { st.w.s.showReceipt(st.w.e) })
	receipt.Importance = widget.HighImportance
	st.receipt = receipt
	again := widget.NewButton(tr.T("saved.new"), st.w.s.newEnrollment)
	home := widget.NewButton(tr.T("saved.home"), st.w.s.showHome)
	body := widget.NewLabel(tr.F("saved.body", map[string]any{"name": st.w.e.Citizen.FullName}))
	body.Wrapping = fyne.TextWrapWord
	card := widget.NewCard(tr.T("saved.title"), "", container.NewVBox(body,
		widget.NewForm(widget.NewFormItem(tr.T("review.record_code"), code), widget.NewFormItem(tr.T("review.record_id"), id)),
		container.NewHBox(receipt, again, home)))
	return container.NewCenter(fixedWidth(card, 620))
}

func (st *savedStep) commit() bool          { return false }
func (st *savedStep) leave()                {}
func (st *savedStep) first() fyne.Focusable { return st.receipt }
