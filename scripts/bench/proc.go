package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const sigterm = syscall.SIGTERM

// memStatus reads a process's VmRSS and VmHWM (kB) from /proc/PID/status.
func memStatus(pid int) (rssKB, hwmKB int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rssKB = n
		case "VmHWM":
			hwmKB = n
		}
	}
	return rssKB, hwmKB
}

// resetPeak makes the kernel start the process's VmHWM again from its current VmRSS
// (clear_refs 5, proc(5)), so that the next VmHWM is the peak of what followed.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

func rss(pid int) int64 {
	r, _ := memStatus(pid)
	return r
}

// writeBytes is what the process caused to be written to storage (/proc/PID/io).
func writeBytes(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTime is the process's user and system time (/proc/PID/stat, in clock ticks of 1/100 s,
// the USER_HZ of every Linux build this runs on).
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// After the command: state is field 3, utime 14 and stime 15 (1-based, in stat(5)).
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// memWatch samples a process's VmRSS every 100 ms and keeps the largest per phase.
type memWatch struct {
	mu      sync.Mutex
	current string
	peaks   map[string]int64
	done    chan struct{}
	stopped chan struct{}
}

func watchMemory(pid int) *memWatch {
	w := &memWatch{peaks: map[string]int64{}, done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(w.stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			r := rss(pid)
			w.mu.Lock()
			w.peaks[w.current] = max(w.peaks[w.current], r)
			w.mu.Unlock()
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *memWatch) phase(name string) {
	w.mu.Lock()
	w.current = name
	w.mu.Unlock()
}

// stop ends the sampling (once; later calls return the same peaks).
func (w *memWatch) stop() map[string]int64 {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	<-w.stopped
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peaks
}
