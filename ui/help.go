package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// helpKeys are the keyboard shortcuts help lists: the key, and what it does (a translation key).
func helpKeys() [][2]string {
	return [][2]string{
		{"Ctrl+N", "home.new"},
		{"Ctrl+Enter", "wizard.next"},
		{"Alt+←", "wizard.back"},
		{"Ctrl+S", "wizard.save_exit"},
		{"Ctrl+Shift+S", "sync.title"},
		{"F5", "sync.now"},
		{"Ctrl+Shift+P", "password.change"},
		{"Ctrl+Shift+A", "admin.title"},
		{"Ctrl+Shift+H", "help.title"},
		{"Ctrl+Shift+L", "home.logout"},
		{"Esc", "help.escape"},
	}
}

// showHelp explains the day's work in a few lines and lists the keyboard shortcuts.
func (s *Station) showHelp() {
	intro := widget.NewLabel(s.tr.T("help.workflow"))
	intro.Wrapping = fyne.TextWrapWord
	keys := widget.NewForm()
	for _, k := range helpKeys() {
		keys.Append(k[0], widget.NewLabel(s.tr.T(k[1])))
	}
	body := container.NewVBox(intro, heading(s.tr.T("help.keys")), keys)
	d := dialog.NewCustom(s.tr.T("help.title"), s.tr.T("dialog.close"), container.NewVScroll(body), s.win)
	d.Resize(fyne.NewSize(720, 620))
	d.Show()
}
