package ui

import (
	"context"
	"image"
	"strings"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// identifyStep takes the citizen's identity from the CCCD's QR code (a keyboard-wedge scanner
// types the code's text and Enter into the focused field) or from typing, validating as the
// officer types.
type identifyStep struct {
	w                                        *wizard
	qr, id, oldID, name, dob, address, issue *widget.Entry
	gender                                   *widget.RadioGroup
	qrMsg, province                          *widget.Label
	errs                                     map[enroll.Field]*widget.Label
	showAll                                  bool // after a Next attempt, empty fields show as errors too
	// Reading the card's code through the camera, for stations without a wedge scanner.
	camBtn  *widget.Button
	camView *canvas.Image
	camStop context.CancelFunc
	camBusy atomic.Bool
	// allowed is the ID number a supervisor chose to enrol anew although it has a record.
	allowed enroll.PersonalID
	// looked is the last whole ID number looked up for other records, so that the officer is
	// told once, as soon as it is typed or scanned, not at every keystroke after.
	looked enroll.PersonalID
	// shown is the duplicate dialog while it is open: Next pressed under it does not stack a
	// second one.
	shown dialog.Dialog
}

func newIdentifyStep(w *wizard) *identifyStep {
	st := &identifyStep{w: w}
	st.qr, st.id, st.oldID = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	st.name, st.dob, st.address, st.issue = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	st.gender = widget.NewRadioGroup(nil, nil)
	st.gender.Horizontal = true
	if w.e.Citizen.PersonalID != "" {
		st.fill(w.e.Citizen.Form())
	}
	st.errs = map[enroll.Field]*widget.Label{}
	for _, fl := range []enroll.Field{enroll.FieldPersonalID, enroll.FieldOldID, enroll.FieldFullName,
		enroll.FieldDateOfBirth, enroll.FieldGender, enroll.FieldAddress, enroll.FieldIssueDate} {
		st.errs[fl] = errorLabel()
	}
	st.qrMsg = widget.NewLabel("")
	st.qrMsg.Wrapping = fyne.TextWrapWord
	st.province = widget.NewLabel("")
	for _, e := range []*widget.Entry{st.id, st.oldID, st.name, st.dob, st.address, st.issue} {
		e.OnChanged = func(string) { st.validate() }
	}
	st.qr.OnSubmitted = func(text string) { st.scan(text) }
	// A scan that lands in the ID field (the officer clicked there first) still works.
	st.id.OnSubmitted = func(text string) {
		if strings.Count(text, "|") >= 5 {
			st.scan(text)
		}
	}
	return st
}

// genderOption maps the radio's labels, which follow the language, to genders.
func (st *identifyStep) genderOption(g enroll.Gender) string { return st.w.s.tr.W(g) }

func (st *identifyStep) selectedGender() enroll.Gender {
	for _, g := range []enroll.Gender{enroll.Male, enroll.Female} {
		if st.gender.Selected == st.genderOption(g) {
			return g
		}
	}
	return enroll.GenderUnknown
}

func (st *identifyStep) view() fyne.CanvasObject {
	tr := st.w.s.tr
	keep := st.selectedGender()
	if st.w.e.Citizen.Gender != enroll.GenderUnknown && keep == enroll.GenderUnknown {
		keep = st.w.e.Citizen.Gender
	}
	st.gender.Options = []string{st.genderOption(enroll.Male), st.genderOption(enroll.Female)}
	st.gender.OnChanged = nil
	st.gender.SetSelected(st.genderOption(keep))
	if keep == enroll.GenderUnknown {
		st.gender.SetSelected("")
	}
	st.gender.OnChanged = func(string) { st.validate() }
	st.qr.SetPlaceHolder(tr.T("identify.qr_hint"))
	st.id.SetPlaceHolder("001087012345")
	st.dob.SetPlaceHolder(tr.T("identify.date_hint"))
	st.issue.SetPlaceHolder(tr.T("identify.date_hint"))
	st.oldID.SetPlaceHolder(tr.T("identify.optional"))

	item := func(f enroll.Field, obj fyne.CanvasObject, extra ...fyne.CanvasObject) *widget.FormItem {
		return widget.NewFormItem(tr.T("field."+string(f)), container.NewVBox(append([]fyne.CanvasObject{obj, st.errs[f]}, extra...)...))
	}
	scanBox := container.NewVBox(st.qr, st.qrMsg)
	if st.w.s.cfg.ReadQR != nil && st.w.s.cfg.Camera != nil {
		st.camBtn = widget.NewButton("", st.toggleCamera)
		st.camLabel()
		if st.camView == nil {
			st.camView = canvas.NewImageFromImage(nil)
			st.camView.FillMode = canvas.ImageFillContain
			st.camView.ScaleMode = canvas.ImageScaleFastest // see the portrait preview
			st.camView.SetMinSize(fyne.NewSize(320, 240))
			st.camView.Hide()
		}
		scanBox.Add(container.NewHBox(st.camBtn))
		scanBox.Add(container.NewHBox(st.camView))
	}
	scan := widget.NewCard(tr.T("identify.scan_title"), tr.T("identify.scan_sub"), scanBox)
	form := widget.NewForm(
		item(enroll.FieldPersonalID, st.id, st.province),
		item(enroll.FieldFullName, st.name),
		item(enroll.FieldDateOfBirth, st.dob),
		item(enroll.FieldGender, st.gender),
		item(enroll.FieldAddress, st.address),
		item(enroll.FieldIssueDate, st.issue),
		item(enroll.FieldOldID, st.oldID),
	)
	st.validate()
	return container.NewVScroll(container.NewVBox(scan, widget.NewCard(tr.T("identify.form_title"), "", form)))
}

// scan fills the form from the card's QR text.
func (st *identifyStep) scan(text string) {
	tr := st.w.s.tr
	f, err := enroll.ParseCCCDQR(text)
	st.qr.SetText("")
	if err != nil {
		st.qrMsg.Importance = widget.DangerImportance
		st.qrMsg.SetText(tr.Err(err) + "\n" + tr.T("identify.qr_retry"))
		return
	}
	st.fill(f)
	if g, err := enroll.ParseGender(f.Gender); err == nil {
		st.gender.SetSelected(st.genderOption(g))
	}
	st.qrMsg.Importance = widget.SuccessImportance
	st.qrMsg.SetText(tr.F("identify.qr_ok", map[string]any{"name": f.FullName}))
	st.validate()
}

// fill puts a form's text into the entries (the gender radio follows the language, so callers
// set it themselves).
func (st *identifyStep) fill(f enroll.CitizenForm) {
	st.id.SetText(f.PersonalID)
	st.oldID.SetText(f.OldID)
	st.name.SetText(f.FullName)
	st.dob.SetText(f.DateOfBirth)
	st.address.SetText(f.Address)
	st.issue.SetText(f.IssueDate)
}

func (st *identifyStep) form() enroll.CitizenForm {
	return enroll.CitizenForm{PersonalID: st.id.Text, OldID: st.oldID.Text, FullName: st.name.Text,
		DateOfBirth: st.dob.Text, Gender: st.selectedGender().CardWord(), Address: st.address.Text, IssueDate: st.issue.Text}
}

// validate shows each field's problem under it. Until the officer tries to go on, a field they
// have not filled in yet is not shown as an error.
func (st *identifyStep) validate() (enroll.Citizen, bool) {
	tr := st.w.s.tr
	c, errs := st.form().Validate(enroll.DateOf(st.w.s.cfg.Now()))
	filled := map[enroll.Field]bool{
		enroll.FieldPersonalID: st.id.Text != "", enroll.FieldOldID: st.oldID.Text != "",
		enroll.FieldFullName: st.name.Text != "", enroll.FieldDateOfBirth: st.dob.Text != "",
		enroll.FieldGender: st.gender.Selected != "", enroll.FieldIssueDate: st.issue.Text != "",
	}
	for f, l := range st.errs {
		msg := ""
		if e := errs.For(f); e != nil && (st.showAll || filled[f]) {
			msg = tr.FieldMessage(e)
		}
		setError(l, msg)
	}
	st.province.SetText("")
	if id, err := enroll.ParsePersonalID(st.id.Text); err == nil {
		_, name := id.Province()
		st.province.SetText(tr.F("identify.province", map[string]any{"province": name}))
		if id != st.looked {
			// The citizen may already have a record here: say so now, before the officer
			// types the rest of the form (the guard on Next still holds).
			st.looked = id
			st.duplicate(id)
		}
	}
	return c, len(errs) == 0
}

func (st *identifyStep) commit() bool {
	st.showAll = true
	c, ok := st.validate()
	if !ok {
		st.w.status.SetText(st.w.s.tr.T("wizard.fix_errors"))
		return false
	}
	if st.duplicate(c.PersonalID) {
		return false
	}
	st.w.e.Citizen = c
	return true
}

// duplicate is the guard against enrolling a citizen twice: an ID number that already has a
// record on this station (any but this one) stops the wizard with the record's status, date and
// officer, and the ways on: resume the officer's own draft, open the record, or, for a
// supervisor, start anew with a reason that goes into the audit trail. The blind index answers
// in microseconds, so it runs here.
func (st *identifyStep) duplicate(id enroll.PersonalID) bool {
	s := st.w.s
	if id == st.allowed {
		return false
	}
	found, err := s.cfg.Store.ByPersonalID(context.Background(), id)
	if err != nil {
		s.showError(err)
		return true
	}
	var others []enroll.Summary
	for _, r := range found {
		if r.ID != st.w.e.ID {
			others = append(others, r)
		}
	}
	if len(others) == 0 {
		return false
	}
	if st.shown == nil {
		st.showDuplicate(id, others)
	}
	return true
}

func (st *identifyStep) showDuplicate(id enroll.PersonalID, others []enroll.Summary) {
	s, tr := st.w.s, st.w.s.tr
	lines := container.NewVBox(widget.NewLabel(tr.T("duplicate.intro")))
	for _, r := range others {
		l := widget.NewLabel(r.FullName + "  " + string(r.PersonalID) + "\n" + tr.F("duplicate.line", map[string]any{
			"status": tr.W(r.Status), "date": r.CreatedAt.In(s.cfg.Now().Location()).Format("02/01/2006 15:04"), "officer": r.Officer}))
		l.Wrapping = fyne.TextWrapWord
		lines.Add(l)
	}
	newest := others[0]
	var d *dialog.CustomDialog
	var buttons []fyne.CanvasObject
	if newest.Status == enroll.StatusDraft && newest.Officer == s.officer.Username {
		resume := widget.NewButton(tr.T("duplicate.resume"), func() { d.Hide(); s.resume(newest.ID) })
		resume.Importance = widget.HighImportance
		buttons = append(buttons, resume)
	} else {
		buttons = append(buttons, widget.NewButton(tr.T("duplicate.open"), func() { d.Hide(); s.openRecord(newest.ID) }))
	}
	if s.officer.Role == enroll.RoleSupervisor {
		reason := newDialogEntry()
		reason.SetPlaceHolder(tr.T("duplicate.anew_reason"))
		msg := errorLabel()
		lines.Add(reason)
		lines.Add(msg)
		buttons = append(buttons, widget.NewButton(tr.T("duplicate.anew_confirm"), func() {
			why := strings.TrimSpace(reason.Text)
			if why == "" {
				setError(msg, tr.T("duplicate.reason_needed"))
				return
			}
			if err := s.cfg.Store.Audit(context.Background(), s.officer.Username, enroll.ActionDuplicateOverride,
				newest.ID, why); err != nil {
				setError(msg, tr.Err(err))
				return
			}
			d.Hide()
			st.allowed = id
			st.w.goNext()
		}))
	} else {
		note := widget.NewLabel(tr.T("duplicate.supervisor_only"))
		note.Wrapping = fyne.TextWrapWord
		lines.Add(note)
	}
	buttons = append(buttons, widget.NewButton(tr.T("dialog.close"), func() { d.Hide() }))
	d = dialog.NewCustomWithoutButtons(tr.T("duplicate.title"), lines, s.win)
	d.SetButtons(buttons)
	st.shown = d
	d.SetOnClosed(func() { st.shown = nil })
	d.Resize(fyne.NewSize(620, 320))
	d.Show()
}

func (st *identifyStep) leave() { st.stopCamera() }

func (st *identifyStep) camLabel() {
	if st.camStop != nil {
		st.camBtn.SetText(st.w.s.tr.T("identify.camera_stop"))
	} else {
		st.camBtn.SetText(st.w.s.tr.T("identify.camera_scan"))
	}
}

// toggleCamera starts or stops looking for the card's QR code in the camera's picture.
func (st *identifyStep) toggleCamera() {
	if st.camStop != nil {
		st.stopCamera()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	frames, err := st.w.s.cfg.Camera.Stream(ctx)
	if err != nil {
		cancel()
		st.qrMsg.Importance = widget.DangerImportance
		st.qrMsg.SetText(st.w.s.tr.Err(err))
		return
	}
	st.camStop = cancel
	st.camLabel()
	st.camView.Show()
	st.qrMsg.Importance = widget.MediumImportance
	st.qrMsg.SetText(st.w.s.tr.T("identify.camera_hint"))
	st.w.s.showFeed(ctx, frames, st.camView, func(img *image.RGBA) {
		text, err := st.w.s.cfg.ReadQR(img)
		if err != nil {
			return
		}
		st.w.s.do(func() {
			if ctx.Err() != nil {
				return
			}
			st.stopCamera()
			st.scan(text)
		})
	}, func() {
		st.stopCamera()
		st.qrMsg.Importance = widget.DangerImportance
		st.qrMsg.SetText(st.w.s.tr.T("camera.lost"))
	})
}

func (st *identifyStep) stopCamera() {
	if st.camStop == nil {
		return
	}
	st.camStop()
	st.camStop = nil
	st.camView.Hide()
	st.camLabel()
}

func (st *identifyStep) first() fyne.Focusable { return st.qr }
