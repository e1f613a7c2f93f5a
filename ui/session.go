package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// session tracks input for the idle lock and keeps the screen the officer was on while the
// station is locked.
type session struct {
	lastInput time.Time
	locked    bool
	// saved is what the officer was doing: restored when they log in again.
	saved   fyne.CanvasObject
	actions []action
	rebuild func()
	// watched are the widgets whose callbacks already report input.
	watched map[fyne.CanvasObject]bool
	// limit is the idle time allowed; 0 until read from the settings.
	limit time.Duration
}

// touch records officer input: it restarts the idle countdown.
func (s *Station) touch() { s.session.lastInput = s.cfg.Now() }

// idleLimit is the station's idle_minutes setting (the default when unset or unreadable),
// read once per login or settings change rather than on every check.
func (s *Station) idleLimit() time.Duration {
	if s.session.limit == 0 {
		def := enroll.NumericSettingDefault(enroll.SettingIdleMinutes)
		m, err := s.cfg.Store.NumericSetting(context.Background(), enroll.SettingIdleMinutes, def)
		if err != nil || m <= 0 {
			m = def
		}
		s.session.limit = time.Duration(m) * time.Minute
	}
	return s.session.limit
}

// startIdleWatch checks once a second, on the UI goroutine, whether the session has been
// idle too long. It sleeps rather than waiting on a timer channel (channel timers fire late
// on some VMs) and stops with the window.
func (s *Station) startIdleWatch() {
	s.touch()
	go func() {
		for {
			time.Sleep(time.Second)
			select {
			case <-s.stopped:
				return
			default:
			}
			s.do(s.CheckIdle)
		}
	}()
}

// CheckIdle locks the session if the officer has given no input for the idle limit. It
// first looks for widgets that appeared since the last check (dialogs, lists) so that input
// to them counts.
func (s *Station) CheckIdle() {
	if s.officer == nil || s.session.locked {
		return
	}
	s.watchInput()
	if s.cfg.Now().Sub(s.session.lastInput) >= s.idleLimit() {
		s.lockSession()
	}
}

// watchInput wraps the callbacks of the widgets on screen (and in dialogs) so that using
// them counts as input. Fyne has no window-wide input hook: a focused entry takes the keys
// before the canvas sees them, so the widgets themselves report.
func (s *Station) watchInput() {
	if s.session.watched == nil {
		s.session.watched = map[fyne.CanvasObject]bool{}
	}
	var visit func(o fyne.CanvasObject)
	visit = func(o fyne.CanvasObject) {
		if o == nil || s.session.watched[o] {
			return
		}
		s.session.watched[o] = true
		switch x := o.(type) {
		case *fyne.Container:
			for _, k := range x.Objects {
				visit(k)
			}
		case *container.Scroll:
			visit(x.Content)
		case *container.Split:
			visit(x.Leading)
			visit(x.Trailing)
		case *container.AppTabs:
			for _, it := range x.Items {
				visit(it.Content)
			}
		case *widget.Card:
			visit(x.Content)
		case *widget.Form:
			for _, it := range x.Items {
				visit(it.Widget)
			}
		case *widget.Button:
			x.OnTapped = s.touching(x.OnTapped)
		case *widget.Entry:
			changed := x.OnChanged
			x.OnChanged = func(v string) {
				s.touch()
				if changed != nil {
					changed(v)
				}
			}
		case *widget.Check:
			x.OnChanged = touchingWith(s, x.OnChanged)
		case *widget.Select:
			x.OnChanged = touchingWith(s, x.OnChanged)
		case *widget.List:
			x.OnSelected = touchingWith(s, x.OnSelected)
		}
	}
	visit(s.win.Content())
	for _, o := range s.win.Canvas().Overlays().List() {
		visit(o)
	}
}

func (s *Station) touching(fn func()) func() {
	return func() {
		s.touch()
		if fn != nil {
			fn()
		}
	}
}

func touchingWith[T any](s *Station, fn func(T)) func(T) {
	return func(v T) {
		s.touch()
		if fn != nil {
			fn(v)
		}
	}
}

// lockSession hides the officer's work behind a password prompt and forgets the data key.
// The screen underneath stays as it was, so logging in again returns to it exactly.
func (s *Station) lockSession() {
	o := *s.officer
	s.session.locked = true
	s.session.saved = s.win.Content()
	s.session.actions = s.actions
	s.session.rebuild = s.rebuild
	for _, ov := range s.win.Canvas().Overlays().List() {
		ov.Hide() // dialogs would show through the lock
	}
	if s.leave != nil {
		s.leave() // no camera runs behind the lock; unlocking wakes it
	}
	s.cfg.Store.Lock()
	s.syncOfficer("")
	s.cfg.Store.Audit(context.Background(), o.Username, enroll.ActionSessionLock, "", "idle")

	pw := widget.NewPasswordEntry()
	msg := errorLabel()
	var unlock *widget.Button
	build := func() fyne.CanvasObject {
		unlock = widget.NewButton(s.tr.T("lock.unlock"), nil)
		unlock.Importance = widget.HighImportance
		unlock.OnTapped = func() {
			setError(msg, "")
			pass := pw.Text
			unlock.Disable()
			s.background(func() error {
				_, err := s.cfg.Store.Authenticate(context.Background(), o.Username, pass)
				return err
			}, func(err error) {
				unlock.Enable()
				pw.SetText("")
				switch {
				case errors.Is(err, enroll.ErrBadLogin):
					// The lock screen asks only for the password: the user name is not in doubt.
					setError(msg, s.tr.T("err.bad_password"))
					return
				case err != nil:
					setError(msg, s.tr.Err(err))
					return
				}
				s.unlockSession()
			})
		}
		pw.OnSubmitted = func(string) { unlock.OnTapped() }
		other := widget.NewButton(s.tr.T("lock.other"), func() {
			s.session.locked = false
			s.session.saved = nil
			s.rebuild = s.session.rebuild
			s.showLogin()
		})
		text := widget.NewLabel(s.tr.F("lock.text", map[string]any{"name": o.FullName, "user": o.Username}))
		text.Wrapping = fyne.TextWrapWord
		form := widget.NewForm(widget.NewFormItem(s.tr.T("field.password"), pw))
		card := widget.NewCard(s.tr.T("lock.title"), s.office, container.NewVBox(text, form, msg, unlock, other))
		return s.centred(card)
	}
	// Not show(): that would stop the work on the screen being kept.
	s.actions = nil
	s.rebuild = func() {
		s.win.SetContent(build())
		s.setMenu()
	}
	s.rebuild()
	s.win.Canvas().Focus(pw)
}

// unlockSession puts back the screen the officer left, dialogs included.
func (s *Station) unlockSession() {
	s.session.locked = false
	s.win.SetContent(s.session.saved)
	s.actions, s.rebuild = s.session.actions, s.session.rebuild
	s.setMenu()
	for _, ov := range s.win.Canvas().Overlays().List() {
		ov.Show()
	}
	s.session.saved = nil
	s.syncOfficer(s.officer.Username)
	s.touch()
	if s.wake != nil {
		s.wake()
	}
}

// Locked tells whether the idle lock is on.
func (s *Station) Locked() bool { return s.session.locked }

// askPasswordChange lets an officer choose a new password. forced: a supervisor reset it,
// and the officer may not go on before choosing their own.
func (s *Station) askPasswordChange(forced bool, then func()) {
	current, next, confirm := newDialogPasswordEntry(), newDialogPasswordEntry(), newDialogPasswordEntry()
	msg := errorLabel()
	items := []*widget.FormItem{
		widget.NewFormItem(s.tr.T("password.current"), current),
		widget.NewFormItem(s.tr.T("password.new"), next),
		widget.NewFormItem(s.tr.T("field.password_confirm"), confirm),
	}
	var d *dialog.CustomDialog
	save := widget.NewButton(s.tr.T("password.change"), nil)
	save.Importance = widget.HighImportance
	save.OnTapped = func() {
		setError(msg, "")
		user, cur, nw, conf := s.officer.Username, current.Text, next.Text, confirm.Text
		s.submit(save, s.errorIn(msg), func() error {
			return s.cfg.Store.ChangePassword(context.Background(), user, cur, nw, conf)
		}, func() {
			s.officer.MustChange = false
			d.Hide()
			if then != nil {
				then()
			}
		})
	}
	intro := widget.NewLabel(s.tr.T("password.intro"))
	if forced {
		intro.SetText(s.tr.T("password.forced"))
	}
	intro.Wrapping = fyne.TextWrapWord
	buttons := []fyne.CanvasObject{save}
	if !forced {
		buttons = append(buttons, widget.NewButton(s.tr.T("dialog.cancel"), func() { d.Hide() }))
	}
	body := container.NewVBox(intro, widget.NewForm(items...), msg, container.NewHBox(buttons...))
	d = dialog.NewCustomWithoutButtons(s.tr.T("password.title"), body, s.win)
	d.Resize(fyne.NewSize(520, 340))
	d.Show()
	s.win.Canvas().Focus(current)
}

// askRecovery opens the data with the recovery key when every supervisor password is lost:
// the key from the paper, the supervisor's user name and their new password.
func (s *Station) askRecovery() {
	key, user := newDialogEntry(), newDialogEntry()
	pw, confirm := newDialogPasswordEntry(), newDialogPasswordEntry()
	key.SetPlaceHolder("XXXX-XXXX-…")
	msg := errorLabel()
	var d *dialog.CustomDialog
	ok := widget.NewButton(s.tr.T("recovery.submit"), nil)
	ok.Importance = widget.HighImportance
	ok.OnTapped = func() {
		setError(msg, "")
		k, u, p, c := key.Text, user.Text, pw.Text, confirm.Text
		s.submit(ok, s.errorIn(msg), func() error {
			return s.cfg.Store.Recover(context.Background(), k, u, p, c)
		}, func() {
			d.Hide()
			s.cfg.Store.Lock()
			s.showLogin()
			s.inform(s.tr.T("recovery.title"), s.tr.F("recovery.done", map[string]any{"user": u}))
		})
	}
	intro := widget.NewLabel(s.tr.T("recovery.intro"))
	intro.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(s.tr.T("recovery.key"), key),
		widget.NewFormItem(s.tr.T("field.username"), user),
		widget.NewFormItem(s.tr.T("password.new"), pw),
		widget.NewFormItem(s.tr.T("field.password_confirm"), confirm))
	body := container.NewVBox(intro, form, msg,
		container.NewHBox(ok, widget.NewButton(s.tr.T("dialog.cancel"), func() { d.Hide() })))
	d = dialog.NewCustomWithoutButtons(s.tr.T("recovery.title"), body, s.win)
	d.Resize(fyne.NewSize(640, 380))
	d.Show()
}
