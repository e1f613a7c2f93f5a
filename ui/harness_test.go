package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/device/qr"
	"github.com/wardpolice/enroll/device/sim"
	"github.com/wardpolice/enroll/store"
)

// harness runs the station headless. UI changes that background work posts are queued and run
// on the test goroutine by pump, as Fyne's event loop runs them on its own in the real app.
type harness struct {
	t     tb
	win   fyne.Window
	s     *Station
	st    *store.Store
	mu    sync.Mutex
	queue []func()
	// queued is signalled when UI work arrives, so a benchmark can wait for it without a
	// sleeping poll loop (on these machines a 2 ms sleep loop alone costs most of a core).
	queued  chan struct{}
	scanner *sim.Scanner
	camera  *sim.Camera
	faces   *biometric.FaceFinder
	// docs takes what the station prints or opens.
	docs *fakeDocuments
	// recoveryKey is what the first run showed.
	recoveryKey string
	// fake, when set, is the station's clock (advance moves it).
	clockMu sync.Mutex
	fake    time.Time
}

func (h *harness) now() time.Time {
	h.clockMu.Lock()
	defer h.clockMu.Unlock()
	if h.fake.IsZero() {
		return time.Now()
	}
	return h.fake
}

// advance moves the station's clock (starting it at the real time on first use).
func (h *harness) advance(d time.Duration) {
	h.clockMu.Lock()
	if h.fake.IsZero() {
		h.fake = time.Now()
	}
	h.fake = h.fake.Add(d)
	h.clockMu.Unlock()
}

// Test clock: the camera sees a still scene so portraits are reproducible.
var cameraEpoch = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func scannerOptions() sim.ScannerOptions {
	return sim.ScannerOptions{Seed: 42, NoFingerRate: 0, MinQuality: 0.9, Now: func() time.Time { return cameraEpoch }}
}

func fastKDF() store.Option {
	return store.WithPasswordParams(store.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1})
}

// tb is the part of testing.TB the harness uses, so that a child process (see TestMain) can
// drive the station too.
type tb interface {
	Helper()
	Fatal(...any)
	Fatalf(string, ...any)
	Cleanup(func())
}

func newHarness(t tb, dbPath string) *harness { return newHarnessWith(t, dbPath, nil) }

// testFaces is one face finder for every harness of the test binary, as the station has one:
// its cascades take 6.6 MB, and Fyne's renderer cache keeps a finished test's widgets (and
// what their callbacks reach) for a minute.
var testFaces = sync.OnceValues(func() (*biometric.FaceFinder, error) {
	return biometric.NewFaceFinder(assets.FaceCascade(), assets.PupilCascade(), assets.LandmarkCascades())
})

// newHarnessWith runs the station with another camera than the simulated one.
func newHarnessWith(t tb, dbPath string, cam enroll.Camera) *harness {
	t.Helper()
	st, err := store.Open(context.Background(), dbPath, fastKDF())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tr, err := NewTranslator(assets.Translations(), LangVI)
	if err != nil {
		t.Fatal(err)
	}
	if tt, ok := t.(testing.TB); ok {
		test.NewTempApp(tt)
	} else {
		test.NewApp()
	}
	faces, err := testFaces()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, st: st, queued: make(chan struct{}, 1), scanner: sim.NewScanner(scannerOptions()),
		camera: sim.NewCamera(func() time.Time { return cameraEpoch }), faces: faces, docs: &fakeDocuments{}}
	h.win = test.NewWindow(nil)
	h.win.Resize(fyne.NewSize(1366, 768))
	t.Cleanup(func() { h.win.Close() })
	h.s = New(h.win, Config{Store: st, Scanner: h.scanner, Camera: cameraOr(cam, h.camera), Faces: faces, ReadQR: qr.Read, Tr: tr, Do: h.do, Now: h.now,
		Documents: h.docs})
	h.s.Start()
	return h
}

func (h *harness) do(fn func()) {
	h.mu.Lock()
	h.queue = append(h.queue, fn)
	h.mu.Unlock()
	select {
	case h.queued <- struct{}{}:
	default:
	}
}

func (h *harness) pump() {
	for {
		h.mu.Lock()
		q := h.queue
		h.queue = nil
		h.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}

// waitFor pumps UI work until cond holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.pump()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; screen shows:\n%s", what, h.texts())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) T(key string) string { return h.s.tr.T(key) }

// settle waits until every piece of background work has shown its result.
func (h *harness) settle() {
	h.t.Helper()
	h.waitFor("background work to finish", func() bool { return h.s.pending.Load() == 0 })
}

// walk visits every object on screen, dialogs included.
func (h *harness) walk(visit func(fyne.CanvasObject) bool) {
	seen := map[fyne.CanvasObject]bool{}
	var rec func(o fyne.CanvasObject) bool
	rec = func(o fyne.CanvasObject) bool {
		if o == nil || seen[o] || !o.Visible() {
			return false
		}
		seen[o] = true
		if visit(o) {
			return true
		}
		var kids []fyne.CanvasObject
		switch x := o.(type) {
		case *fyne.Container:
			kids = x.Objects
		case *container.Scroll:
			kids = []fyne.CanvasObject{x.Content}
		case *widget.Card:
			kids = []fyne.CanvasObject{x.Content}
		case *container.AppTabs:
			for _, it := range x.Items {
				kids = append(kids, it.Content)
			}
		case *widget.Form:
			for _, it := range x.Items {
				kids = append(kids, it.Widget)
			}
		case *dialogEntry:
			kids = []fyne.CanvasObject{&x.Entry} // found and typed into as the entry it is
		case *widget.Entry, *widget.Label, *widget.Button, *widget.Check, *widget.Select:
		case fyne.Widget:
			kids = test.WidgetRenderer(x).Objects()
		}
		for _, k := range kids {
			if rec(k) {
				return true
			}
		}
		return false
	}
	for _, o := range h.win.Canvas().Overlays().List() {
		if rec(o) {
			return
		}
	}
	rec(h.win.Content())
}

// find returns the first object of type T on screen that match accepts, or fails the test
// naming what was looked for.
func find[T fyne.CanvasObject](h *harness, what string, match func(T) bool) T {
	h.t.Helper()
	var found T
	ok := false
	h.walk(func(o fyne.CanvasObject) bool {
		if x, isT := o.(T); isT && match(x) {
			found, ok = x, true
		}
		return ok
	})
	if !ok {
		h.t.Fatalf("no %s on screen:\n%s", what, h.texts())
	}
	return found
}

func (h *harness) button(label string) *widget.Button {
	h.t.Helper()
	return find(h, fmt.Sprintf("button %q", label), func(b *widget.Button) bool { return b.Text == label })
}

func (h *harness) tap(label string) {
	h.t.Helper()
	b := h.button(label)
	if b.Disabled() {
		h.t.Fatalf("button %q is disabled", label)
	}
	test.Tap(b)
	h.pump()
}

// field returns the first entry of the form row labelled label.
func (h *harness) field(label string) *widget.Entry {
	h.t.Helper()
	var found *widget.Entry
	h.walk(func(o fyne.CanvasObject) bool {
		f, ok := o.(*widget.Form)
		if !ok {
			return false
		}
		for _, it := range f.Items {
			if it.Text != label {
				continue
			}
			h.walkFrom(it.Widget, func(o fyne.CanvasObject) bool {
				switch e := o.(type) {
				case *widget.Entry:
					found = e
				case *dialogEntry:
					found = &e.Entry
				}
				return found != nil
			})
			return found != nil
		}
		return false
	})
	if found == nil {
		h.t.Fatalf("no form field %q on screen:\n%s", label, h.texts())
	}
	return found
}

func (h *harness) walkFrom(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) {
	if visit(o) {
		return
	}
	if c, ok := o.(*fyne.Container); ok {
		for _, k := range c.Objects {
			h.walkFrom(k, visit)
		}
	}
}

// typeInto replaces a field's text the way an officer types it, key by key.
func (h *harness) typeInto(label, text string) {
	h.t.Helper()
	e := h.field(label)
	e.SetText("")
	test.Type(e, text)
	h.pump()
}

// hasText reports whether any label, button or entry on screen contains s.
func (h *harness) hasText(s string) bool {
	return strings.Contains(h.texts(), s)
}

func (h *harness) texts() string {
	var b strings.Builder
	h.walk(func(o fyne.CanvasObject) bool {
		switch x := o.(type) {
		case *widget.Label:
			fmt.Fprintln(&b, x.Text)
		case *widget.Button:
			fmt.Fprintln(&b, "["+x.Text+"]")
		case *widget.Entry:
			fmt.Fprintln(&b, "<"+x.Text+">")
		case *widget.Check:
			fmt.Fprintln(&b, "{"+x.Text+"}")
		case *widget.Card:
			fmt.Fprintln(&b, "# "+x.Title)
		case *widget.Form:
			for _, it := range x.Items {
				fmt.Fprintln(&b, it.Text+":")
			}
		}
		return false
	})
	return b.String()
}

func (h *harness) check(label string) *widget.Check {
	h.t.Helper()
	return find(h, fmt.Sprintf("checkbox %q", label), func(c *widget.Check) bool { return c.Text == label })
}

// Officer used by the tests.
const (
	testUser     = "lan.nt"
	testName     = "Nguyễn Thị Lan"
	testPassword = "matkhau2026"
)

// firstRun completes the set-up screen.
// setUp fills the first-run form for station code and waits for the recovery key screen.
func (h *harness) setUp(code string) {
	h.t.Helper()
	h.typeInto(h.T("setup.office"), "Công an phường Khâm Thiên")
	h.typeInto(h.T("setup.station_code"), code)
	h.typeInto(h.T("field.username"), testUser)
	h.typeInto(h.T("field.full_name"), testName)
	h.typeInto(h.T("field.password"), testPassword)
	h.typeInto(h.T("field.password_confirm"), testPassword)
	h.tap(h.T("setup.create"))
	h.waitFor("recovery key", func() bool { return h.hasText(h.T("setup.recovery_title")) })
}

func (h *harness) firstRun() {
	h.t.Helper()
	h.setUp("HN-DD-KT-01")
	h.recoveryKey = find(h, "recovery key", func(l *widget.Label) bool { return l.TextStyle.Monospace }).Text
	if h.button(h.T("setup.recovery_done")).Disabled() == false {
		h.t.Fatalf("the recovery key can be passed without confirming it was kept")
	}
	h.check(h.T("setup.recovery_kept")).SetChecked(true)
	h.tap(h.T("setup.recovery_done"))
	h.waitFor("login screen", func() bool { return h.hasText(h.T("login.title")) })
}

func (h *harness) login() {
	h.t.Helper()
	h.typeInto(h.T("field.username"), testUser)
	h.typeInto(h.T("field.password"), testPassword)
	h.tap(h.T("login.submit"))
	h.waitFor("home screen", func() bool { return h.hasText(h.T("home.new")) })
}

// onStep waits until the wizard shows the given step as current.
func (h *harness) onStep(st enroll.Step) {
	h.t.Helper()
	want := h.s.tr.F("wizard.step_n", map[string]any{"n": int(st) + 1, "name": h.s.tr.W(st)})
	h.waitFor("step "+want, func() bool {
		var ok bool
		h.walk(func(o fyne.CanvasObject) bool {
			if l, isL := o.(*widget.Label); isL && l.Text == want && l.TextStyle.Bold {
				ok = true
			}
			return ok
		})
		return ok
	})
}

func (h *harness) pressEnter(label string) {
	h.field(label).TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.pump()
}

func (h *harness) entryWithHint(hint string) *widget.Entry {
	h.t.Helper()
	return find(h, fmt.Sprintf("entry with hint %q", hint), func(e *widget.Entry) bool { return e.PlaceHolder == hint })
}

// scanQR types the code as a keyboard-wedge scanner does: the characters, then Enter, into
// whatever has the keyboard, which must be the QR field the step opened with.
func (h *harness) scanQR(code string) {
	h.t.Helper()
	e, ok := h.win.Canvas().Focused().(*widget.Entry)
	if !ok || e != h.entryWithHint(h.T("identify.qr_hint")) {
		h.t.Fatalf("the QR field does not have the keyboard (focused: %T)", h.win.Canvas().Focused())
	}
	test.Type(e, code)
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.pump()
}

// entriesAfterCheck returns the entry placed right after a checkbox in a grid row.
func (h *harness) entriesAfterCheck(label string) *widget.Entry {
	h.t.Helper()
	var found *widget.Entry
	h.walk(func(o fyne.CanvasObject) bool {
		c, ok := o.(*fyne.Container)
		if !ok {
			return false
		}
		for i, k := range c.Objects {
			if ch, ok := k.(*widget.Check); ok && ch.Text == label && i+1 < len(c.Objects) {
				if e, ok := c.Objects[i+1].(*widget.Entry); ok {
					found = e
					return true
				}
			}
		}
		return false
	})
	if found == nil {
		h.t.Fatalf("no entry after checkbox %q", label)
	}
	return found
}

// langSelect finds the language switch.
func (h *harness) langSelect() *widget.Select {
	h.t.Helper()
	return find(h, "language switch", func(s *widget.Select) bool { return len(s.Options) == 2 && s.Options[1] == "English" })
}

// savedRecordID reads the record id the saved screen shows.
func (h *harness) savedRecordID() string {
	h.t.Helper()
	f := find(h, "record id", func(f *widget.Form) bool {
		return len(f.Items) == 2 && f.Items[1].Text == h.T("review.record_id")
	})
	id, ok := f.Items[1].Widget.(*widget.Label)
	if !ok || id.Text == "" {
		h.t.Fatalf("record id not shown as text: %T", f.Items[1].Widget)
	}
	// The code the citizen reads out is shown above it, and is the id's.
	if code, ok := f.Items[0].Widget.(*widget.Label); !ok || f.Items[0].Text != h.T("review.record_code") || code.Text != enroll.RecordCode(id.Text) {
		h.t.Fatalf("record code not shown for %s", id.Text)
	}
	return id.Text
}

// fakeDocuments keeps what the station prints or opens instead of handing it to the desktop.
type fakeDocuments struct {
	printed, opened [][]byte
}

func (d *fakeDocuments) Print(_ string, pdf []byte) error {
	d.printed = append(d.printed, pdf)
	return nil
}
func (d *fakeDocuments) Open(_ string, pdf []byte) error {
	d.opened = append(d.opened, pdf)
	return nil
}

// shortcut presses a key with modifiers as the desktop driver handles it: the window's menu
// takes it first, whatever has the keyboard.
func (h *harness) shortcut(key fyne.KeyName, mod fyne.KeyModifier) {
	h.t.Helper()
	want := (&desktop.CustomShortcut{KeyName: key, Modifier: mod}).ShortcutName()
	if menu := h.win.MainMenu(); menu != nil {
		for _, m := range menu.Items {
			for _, it := range m.Items {
				if it.Shortcut != nil && it.Shortcut.ShortcutName() == want && it.Action != nil {
					it.Action()
					h.pump()
					return
				}
			}
		}
	}
	h.t.Fatalf("no menu item for %s on this screen:\n%s", want, h.texts())
}

// tabTo presses Tab until what has the keyboard matches, as an officer would; it fails after
// going round the screen.
func (h *harness) tabTo(what string, match func(fyne.Focusable) bool) fyne.Focusable {
	h.t.Helper()
	c := h.win.Canvas()
	for range 80 {
		if f := c.Focused(); f != nil && match(f) {
			return f
		}
		c.FocusNext()
	}
	h.t.Fatalf("Tab never reaches %s:\n%s", what, h.texts())
	return nil
}

// press types one key into what has the keyboard.
func (h *harness) press(key fyne.KeyName) {
	h.t.Helper()
	f := h.win.Canvas().Focused()
	if f == nil {
		h.t.Fatalf("nothing has the keyboard for %s", key)
	}
	// The driver hands a key to TypedKey, and the character it types (Space's) to TypedRune.
	f.TypedKey(&fyne.KeyEvent{Name: key})
	if key == fyne.KeySpace {
		f.TypedRune(' ')
	}
	h.pump()
}

// selectTab opens the tab titled title in the tabs on screen.
func (h *harness) selectTab(title string) {
	h.t.Helper()
	tabs := find(h, "tabs with "+title, func(t *container.AppTabs) bool {
		for _, it := range t.Items {
			if it.Text == title {
				return true
			}
		}
		return false
	})
	for _, it := range tabs.Items {
		if it.Text == title {
			tabs.Select(it)
		}
	}
	h.pump()
}

// takePortrait waits until the live checks pass on the camera's picture (the capture button
// then offers a plain capture) and takes the portrait.
func (h *harness) takePortrait() {
	h.t.Helper()
	h.waitFor("portrait checks to pass", func() bool { return h.hasText("[" + h.T("portrait.capture") + "]") })
	h.tap(h.T("portrait.capture"))
}

func cameraOr(c enroll.Camera, sim *sim.Camera) enroll.Camera {
	if c != nil {
		return c
	}
	return sim
}

// onScreen fails the test unless every object lies wholly inside the window, as the officer
// sees it without scrolling.
func (h *harness) onScreen(objs ...fyne.CanvasObject) {
	h.t.Helper()
	win := h.win.Canvas().Size()
	h.win.Content().Refresh() // lay out what changed since the last frame
	for _, o := range objs {
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
		end := pos.Add(o.Size())
		if !o.Visible() || pos.X < 0 || pos.Y < 0 || end.X > win.Width || end.Y > win.Height || o.Size().Height == 0 {
			h.t.Fatalf("%T at %v, size %v, is not wholly inside the %v window", o, pos, o.Size(), win)
		}
	}
}
