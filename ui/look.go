package ui

import (
	"context"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// Theme choices, as the station's setting stores them. Light is the default: ward offices
// are lit rooms with windows, where a dark screen reflects the room.
const (
	ThemeLight = "light"
	ThemeDark  = "dark"
)

// stationTheme is Fyne's theme held to one variant, whatever the desktop prefers: the
// station's look is a station setting, not the operating system's.
type stationTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t stationTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

func themeVariant(name string) fyne.ThemeVariant {
	if name == ThemeDark {
		return theme.VariantDark
	}
	return theme.VariantLight
}

// applyTheme sets the look from the station's setting.
func (s *Station) applyTheme() {
	name, _ := s.cfg.Store.Setting(context.Background(), enroll.SettingTheme)
	if app := fyne.CurrentApp(); app != nil {
		app.Settings().SetTheme(stationTheme{theme.DefaultTheme(), themeVariant(name)})
	}
}

// contrast is the WCAG contrast ratio of two colours (1 to 21): text needs 4.5.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		x := float64(v) / 0xffff
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// stepMark is one step of the wizard's indicator: a tick once done, an arrow on the current
// step, nothing on the ones ahead. The text keeps the theme's foreground colour in every
// state, so no step is ever hard to read (the old grey on black was 1.6:1).
func stepMark(text string, done, current bool) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = current
	var icon fyne.Resource
	switch {
	case done:
		icon = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case current:
		icon = theme.NewPrimaryThemedResource(theme.NavigateNextIcon())
	default:
		icon = theme.NewDisabledResource(theme.RadioButtonIcon())
	}
	return container.NewHBox(widget.NewIcon(icon), l)
}

// dialogEntry is an entry in a dialog. Fyne's entry swallows Escape; officers expect Escape
// to close the dialog they are typing in, as it does everywhere else on a desktop.
type dialogEntry struct{ widget.Entry }

func newDialogEntry() *dialogEntry {
	e := &dialogEntry{}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// newDialogPasswordEntry hides what is typed, with an eye button to show it (Fyne's own
// revealer is private to its entry).
func newDialogPasswordEntry() *dialogEntry {
	e := newDialogEntry()
	e.Password = true
	var eye *widget.Button
	eye = widget.NewButtonWithIcon("", theme.VisibilityOffIcon(), func() {
		e.Password = !e.Password
		eye.SetIcon(theme.VisibilityOffIcon())
		if !e.Password {
			eye.SetIcon(theme.VisibilityIcon())
		}
		e.Refresh()
	})
	eye.Importance = widget.LowImportance
	e.ActionItem = eye
	return e
}

func (e *dialogEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		if app := fyne.CurrentApp(); app != nil && closeTop(app.Driver().CanvasForObject(e)) {
			return
		}
	}
	e.Entry.TypedKey(ev)
}

// closeTop closes the dialog on top of the canvas, as its close button would; false when
// there is none.
func closeTop(c fyne.Canvas) bool {
	if c == nil {
		return false
	}
	top := c.Overlays().Top()
	if top == nil {
		return false
	}
	top.Hide()
	c.Overlays().Remove(top)
	return true
}
