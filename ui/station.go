// Package ui is the station's Fyne interface: first run, login, home and the enrollment
// wizard. It talks to storage and devices only through the interfaces declared here and in
// the domain package, so every screen runs headless in tests with simulated devices.
package ui

import (
	"context"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
)

// Store is what the screens need from the station database.
type Store interface {
	OfficerCount(ctx context.Context) (int, error)
	Init(ctx context.Context, setup enroll.StationSetup) (recoveryKey string, err error)
	Authenticate(ctx context.Context, username, password string) (enroll.Officer, error)
	Lock()
	ChangePassword(ctx context.Context, username, current, next, confirm string) error
	Recover(ctx context.Context, key, username, password, confirm string) error
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error

	// Supervisors' work.
	Officers(ctx context.Context) ([]enroll.Officer, error)
	CreateOfficer(ctx context.Context, actor string, f enroll.OfficerForm) (enroll.Officer, error)
	ResetPassword(ctx context.Context, actor, username, password, confirm string) error
	SetDisabled(ctx context.Context, actor, username string, disabled bool) error
	AuditTrail(ctx context.Context, f enroll.AuditFilter) ([]enroll.AuditEntry, error)
	VerifyAudit(ctx context.Context) (int64, error)
	MarkDelivered(ctx context.Context, actor, id string) error
	Purge(ctx context.Context, actor string) (int, error)
	NumericSetting(ctx context.Context, key string, fallback int) (int, error)
	SetNumericSetting(ctx context.Context, actor, key string, value int) error

	SaveDraft(ctx context.Context, e *enroll.Enrollment) error
	Complete(ctx context.Context, e *enroll.Enrollment) error
	Get(ctx context.Context, id string) (*enroll.Enrollment, error)
	Drafts(ctx context.Context, officer string) ([]enroll.Summary, error)
	DeleteDraft(ctx context.Context, officer, id string) error
	Audit(ctx context.Context, officer, action, recordID, detail string) error
	CreatedSince(ctx context.Context, from time.Time, limit int) ([]enroll.Summary, error)
	Find(ctx context.Context, q enroll.RecordQuery) ([]enroll.Summary, error)
	Reopen(ctx context.Context, actor, id, reason string) error
	ReviewQueue(ctx context.Context, limit int) ([]enroll.ReviewItem, error)
	MarkReviewed(ctx context.Context, actor, id, note string) error
	OfficerDays(ctx context.Context, from, to time.Time) ([]enroll.OfficerDay, error)
	ByPersonalID(ctx context.Context, id enroll.PersonalID) ([]enroll.Summary, error)

	// Sync with central, as the screens show it.
	SyncCounts(ctx context.Context) (enroll.SyncCounts, error)
	Batches(ctx context.Context, states ...enroll.BatchState) ([]enroll.Batch, error)
	Returned(ctx context.Context) ([]enroll.Summary, error)
}

// Settings keys, from the domain (shared with the demo generator).
const (
	SettingOffice   = enroll.SettingOffice
	SettingStation  = enroll.SettingStation
	SettingLanguage = enroll.SettingLanguage
)

// FaceChecker measures the portrait requirements on a picture (biometric.FaceFinder).
type FaceChecker interface {
	Assess(img image.Image) biometric.Assessment
}

// Config is everything the interface is wired to.
type Config struct {
	Store   Store
	Scanner enroll.FingerprintScanner
	Camera  enroll.Camera
	// Faces checks portraits live; without it the portrait is cropped around the centre.
	Faces FaceChecker
	// ReadQR reads a QR code from a camera frame (device/qr.Read); with it the identify step
	// can take the card's code through the camera.
	ReadQR func(image.Image) (string, error)
	Tr     *Translator
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Do runs a UI change coming from a background goroutine; fyne.Do when nil. Tests queue
	// the changes and run them on the test goroutine instead.
	Do func(func())
	// Sync sends records to central in the background; nil on a station without sync.
	Sync Syncer
	// Documents opens and prints receipts; nil offers saving them only.
	Documents Documents
}

// Station is the running interface: one window whose content is the current screen.
type Station struct {
	cfg     Config
	tr      *Translator
	win     fyne.Window
	officer *enroll.Officer
	office  string
	code    string
	// rebuild redraws the current screen, after a language switch.
	rebuild func()
	actions []action
	// leave stops the current screen's device work before another screen replaces it, or
	// the idle lock hides it; wake starts it again after the lock.
	leave func()
	wake  func()
	// devLabels are the device lines on screen, rewritten when a device comes or goes.
	devLabels []deviceLabel
	// syncLabels are the sync lines on screen, rewritten every syncEvery.
	syncLabels []*widget.Label
	// syncBusy is set while a refresh of them gathers its facts.
	syncBusy bool
	// syncChanged, set by the Sync screen, redraws its lists when a refresh finds that a pass
	// changed what they show; syncSeen is what the last refresh found.
	syncChanged func()
	syncSeen    string
	// pending counts background work whose result has not reached the screen yet.
	pending atomic.Int32
	// session is the idle lock's state.
	session session
	// keepWork saves what the screen holds before a logout from it (the wizard's step).
	keepWork func(then func())
	// auditForms translate the audit trail's details.
	auditForms []detailForm
	// cameraBack restarts a preview that stopped when the camera was unplugged; set while
	// the portrait step waits for the camera.
	cameraBack func()
	// stopped is closed by Stop: the background loops end.
	stopped  chan struct{}
	stopOnce sync.Once
	// doer is Config.Do until Stop.
	doer atomic.Pointer[func(func())]
}

type deviceLabel struct {
	label *widget.Label
	kind  string
}

// pluggable is a device that can say it was unplugged (device/reader's switch).
type pluggable interface {
	Unplugged() bool
}

// Stop ends what the station runs in the background: the current screen's device work (the
// camera preview), the idle watch and the sync refresh. Closing the window stops it; a
// station stopped lets its devices and face finder go with its screens.
func (s *Station) Stop() {
	if s.leave != nil {
		s.leave()
		s.leave = nil
	}
	s.stopOnce.Do(func() { close(s.stopped) })
	// Work still finishing off the UI goroutine has nowhere to show its result; and Fyne
	// keeps a closed window's widgets in its renderer cache for a while, so the station lets
	// go of what runs its UI work.
	s.doer.Store(nil)
}

// do runs fn on the UI goroutine (Config.Do), or drops it once the station is stopped.
func (s *Station) do(fn func()) {
	if d := s.doer.Load(); d != nil {
		(*d)(fn)
	}
}

// New prepares the interface in window w.
func New(w fyne.Window, cfg Config) *Station {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Do == nil {
		cfg.Do = fyne.Do
	}
	do := cfg.Do
	cfg.Do = nil // s.do from here on
	s := &Station{cfg: cfg, tr: cfg.Tr, win: w, auditForms: auditForms(), stopped: make(chan struct{})}
	s.doer.Store(&do)
	return s
}

// Start shows the first-run screen on a new station, the login screen otherwise.
func (s *Station) Start() {
	ctx := context.Background()
	if lang, err := s.cfg.Store.Setting(ctx, SettingLanguage); err == nil && lang != "" {
		s.tr.SetLang(lang)
	}
	n, err := s.cfg.Store.OfficerCount(ctx)
	if err != nil {
		s.fatal(err)
		return
	}
	if s.office, err = s.cfg.Store.Setting(ctx, SettingOffice); err == nil {
		s.code, err = s.cfg.Store.Setting(ctx, SettingStation)
	}
	if err != nil {
		s.fatal(err)
		return
	}
	s.applyTheme()
	// Escape closes the dialog on top when no field has the keyboard (a field in a dialog
	// closes it itself: dialogEntry).
	s.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			closeTop(s.win.Canvas())
		}
	})
	s.win.SetOnClosed(s.Stop)
	s.startIdleWatch()
	s.watchSync()
	if n == 0 {
		s.showFirstRun()
		return
	}
	s.showLogin()
}

// show replaces the window's content. build is called now and again after a language change.
func (s *Station) show(build func() fyne.CanvasObject) {
	if s.leave != nil {
		s.leave()
		s.leave = nil
	}
	s.actions = nil
	s.keepWork = nil
	s.wake = nil
	s.devLabels = nil
	s.syncLabels = nil
	s.syncChanged, s.syncSeen = nil, ""
	s.rebuild = func() {
		s.win.SetContent(build())
		s.setMenu()
		s.watchInput()
	}
	s.rebuild()
	s.win.SetTitle(s.tr.T("app.title"))
}

// action is a screen's command with its keyboard shortcut.
type action struct {
	label string // translation key
	key   fyne.KeyName
	mod   fyne.KeyModifier
	run   func()
}

// setActions gives the current screen its commands. They live in the window's menu because
// Fyne hands a shortcut to the focused entry first, which swallows it; menu shortcuts work
// whatever has the keyboard, and the menu shows officers which keys there are.
func (s *Station) setActions(acts ...action) {
	s.actions = acts
	s.setMenu()
}

func (s *Station) setMenu() {
	loggedIn := s.officer != nil && !s.session.locked
	if len(s.actions) == 0 && !loggedIn {
		s.win.SetMainMenu(nil)
		return
	}
	var items []*fyne.MenuItem
	for _, a := range s.actions {
		run := a.run
		it := fyne.NewMenuItem(s.tr.T(a.label), func() {
			s.touch()
			run()
		})
		it.Shortcut = &desktop.CustomShortcut{KeyName: a.key, Modifier: a.mod}
		items = append(items, it)
	}
	if loggedIn && !s.hasAction("home.logout") {
		// Ctrl+Shift+L logs out from any screen, as on the home screen.
		it := fyne.NewMenuItem(s.tr.T("home.logout"), func() {
			s.touch()
			s.logoutKeepingWork()
		})
		it.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift}
		items = append(items, it)
	}
	// Our own quit item, so Fyne does not add its untranslated one.
	quit := fyne.NewMenuItem(s.tr.T("menu.quit"), nil)
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItemSeparator(), quit)
	s.win.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu(s.tr.T("menu.actions"), items...)))
}

func (s *Station) hasAction(label string) bool {
	for _, a := range s.actions {
		if a.label == label {
			return true
		}
	}
	return false
}

// logoutKeepingWork saves the screen's work first, where it has any, then logs out.
func (s *Station) logoutKeepingWork() {
	if s.keepWork != nil {
		s.keepWork(s.logout)
		return
	}
	s.logout()
}

// background runs work off the UI goroutine and then done on it.
func (s *Station) background(work func() error, done func(error)) {
	s.pending.Add(1)
	go func() {
		err := work()
		s.do(func() {
			defer s.pending.Add(-1)
			done(err)
		})
	}()
}

// submit runs a form's work in the background with its button disabled; an error goes to
// fail (the line under the form), success runs done (on the UI goroutine).
func (s *Station) submit(btn *widget.Button, fail func(error), work func() error, done func()) {
	btn.Disable()
	s.background(work, func(err error) {
		btn.Enable()
		if err != nil {
			fail(err)
			return
		}
		done()
	})
}

// errorIn shows an error in a dialog's error line. A dialog stays on top of the language
// switch, so its words need not follow a switch (a screen's do: formMessage).
func (s *Station) errorIn(l *widget.Label) func(error) {
	return func(err error) { setError(l, s.tr.Err(err)) }
}

// langSelect switches language and redraws the screen; the choice is remembered.
func (s *Station) langSelect() *widget.Select {
	names := map[string]string{LangVI: "Tiếng Việt", LangEN: "English"}
	sel := widget.NewSelect([]string{names[LangVI], names[LangEN]}, nil)
	sel.SetSelected(names[s.tr.Lang()])
	sel.OnChanged = func(v string) {
		for code, name := range names {
			if name == v && code != s.tr.Lang() {
				s.tr.SetLang(code)
				s.cfg.Store.SetSetting(context.Background(), SettingLanguage, code)
				s.win.SetTitle(s.tr.T("app.title"))
				s.rebuild()
			}
		}
	}
	return sel
}

// fatal replaces the screen with an error the officer can act on.
func (s *Station) fatal(err error) {
	msg := widget.NewLabel(s.tr.Err(err))
	msg.Wrapping = fyne.TextWrapWord
	msg.Importance = widget.DangerImportance
	s.win.SetContent(container.NewPadded(container.NewVBox(
		widget.NewLabelWithStyle(s.tr.T("app.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), msg)))
}

// deviceLine describes a device's state: connected, simulated, unplugged or missing.
func (s *Station) deviceLine(kind string) string {
	var dev interface{ Info() enroll.DeviceInfo }
	switch kind {
	case "scanner":
		if s.cfg.Scanner != nil {
			dev = s.cfg.Scanner
		}
	case "camera":
		if s.cfg.Camera != nil {
			dev = s.cfg.Camera
		}
	}
	if dev == nil {
		return s.tr.F("device.missing", map[string]any{"kind": s.tr.T("device." + kind)})
	}
	info := dev.Info()
	key := "device.connected"
	if p, ok := dev.(pluggable); ok && p.Unplugged() {
		key = "device.unplugged"
	} else if info.Simulated {
		key = "device.simulated"
	}
	return s.tr.F(key, map[string]any{"kind": s.tr.T("device." + kind), "name": s.tr.Device(info.Name)})
}

// deviceLabel is a device line that follows the device: DevicesChanged rewrites it.
func (s *Station) deviceLabel(kind string) *widget.Label {
	l := widget.NewLabel(s.deviceLine(kind))
	l.Wrapping = fyne.TextWrapWord
	s.devLabels = append(s.devLabels, deviceLabel{l, kind})
	return l
}

// DevicesChanged rewrites the device lines on screen; call it (on the UI goroutine) when a
// reader or camera is plugged in or pulled out.
func (s *Station) DevicesChanged() {
	for _, d := range s.devLabels {
		d.label.SetText(s.deviceLine(d.kind))
	}
	if p, ok := s.cfg.Camera.(pluggable); s.cameraBack != nil && (!ok || !p.Unplugged()) {
		s.cameraBack()
	}
}

// simBanner says which capture devices are simulated, so no one takes synthetic data for a
// citizen's.
func (s *Station) simBanner() fyne.CanvasObject {
	scanner := s.cfg.Scanner != nil && s.cfg.Scanner.Info().Simulated
	camera := s.cfg.Camera != nil && s.cfg.Camera.Info().Simulated
	key := "device.sim_banner"
	switch {
	case !scanner && !camera:
		return nil
	case !scanner:
		key = "device.sim_banner_camera"
	case !camera:
		key = "device.sim_banner_scanner"
	}
	l := widget.NewLabelWithStyle(s.tr.T(key), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	l.Importance = widget.WarningImportance
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (s *Station) today() time.Time {
	now := s.cfg.Now()
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, now.Location())
}

// showError tells the officer, in a dialog, what went wrong and what to do.
func (s *Station) showError(err error) {
	msg := widget.NewLabel(s.tr.Err(err))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(s.tr.T("dialog.error"), s.tr.T("dialog.close"), msg, s.win)
	d.Resize(fyne.NewSize(480, 200))
	d.Show()
}

// inform tells the officer, in a dialog, that something went as asked.
func (s *Station) inform(title, text string) {
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, s.tr.T("dialog.close"), msg, s.win)
	d.Resize(fyne.NewSize(480, 200))
	d.Show()
}

// errorLabel is the red line under a field.
func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// formMessage is the red line under a screen's form. It keeps how to say its message rather
// than the words: the screen is built again after a language switch, and its message must
// change language with the labels around it.
type formMessage struct {
	label *widget.Label
	tr    *Translator
	say   func() string
}

func (s *Station) newFormMessage() *formMessage {
	return &formMessage{label: errorLabel(), tr: s.tr}
}

// fail shows err in the officer's language, now and after every language switch.
func (m *formMessage) fail(err error) { m.set(func() string { return m.tr.Err(err) }) }

// text shows the catalog's text for key.
func (m *formMessage) text(key string) { m.set(func() string { return m.tr.T(key) }) }

func (m *formMessage) clear() { m.set(nil) }

func (m *formMessage) set(say func() string) {
	m.say = say
	m.refresh()
}

// refresh says the message again in the current language; the screen's build calls it.
func (m *formMessage) refresh() {
	text := ""
	if m.say != nil {
		text = m.say()
	}
	setError(m.label, text)
}

func setError(l *widget.Label, msg string) {
	l.SetText(msg)
	if msg == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// fixedWidth holds a card at width w and the height its content needs there. A wrapped label
// reports the height of its lines at the width it has, so the card is laid out at w before it
// is measured; measured unlaid, its text wraps into more lines than the box holds and the last
// rows spill out below it.
func fixedWidth(card fyne.CanvasObject, w float32) fyne.CanvasObject {
	card.Resize(fyne.NewSize(w, card.MinSize().Height))
	return container.NewGridWrap(fyne.NewSize(w, card.MinSize().Height), card)
}

func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}
