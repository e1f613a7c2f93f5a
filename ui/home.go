package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/ui/memtrim"
)

// showHome is the officer's desk: start an enrollment, today's work, unfinished drafts,
// search, and the state of the capture devices.
func (s *Station) showHome() {
	s.show(func() fyne.CanvasObject {
		newBtn := widget.NewButton(s.tr.T("home.new"), func() { s.newEnrollment() })
		newBtn.Importance = widget.HighImportance
		logout := widget.NewButton(s.tr.T("home.logout"), s.logout)
		password := widget.NewButton(s.tr.T("password.change"), func() { s.askPasswordChange(false, nil) })
		who := widget.NewLabel(s.tr.F("home.officer", map[string]any{"name": s.officer.FullName, "role": s.officer.Role}))
		help := widget.NewButton(s.tr.T("help.title"), s.showHelp)
		bar := container.NewHBox(who, s.langSelect(), password, help)
		if s.officer.Role == enroll.RoleSupervisor {
			bar.Add(widget.NewButton(s.tr.T("admin.title"), s.showAdmin))
		}
		bar.Add(logout)
		top := container.NewBorder(nil, nil,
			container.NewVBox(heading(s.office), widget.NewLabel(s.code)),
			container.NewVBox(bar))

		todayTable, today := s.loadTable(func() ([]enroll.Summary, error) {
			return s.cfg.Store.CreatedSince(context.Background(), s.today(), 500)
		}, s.openRecord)
		draftTable, drafts := s.loadTable(func() ([]enroll.Summary, error) {
			return s.cfg.Store.Drafts(context.Background(), s.officer.Username)
		}, s.resume)
		tabs := container.NewAppTabs(
			container.NewTabItem(s.tr.F("home.today", map[string]any{"count": len(today)}), todayTable),
			container.NewTabItem(s.tr.F("home.drafts", map[string]any{"count": len(drafts)}), draftTable),
			container.NewTabItem(s.tr.T("home.search"), s.recordsTab()),
		)
		var complete, open int
		for _, r := range today {
			if r.Status == enroll.StatusDraft {
				open++
			} else {
				complete++
			}
		}
		summary := heading(s.tr.F("home.day_summary", map[string]any{"complete": complete, "drafts": open}))

		side := container.NewVBox(newBtn, summary, widget.NewSeparator(), heading(s.tr.T("home.devices")),
			s.deviceLabel("scanner"), s.deviceLabel("camera"))
		if b := s.simBanner(); b != nil {
			side.Add(b)
		}
		side.Add(widget.NewSeparator())
		side.Add(container.NewBorder(nil, nil, nil, widget.NewButton(s.tr.T("sync.open"), s.showSync), heading(s.tr.T("sync.title"))))
		side.Add(s.syncLabel())
		body := container.NewHSplit(container.NewPadded(side), tabs)
		body.Offset = 0.28
		return container.NewBorder(container.NewPadded(top), nil, nil, nil, body)
	})
	acts := []action{
		{"home.new", fyne.KeyN, fyne.KeyModifierControl, s.newEnrollment},
		{"help.title", fyne.KeyH, fyne.KeyModifierControl | fyne.KeyModifierShift, s.showHelp},
		{"sync.title", fyne.KeyS, fyne.KeyModifierControl | fyne.KeyModifierShift, s.showSync},
		{"password.change", fyne.KeyP, fyne.KeyModifierControl | fyne.KeyModifierShift, func() { s.askPasswordChange(false, nil) }},
	}
	if s.officer.Role == enroll.RoleSupervisor {
		acts = append(acts, action{"admin.title", fyne.KeyA, fyne.KeyModifierControl | fyne.KeyModifierShift, s.showAdmin})
	}
	s.setActions(append(acts, action{"home.logout", fyne.KeyL, fyne.KeyModifierControl | fyne.KeyModifierShift, s.logout})...)
}

// openRecord shows a record read-only, with what can be done to it (resume or delete a draft,
// the receipt, a correction).
func (s *Station) openRecord(id string) {
	e, err := s.cfg.Store.Get(context.Background(), id)
	if err != nil {
		s.showError(err)
		return
	}
	if err := s.cfg.Store.Audit(context.Background(), s.officer.Username, enroll.ActionRecordView, id, ""); err != nil {
		s.showError(err) // an unaudited view is not allowed
		return
	}
	// A purged record has no identity left to lay out, only its code, dates and status.
	title, body := enroll.RecordCode(e.ID), fyne.CanvasObject(widget.NewLabel(s.tr.T("record.purged")))
	if e.Status != enroll.StatusPurged {
		title, body = e.Citizen.FullName, container.NewVScroll(s.recordView(e))
		if title == "" {
			title = s.tr.T("home.unnamed")
		}
		if !e.Returned.IsZero() {
			// Why central sent it back is what the officer opened it for: above the record,
			// not at the bottom of its contact card below the fold.
			why := widget.NewLabel(s.tr.F("sync.returned_because", map[string]any{"reason": s.reason(e.Returned)}))
			why.Importance = widget.DangerImportance
			why.Wrapping = fyne.TextWrapWord
			body = container.NewBorder(why, nil, nil, nil, body)
		}
	}
	d := dialog.NewCustom(title, s.tr.T("dialog.close"), body, s.win)
	buttons := s.recordActions(e, d)
	if s.officer.Role == enroll.RoleSupervisor && e.Status != enroll.StatusDraft && e.Status != enroll.StatusPurged && !s.provisioned() {
		// On a station that does not sync, the supervisor's mark stands in for central's
		// confirmation and starts retention. A synced station waits for central's verdict:
		// a mark there could purge a record central never received.
		deliver := widget.NewButton(s.tr.T("record.mark_delivered"), nil)
		deliver.OnTapped = func() {
			if err := s.cfg.Store.MarkDelivered(context.Background(), s.officer.Username, e.ID); err != nil {
				s.showError(err)
				return
			}
			deliver.SetText(s.tr.T("record.delivered"))
			deliver.Disable()
		}
		buttons = append(buttons, deliver)
	}
	d.SetButtons(append(buttons, widget.NewButton(s.tr.T("dialog.close"), d.Hide)))
	d.Resize(fyne.NewSize(900, 640))
	d.Show()
}

// logout records the logout and returns to the login screen.
func (s *Station) logout() {
	if s.officer != nil {
		if err := s.cfg.Store.Audit(context.Background(), s.officer.Username, enroll.ActionLogout, "", ""); err != nil {
			s.showError(err)
		}
	}
	s.cfg.Store.Lock()
	s.syncOfficer("")
	s.showLogin()
	// The officer's screens, the camera's frames and the checks' buffers are garbage now;
	// the runtimes would keep their pages for minutes, and the station waits at the login
	// window the rest of the day at the figure it had on the portrait step (issue 19).
	go memtrim.Now()
}

// provisioned tells whether the station syncs with a central.
func (s *Station) provisioned() bool {
	if s.cfg.Sync == nil {
		return false
	}
	_, err := s.cfg.Sync.Bound(context.Background())
	return err == nil
}

// reason is central's reason for returning a record, in the officer's language.
func (s *Station) reason(r enroll.Reason) string {
	return s.tr.F(r.TranslationKey(), r.Params())
}
