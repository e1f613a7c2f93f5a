package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

static int ignoreErrors(Display *d, XErrorEvent *e) { return 0; }

static Display *openDisplay(const char *name) {
	XSetErrorHandler(ignoreErrors); // a window may go away between two calls
	return XOpenDisplay(name);
}

// viewableWindow returns the first top-level window that is mapped and at least 200 × 200
// (the station's; nothing else runs on this server), or 0.
static Window viewableWindow(Display *d) {
	Window root = DefaultRootWindow(d), r, p, *kids = NULL, found = 0;
	unsigned int n = 0, i;
	if (!XQueryTree(d, root, &r, &p, &kids, &n)) return 0;
	for (i = 0; i < n && !found; i++) {
		XWindowAttributes a;
		if (XGetWindowAttributes(d, kids[i], &a) && a.map_state == IsViewable && a.width >= 200 && a.height >= 200)
			found = kids[i];
	}
	if (kids) XFree(kids);
	return found;
}

// colours counts the distinct pixel values of a window's contents (every third pixel, up to
// limit ≤ 64), or returns -1 when the window cannot be read.
static int colours(Display *d, Window w, int limit) {
	XWindowAttributes a;
	unsigned long seen[64];
	int n = 0, x, y, k;
	if (limit > 64) limit = 64;
	if (!XGetWindowAttributes(d, w, &a)) return -1;
	XImage *img = XGetImage(d, w, 0, 0, a.width, a.height, AllPlanes, ZPixmap);
	if (!img) return -1;
	for (y = 0; y < a.height && n < limit; y += 3)
		for (x = 0; x < a.width && n < limit; x += 3) {
			unsigned long px = XGetPixel(img, x, y);
			for (k = 0; k < n; k++) if (seen[k] == px) break;
			if (k == n) seen[n++] = px;
		}
	XDestroyImage(img);
	return n;
}
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"
)

// xConn is a connection to the Xvfb server, used from one goroutine at a time.
type xConn struct{ d *C.Display }

func openX(display string) (*xConn, error) {
	name := C.CString(display)
	defer C.free(unsafe.Pointer(name))
	d := C.openDisplay(name)
	if d == nil {
		return nil, fmt.Errorf("cannot open X display %s", display)
	}
	return &xConn{d: d}, nil
}

func (x *xConn) close() { C.XCloseDisplay(x.d) }

// window is the station's top-level window once it is mapped, or 0.
func (x *xConn) window() uint64 { return uint64(C.viewableWindow(x.d)) }

// painted reports whether the window shows a drawn screen: a window not yet drawn is one
// colour; the login screen has text, a button and fields (dozens of colours).
func (x *xConn) painted(w uint64) bool { return C.colours(x.d, C.Window(w), 16) >= 12 }

// waitWindow polls every 5 ms until the window is mapped and then until its first drawn frame,
// and returns both times from since.
func (x *xConn) waitWindow(since time.Time, timeout time.Duration, exited <-chan struct{}) (w uint64, mapped, drawn time.Duration, err error) {
	deadline := since.Add(timeout)
	for w == 0 {
		if w = x.window(); w != 0 {
			mapped = time.Since(since)
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, 0, fmt.Errorf("no window after %s", timeout)
		}
		select {
		case <-exited:
			return 0, 0, 0, fmt.Errorf("the station exited before its window opened")
		case <-time.After(5 * time.Millisecond):
		}
	}
	for !x.painted(w) {
		if time.Now().After(deadline) {
			return w, mapped, 0, fmt.Errorf("window mapped after %s but not drawn after %s", mapped.Round(time.Millisecond), timeout)
		}
		select {
		case <-exited:
			return 0, 0, 0, fmt.Errorf("the station exited before its window was drawn")
		case <-time.After(5 * time.Millisecond):
		}
	}
	return w, mapped, time.Since(since), nil
}
