package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// central runs one central's commands on its folder, and its server.
type central struct {
	bin  string
	dir  string
	addr string
	log  *os.File // the server's log, appended over restarts
	cmd  *exec.Cmd
	done chan error
}

// run runs a central command to its end.
func (c *central) run(args ...string) (string, error) {
	cmd := exec.Command(c.bin, append(args, "--dir", c.dir)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("central %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// freeAddr finds a loopback port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start starts `central serve` and waits until it says it is serving.
func (c *central) start() error {
	if c.cmd != nil {
		return errors.New("central serve is already running")
	}
	var lastErr error
	for attempt := range 20 {
		if attempt > 0 {
			time.Sleep(250 * time.Millisecond) // a killed server's port may still be held
		}
		cmd := exec.Command(c.bin, "serve", "--dir", c.dir, "--listen", c.addr)
		cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
		cmd.Stderr = c.log
		w := &serveOutput{serving: make(chan struct{})}
		cmd.Stdout = w
		if err := cmd.Start(); err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-w.serving:
			c.cmd, c.done = cmd, done
			return nil
		case err := <-done:
			lastErr = fmt.Errorf("central serve on %s did not start: %v (its log: %s)", c.addr, err, c.log.Name())
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			lastErr = fmt.Errorf("central serve on %s did not start within 20 s: %v", c.addr, <-done)
		}
	}
	return lastErr
}

// serveOutput watches the server's standard output for the line saying it serves.
type serveOutput struct {
	mu      sync.Mutex
	buf     []byte
	serving chan struct{}
	seen    bool
}

func (w *serveOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.seen {
		w.buf = append(w.buf, p...)
		if bytes.Contains(w.buf, []byte("serving")) {
			w.seen = true
			close(w.serving)
		}
	}
	return len(p), nil
}

// kill stops the server with SIGKILL and reports whether it was still running.
func (c *central) kill() bool {
	if c.cmd == nil {
		return false
	}
	err := c.cmd.Process.Signal(syscall.SIGKILL)
	werr := <-c.done
	c.cmd = nil
	return err == nil && killedBySignal(werr)
}

// stop stops the server the way an operator does (SIGTERM: it finishes what it is doing).
func (c *central) stop() error {
	if c.cmd == nil {
		return nil
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-c.done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		err = fmt.Errorf("central serve did not stop within 30 s of SIGTERM: %v", <-c.done)
	}
	c.cmd = nil
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("central serve stopped with %v", err)
	}
	return err
}

// killedBySignal tells a process SIGKILL ended from one that had already exited.
func killedBySignal(err error) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// setUp creates central's folder, loads the register and registers the station.
func (c *central) setUp(register, station, provision string) error {
	if _, err := c.run("init", "--url", "https://"+c.addr); err != nil {
		return err
	}
	if _, err := c.run("register", "load", register); err != nil {
		return err
	}
	_, err := c.run("station", "add", station, "--name", "Trạm thử nghiệm sập nguồn", "--out", provision)
	return err
}

// stationCmd runs a station command with the password on standard input.
func stationCmd(bin, password string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	cmd.Stdin = strings.NewReader(password + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("station %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}
