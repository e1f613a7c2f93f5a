package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// benchResult is one line of `go test -bench` output: the benchmark's name without the
// GOMAXPROCS suffix, its iterations and its metrics by unit (ns/op, MB/s, p99-ms …).
type benchResult struct {
	Name    string
	N       int
	Metrics map[string]float64
}

// metric returns the metric with the given unit; ok is false when the line has none.
func (r benchResult) metric(unit string) (float64, bool) {
	v, ok := r.Metrics[unit]
	return v, ok
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parseBench reads the benchmark result lines of go test's standard output.
func parseBench(out string) []benchResult {
	var rs []benchResult
	for _, line := range strings.Split(out, "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		r := benchResult{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r.Metrics[f[i+1]] = v
			}
		}
		if len(r.Metrics) > 0 {
			rs = append(rs, r)
		}
	}
	return rs
}

// goBench runs `go test -run ^$ -bench pattern` in pkg and returns the results. A failed run
// returns an error carrying the end of its output.
func goBench(cfg *config, pkg, pattern, benchtime string, count int, timeout time.Duration, env ...string) ([]benchResult, error) {
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime,
		"-count", strconv.Itoa(count), "-timeout", timeout.String(), pkg}
	out, err := runLogged(cfg, cfg.Root, env, "go", args...)
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, why(out))
	}
	rs := parseBench(out)
	if len(rs) == 0 {
		return nil, fmt.Errorf("go %s printed no benchmark results: %s", strings.Join(args, " "), tail(out, 600))
	}
	return rs, nil
}

// runLogged runs a command to its end and returns its output (stdout and stderr).
func runLogged(cfg *config, dir string, env []string, name string, args ...string) (string, error) {
	cfg.logf("$ %s %s %s", strings.Join(env, " "), name, strings.Join(args, " "))
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := startChild(cmd); err != nil {
		return "", err
	}
	err := waitChild(cmd)
	if cfg.Verbose {
		cfg.Log.Write(out.Bytes())
	}
	return out.String(), err
}

// tail is the end of s, on one line, cut at a character boundary.
func tail(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return "…" + s[i:]
}

// why is what a failed go test printed about its failure: each "--- FAIL" line with the
// message after it, or else the end of the output.
func why(out string) string {
	lines := strings.Split(out, "\n")
	var parts []string
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "--- FAIL") {
			msg := strings.TrimSpace(l)
			if i+1 < len(lines) {
				msg += " " + strings.TrimSpace(lines[i+1])
			}
			parts = append(parts, msg)
		}
	}
	if len(parts) == 0 {
		return tail(out, 600)
	}
	return strings.Join(parts, "; ")
}

// The children this program started, so that an interrupt or the end of the run stops each
// of them (by its own process id, nothing else).
var (
	childMu  sync.Mutex
	children = map[int]*exec.Cmd{}
)

func startChild(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	childMu.Lock()
	children[cmd.Process.Pid] = cmd
	childMu.Unlock()
	return nil
}

func waitChild(cmd *exec.Cmd) error {
	err := cmd.Wait()
	childMu.Lock()
	delete(children, cmd.Process.Pid)
	childMu.Unlock()
	return err
}

// stopChild asks a child to stop (SIGTERM), kills it after grace, and reaps it.
func stopChild(cmd *exec.Cmd, grace time.Duration) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	childMu.Lock()
	_, running := children[cmd.Process.Pid]
	childMu.Unlock()
	if !running {
		return
	}
	done := make(chan struct{})
	go func() {
		waitChild(cmd)
		close(done)
	}()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		cmd.Process.Kill()
		<-done
	}
}

func cleanupChildren() {
	childMu.Lock()
	var cmds []*exec.Cmd
	for _, c := range children {
		cmds = append(cmds, c)
	}
	childMu.Unlock()
	for _, c := range cmds {
		stopChild(c, 3*time.Second)
	}
}
