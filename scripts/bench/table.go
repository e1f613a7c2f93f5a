package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"
)

// result is a row's verdict.
type result string

const (
	pass       result = "pass"
	fail       result = "FAIL"
	info       result = "info"         // measured, no budget of its own
	unmeasured result = "NOT MEASURED" // the measurement itself failed; Measured says why
)

// row is one line of the table.
type row struct {
	What     string // what is measured
	Budget   string // the budget, as DESIGN.md §9 or issue 19 states it
	Measured string // the figures, with how many samples
	Result   result
	Load     string // load average (1, 5, 15 min) when the row's measurement ended
}

// verdict is pass when ok holds, fail otherwise.
func verdict(ok bool) result {
	if ok {
		return pass
	}
	return fail
}

// failed is a row whose measurement did not complete.
func failed(what, budget string, err error) row {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if len(msg) > 300 {
		i := 300
		for i > 0 && !utf8.RuneStart(msg[i]) {
			i--
		}
		msg = msg[:i] + "…"
	}
	return row{What: what, Budget: budget, Measured: "not measured: " + msg, Result: unmeasured}
}

// machine is what the figures were measured on.
type machine struct {
	Cores     int
	CPU       string
	MemGiB    string
	Go        string
	Kernel    string
	LoadStart string
	LoadEnd   string
	Commit    string
	When      time.Time
	Took      time.Duration
}

func describeMachine(root string) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		LoadStart: loadAverage(), When: time.Now().UTC()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(data), "MemTotal: %f kB", &kb); err == nil {
			m.MemGiB = fmt.Sprintf("%.0f GiB", kb/(1<<20))
		}
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.Go = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// loadAverage is /proc/loadavg's three figures.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func formatTable(cfg *config, m machine, rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Budgets (DESIGN.md §9, issue 19): %s run of %s, %s UTC, %s\n\n", mode(cfg), filepath.Base(cfg.Root)+"@"+m.Commit,
		m.When.Format("2006-01-02 15:04"), m.Took.Round(time.Second))
	fmt.Fprintf(&b, "Machine: %d cores (%s), %s RAM, kernel %s, %s. Load average (1, 5, 15 min) %s at the start, %s at the end.\n\n",
		m.Cores, m.CPU, m.MemGiB, m.Kernel, m.Go, m.LoadStart, m.LoadEnd)
	fmt.Fprintln(&b, "| what | budget | measured | result | load |")
	fmt.Fprintln(&b, "| --- | --- | --- | --- | --- |")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(r.What), cell(r.Budget), cell(r.Measured), r.Result, r.Load)
	}
	var missed []string
	for _, r := range rows {
		switch r.Result {
		case fail:
			missed = append(missed, fmt.Sprintf("%s: %s (budget %s)", r.What, r.Measured, r.Budget))
		case unmeasured:
			missed = append(missed, fmt.Sprintf("%s: %s", r.What, r.Measured))
		}
	}
	if len(missed) > 0 {
		fmt.Fprintf(&b, "\nMissed or not measured (%d):\n", len(missed))
		for _, s := range missed {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	} else {
		fmt.Fprintln(&b, "\nEvery row measured; every budget met.")
	}
	return b.String()
}
