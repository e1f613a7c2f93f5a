package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// showRecoveryKey shows the recovery key once, right after set-up: it is the only way back to
// the data if every password is lost, and the station never shows it again.
func (s *Station) showRecoveryKey(key string, sup enroll.OfficerForm) {
	kept := widget.NewCheck("", nil)
	s.show(func() fyne.CanvasObject {
		intro := widget.NewLabel(s.tr.T("setup.recovery_intro"))
		intro.Wrapping = fyne.TextWrapWord
		// Monospace so that groups line up and letters are told apart; the key is ASCII only.
		shown := widget.NewLabelWithStyle(key, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
		shown.SizeName = theme.SizeNameSubHeadingText
		shown.Wrapping = fyne.TextWrapBreak
		done := widget.NewButton(s.tr.T("setup.recovery_done"), func() {
			// The key must not stay where the next paste puts it (the screen says so).
			if cb := fyne.CurrentApp().Clipboard(); cb.Content() == key {
				cb.SetContent("")
			}
			s.showLogin()
		})
		done.Importance = widget.HighImportance
		kept.Text = s.tr.T("setup.recovery_kept")
		kept.OnChanged = func(on bool) {
			if on {
				done.Enable()
			} else {
				done.Disable()
			}
		}
		kept.OnChanged(kept.Checked)
		copied := widget.NewLabel("")
		copied.Wrapping = fyne.TextWrapWord
		copyKey := widget.NewButton(s.tr.T("setup.recovery_copy"), func() {
			fyne.CurrentApp().Clipboard().SetContent(key)
			copied.SetText(s.tr.T("setup.recovery_copied"))
		})
		paper := widget.NewButton(s.tr.T("setup.recovery_paper"), func() { s.offerRecoverySheet(key, sup) })
		card := widget.NewCard(s.tr.T("setup.recovery_title"), "", container.NewVBox(intro, shown,
			container.NewHBox(copyKey, paper), copied, kept, done))
		return s.centred(card)
	})
	s.win.Canvas().Focus(kept)
}

// showFirstRun sets up a new station: the office, the station code and the first supervisor.
func (s *Station) showFirstRun() {
	office, code := widget.NewEntry(), widget.NewEntry()
	user, name := widget.NewEntry(), widget.NewEntry()
	pw, confirm := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	msg := s.newFormMessage()
	var create *widget.Button
	s.show(func() fyne.CanvasObject {
		office.SetPlaceHolder(s.tr.T("setup.office_hint"))
		code.SetPlaceHolder("HN-DD-KT-01")
		user.SetPlaceHolder("lan.nt")
		// The rule is shown before the first try, not learnt from a refusal.
		password := widget.NewFormItem(s.tr.T("field.password"), pw)
		password.HintText = s.tr.F("setup.password_hint", map[string]any{"min": enroll.MinPasswordLen})
		form := widget.NewForm(
			widget.NewFormItem(s.tr.T("setup.office"), office),
			widget.NewFormItem(s.tr.T("setup.station_code"), code),
			widget.NewFormItem(s.tr.T("field.username"), user),
			widget.NewFormItem(s.tr.T("field.full_name"), name),
			password,
			widget.NewFormItem(s.tr.T("field.password_confirm"), confirm),
		)
		msg.refresh()
		create = widget.NewButton(s.tr.T("setup.create"), nil)
		create.Importance = widget.HighImportance
		create.OnTapped = func() {
			msg.clear()
			setup := enroll.StationSetup{Office: office.Text, Code: code.Text, Supervisor: enroll.OfficerForm{
				Username: user.Text, FullName: name.Text, Password: pw.Text, Confirm: confirm.Text}}.Normalize()
			if err := setup.Check(); err != nil {
				msg.fail(err)
				return
			}
			var key string
			s.submit(create, msg.fail, func() (err error) {
				key, err = s.cfg.Store.Init(context.Background(), setup)
				return err
			}, func() {
				s.office, s.code = setup.Office, setup.Code
				s.cfg.Store.Lock() // the supervisor logs in like everyone else
				s.showRecoveryKey(key, setup.Supervisor)
			})
		}
		confirm.OnSubmitted = func(string) { create.OnTapped() }
		intro := widget.NewLabel(s.tr.T("setup.intro"))
		intro.Wrapping = fyne.TextWrapWord
		card := widget.NewCard(s.tr.T("setup.title"), "", container.NewVBox(intro, form, msg.label, create))
		return s.centred(card)
	})
	s.win.Canvas().Focus(office)
}

// centred puts a card in the middle of the window with the language switch on top.
func (s *Station) centred(card fyne.CanvasObject) fyne.CanvasObject {
	top := container.NewBorder(nil, nil, nil, s.langSelect(),
		widget.NewLabelWithStyle(s.tr.T("app.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	box := fixedWidth(card, 560)
	return container.NewBorder(container.NewPadded(top), nil, nil, nil, container.NewCenter(box))
}

// showLogin asks for the officer's user name and password.
func (s *Station) showLogin() {
	s.officer = nil
	user, pw := widget.NewEntry(), widget.NewPasswordEntry()
	msg := s.newFormMessage()
	s.show(func() fyne.CanvasObject {
		msg.refresh()
		login := widget.NewButton(s.tr.T("login.submit"), nil)
		login.Importance = widget.HighImportance
		login.OnTapped = func() {
			msg.clear()
			name, pass := user.Text, pw.Text
			if strings.TrimSpace(name) == "" || pass == "" {
				msg.text("login.empty")
				return
			}
			login.Disable()
			var o enroll.Officer
			s.background(func() (err error) {
				o, err = s.cfg.Store.Authenticate(context.Background(), name, pass)
				return err
			}, func(err error) {
				login.Enable()
				pw.SetText("")
				if err != nil {
					msg.fail(err)
					s.win.Canvas().Focus(pw)
					return
				}
				s.officer = &o
				s.syncOfficer(o.Username)
				s.touch()
				s.session.limit = 0 // settings may have changed since the last login
				s.purgeExpired()
				if o.MustChange {
					s.showHome()
					s.askPasswordChange(true, s.offerDrafts)
					return
				}
				s.showHome()
				s.offerDrafts()
			})
		}
		user.OnSubmitted = func(string) { s.win.Canvas().Focus(pw) }
		pw.OnSubmitted = func(string) { login.OnTapped() }
		sub := s.office
		if s.code != "" {
			sub += " · " + s.code
		}
		form := widget.NewForm(
			widget.NewFormItem(s.tr.T("field.username"), user),
			widget.NewFormItem(s.tr.T("field.password"), pw))
		recover := widget.NewButton(s.tr.T("login.recover"), s.askRecovery)
		recover.Importance = widget.LowImportance
		card := widget.NewCard(s.tr.T("login.title"), sub, container.NewVBox(form, msg.label, login, recover))
		return s.centred(card)
	})
	s.win.Canvas().Focus(user)
}

// offerDrafts asks, right after login, whether to resume the officer's unfinished enrollment:
// after a crash or power cut the officer picks up where they were.
func (s *Station) offerDrafts() {
	drafts, err := s.cfg.Store.Drafts(context.Background(), s.officer.Username)
	if err != nil || len(drafts) == 0 {
		return
	}
	d := drafts[0]
	name := d.FullName
	if name == "" {
		name = string(d.PersonalID)
	}
	if name == "" {
		name = s.tr.T("home.unnamed")
	}
	text := s.tr.F("resume.question", map[string]any{"count": len(drafts), "name": name,
		"step": s.tr.W(d.Step), "time": d.UpdatedAt.In(s.cfg.Now().Location()).Format("15:04 02/01/2006")})
	dialog.ShowCustomConfirm(s.tr.T("resume.title"), s.tr.T("resume.yes"), s.tr.T("resume.later"),
		widget.NewLabel(text), func(yes bool) {
			if yes {
				s.resume(d.ID)
			}
		}, s.win)
}

// resume opens a draft in the wizard at the step where it was left.
func (s *Station) resume(id string) {
	e, err := s.cfg.Store.Get(context.Background(), id)
	if err == nil {
		err = s.cfg.Store.Audit(context.Background(), s.officer.Username, enroll.ActionRecordView, id, "resume draft")
	}
	if err != nil {
		s.showError(err)
		return
	}
	s.showWizard(e)
}
