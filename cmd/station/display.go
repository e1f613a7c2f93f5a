package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// errNoDisplay: the window has nowhere to open. Without this check the window library logs
// "X11: Failed to open display" and then panics with a goroutine dump, after the station has
// already created its database.
var errNoDisplay = errors.New("the station's window needs a display")

// displayAdvice ends every message of checkDisplay: the officer may only want a tool.
const displayAdvice = "the command-line tools work without one: station help"

// checkDisplay says, in one line with what to do, why the window could not open on the X
// display named by display (DISPLAY's value; wayland is WAYLAND_DISPLAY's). The station's GLFW
// is built for X11, as scripts/release builds it: a Wayland desktop runs it through XWayland,
// which sets DISPLAY, so DISPLAY is what has to work. A server that accepts the connection but
// refuses the station's authorisation is not caught here.
func checkDisplay(display, wayland string) error {
	if display == "" {
		if wayland != "" {
			return fmt.Errorf("%w: WAYLAND_DISPLAY is set but DISPLAY is not, and the station runs on X11: start it from a desktop session with XWayland (Debian's GNOME and KDE have it), or under a virtual display: xvfb-run station …; %s",
				errNoDisplay, displayAdvice)
		}
		return fmt.Errorf("%w, and none is set (DISPLAY): run it from the desktop session, or under a virtual display: xvfb-run station …; %s",
			errNoDisplay, displayAdvice)
	}
	attempts, ok := xAddresses(display)
	if !ok {
		return nil // a form this check does not know: the window library tries it itself
	}
	var last error
	var tried []string
	for _, a := range attempts {
		c, err := net.DialTimeout(a.network, a.addr, 2*time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
		// The abstract socket has the file's name: one mention does for both.
		if !strings.HasPrefix(a.addr, "@") {
			tried = append(tried, a.addr)
		}
	}
	return fmt.Errorf("%w, and DISPLAY=%s cannot be opened (no X server answers at %s: %v): check that DISPLAY names a running X server (under ssh: ssh -X), or run it under a virtual display: xvfb-run station …; %s",
		errNoDisplay, display, strings.Join(tried, " or "), unwrapDial(last), displayAdvice)
}

// unwrapDial keeps the cause of a failed connection ("connection refused") without Go's
// "dial unix …" prefix, which repeats the address.
func unwrapDial(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

type xAttempt struct{ network, addr string }

// xAddresses is where the X server of a DISPLAY value ([protocol/]host:number[.screen])
// listens, in the order Xlib (libxcb) tries them: a local display on the abstract Unix socket,
// then the socket file /tmp/.X11-unix/X<number>, then TCP to localhost; "unix:n" on the
// sockets only; "host:n" on TCP port 6000+n. ok is false for forms the check does not know
// (DECnet "host::n", a socket path such as macOS's launchd one).
func xAddresses(display string) (attempts []xAttempt, ok bool) {
	i := strings.LastIndex(display, ":")
	if i < 0 {
		return nil, false
	}
	host, num := display[:i], display[i+1:]
	if dot := strings.Index(num, "."); dot >= 0 {
		num = num[:dot]
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 65535-6000 || strings.HasSuffix(host, ":") || strings.HasPrefix(host, "/") {
		return nil, false
	}
	protocol := ""
	if j := strings.Index(host, "/"); j >= 0 {
		protocol, host = host[:j], host[j+1:]
	}
	socket := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	unix := []xAttempt{{"unix", "@" + socket}, {"unix", socket}}
	tcp := func(h string) xAttempt {
		return xAttempt{"tcp", net.JoinHostPort(strings.Trim(h, "[]"), strconv.Itoa(6000+n))}
	}
	switch {
	case protocol == "unix" || protocol == "local" || protocol == "" && host == "unix":
		return unix, true
	case protocol == "" && host == "":
		return append(unix, tcp("localhost")), true
	case protocol == "" || protocol == "tcp" || protocol == "inet" || protocol == "inet6":
		if host == "" {
			host = "localhost"
		}
		return []xAttempt{tcp(host)}, true
	}
	return nil, false
}
