//go:build linux && !wayland

// Package winmax opens the station's window maximised. Fyne has no call for it; on X11 the
// window manager is asked the standard way (EWMH _NET_WM_STATE), and with no window manager
// (a kiosk session, Xvfb) the window is sized to the screen itself.
package winmax

/*
#cgo pkg-config: x11
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>
#include <X11/Xatom.h>

// has_wm tells whether an EWMH window manager runs: it names a check window on the root.
static int has_wm(Display *d, Window root) {
	Atom check = XInternAtom(d, "_NET_SUPPORTING_WM_CHECK", True);
	if (check == None) return 0;
	Atom type; int format; unsigned long n, after; unsigned char *data = NULL;
	int ok = XGetWindowProperty(d, root, check, 0, 1, False, XA_WINDOW, &type, &format, &n, &after, &data) == Success && n == 1;
	if (data) XFree(data);
	return ok;
}

static int maximise(unsigned long win) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 1;
	Window root = DefaultRootWindow(d);
	if (has_wm(d, root)) {
		XEvent ev;
		memset(&ev, 0, sizeof ev);
		ev.xclient.type = ClientMessage;
		ev.xclient.window = (Window)win;
		ev.xclient.message_type = XInternAtom(d, "_NET_WM_STATE", False);
		ev.xclient.format = 32;
		ev.xclient.data.l[0] = 1; // _NET_WM_STATE_ADD
		ev.xclient.data.l[1] = XInternAtom(d, "_NET_WM_STATE_MAXIMIZED_VERT", False);
		ev.xclient.data.l[2] = XInternAtom(d, "_NET_WM_STATE_MAXIMIZED_HORZ", False);
		ev.xclient.data.l[3] = 1; // a normal application asks
		XSendEvent(d, root, False, SubstructureRedirectMask | SubstructureNotifyMask, &ev);
	} else {
		XWindowAttributes a;
		XGetWindowAttributes(d, root, &a);
		XMoveResizeWindow(d, (Window)win, 0, 0, a.width, a.height);
	}
	XFlush(d);
	XCloseDisplay(d);
	return 0;
}
*/
import "C"

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// Maximise fills the screen with w. Call it once the window is shown.
func Maximise(w fyne.Window) error {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return errors.New("maximise window: not a native window")
	}
	var err error
	nw.RunNative(func(ctx any) {
		x, ok := ctx.(driver.X11WindowContext)
		if !ok || x.WindowHandle == 0 {
			err = errors.New("maximise window: no X11 window")
			return
		}
		if C.maximise(C.ulong(x.WindowHandle)) != 0 {
			err = errors.New("maximise window: cannot open the X display")
		}
	})
	return err
}
