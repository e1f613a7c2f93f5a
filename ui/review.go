package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// reviewTab is the supervisor's queue: records whose fingers were excused or accepted below
// the quality floor, oldest first, until a supervisor marks each one reviewed.
func (s *Station) reviewTab() fyne.CanvasObject {
	box := container.NewStack()
	var load func()
	load = func() {
		items, err := s.cfg.Store.ReviewQueue(context.Background(), 200)
		if err != nil {
			l := widget.NewLabel(s.tr.Err(err))
			l.Importance = widget.DangerImportance
			box.Objects = []fyne.CanvasObject{l}
			box.Refresh()
			return
		}
		rows := container.NewVBox(widget.NewLabel(s.tr.F("review_queue.count", map[string]any{"count": len(items)})))
		for _, it := range items {
			open := widget.NewButton(s.tr.T("review_queue.open"), func() { s.openRecord(it.ID) })
			done := widget.NewButton(s.tr.T("review_queue.done"), nil)
			done.Importance = widget.HighImportance
			done.OnTapped = func() {
				s.askReason(s.tr.T("review_queue.done"), s.tr.F("review_queue.done_text", map[string]any{"name": it.FullName}),
					func(note string) error {
						if err := s.cfg.Store.MarkReviewed(context.Background(), s.officer.Username, it.ID, note); err != nil {
							return err
						}
						load()
						return nil
					})
			}
			line := widget.NewLabel(s.reviewLine(it))
			line.Wrapping = fyne.TextWrapWord
			rows.Add(container.NewBorder(nil, nil, nil, container.NewHBox(open, done), line))
			rows.Add(widget.NewSeparator())
		}
		box.Objects = []fyne.CanvasObject{container.NewVScroll(rows)}
		box.Refresh()
		s.watchInput()
	}
	load()
	return box
}

// reviewLine says who, when, and what to look at: each excused finger with its reason and each
// print accepted below the floor with its score, the supervisor who accepted it and why.
func (s *Station) reviewLine(it enroll.ReviewItem) string {
	var what []string
	for _, x := range it.Exceptions {
		what = append(what, s.tr.F("review_queue.excused", map[string]any{"finger": x.Position, "reason": x.Reason, "note": x.Note}))
	}
	for _, f := range it.Accepted {
		what = append(what, s.tr.F("review_queue.accepted", map[string]any{"finger": f.Position, "score": f.Quality.Score,
			"name": f.AcceptedBy, "reason": f.AcceptedReason}))
	}
	return fmt.Sprintf("%s · %s · %s · %s · %s\n%s", enroll.RecordCode(it.ID), it.FullName, it.PersonalID, it.Officer,
		it.CreatedAt.In(s.cfg.Now().Location()).Format("02/01/2006 15:04"), strings.Join(what, "\n"))
}

// numbersTab is today's work per officer: started, saved, still open.
func (s *Station) numbersTab() fyne.CanvasObject {
	from := s.today()
	days, err := s.cfg.Store.OfficerDays(context.Background(), from, from.AddDate(0, 0, 1))
	if err != nil {
		l := widget.NewLabel(s.tr.Err(err))
		l.Importance = widget.DangerImportance
		return l
	}
	heads := []string{"numbers.officer", "numbers.created", "numbers.complete", "numbers.drafts"}
	grid := container.NewGridWithColumns(len(heads))
	for _, h := range heads {
		grid.Add(heading(s.tr.T(h)))
	}
	var total enroll.OfficerDay
	for _, d := range days {
		grid.Add(widget.NewLabel(d.FullName + " (" + d.Officer + ")"))
		for _, n := range []int{d.Created, d.Complete, d.Drafts} {
			grid.Add(widget.NewLabel(fmt.Sprint(n)))
		}
		total.Created += d.Created
		total.Complete += d.Complete
		total.Drafts += d.Drafts
	}
	grid.Add(heading(s.tr.T("numbers.total")))
	for _, n := range []int{total.Created, total.Complete, total.Drafts} {
		grid.Add(heading(fmt.Sprint(n)))
	}
	title := heading(s.tr.F("numbers.title", map[string]any{"date": from.Format("02/01/2006")}))
	return container.NewVScroll(container.NewVBox(title, grid))
}
