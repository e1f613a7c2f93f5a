package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// recordColumn is one column of the records tables.
type recordColumn struct {
	head  string  // translation key
	width float32 // fits a 1366 px screen beside the home screen's side panel
	text  func(s *Station, r enroll.Summary) string
}

func recordColumns() []recordColumn {
	return []recordColumn{
		{"records.code", 118, func(_ *Station, r enroll.Summary) string { return enroll.RecordCode(r.ID) }},
		{"records.name", 230, func(s *Station, r enroll.Summary) string {
			switch {
			case r.Status == enroll.StatusPurged:
				return s.tr.T("home.purged_name")
			case r.FullName == "":
				return s.tr.T("home.unnamed")
			}
			return r.FullName
		}},
		{"records.personal_id", 132, func(_ *Station, r enroll.Summary) string { return string(r.PersonalID) }},
		{"records.status", 250, (*Station).statusText},
		{"records.officer", 104, func(_ *Station, r enroll.Summary) string { return r.Officer }},
		{"records.changed", 104, func(s *Station, r enroll.Summary) string {
			return r.UpdatedAt.In(s.cfg.Now().Location()).Format("15:04 02/01")
		}},
	}
}

// statusText is where a record is: its status (which says how far sync took it), the step a
// draft stopped at, and central's reason when it came back.
func (s *Station) statusText(r enroll.Summary) string {
	state := s.tr.W(r.Status)
	if r.Status == enroll.StatusDraft {
		state += " · " + s.tr.W(r.Step)
	}
	if !r.Returned.IsZero() {
		// Why central sent it back comes first: the column cuts what does not fit.
		state = s.tr.F("sync.returned_because", map[string]any{"reason": s.reason(r.Returned)}) + " · " + state
	}
	return state
}

// recordTable lists records under column headers; choosing a row opens it.
func (s *Station) recordTable(items []enroll.Summary, open func(id string)) fyne.CanvasObject {
	if len(items) == 0 {
		return widget.NewLabel(s.tr.T("home.none"))
	}
	cols := recordColumns()
	t := widget.NewTableWithHeaders(
		func() (int, int) { return len(items), len(cols) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(cols[id.Col].text(s, items[id.Row]))
		})
	t.ShowHeaderColumn = false
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Row < 0 && id.Col >= 0 {
			o.(*widget.Label).SetText(s.tr.T(cols[id.Col].head))
		}
	}
	for i, c := range cols {
		t.SetColumnWidth(i, c.width)
	}
	t.OnSelected = func(id widget.TableCellID) {
		t.UnselectAll()
		if id.Row >= 0 && id.Row < len(items) {
			open(items[id.Row].ID)
		}
	}
	return t
}

// loadTable is a table of what load finds, or the error in its place.
func (s *Station) loadTable(load func() ([]enroll.Summary, error), open func(id string)) (fyne.CanvasObject, []enroll.Summary) {
	items, err := load()
	if err != nil {
		l := widget.NewLabel(s.tr.Err(err))
		l.Importance = widget.DangerImportance
		l.Wrapping = fyne.TextWrapWord
		return l, nil
	}
	return s.recordTable(items, open), items
}

// recordsTab searches every record on the station: by ID number (or its first 6 digits or
// more), name words in any order with or without accents, phone or record code, narrowed by
// status and dates.
func (s *Station) recordsTab() fyne.CanvasObject {
	query := widget.NewEntry()
	query.SetPlaceHolder(s.tr.T("records.search_hint"))
	statuses := enroll.Statuses()
	names := []string{s.tr.T("records.any_status")}
	for _, st := range statuses {
		names = append(names, s.tr.W(st))
	}
	status := widget.NewSelect(names, nil)
	status.SetSelectedIndex(0)
	from, to := widget.NewEntry(), widget.NewEntry()
	from.SetPlaceHolder(s.tr.T("records.from"))
	to.SetPlaceHolder(s.tr.T("records.to"))
	msg := errorLabel()
	count := widget.NewLabel("")
	found := container.NewStack()
	run := func() {
		setError(msg, "")
		q := enroll.RecordQuery{Text: strings.TrimSpace(query.Text), Limit: 500}
		if i := status.SelectedIndex(); i > 0 {
			q.Status = statuses[i-1]
		}
		var err error
		if q.From, q.To, err = s.dayRange(from.Text, to.Text); err != nil {
			setError(msg, s.tr.Err(err))
			return
		}
		table, items := s.loadTable(func() ([]enroll.Summary, error) { return s.cfg.Store.Find(context.Background(), q) }, s.openRecord)
		count.SetText(s.tr.F("home.results", map[string]any{"count": len(items)}))
		found.Objects = []fyne.CanvasObject{table}
		found.Refresh()
		s.watchInput()
	}
	query.OnSubmitted = func(string) { run() }
	find := widget.NewButton(s.tr.T("records.find"), run)
	filters := container.NewBorder(nil, nil, nil, container.NewHBox(
		container.NewGridWrap(fyne.NewSize(170, status.MinSize().Height), status),
		container.NewGridWrap(fyne.NewSize(120, from.MinSize().Height), from),
		container.NewGridWrap(fyne.NewSize(120, to.MinSize().Height), to), find), query)
	return container.NewBorder(container.NewVBox(filters, msg, count), nil, nil, nil, found)
}

// recordActions are what can be done to an open record besides reading it: the receipt, a
// correction before it is sent, deleting a draft, a supervisor's review.
func (s *Station) recordActions(e *enroll.Enrollment, d dialog.Dialog) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	sup := s.officer.Role == enroll.RoleSupervisor
	if e.Status != enroll.StatusDraft && e.Status != enroll.StatusPurged {
		out = append(out, widget.NewButton(s.tr.T("receipt.button"), func() { s.showReceipt(e) }))
	}
	if e.Status == enroll.StatusComplete && (e.Officer == s.officer.Username || sup) {
		out = append(out, widget.NewButton(s.tr.T("records.correct"), func() {
			s.askReason(s.tr.T("records.correct_title"), s.tr.T("records.correct_text"), func(why string) error {
				if err := s.cfg.Store.Reopen(context.Background(), s.officer.Username, e.ID, why); err != nil {
					return err
				}
				d.Hide()
				reopened, err := s.cfg.Store.Get(context.Background(), e.ID)
				if err != nil {
					return err
				}
				// The corrected record is a new statement: the citizen confirms it again.
				reopened.Consent, reopened.ConsentAt = false, time.Time{}
				s.showWizard(reopened)
				return nil
			})
		}))
	}
	if e.Status == enroll.StatusDraft && e.Officer == s.officer.Username {
		resume := widget.NewButton(s.tr.T("records.resume"), func() {
			d.Hide()
			s.showWizard(e)
		})
		resume.Importance = widget.HighImportance
		out = append(out, resume)
	}
	if e.Status == enroll.StatusDraft && (e.Officer == s.officer.Username || sup) {
		del := widget.NewButton(s.tr.T("records.delete_draft"), func() {
			who := e.Citizen.FullName
			if who == "" {
				who = s.tr.T("home.unnamed") // a draft saved before a name was typed
			}
			text := widget.NewLabel(s.tr.F("records.delete_confirm", map[string]any{"name": who}))
			text.Wrapping = fyne.TextWrapWord
			confirm := dialog.NewCustomConfirm(s.tr.T("records.delete_draft"), s.tr.T("dialog.confirm"), s.tr.T("dialog.cancel"), text,
				func(ok bool) {
					if !ok {
						return
					}
					if err := s.cfg.Store.DeleteDraft(context.Background(), s.officer.Username, e.ID); err != nil {
						s.showError(err)
						return
					}
					d.Hide()
					s.showHome()
				}, s.win)
			confirm.Resize(fyne.NewSize(480, 200))
			confirm.Show()
		})
		del.Importance = widget.DangerImportance
		out = append(out, del)
	}
	return out
}

// askReason asks for a reason in a dialog and runs act with it; act's error stays in the
// dialog, under the field.
func (s *Station) askReason(title, text string, act func(why string) error) {
	intro := widget.NewLabel(text)
	intro.Wrapping = fyne.TextWrapWord
	reason := newDialogEntry()
	reason.SetPlaceHolder(s.tr.T("records.reason_hint"))
	msg := errorLabel()
	var d dialog.Dialog
	ok := widget.NewButton(s.tr.T("dialog.confirm"), func() {
		why := strings.TrimSpace(reason.Text)
		if why == "" {
			setError(msg, s.tr.T("records.reason_needed"))
			return
		}
		if err := act(why); err != nil {
			setError(msg, s.tr.Err(err))
			return
		}
		d.Hide()
	})
	ok.Importance = widget.HighImportance
	reason.OnSubmitted = func(string) { ok.OnTapped() }
	d = dialog.NewCustomWithoutButtons(title, container.NewVBox(intro, reason, msg,
		container.NewHBox(widget.NewButton(s.tr.T("dialog.cancel"), func() { d.Hide() }), ok)), s.win)
	d.Resize(fyne.NewSize(560, 260))
	d.Show()
	s.win.Canvas().Focus(reason)
	s.watchInput()
}
