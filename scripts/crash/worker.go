package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
	"github.com/wardpolice/enroll/sync/courier"
	"github.com/wardpolice/enroll/sync/wire"
)

// The worker is the station process the harness kills: `crash worker` opens the station
// database, logs in and does one kind of work through the same store and courier calls the
// station's window and commands make, announcing each operation on standard output before and
// after it ("begin save 12 - 1", "end save 12 <id> 1"). The harness reads those lines, picks
// one operation to kill the worker in and sends SIGKILL a random delay after its "begin".
// Output is unbuffered (os.Stdout), so every line written before the kill reaches the harness.

// Worker modes.
const (
	modeEnroll = "enroll" // wizard saves step by step, then complete; or a direct complete
	modeBuild  = "build"  // pack complete records into batches
	modeSync   = "sync"   // build, upload (optionally throttled), pull and apply verdicts
	modePurge  = "purge"  // purge delivered records
)

// dieAfter names an operation after which the worker kills itself with SIGKILL at once: a
// kill at an exact point, for reproducing what a random one found.
var dieAfter string

func say(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	os.Stdout.WriteString(line + "\n")
	if dieAfter != "" && (line == "end "+dieAfter || strings.HasPrefix(line, "end "+dieAfter+" ")) {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}

func runWorker(args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	db := fs.String("db", "", "station database")
	user := fs.String("user", "", "officer who logs in")
	mode := fs.String("mode", modeEnroll, "enroll, build, sync or purge")
	peopleFile := fs.String("people", "", "people file (enroll)")
	persons := fs.String("persons", "", "comma-separated person numbers to enrol (enroll)")
	resume := fs.String("resume", "", "comma-separated id:person drafts to finish first (enroll)")
	throttle := fs.Int64("throttle", 0, "upload speed in bytes per second (sync; 0: unlimited)")
	fs.StringVar(&dieAfter, "die-after", "", "SIGKILL itself right after this operation returns (save, complete, build, addbatch, uploaded, apply, purge, …)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pw, err := io.ReadAll(io.LimitReader(os.Stdin, 1024))
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Authenticate(ctx, *user, strings.TrimSpace(string(pw))); err != nil {
		return err
	}
	w := &worker{st: st, user: *user, outbox: filepath.Join(filepath.Dir(*db), "outbox")}
	say("ready")
	switch *mode {
	case modeEnroll:
		if w.ps, err = readPeople(*peopleFile); err != nil {
			return err
		}
		return w.enroll(ctx, *resume, *persons)
	case modeBuild:
		c := w.courier(0)
		if err := c.Tidy(ctx); err != nil {
			return err
		}
		return w.build(ctx, c)
	case modeSync:
		c := w.courier(*throttle)
		if err := c.Tidy(ctx); err != nil {
			return err
		}
		if err := w.build(ctx, c); err != nil {
			return err
		}
		say("begin pass")
		r, err := c.Pass(ctx, w.user)
		say("end pass uploaded=%d refused=%d pending=%d verified=%d rejected=%d err=%q", r.Uploaded, r.Refused, r.Pending,
			r.Applied.Verified, r.Applied.Rejected, errText(err))
		return nil // a failed pass (central killed under it) is what the harness checks after
	case modePurge:
		say("begin purge")
		n, err := st.Purge(ctx, w.user)
		say("end purge %d %q", n, errText(err))
		if err != nil && !errors.Is(err, enroll.ErrPurgeUnfinished) {
			return err
		}
		return nil
	}
	return fmt.Errorf("unknown mode %q", *mode)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type worker struct {
	st     *store.Store
	user   string
	outbox string
	ps     *people
}

// enroll finishes the drafts named in resume ("id:person,…") from the step each was saved at,
// then enrols the persons listed: even-numbered ones through the wizard's saves, odd-numbered
// ones with one Complete (as the demo generator and a record returned and fixed at once do).
func (w *worker) enroll(ctx context.Context, resume, persons string) error {
	for _, r := range splitList(resume) {
		id, p, ok := strings.Cut(r, ":")
		n, err := strconv.Atoi(p)
		if !ok || err != nil {
			return fmt.Errorf("resume %q: want id:person", r)
		}
		if err := w.wizard(ctx, n, id); err != nil {
			return err
		}
	}
	for _, s := range splitList(persons) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("persons: %w", err)
		}
		if n%2 == 0 {
			err = w.wizard(ctx, n, "")
		} else {
			err = w.direct(ctx, n)
		}
		if err != nil {
			return err
		}
	}
	say("done")
	return nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// wizard takes person n through the wizard's steps, each saved as the wizard saves it when the
// officer presses Next (the draft remembers the step to resume at), then completes it. With
// an id it resumes that draft at its saved step.
func (w *worker) wizard(ctx context.Context, n int, id string) error {
	full, err := w.ps.record(n)
	if err != nil {
		return err
	}
	e := &enroll.Enrollment{Status: enroll.StatusDraft, Station: full.Station, Officer: w.user, FingerSet: full.FingerSet}
	if id != "" {
		if e, err = w.st.Get(ctx, id); err != nil {
			return fmt.Errorf("resume draft %s: %w", id, err)
		}
		if e.Status != enroll.StatusDraft {
			return fmt.Errorf("resume draft %s: it is %s", id, e.Status)
		}
	}
	for e.Step < enroll.StepReview {
		switch e.Step {
		case enroll.StepIdentify:
			e.Citizen = full.Citizen
		case enroll.StepContact:
			e.Phone, e.Email, e.Integrations = full.Phone, full.Email, full.Integrations
		case enroll.StepPortrait:
			e.Portrait = full.Portrait
		case enroll.StepFingers:
			e.Fingers, e.Exceptions = full.Fingers, full.Exceptions
		}
		next := e.Step + 1
		say("begin save %d %s %d", n, orDash(e.ID), next)
		e.Step = next
		if err := w.st.SaveDraft(ctx, e); err != nil {
			return err
		}
		say("end save %d %s %d", n, e.ID, next)
	}
	e.Consent, e.ConsentAt = true, time.Now()
	e.Step = enroll.StepSaved
	say("begin complete %d %s", n, e.ID)
	if err := w.st.Complete(ctx, e); err != nil {
		return err
	}
	say("end complete %d %s", n, e.ID)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// direct saves person n's whole record as complete in one call.
func (w *worker) direct(ctx context.Context, n int) error {
	e, err := w.ps.record(n)
	if err != nil {
		return err
	}
	e.Officer = w.user
	say("begin complete %d -", n)
	if err := w.st.Complete(ctx, e); err != nil {
		return err
	}
	say("end complete %d %s", n, e.ID)
	return nil
}

func (w *worker) courier(throttle int64) *courier.Courier {
	c := courier.New(markedStore{w.st}, w.outbox)
	c.Transport = func(t *http.Transport) http.RoundTripper { return markedTransport{next: t, rate: throttle} }
	return c
}

func (w *worker) build(ctx context.Context, c *courier.Courier) error {
	say("begin build")
	built, packed, err := c.Build(ctx, w.user)
	if err != nil {
		return err
	}
	say("end build %d %d", built, packed)
	return nil
}

// markedStore announces the courier's store writes the harness aims at.
type markedStore struct{ *store.Store }

func (m markedStore) ApplyVerdicts(ctx context.Context, actor string, verdicts []enroll.Verdict) (store.Applied, error) {
	say("begin apply %d", len(verdicts))
	a, err := m.Store.ApplyVerdicts(ctx, actor, verdicts)
	say("end apply %d %d %d %q", a.Received, a.Verified, a.Rejected, errText(err))
	return a, err
}

func (m markedStore) AddBatch(ctx context.Context, actor string, b enroll.Batch, records []store.Sent) error {
	say("begin addbatch %s", b.ID)
	err := m.Store.AddBatch(ctx, actor, b, records)
	say("end addbatch %s %q", b.ID, errText(err))
	return err
}

func (m markedStore) BatchUploaded(ctx context.Context, actor, id string) error {
	say("begin uploaded %s", id)
	err := m.Store.BatchUploaded(ctx, actor, id)
	say("end uploaded %s %q", id, errText(err))
	return err
}

// markedTransport announces each request to central and can slow the upload's bytes down to
// rate, as a ward office's line would, so that a kill lands while bytes are on the way.
type markedTransport struct {
	next http.RoundTripper
	rate int64
}

func (m markedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	op := strings.ToLower(r.Method)
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, wire.StatusPath):
		op = "status"
	case r.Method == http.MethodPost:
		op = "create"
	}
	if r.Method == http.MethodPatch && m.rate > 0 && r.Body != nil {
		r.Body = &slowBody{r: r.Body, rate: m.rate, start: time.Now()}
	}
	say("begin %s %d", op, r.ContentLength)
	resp, err := m.next.RoundTrip(r)
	if err != nil {
		say("end %s error %q", op, err.Error())
		return nil, err
	}
	say("end %s %d", op, resp.StatusCode)
	return resp, nil
}

// slowBody reads at most rate bytes per second.
type slowBody struct {
	r     io.ReadCloser
	rate  int64
	start time.Time
	n     int64
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(p) > 16<<10 {
		p = p[:16<<10]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if due := b.start.Add(time.Duration(b.n * int64(time.Second) / b.rate)); time.Until(due) > 0 {
		time.Sleep(time.Until(due))
	}
	return n, err
}

func (b *slowBody) Close() error { return b.r.Close() }
