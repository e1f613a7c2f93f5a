package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// purgeExpired runs retention after a login: records delivered longer ago than the grace
// period lose their personal data and biometrics. It runs in the background; the audit trail
// records each purge under "system".
func (s *Station) purgeExpired() {
	s.background(func() error {
		_, err := s.cfg.Store.Purge(context.Background(), "system")
		return err
	}, func(err error) {
		// Data still in the WAL is wiped by the store's own retries: nothing for the officer.
		if err != nil && !errors.Is(err, enroll.ErrPurgeUnfinished) {
			s.showError(err)
		}
	})
}

// showAdmin is the supervisor's screen: officers, the audit trail and data retention.
func (s *Station) showAdmin() {
	s.show(func() fyne.CanvasObject {
		back := widget.NewButton(s.tr.T("admin.back"), s.showHome)
		top := container.NewBorder(nil, nil, container.NewHBox(back, heading(s.tr.T("admin.title"))), s.langSelect())
		audit, loadAudit := s.auditTab()
		auditItem := container.NewTabItem(s.tr.T("admin.audit"), audit)
		tabs := container.NewAppTabs(
			container.NewTabItem(s.tr.T("admin.officers"), s.officersTab()),
			container.NewTabItem(s.tr.T("admin.review"), s.reviewTab()),
			container.NewTabItem(s.tr.T("admin.numbers"), s.numbersTab()),
			auditItem,
			container.NewTabItem(s.tr.T("admin.settings"), s.settingsTab()),
		)
		if s.cfg.Sync != nil {
			tabs.Append(container.NewTabItem(s.tr.T("admin.central"), container.NewVBox(s.syncLabel(),
				container.NewHBox(widget.NewButton(s.tr.T("sync.provision"), s.askProvision),
					widget.NewButton(s.tr.T("sync.title"), s.showSync)))))
		}
		// The trail is read (and its reading audited) only when the supervisor opens it.
		loaded := false
		tabs.OnSelected = func(it *container.TabItem) {
			if it == auditItem && !loaded {
				loaded = true
				loadAudit()
			}
		}
		return container.NewBorder(container.NewPadded(top), nil, nil, nil, tabs)
	})
	s.setActions(action{"admin.back", fyne.KeyLeft, fyne.KeyModifierAlt, s.showHome})
}

// keyAdmin is what the officers tab uses beyond Store when the station's store has it: the
// accounts' check against what the station wrote, key slots, and data key rotation.
type keyAdmin interface {
	VerifyOfficers(ctx context.Context) ([]*enroll.OfficerTampered, error)
	HasKeySlot(ctx context.Context, username string) (bool, error)
	Rekey(ctx context.Context, actor string, progress func(done, total int)) (enroll.KeyRotation, error)
	UpgradeRecovery(ctx context.Context, actor, key string) error
}

// officersTab lists the accounts with their state (and any account changed outside the
// station), adds, disables, enables and resets, and rotates the data key.
func (s *Station) officersTab() fyne.CanvasObject {
	ctx := context.Background()
	keysAdmin, _ := s.cfg.Store.(keyAdmin)
	rows := container.NewVBox()
	msg := errorLabel()
	var reload func()
	act := func(fn func() error) {
		setError(msg, "")
		if err := fn(); err != nil {
			setError(msg, s.tr.Err(err))
			return
		}
		reload()
	}
	reload = func() {
		rows.RemoveAll()
		list, err := s.cfg.Store.Officers(ctx)
		if err != nil {
			setError(msg, s.tr.Err(err))
			return
		}
		var found []*enroll.OfficerTampered
		if keysAdmin != nil {
			if found, err = keysAdmin.VerifyOfficers(ctx); err != nil {
				setError(msg, s.tr.Err(err))
			}
		}
		for _, o := range list {
			state := s.tr.T("admin.active")
			noSlot := false
			if keysAdmin != nil && !o.Disabled {
				has, err := keysAdmin.HasKeySlot(ctx, o.Username)
				noSlot = err == nil && !has
			}
			switch {
			case o.Disabled:
				state = s.tr.T("admin.disabled")
			case noSlot:
				state = s.tr.T("admin.no_slot")
			case o.MustChange:
				state = s.tr.T("admin.must_change")
			}
			line := widget.NewLabel(fmt.Sprintf("%s — %s — %s — %s", o.Username, o.FullName, s.tr.W(o.Role), state))
			toggle := widget.NewButton(s.tr.T("admin.disable"), nil)
			if o.Disabled {
				toggle.SetText(s.tr.T("admin.enable"))
			}
			user, disabled := o.Username, o.Disabled
			toggle.OnTapped = func() {
				act(func() error {
					if err := s.cfg.Store.SetDisabled(ctx, s.officer.Username, user, !disabled); err != nil {
						return err
					}
					if disabled {
						// Disabling deleted the account's key slot: its old password opens
						// nothing, so enabling asks for a new one at once.
						s.askReset(user, s.tr.T("admin.enable_reset"), reload)
					}
					return nil
				})
			}
			reset := widget.NewButton(s.tr.T("admin.reset"), func() { s.askReset(user, "", reload) })
			rows.Add(container.NewBorder(nil, nil, nil, container.NewHBox(toggle, reset), line))
		}
		for _, f := range found {
			who := f.Username
			if who == "" {
				who = s.tr.T("admin.tamper_accounts")
			}
			warn := widget.NewLabel(s.tr.F("admin.tampered", map[string]any{"user": who, "what": s.tr.T(tamperKey(f.What))}))
			warn.Importance = widget.DangerImportance
			warn.Wrapping = fyne.TextWrapWord
			rows.Add(warn)
		}
		s.watchInput()
	}
	reload()

	user, name := widget.NewEntry(), widget.NewEntry()
	pw, confirm := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	roles := []enroll.Role{enroll.RoleOfficer, enroll.RoleSupervisor}
	role := widget.NewSelect([]string{s.tr.W(roles[0]), s.tr.W(roles[1])}, nil)
	role.SetSelectedIndex(0)
	add := widget.NewButton(s.tr.T("admin.add"), nil)
	add.Importance = widget.HighImportance
	add.OnTapped = func() {
		if user.Text == "" && name.Text == "" && pw.Text == "" && confirm.Text == "" {
			return // a second click after the form was added and emptied: nothing to add
		}
		f := enroll.OfficerForm{Username: strings.TrimSpace(user.Text), FullName: name.Text, Role: roles[role.SelectedIndex()],
			Password: pw.Text, Confirm: confirm.Text}
		act(func() error {
			_, err := s.cfg.Store.CreateOfficer(ctx, s.officer.Username, f)
			if err == nil {
				for _, e := range []*widget.Entry{user, name, pw, confirm} {
					e.SetText("")
				}
			}
			return err
		})
	}
	confirm.OnSubmitted = func(string) { add.OnTapped() } // Enter in the last field adds, as in the other forms
	form := widget.NewForm(
		widget.NewFormItem(s.tr.T("field.username"), user),
		widget.NewFormItem(s.tr.T("field.full_name"), name),
		widget.NewFormItem(s.tr.T("admin.role"), role),
		widget.NewFormItem(s.tr.T("field.password"), pw),
		widget.NewFormItem(s.tr.T("field.password_confirm"), confirm))
	addCard := widget.NewCard(s.tr.T("admin.add_title"), s.tr.T("admin.add_hint"), container.NewVBox(form, add))
	body := container.NewVBox(msg, rows, addCard)
	if keysAdmin != nil {
		rekey := widget.NewButton(s.tr.T("admin.rekey"), func() { s.askRekey(keysAdmin, reload) })
		rekey.Importance = widget.DangerImportance
		about := hint(s.tr.T("admin.rekey_hint"))
		body.Add(widget.NewCard(s.tr.T("admin.rekey_title"), "", container.NewVBox(about, container.NewHBox(rekey))))
	}
	return container.NewVScroll(body)
}

// tamperKey is the translation key of what was found changed in an account.
func tamperKey(what string) string { return "admin.tamper_" + what }

// askReset lets a supervisor set a forgotten password, or a new one for an account enabled
// again (intro says why); the officer chooses their own at the next login.
func (s *Station) askReset(username, intro string, then func()) {
	pw, confirm := newDialogPasswordEntry(), newDialogPasswordEntry()
	var items []*widget.FormItem
	if intro != "" {
		l := widget.NewLabel(intro)
		l.Wrapping = fyne.TextWrapWord
		items = append(items, widget.NewFormItem("", l))
	}
	items = append(items,
		widget.NewFormItem(s.tr.T("password.new"), pw),
		widget.NewFormItem(s.tr.T("field.password_confirm"), confirm),
	)
	d := dialog.NewForm(s.tr.F("admin.reset_title", map[string]any{"user": username}), s.tr.T("dialog.save"), s.tr.T("dialog.cancel"),
		items, func(ok bool) {
			if !ok {
				return
			}
			if err := s.cfg.Store.ResetPassword(context.Background(), s.officer.Username, username, pw.Text, confirm.Text); err != nil {
				s.showError(err)
				return
			}
			s.inform(s.tr.T("admin.reset"), s.tr.F("admin.reset_done", map[string]any{"user": username}))
			then()
		}, s.win)
	d.Resize(fyne.NewSize(480, 260))
	d.Show()
}

// askRekey confirms a data key rotation and runs it in the background behind a progress
// dialog that nothing can be done past. A recovery slot from before rotation existed needs
// the recovery key first.
func (s *Station) askRekey(ka keyAdmin, then func()) {
	d := dialog.NewConfirm(s.tr.T("admin.rekey_title"), s.tr.T("admin.rekey_confirm"), func(ok bool) {
		if ok {
			s.runRekey(ka, then)
		}
	}, s.win)
	d.SetConfirmText(s.tr.T("admin.rekey_go"))
	d.SetDismissText(s.tr.T("dialog.cancel"))
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

func (s *Station) runRekey(ka keyAdmin, then func()) {
	actor := s.officer.Username
	status := widget.NewLabel(s.tr.T("admin.rekey_starting"))
	status.Wrapping = fyne.TextWrapWord
	bar := widget.NewProgressBar()
	d := dialog.NewCustomWithoutButtons(s.tr.T("admin.rekey_title"), container.NewVBox(status, bar), s.win)
	d.Resize(fyne.NewSize(480, 160))
	d.Show()
	var rep enroll.KeyRotation
	s.background(func() error {
		var err error
		rep, err = ka.Rekey(context.Background(), actor, func(done, total int) {
			s.do(func() {
				s.touch() // the rotation is the officer's work: the idle lock waits for it
				status.SetText(s.tr.F("admin.rekey_progress", map[string]any{"done": done, "total": total}))
				if total > 0 {
					bar.SetValue(float64(done) / float64(total))
				}
			})
		})
		return err
	}, func(err error) {
		d.Hide()
		if errors.Is(err, enroll.ErrRecoverySlotOld) {
			s.askRecoveryRenewal(ka, then)
			return
		}
		if err != nil {
			s.showError(err)
			then()
			return
		}
		text := s.tr.F("admin.rekey_done", map[string]any{"count": rep.Records, "generation": rep.Generation})
		if len(rep.Dropped) > 0 {
			text += "\n" + s.tr.F("admin.rekey_dropped", map[string]any{"users": strings.Join(rep.Dropped, ", ")})
		}
		if len(rep.Unreadable) > 0 {
			text += "\n" + s.tr.F("admin.rekey_unreadable", map[string]any{"count": len(rep.Unreadable)})
		}
		s.inform(s.tr.T("admin.rekey_title"), text)
		then()
	})
}

// askRecoveryRenewal asks for the recovery key to renew a recovery slot from before rotation
// existed, then starts the rotation.
func (s *Station) askRecoveryRenewal(ka keyAdmin, then func()) {
	key := newDialogPasswordEntry()
	intro := widget.NewLabel(s.tr.T("admin.rekey_recovery"))
	intro.Wrapping = fyne.TextWrapWord
	items := []*widget.FormItem{widget.NewFormItem("", intro), widget.NewFormItem(s.tr.T("recovery.key"), key)}
	d := dialog.NewForm(s.tr.T("admin.rekey_title"), s.tr.T("admin.rekey_go"), s.tr.T("dialog.cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		if err := ka.UpgradeRecovery(context.Background(), s.officer.Username, key.Text); err != nil {
			s.showError(err)
			return
		}
		s.runRekey(ka, then)
	}, s.win)
	d.Resize(fyne.NewSize(560, 280))
	d.Show()
}

// auditTab browses the trail with filters and checks its chain. Looking at the trail is
// itself recorded. The returned func loads the newest entries.
func (s *Station) auditTab() (fyne.CanvasObject, func()) {
	ctx := context.Background()
	officer, record, from, to := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	from.SetPlaceHolder(s.tr.T("identify.date_hint"))
	to.SetPlaceHolder(s.tr.T("identify.date_hint"))
	actions := enroll.AuditActions()
	labels := []string{s.tr.T("audit.all")}
	for _, a := range actions {
		labels = append(labels, s.tr.T("audit."+a))
	}
	action := widget.NewSelect(labels, nil)
	action.SetSelectedIndex(0)
	msg := errorLabel()
	count := widget.NewLabel("")
	var entries []enroll.AuditEntry
	list := widget.NewList(func() int { return len(entries) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.auditLine(entries[i])) })
	search := func() {
		setError(msg, "")
		f := enroll.AuditFilter{Officer: strings.TrimSpace(strings.ToLower(officer.Text)), RecordID: strings.TrimSpace(record.Text), Limit: 500}
		if i := action.SelectedIndex(); i > 0 {
			f.Action = actions[i-1]
		}
		var err error
		if f.From, f.To, err = s.dayRange(from.Text, to.Text); err != nil {
			setError(msg, s.tr.Err(err))
			return
		}
		entries, err = s.cfg.Store.AuditTrail(ctx, f)
		if err != nil {
			setError(msg, s.tr.Err(err))
			return
		}
		s.cfg.Store.Audit(ctx, s.officer.Username, enroll.ActionAuditView, f.RecordID, s.filterText(f))
		count.SetText(s.tr.F("audit.count", map[string]any{"count": len(entries)}))
		list.Refresh()
	}
	verify := widget.NewButton(s.tr.T("audit.verify"), func() {
		n, err := s.cfg.Store.VerifyAudit(ctx)
		if err != nil {
			s.inform(s.tr.T("audit.verify"), s.tr.T("audit.broken")+"\n"+err.Error())
			return
		}
		s.inform(s.tr.T("audit.verify"), s.tr.F("audit.intact", map[string]any{"count": n}))
	})
	apply := widget.NewButton(s.tr.T("audit.filter"), search)
	apply.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(s.tr.T("audit.officer"), officer),
		widget.NewFormItem(s.tr.T("audit.action"), action),
		widget.NewFormItem(s.tr.T("audit.record"), record),
		widget.NewFormItem(s.tr.T("audit.from"), from),
		widget.NewFormItem(s.tr.T("audit.to"), to))
	head := container.NewVBox(form, container.NewHBox(apply, verify, count), msg)
	return container.NewBorder(head, nil, nil, nil, list), search
}

func (s *Station) auditLine(e enroll.AuditEntry) string {
	line := fmt.Sprintf("#%d  %s  %s  %s", e.Seq, e.At.In(s.cfg.Now().Location()).Format("02/01/2006 15:04:05"),
		e.Officer, s.tr.T("audit."+e.Action))
	if e.RecordID != "" {
		line += "  " + e.RecordID
	}
	if d := s.auditDetail(e.Action, e.Detail); d != "" {
		line += "  (" + d + ")"
	}
	return line
}

// dayRange reads a "from" and a "to" day as an officer types them (either may be empty):
// from midnight of the first to the end of the second, in the station's time zone.
func (s *Station) dayRange(from, to string) (time.Time, time.Time, error) {
	var out [2]time.Time
	for i, text := range []string{from, to} {
		if strings.TrimSpace(text) == "" {
			continue
		}
		day, err := enroll.ParseDate(enroll.FieldDate, text)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		out[i] = time.Date(day.Year, time.Month(day.Month), day.Day, 0, 0, 0, 0, s.cfg.Now().Location())
		if i == 1 {
			out[i] = out[i].AddDate(0, 0, 1) // "to" includes that whole day
		}
	}
	return out[0], out[1], nil
}

// filterText is the audit detail of a browse: what was looked for.
func (s *Station) filterText(f enroll.AuditFilter) string {
	var parts []string
	for k, v := range map[string]string{"officer": f.Officer, "action": f.Action} {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	if !f.From.IsZero() {
		parts = append(parts, "from="+f.From.Format("2006-01-02"))
	}
	if !f.To.IsZero() {
		parts = append(parts, "to="+f.To.Format("2006-01-02"))
	}
	return strings.Join(parts, " ")
}

// hint is a setting's explanation under its field: small, and wrapped to the column (a form's
// own hint text does not wrap, and would widen the screen past an office monitor).
func hint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// settingHelpKey is the translation key of the line explaining a numeric setting.
func settingHelpKey(key string) string { return "setting.help." + key }

// themeKey is the translation key of a theme's name.
func themeKey(name string) string { return "setting.theme_" + name }

// settingsTab sets the station's settings, grouped by what they protect, each with a line
// saying what it does: data retention (and purging on demand), sessions and log-in, and the
// screens' look.
func (s *Station) settingsTab() fyne.CanvasObject {
	ctx := context.Background()
	defs := enroll.NumericSettings()
	entries := map[string]*widget.Entry{}
	item := func(d enroll.NumericSetting) *widget.FormItem {
		e := widget.NewEntry()
		if v, err := s.cfg.Store.NumericSetting(ctx, d.Key, d.Default); err == nil {
			e.SetText(strconv.Itoa(v))
		}
		entries[d.Key] = e
		return widget.NewFormItem(s.tr.T("setting."+d.Key), container.NewVBox(e,
			hint(s.tr.F(settingHelpKey(d.Key), map[string]any{"min": d.Min, "max": d.Max, "default": d.Default}))))
	}
	byKey := func(key string) enroll.NumericSetting {
		for _, d := range defs {
			if d.Key == key {
				return d
			}
		}
		panic("no numeric setting " + key) // a programming error: the keys below are enroll's
	}
	retention := widget.NewForm(item(byKey(enroll.SettingRetentionDays)))
	sessions := widget.NewForm(item(byKey(enroll.SettingIdleMinutes)), item(byKey(enroll.SettingLockAttempts)),
		item(byKey(enroll.SettingLockMinutes)))

	msg := errorLabel()
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	save := widget.NewButton(s.tr.T("dialog.save"), func() {
		setError(msg, "")
		for _, d := range defs {
			n, err := strconv.Atoi(strings.TrimSpace(entries[d.Key].Text))
			if err != nil || n < d.Min || n > d.Max {
				setError(msg, s.tr.F("setting.out_of_range", map[string]any{"name": s.tr.T("setting." + d.Key), "min": d.Min, "max": d.Max}))
				return
			}
			if cur, _ := s.cfg.Store.NumericSetting(ctx, d.Key, d.Default); cur == n {
				continue
			}
			if err := s.cfg.Store.SetNumericSetting(ctx, s.officer.Username, d.Key, n); err != nil {
				setError(msg, s.tr.Err(err))
				return
			}
		}
		s.session.limit = 0 // the idle lock reads its setting again
		result.SetText(s.tr.T("setting.saved"))
	})
	save.Importance = widget.HighImportance
	purge := widget.NewButton(s.tr.T("retention.purge"), func() {
		// Deleting personal data cannot be undone: one click on the wrong button must not do it.
		days, _ := s.cfg.Store.NumericSetting(ctx, enroll.SettingRetentionDays, enroll.NumericSettingDefault(enroll.SettingRetentionDays))
		ask := widget.NewLabel(s.tr.F("retention.purge_confirm", map[string]any{"days": days}))
		ask.Wrapping = fyne.TextWrapWord
		confirm := dialog.NewCustomConfirm(s.tr.T("retention.purge"), s.tr.T("dialog.confirm"), s.tr.T("dialog.cancel"), ask, func(ok bool) {
			if !ok {
				return
			}
			n, err := s.cfg.Store.Purge(ctx, s.officer.Username)
			if err != nil && !errors.Is(err, enroll.ErrPurgeUnfinished) {
				setError(msg, s.tr.Err(err))
				return
			}
			text := s.tr.F("retention.purged", map[string]any{"count": n})
			if err != nil {
				text += " " + s.tr.Err(err)
			}
			result.SetText(text)
		}, s.win)
		confirm.Resize(fyne.NewSize(520, 220))
		confirm.Show()
	})
	purge.Importance = widget.DangerImportance
	intro := widget.NewLabel(s.tr.T("retention.intro"))
	intro.Wrapping = fyne.TextWrapWord

	looks := map[string]string{ThemeLight: s.tr.T(themeKey(ThemeLight)), ThemeDark: s.tr.T(themeKey(ThemeDark))}
	look := widget.NewSelect([]string{looks[ThemeLight], looks[ThemeDark]}, nil)
	if cur, _ := s.cfg.Store.Setting(ctx, enroll.SettingTheme); cur == ThemeDark {
		look.SetSelected(looks[ThemeDark])
	} else {
		look.SetSelected(looks[ThemeLight])
	}
	look.OnChanged = func(v string) {
		for name, text := range looks {
			if text != v {
				continue
			}
			if err := s.cfg.Store.SetSetting(ctx, enroll.SettingTheme, name); err != nil {
				setError(msg, s.tr.Err(err))
				return
			}
			s.cfg.Store.Audit(ctx, s.officer.Username, enroll.ActionSettingChange, "", enroll.SettingTheme+" "+name)
			s.applyTheme()
		}
	}
	lookForm := widget.NewForm(widget.NewFormItem(s.tr.T("setting.theme"), container.NewVBox(look, hint(s.tr.T("setting.help.theme")))))

	group := func(title string, body ...fyne.CanvasObject) fyne.CanvasObject {
		return container.NewVBox(append([]fyne.CanvasObject{heading(title)}, body...)...)
	}
	left := container.NewVBox(
		group(s.tr.T("setting.group_retention"), intro, retention, container.NewHBox(purge)),
		widget.NewSeparator(),
		group(s.tr.T("setting.group_look"), lookForm))
	right := group(s.tr.T("setting.group_sessions"), sessions)
	bottom := container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil, save, nil, result), msg)
	return container.NewBorder(nil, bottom, nil, nil,
		container.NewVScroll(container.NewGridWithColumns(2, container.NewPadded(left), container.NewPadded(right))))
}
