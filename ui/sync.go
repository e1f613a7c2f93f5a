package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// Syncer moves records to central in the background (sync/courier).
type Syncer interface {
	State() enroll.SyncState
	// Trigger asks for a pass now.
	Trigger()
	// SetOfficer names who is logged in ("" for nobody): batches are built only in a session.
	SetOfficer(username string)
	Bound(ctx context.Context) (enroll.Binding, error)
	ProvisionFile(ctx context.Context, actor string, data []byte) (enroll.Binding, error)
}

// syncEvery is how often the sync lines on screen are redrawn.
const syncEvery = 2 * time.Second

// syncOfficer tells the courier who is logged in; a login also asks for a pass, since the
// records saved since the last session can now be packed.
func (s *Station) syncOfficer(username string) {
	if s.cfg.Sync == nil {
		return
	}
	s.cfg.Sync.SetOfficer(username)
	if username != "" {
		s.cfg.Sync.Trigger()
	}
}

// watchSync redraws the sync lines on screen every syncEvery, for as long as the station runs.
func (s *Station) watchSync() {
	if s.cfg.Sync == nil {
		return
	}
	go func() {
		t := time.NewTicker(syncEvery)
		defer t.Stop()
		for {
			select {
			case <-s.stopped:
				return
			case <-t.C:
				s.do(s.refreshSync)
			}
		}
	}()
}

// syncLabel is a line of sync state that refreshSync keeps current.
func (s *Station) syncLabel() *widget.Label {
	l := widget.NewLabel(s.syncText(syncFacts{}))
	l.Wrapping = fyne.TextWrapWord
	s.syncLabels = append(s.syncLabels, l)
	s.refreshSync()
	return l
}

// syncFacts is what the sync lines say, gathered off the UI goroutine: counting records is a
// scan of the whole table, too slow to run on it at 200 000 records.
type syncFacts struct {
	gathered  bool
	bound     enroll.Binding
	boundErr  error
	counts    enroll.SyncCounts
	countsErr error
	state     enroll.SyncState
}

func (s *Station) gatherSync() syncFacts {
	f := syncFacts{gathered: true}
	if s.cfg.Sync == nil {
		return f
	}
	ctx := context.Background()
	f.bound, f.boundErr = s.cfg.Sync.Bound(ctx)
	f.counts, f.countsErr = s.cfg.Store.SyncCounts(ctx)
	f.state = s.cfg.Sync.State()
	return f
}

// refreshSync gathers the sync facts in the background and rewrites the lines on screen; a
// refresh already under way covers this one.
func (s *Station) refreshSync() {
	if len(s.syncLabels) == 0 || s.syncBusy {
		return
	}
	s.syncBusy = true
	var f syncFacts
	s.background(func() error { f = s.gatherSync(); return nil }, func(error) {
		s.syncBusy = false
		// A pass that ended, or changed a count, changes the lists on the Sync screen too.
		seen := fmt.Sprint(f.counts, f.state.Running, f.state.LastSuccess, f.state.LastError)
		if s.syncSeen != "" && seen != s.syncSeen && s.syncChanged != nil {
			s.syncChanged()
		}
		s.syncSeen = seen
		line := s.syncText(f)
		trouble := f.state.LastError != nil && !errors.Is(f.state.LastError, enroll.ErrNotProvisioned)
		for _, l := range s.syncLabels {
			l.Importance = widget.MediumImportance
			if trouble {
				l.Importance = widget.WarningImportance
			}
			l.SetText(line)
		}
	})
}

// syncText says, in a few words: bound to which central, what waits, what is moving, when
// sync last worked and what is wrong now.
func (s *Station) syncText(f syncFacts) string {
	switch {
	case s.cfg.Sync == nil:
		return s.tr.T("sync.off")
	case !f.gathered:
		return "…"
	case errors.Is(f.boundErr, enroll.ErrNotProvisioned):
		return s.tr.T("sync.not_provisioned")
	case f.boundErr != nil:
		return s.tr.Err(f.boundErr)
	}
	lines := []string{s.tr.F("sync.bound", map[string]any{"central": f.bound.Central})}
	if c := f.counts; f.countsErr == nil {
		lines = append(lines, s.tr.F("sync.counts", map[string]any{"waiting": c.Waiting + c.InBatches,
			"central": c.AtCentral, "verified": c.Verified, "returned": c.Returned}))
	}
	st := f.state
	switch {
	case st.Uploading != "" && st.Size > 0:
		lines = append(lines, s.tr.F("sync.uploading", map[string]any{"percent": st.Sent * 100 / st.Size,
			"mb": fmt.Sprintf("%.1f", float64(st.Size)/1e6)}))
	case st.Running:
		lines = append(lines, s.tr.T("sync.running"))
	}
	if !st.LastSuccess.IsZero() {
		lines = append(lines, s.tr.F("sync.last_ok", map[string]any{"time": st.LastSuccess.In(s.cfg.Now().Location()).Format("15:04 02/01")}))
	}
	if st.LastError != nil {
		lines = append(lines, s.tr.F("sync.last_error", map[string]any{"error": s.tr.Err(st.LastError)}))
	}
	return strings.Join(lines, "\n")
}

// showSync is the sync screen: the central this station sends to, what is on its way, the
// batches built and what central sent back.
func (s *Station) showSync() {
	s.show(func() fyne.CanvasObject {
		ctx := context.Background()
		back := widget.NewButton(s.tr.T("admin.back"), s.showHome)
		now := widget.NewButton(s.tr.T("sync.now"), s.syncNow)
		now.Importance = widget.HighImportance
		top := container.NewBorder(nil, nil, container.NewHBox(back, heading(s.tr.T("sync.title"))), container.NewHBox(now, s.langSelect()))
		state := container.NewVBox(heading(s.tr.T("sync.state")), s.syncLabel())
		if s.officer.Role == enroll.RoleSupervisor && s.cfg.Sync != nil {
			state.Add(widget.NewButton(s.tr.T("sync.provision"), s.askProvision))
		}
		returnedTab, batchesTab := container.NewTabItem("", nil), container.NewTabItem("", nil)
		tabs := container.NewAppTabs(returnedTab, batchesTab)
		fill := func() {
			batches, nb := s.batchList(ctx)
			returned, sentBack := s.loadTable(func() ([]enroll.Summary, error) {
				return s.cfg.Store.Returned(ctx)
			}, s.openRecord)
			returnedTab.Text, returnedTab.Content = s.tr.F("sync.returned", map[string]any{"count": len(sentBack)}), returned
			batchesTab.Text, batchesTab.Content = s.tr.F("sync.batches", map[string]any{"count": nb}), batches
			tabs.Refresh()
		}
		fill()
		s.syncChanged = fill
		body := container.NewHSplit(container.NewPadded(state), tabs)
		body.Offset = 0.32
		return container.NewBorder(container.NewPadded(top), nil, nil, nil, body)
	})
	acts := []action{{"admin.back", fyne.KeyLeft, fyne.KeyModifierAlt, s.showHome}, {"sync.now", fyne.KeyF5, 0, s.syncNow}}
	if s.officer.Role == enroll.RoleSupervisor {
		acts = append(acts, action{"admin.title", fyne.KeyA, fyne.KeyModifierControl | fyne.KeyModifierShift, s.showAdmin})
	}
	s.setActions(acts...)
}

// syncNow asks for a pass at once, and shows that it runs.
func (s *Station) syncNow() {
	if s.cfg.Sync != nil {
		s.cfg.Sync.Trigger()
	}
	s.refreshSync()
}

// batchList lists the station's batches, newest first.
func (s *Station) batchList(ctx context.Context) (fyne.CanvasObject, int) {
	items, err := s.cfg.Store.Batches(ctx)
	if err != nil {
		l := widget.NewLabel(s.tr.Err(err))
		l.Importance = widget.DangerImportance
		return l, 0
	}
	if len(items) == 0 {
		return widget.NewLabel(s.tr.T("sync.no_batches")), 0
	}
	list := widget.NewList(func() int { return len(items) },
		func() fyne.CanvasObject { l := widget.NewLabel(""); l.Truncation = fyne.TextTruncateEllipsis; return l },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.batchText(items[i])) })
	list.OnSelected = func(i widget.ListItemID) {
		list.UnselectAll()
		if items[i].Reason != "" {
			s.inform(s.tr.F("sync.batch", map[string]any{"seq": items[i].Seq}), s.tr.F("sync.refused_because", map[string]any{"reason": items[i].Reason}))
		}
	}
	return list, len(items)
}

func (s *Station) batchText(b enroll.Batch) string {
	when := b.CreatedAt.In(s.cfg.Now().Location()).Format("15:04 02/01")
	state := s.tr.W(b.State)
	if b.State == enroll.BatchReady && b.Sent > 0 && b.Size > 0 {
		state += fmt.Sprintf(" %d%%", b.Sent*100/b.Size)
	}
	if !b.ExportedAt.IsZero() {
		state += " · " + s.tr.T("sync.exported")
	}
	line := fmt.Sprintf("%s   %s   %s   %.1f MB   %s", s.tr.F("sync.batch", map[string]any{"seq": b.Seq}), when,
		s.tr.F("sync.records", map[string]any{"count": b.Records}), float64(b.Size)/1e6, state)
	if b.Reason != "" {
		line += "   " + b.Reason
	}
	return line
}

// askProvision binds the station to a central with the provisioning file central wrote for it
// (removable media): a path typed or chosen. Supervisors only.
func (s *Station) askProvision() {
	path := newDialogEntry()
	path.SetPlaceHolder(s.tr.T("sync.provision_path"))
	msg := errorLabel()
	browse := widget.NewButton(s.tr.T("sync.browse"), func() {
		dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
			if err == nil && r != nil {
				path.SetText(r.URI().Path())
				r.Close()
			}
		}, s.win)
	})
	intro := widget.NewLabel(s.tr.T("sync.provision_intro"))
	intro.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	ok := widget.NewButton(s.tr.T("sync.provision"), nil)
	ok.Importance = widget.HighImportance
	ok.OnTapped = func() {
		setError(msg, "")
		file, who := strings.TrimSpace(path.Text), s.officer.Username
		var b enroll.Binding
		s.submit(ok, s.errorIn(msg), func() error {
			data, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("%w (%v)", enroll.ErrProvisionUnreadable, err)
			}
			b, err = s.cfg.Sync.ProvisionFile(context.Background(), who, data)
			return err
		}, func() {
			d.Hide()
			s.inform(s.tr.T("sync.provision"), s.tr.F("sync.provisioned", map[string]any{"station": b.Station, "central": b.Central, "file": file}))
			s.rebuild()
		})
	}
	path.OnSubmitted = func(string) { ok.OnTapped() }
	content := container.NewVBox(intro, container.NewBorder(nil, nil, nil, browse, path), msg)
	d = dialog.NewCustom(s.tr.T("sync.provision"), s.tr.T("dialog.close"), content, s.win)
	d.SetButtons([]fyne.CanvasObject{ok, widget.NewButton(s.tr.T("dialog.close"), func() { d.Hide() })})
	d.Resize(fyne.NewSize(640, 280))
	d.Show()
	s.win.Canvas().Focus(path)
}
