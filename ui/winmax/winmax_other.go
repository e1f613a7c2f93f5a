//go:build !linux || wayland

package winmax

import "fyne.io/fyne/v2"

// Maximise leaves the window as it is where the station has no way to ask (Wayland lets only
// the compositor decide; other systems are not supported targets).
func Maximise(fyne.Window) error { return nil }
