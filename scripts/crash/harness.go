package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/sync/courier"
)

// point is a kind of moment the harness kills a process in.
type point struct {
	Name    string
	Process string
	What    string
	weight  int
}

var points = []point{
	{"save-step", "station (worker)", "a wizard step's draft save (SaveDraft): a new draft's first save or a later step, also of a draft resumed after a kill", 5},
	{"complete", "station (worker)", "saving a record complete (Complete): from the wizard's review step, or in one call", 4},
	{"build-batch", "station (worker)", "packing complete records into a signed, encrypted batch file, and recording the batch (AddBatch)", 3},
	{"upload", "station (worker)", "a batch's tus upload at 2 MB/s until central's answer to the last PATCH; or the station recording the upload and deleting the batch file", 4},
	{"apply-statuses", "station (worker)", "applying central's verdicts (ApplyVerdicts: received, verified, rejected back to draft)", 3},
	{"purge", "station (worker)", "purging delivered records (retention 0 days) and truncating the WAL", 3},
	{"central-serve", "central serve", "central while a station uploads at 2 MB/s, and while it ingests and verifies the batch", 3},
	{"central-import", "central import", "central importing batch files from removable media (ingest and verification)", 3},
}

// The station every epoch sets up, and how many people each kill works on.
const (
	stationCode     = "CRASH-01"
	supervisor      = "crash.supervisor"
	password        = "Crash-harness-2026"
	uploadRate      = 2 << 20 // bytes per second of a throttled upload
	recordsPerKill  = 3
	attemptsPerKill = 6
)

// harness is one run.
type harness struct {
	cfg  config
	out  io.Writer
	root string
	work string
	bins struct{ station, central, worker string }
	ps   *people
	// peopleFile holds the records workers enrol; registerFile the citizen register.
	peopleFile, registerFile string
	pidPerson                map[enroll.PersonalID]int
	rng                      *rand.Rand
	durs                     map[string]*meanDuration
	res                      *results
	ep                       *epoch
	kill                     int
}

// meanDuration learns how long an operation takes, from the ones that finished.
type meanDuration struct {
	n   int
	sum time.Duration
}

func (m *meanDuration) add(d time.Duration) { m.n++; m.sum += d }

// guesses are the operations' durations before any finished.
var guesses = map[string]time.Duration{
	"save": 15 * time.Millisecond, "complete": 20 * time.Millisecond, "build": 80 * time.Millisecond,
	"addbatch": 10 * time.Millisecond, "uploaded": 15 * time.Millisecond, "patch": 800 * time.Millisecond, "apply": 40 * time.Millisecond,
	"purge": 120 * time.Millisecond, "import": 1500 * time.Millisecond,
}

func (h *harness) duration(op string) time.Duration {
	if m := h.durs[op]; m != nil && m.n > 0 {
		return m.sum / time.Duration(m.n)
	}
	return guesses[op]
}

// delay is a random moment within an operation's usual duration and a little after.
func (h *harness) delay(op string) time.Duration {
	return time.Duration(h.rng.Int64N(int64(h.duration(op))*5/4 + 1))
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func run(ctx context.Context, cfg config, out io.Writer) (*results, error) {
	began := time.Now()
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	work := cfg.Work
	if work == "" {
		if work, err = os.MkdirTemp("", "enroll-crash-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(work, 0o700); err != nil {
		return nil, err
	}
	h := &harness{cfg: cfg, out: out, root: root, work: work, rng: newRand(cfg.Seed),
		durs: map[string]*meanDuration{}, res: newResults(cfg)}
	h.res.out = out
	fmt.Fprintf(out, "crash harness: %d kills, seed %d (go run ./scripts/crash -kills %d -seed %d repeats the schedule), work folder %s\n",
		cfg.Kills, cfg.Seed, cfg.Kills, cfg.Seed, work)
	if err := h.build(); err != nil {
		return nil, err
	}
	perEpoch := min(cfg.PerEpoch, cfg.Kills)
	h.peopleFile, h.registerFile = filepath.Join(work, "people.gob"), filepath.Join(work, "register.csv")
	t := time.Now()
	if h.ps, err = makePeople(ctx, cfg.Seed, 2*perEpoch*(recordsPerKill+2)+40, stationCode, supervisor, h.peopleFile, h.registerFile); err != nil {
		return nil, err
	}
	h.pidPerson = map[enroll.PersonalID]int{}
	for i, p := range h.ps.People {
		h.pidPerson[enroll.PersonalID(p.PID)] = i
	}
	fmt.Fprintf(out, "drew %d citizens and their register entries in %s\n", len(h.ps.People), time.Since(t).Round(time.Millisecond))
	var runErr error
	for _, p := range h.schedule() {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		// A fresh epoch after perEpoch kills, after a failure that leaves nothing to check, or
		// when the epoch has used up the citizens a kill's attempts may need.
		if h.ep == nil || h.ep.kills >= perEpoch || h.ep.broken || h.ep.next+(recordsPerKill+2)*attemptsPerKill > len(h.ps.People) {
			if err := h.newEpoch(ctx); err != nil {
				runErr = err
				break
			}
		}
		h.killAt(ctx, p)
	}
	h.endEpoch()
	h.res.Elapsed = time.Since(began)
	if len(h.res.Problems) == 0 && runErr == nil && !cfg.Keep && cfg.Work == "" {
		os.RemoveAll(work)
	} else {
		fmt.Fprintf(out, "work folder kept: %s\n", work)
	}
	return h.res, runErr
}

// repoRoot finds the module's folder from the working directory (go run from the checkout,
// go test from scripts/crash).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/wardpolice/enroll\n")) {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("run the crash harness from the checkout (no go.mod of github.com/wardpolice/enroll above the working directory)")
		}
		dir = up
	}
}

// build compiles the station, central and the harness itself (its worker) into the work folder.
func (h *harness) build() error {
	t := time.Now()
	bin := filepath.Join(h.work, "bin")
	h.bins.station, h.bins.central, h.bins.worker = filepath.Join(bin, "station"), filepath.Join(bin, "central"), filepath.Join(bin, "crash")
	for _, b := range []struct{ out, pkg string }{{h.bins.station, "./cmd/station"}, {h.bins.central, "./cmd/central"}, {h.bins.worker, "./scripts/crash"}} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Dir = h.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	fmt.Fprintf(h.out, "built station, central and the worker in %s\n", time.Since(t).Round(time.Millisecond))
	return nil
}

// schedule spreads the kills over the points by weight (every point at least once), shuffled.
func (h *harness) schedule() []point {
	points := h.cfg.points()
	total := 0
	for _, p := range points {
		total += p.weight
	}
	counts := make([]int, len(points))
	left := h.cfg.Kills
	for i, p := range points {
		counts[i] = max(1, h.cfg.Kills*p.weight/total)
		left -= counts[i]
	}
	for i := 0; left > 0; i = (i + 1) % len(points) {
		counts[i]++
		left--
	}
	for i := len(points) - 1; left < 0; i = (i + len(points) - 1) % len(points) {
		if counts[i] > 1 {
			counts[i]--
			left++
		}
	}
	var s []point
	for i, p := range points {
		for range counts[i] {
			s = append(s, p)
		}
	}
	h.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

// epoch is one fresh station and central, used for up to -epoch kills.
type epoch struct {
	n      int
	dir    string
	db     string
	media  string
	c      *central
	ledger map[string]*rec
	person map[int]*rec
	next   int
	kills  int
	broken bool
	// found: audit entries the last check found without a MAC.
	found int64
	// leftover: outbox files already reported.
	leftover map[string]bool
}

// rec is what the harness knows a station record must be.
type rec struct {
	id     string
	person int
	// complete: a Complete returned (or the record was seen past draft); from then on the
	// record must exist, whole, and reach central.
	complete bool
	// step is the step the last confirmed draft save recorded.
	step enroll.Step
	// status is the station's status when last looked at; returned says central sent it back.
	status   enroll.Status
	returned bool
	central  string
}

func (ep *epoch) take(n int) []int {
	var ps []int
	for range n {
		ps = append(ps, ep.next)
		ep.next++
	}
	return ps
}

// record finds or adds the ledger entry of a record.
func (ep *epoch) record(id string, person int) *rec {
	if r, ok := ep.ledger[id]; ok {
		return r
	}
	r := &rec{id: id, person: person, status: enroll.StatusDraft}
	ep.ledger[id] = r
	ep.person[person] = r
	return r
}

func (h *harness) newEpoch(ctx context.Context) error {
	h.endEpoch()
	n := h.res.Epochs + 1
	ep := &epoch{n: n, dir: filepath.Join(h.work, fmt.Sprintf("epoch-%d", n)), ledger: map[string]*rec{}, person: map[int]*rec{},
		leftover: map[string]bool{}}
	ep.db = filepath.Join(ep.dir, "station", "station.db")
	ep.media = filepath.Join(ep.dir, "usb")
	if err := os.MkdirAll(filepath.Dir(ep.db), 0o700); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	log, err := os.Create(filepath.Join(ep.dir, "central-serve.log"))
	if err != nil {
		return err
	}
	ep.c = &central{bin: h.bins.central, dir: filepath.Join(ep.dir, "central"), addr: addr, log: log}
	prov := filepath.Join(ep.dir, stationCode+".provision.json")
	if err := ep.c.setUp(h.registerFile, stationCode, prov); err != nil {
		return err
	}
	st, err := store.Open(ctx, ep.db, store.WithPasswordParams(store.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1}))
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Init(ctx, enroll.StationSetup{Office: "Trạm thử nghiệm sập nguồn", Code: stationCode,
		Supervisor: enroll.OfficerForm{Username: supervisor, FullName: "Nguyễn Văn Kiểm", Password: password, Confirm: password}}); err != nil {
		return err
	}
	if err := st.SetNumericSetting(ctx, supervisor, enroll.SettingRetentionDays, 0); err != nil {
		return err
	}
	data, err := os.ReadFile(prov)
	if err != nil {
		return err
	}
	if _, err := courier.Provision(ctx, st, supervisor, data); err != nil {
		return err
	}
	os.Remove(prov)
	if err := st.Close(); err != nil {
		return err
	}
	if err := ep.c.start(); err != nil {
		return err
	}
	h.ep = ep
	h.res.Epochs = n
	if h.cfg.Verbose {
		fmt.Fprintf(h.out, "epoch %d: station %s, central on %s\n", n, ep.db, addr)
	}
	return nil
}

// endEpoch stops central and adds the epoch's records to the totals.
func (h *harness) endEpoch() {
	ep := h.ep
	if ep == nil {
		return
	}
	h.ep = nil
	if err := ep.c.stop(); err != nil {
		h.res.problem(nil, "epoch %d: %v", ep.n, err)
	}
	ep.c.log.Close()
	for _, r := range ep.ledger {
		switch {
		case r.complete && r.status == enroll.StatusPurged:
			h.res.Records.Purged++
		case r.complete && r.status == enroll.StatusVerified:
			h.res.Records.Verified++
		case r.complete && r.returned:
			h.res.Records.Rejected++
		case !r.complete:
			h.res.Records.Drafts++
		}
		if r.complete {
			h.res.Records.Completed++
		}
	}
}

// iteration is one attempt at a kill.
type iteration struct {
	point   point
	kill    int
	attempt int
	landed  bool
	inside  bool
	op      string
	phase   string
	delay   time.Duration
	// handed: persons whose records the killed process may have created unannounced.
	handed   map[int]bool
	problems int
	passes   int
	began    time.Time
}

// killAt lands one kill at point p: it tries again (with new records) when the process
// finished before the moment drawn, and checks everything after every attempt.
func (h *harness) killAt(ctx context.Context, p point) {
	h.kill++
	pr := h.res.point(p.Name)
	for attempt := 1; attempt <= attemptsPerKill; attempt++ {
		it := &iteration{point: p, kill: h.kill, attempt: attempt, handed: map[int]bool{}, began: time.Now()}
		h.iterate(ctx, it)
		if !h.ep.broken {
			h.verify(ctx, it)
		}
		pr.Attempts++
		pr.Time += time.Since(it.began)
		pr.Problems += it.problems
		if it.passes > 0 {
			h.res.Passes[it.passes]++
		}
		if h.cfg.Verbose || it.problems > 0 {
			state := "missed (the process finished first)"
			if it.landed {
				state = "after the operation returned"
				if it.inside {
					state = "inside the operation"
				}
			}
			fmt.Fprintf(h.out, "kill %d/%d %-14s %s %s+%s: %s; %d sync passes, %d problems (%s)\n", it.kill, h.cfg.Kills, p.Name,
				it.op, it.phase, it.delay.Round(time.Millisecond), state, it.passes, it.problems, time.Since(it.began).Round(time.Millisecond))
		}
		if it.landed {
			pr.Kills++
			h.ep.kills++
			if it.inside {
				pr.Inside++
			} else {
				pr.After++
			}
			if it.phase != "" {
				pr.Phases[it.phase]++
			}
			return
		}
		if h.ep.broken {
			break
		}
	}
	pr.Missed++
}

// iterate prepares the station for the point, then runs the process and kills it.
func (h *harness) iterate(ctx context.Context, it *iteration) {
	ep := h.ep
	worker := func(args []string, a aim) { h.runWorker(it, args, a) }
	switch it.point.Name {
	case "save-step", "complete":
		persons := ep.take(recordsPerKill)
		var resume []string
		saves, completes := 0, len(persons)
		for _, r := range h.drafts() {
			resume = append(resume, fmt.Sprintf("%s:%d", r.id, r.person))
			saves += int(enroll.StepReview - r.step)
			completes++
			it.handed[r.person] = true
		}
		var list []string
		for _, p := range persons {
			list = append(list, strconv.Itoa(p))
			if p%2 == 0 {
				saves += int(enroll.StepReview - enroll.StepIdentify)
			}
			it.handed[p] = true
		}
		a := aim{marker: "begin complete", nth: 1 + h.rng.IntN(completes), op: "complete"}
		if it.point.Name == "save-step" && saves > 0 {
			a = aim{marker: "begin save", nth: 1 + h.rng.IntN(saves), op: "save"}
		}
		worker([]string{"-mode", modeEnroll, "-people", h.peopleFile, "-persons", strings.Join(list, ","), "-resume", strings.Join(resume, ",")}, a)
	case "build-batch":
		if !h.completeHere(ctx, it, recordsPerKill) {
			return
		}
		a := aim{marker: "begin build", nth: 1, op: "build"}
		if h.rng.IntN(3) == 0 {
			a = aim{marker: "begin addbatch", nth: 1, op: "addbatch"}
		}
		worker([]string{"-mode", modeBuild}, a)
	case "upload":
		if !h.completeHere(ctx, it, recordsPerKill) {
			return
		}
		a := aim{marker: "begin patch", nth: 1, op: "patch"}
		if h.rng.IntN(3) == 0 {
			// The upload's end at the station: the batch recorded as uploaded, its file deleted.
			a = aim{marker: "begin uploaded", nth: 1, op: "uploaded"}
		}
		worker([]string{"-mode", modeSync, "-throttle", strconv.Itoa(uploadRate)}, a)
	case "apply-statuses":
		if !h.completeHere(ctx, it, recordsPerKill) {
			return
		}
		worker([]string{"-mode", modeSync}, aim{marker: "begin apply", nth: 1, op: "apply"})
	case "purge":
		if h.count(enroll.StatusVerified) < recordsPerKill {
			if !h.completeHere(ctx, it, recordsPerKill+1) {
				return
			}
			h.syncUntilDecided(ctx, it)
			it.passes = 0
		}
		worker([]string{"-mode", modePurge}, aim{marker: "begin purge", nth: 1, op: "purge"})
	case "central-serve":
		if !h.completeHere(ctx, it, recordsPerKill) {
			return
		}
		worker([]string{"-mode", modeSync, "-throttle", strconv.Itoa(uploadRate)}, aim{marker: "begin patch", nth: 1, op: "patch", central: true})
	case "central-import":
		h.importKill(ctx, it)
	}
}

// drafts are the wizard drafts a kill left unfinished, to resume.
func (h *harness) drafts() []*rec {
	var ds []*rec
	for _, r := range h.ep.ledger {
		if !r.complete && !r.returned && r.status == enroll.StatusDraft && r.step < enroll.StepSaved {
			ds = append(ds, r)
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].person < ds[j].person })
	return ds
}

func (h *harness) count(s enroll.Status) int {
	n := 0
	for _, r := range h.ep.ledger {
		if r.status == s {
			n++
		}
	}
	return n
}

// completeHere saves n new complete records in the harness's own process (no kill), as work
// for the courier.
func (h *harness) completeHere(ctx context.Context, it *iteration, n int) bool {
	st, err := store.Open(ctx, h.ep.db)
	if err != nil {
		h.res.problem(it, "station database does not open: %v", err)
		h.ep.broken = true
		return false
	}
	defer st.Close()
	if _, err := st.Authenticate(ctx, supervisor, password); err != nil {
		h.res.problem(it, "login: %v", err)
		return false
	}
	for _, p := range h.ep.take(n) {
		e, err := h.ps.record(p)
		if err != nil {
			h.res.problem(it, "%v", err)
			return false
		}
		e.Officer = supervisor
		if err := st.Complete(ctx, e); err != nil {
			h.res.problem(it, "complete person %d: %v", p, err)
			return false
		}
		r := h.ep.record(e.ID, p)
		r.complete, r.status, r.step = true, enroll.StatusComplete, enroll.StepSaved
	}
	return true
}

// aim says where to kill: delay after the nth line starting with marker, the worker or
// (central) central serve, which is started again at once.
type aim struct {
	marker  string
	nth     int
	op      string
	central bool
}

// runWorker runs the worker with args, reading its announcements into the ledger, and kills
// it (or central) as aimed.
func (h *harness) runWorker(it *iteration, args []string, a aim) {
	ep := h.ep
	cmd := exec.Command(h.bins.worker, append([]string{"worker", "-db", ep.db, "-user", supervisor}, args...)...)
	cmd.Stdin = strings.NewReader(password)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		h.res.problem(it, "worker: %v", err)
		return
	}
	if err := cmd.Start(); err != nil {
		h.res.problem(it, "worker: %v", err)
		return
	}
	type line struct {
		text string
		at   time.Time
	}
	lines := make(chan line, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- line{sc.Text(), time.Now()}
		}
		close(lines)
	}()
	it.op = a.op
	var (
		seen     int
		timer    <-chan time.Time
		killedAt time.Time
		armed    bool
		ended    bool
		begun    = map[string]time.Time{}
		hard     = time.After(2 * time.Minute)
		hung     bool
	)
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break loop
			}
			f := strings.Fields(l.text)
			if len(f) >= 2 && f[0] == "begin" {
				begun[f[1]] = l.at
				if len(f) >= 3 && (f[1] == "save" || f[1] == "complete") {
					if p, err := strconv.Atoi(f[2]); err == nil {
						it.handed[p] = true
					}
				}
			}
			if len(f) >= 2 && f[0] == "end" {
				if t, ok := begun[f[1]]; ok && (killedAt.IsZero() || l.at.Before(killedAt)) {
					h.observe(f[1], l.at.Sub(t))
				}
				h.note(f)
			}
			if !armed && strings.HasPrefix(l.text, a.marker) {
				if seen++; seen == a.nth {
					armed = true
					it.delay = h.delay(a.op)
					it.phase = h.phaseOf(a, f, it.delay)
					timer = time.After(it.delay)
				}
			} else if armed && len(f) >= 2 && f[0] == "end" && f[1] == a.op && (!a.central || killedAt.IsZero()) {
				ended = true
			}
		case <-timer:
			timer = nil
			killedAt = time.Now()
			if a.central {
				it.landed = ep.c.kill()
				if err := ep.c.start(); err != nil {
					h.res.problem(it, "central does not start again after the kill: %v", err)
					ep.broken = true
				}
			} else {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		case <-hard:
			hung = true
			cmd.Process.Kill()
		}
	}
	werr := cmd.Wait()
	switch {
	case hung:
		h.res.problem(it, "the worker (%s) did not finish within 2 minutes; killed\n%s", strings.Join(args, " "), stderr.String())
	case !a.central && !killedAt.IsZero() && killedBySignal(werr):
		it.landed = true
	case werr != nil && !killedBySignal(werr):
		h.res.problem(it, "the worker (%s) failed: %v\n%s", strings.Join(args, " "), werr, strings.TrimSpace(stderr.String()))
	}
	it.inside = it.landed && !ended
}

// phaseOf names the part of the operation a kill was aimed at, for the report.
func (h *harness) phaseOf(a aim, f []string, delay time.Duration) string {
	switch a.op {
	case "save":
		if len(f) >= 4 && f[3] == "-" {
			return "new draft"
		}
		return "existing draft"
	case "complete":
		if len(f) >= 4 && f[3] == "-" {
			return "in one call"
		}
		return "from a draft"
	case "build", "addbatch":
		return map[string]string{"build": "writing the batch", "addbatch": "recording the batch"}[a.op]
	case "uploaded":
		return "recording the upload"
	case "patch":
		if len(f) >= 3 {
			if n, err := strconv.ParseInt(f[2], 10, 64); err == nil && delay < time.Duration(n*int64(time.Second)/uploadRate) {
				return "bytes on the way"
			}
		}
		return "central ingesting"
	}
	return ""
}

func (h *harness) observe(op string, d time.Duration) {
	m := h.durs[op]
	if m == nil {
		m = &meanDuration{}
		h.durs[op] = m
	}
	m.add(d)
}

// note takes a worker's "end" line into the ledger.
func (h *harness) note(f []string) {
	if len(f) < 4 || (f[1] != "save" && f[1] != "complete") {
		return
	}
	p, err := strconv.Atoi(f[2])
	if err != nil || f[3] == "-" {
		return
	}
	r := h.ep.record(f[3], p)
	switch f[1] {
	case "save":
		if len(f) >= 5 {
			if s, err := strconv.Atoi(f[4]); err == nil && enroll.Step(s) > r.step {
				r.step = enroll.Step(s)
			}
		}
	case "complete":
		r.complete, r.step = true, enroll.StepSaved
		if r.status == enroll.StatusDraft {
			r.status = enroll.StatusComplete
		}
	}
}

// importKill: the station exports its batches to removable media; central, its server
// stopped, imports them and is killed at a random moment; the operator imports the folder
// again; the station applies the acknowledgement; the server starts again.
func (h *harness) importKill(ctx context.Context, it *iteration) {
	ep := h.ep
	// Two exports: the folder holds two new batches besides those of earlier imports.
	for _, n := range []int{recordsPerKill, 2} {
		if !h.completeHere(ctx, it, n) {
			return
		}
		if _, err := stationCmd(h.bins.station, password, "export", "--to", ep.media, "--user", supervisor, "--db", ep.db); err != nil {
			h.res.problem(it, "%v", err)
			return
		}
	}
	if err := ep.c.stop(); err != nil {
		h.res.problem(it, "%v", err)
	}
	it.op = "import"
	it.delay = h.delay("import")
	cmd := exec.Command(h.bins.central, "import", ep.media, "--dir", ep.c.dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	if err := cmd.Start(); err != nil {
		h.res.problem(it, "central import: %v", err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			h.res.problem(it, "central import failed: %v\n%s", err, out.String())
		}
		h.observe("import", time.Since(began))
	case <-time.After(it.delay):
		cmd.Process.Signal(syscall.SIGKILL)
		it.landed = killedBySignal(<-done)
		it.inside = it.landed
	}
	if it.landed {
		// The folder holds earlier batches (duplicates, quick) and two new ones; import says
		// what it made of each once it has stored and verified it.
		it.phase = "first new batch"
		if strings.Contains(out.String(), ": received") {
			it.phase = "second new batch"
		}
	}
	// The operator runs the import again: every batch stored once, or refused with a reason.
	again, err := ep.c.run("import", ep.media)
	if err != nil {
		h.res.problem(it, "central import after the kill: %v", err)
		ep.broken = true
		return
	}
	for _, l := range strings.Split(again, "\n") {
		if strings.Contains(l, ": refused") {
			h.res.problem(it, "central import after the kill refused a batch: %s", l)
		}
	}
	if it.landed {
		h.checkImported(it)
	}
	acks, _ := filepath.Glob(filepath.Join(ep.media, "ack-"+stationCode+"-*.json"))
	sort.Strings(acks)
	if len(acks) == 0 {
		h.res.problem(it, "central import wrote no acknowledgement file in %s", ep.media)
	} else if _, err := stationCmd(h.bins.station, password, "import-ack", acks[len(acks)-1], "--user", supervisor, "--db", ep.db); err != nil {
		h.res.problem(it, "%v", err)
	}
	if err := ep.c.start(); err != nil {
		h.res.problem(it, "%v", err)
		ep.broken = true
	}
}
