package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// step is one page of the enrollment wizard.
type step interface {
	// view builds the page from the record (called again after a language switch).
	view() fyne.CanvasObject
	// commit checks the page and writes it into the record; false keeps the officer on it,
	// with the problems shown on the page.
	commit() bool
	// leave stops device work (camera stream, capture) when the page is left.
	leave()
	// first is the field that takes the keyboard when the page opens (nil: none).
	first() fyne.Focusable
}

// wizard walks the officer through one enrollment. The record is saved as a draft after
// every step, so a crash or power cut loses at most the step being entered.
type wizard struct {
	s     *Station
	e     *enroll.Enrollment
	at    enroll.Step
	steps map[enroll.Step]step
	// page is where the current step's view goes.
	page   *fyne.Container
	next   *widget.Button
	back   *widget.Button
	exit   *widget.Button
	status *widget.Label
	bar    *fyne.Container
	saving bool
}

// newEnrollment starts a fresh record for the logged-in officer.
func (s *Station) newEnrollment() {
	s.showWizard(&enroll.Enrollment{
		Status:    enroll.StatusDraft,
		Station:   s.code,
		Officer:   s.officer.Username,
		FingerSet: enroll.Level2Fingers(),
	})
}

func (s *Station) showWizard(e *enroll.Enrollment) {
	w := &wizard{s: s, e: e, at: e.Step}
	w.steps = map[enroll.Step]step{
		enroll.StepIdentify: newIdentifyStep(w),
		enroll.StepContact:  newContactStep(w),
		enroll.StepPortrait: newPortraitStep(w),
		enroll.StepFingers:  newFingersStep(w),
		enroll.StepReview:   newReviewStep(w),
		enroll.StepSaved:    newSavedStep(w),
	}
	if w.at > enroll.StepReview {
		w.at = enroll.StepReview
	}
	s.show(w.view)
	s.keepWork = w.keep
	w.focus()
	s.leave = func() { w.current().leave() }
	s.wake = func() {
		if r, ok := w.current().(interface{ resume() }); ok {
			r.resume()
		}
	}
	whenEnabled := func(b func() *widget.Button) func() {
		return func() {
			if btn := b(); !btn.Disabled() && btn.Visible() {
				btn.OnTapped()
			}
		}
	}
	s.setActions(
		action{"wizard.next", fyne.KeyReturn, fyne.KeyModifierControl, whenEnabled(func() *widget.Button { return w.next })},
		action{"wizard.back", fyne.KeyLeft, fyne.KeyModifierAlt, whenEnabled(func() *widget.Button { return w.back })},
		action{"wizard.save_exit", fyne.KeyS, fyne.KeyModifierControl, func() {
			if w.at == enroll.StepSaved { // already saved: just leave for home
				s.showHome()
				return
			}
			whenEnabled(func() *widget.Button { return w.exit })()
		}},
	)
}

func (w *wizard) current() step { return w.steps[w.at] }

// focus gives the keyboard to the step's first field; a keyboard-wedge scanner types there.
func (w *wizard) focus() {
	if f := w.current().first(); f != nil {
		w.s.win.Canvas().Focus(f)
	}
}

func (w *wizard) view() fyne.CanvasObject {
	tr := w.s.tr
	w.back = widget.NewButton(tr.T("wizard.back"), w.goBack)
	w.next = widget.NewButton(tr.T("wizard.next"), w.goNext)
	w.next.Importance = widget.HighImportance
	w.exit = widget.NewButton(tr.T("wizard.save_exit"), w.saveAndExit)
	w.status = widget.NewLabel("")
	w.bar = container.NewHBox()
	w.page = container.NewStack()
	top := container.NewVBox(container.NewBorder(nil, nil, nil, w.s.langSelect(), w.bar))
	if b := w.s.simBanner(); b != nil {
		top.Add(b)
	}
	bottom := container.NewBorder(nil, nil, container.NewHBox(w.back, w.exit), w.next, w.status)
	w.render()
	// The step scrolls when the window is smaller than it (a 1024×600 screen): otherwise the
	// window grows past the screen and the buttons below go off it.
	return container.NewBorder(container.NewPadded(top), container.NewPadded(bottom), nil, nil, container.NewScroll(container.NewPadded(w.page)))
}

// render shows the current step and the step bar.
func (w *wizard) render() {
	tr := w.s.tr
	w.bar.Objects = nil
	for st := enroll.StepIdentify; st <= enroll.StepReview; st++ {
		w.bar.Add(stepMark(tr.F("wizard.step_n", map[string]any{"n": int(st) + 1, "name": tr.W(st)}), st < w.at, st == w.at))
	}
	w.bar.Refresh()
	w.page.Objects = []fyne.CanvasObject{w.current().view()}
	if r := w.e.Returned; !r.IsZero() && w.at != enroll.StepSaved {
		// Central sent the record back: the reason stays in view while the officer fixes it.
		why := widget.NewLabel(tr.F("sync.returned_because", map[string]any{"reason": w.s.reason(r)}))
		why.Importance = widget.DangerImportance
		why.Wrapping = fyne.TextWrapWord
		w.page.Objects = []fyne.CanvasObject{container.NewBorder(why, nil, nil, nil, w.page.Objects[0])}
	}
	w.page.Refresh()
	w.status.SetText("")
	first, saved := w.at == enroll.StepIdentify, w.at == enroll.StepSaved
	w.back.Enable()
	if first || saved {
		w.back.Disable()
	}
	w.next.SetText(tr.T("wizard.next"))
	if w.at == enroll.StepReview {
		w.next.SetText(tr.F("wizard.confirm_save", map[string]any{"name": w.s.officer.FullName}))
	}
	if saved {
		w.next.Hide()
		w.back.Hide()
		w.exit.Hide()
		w.bar.Hide()
	}
}

func (w *wizard) goBack() {
	if w.saving || w.at == enroll.StepIdentify {
		return
	}
	w.current().leave()
	w.at--
	w.render()
	w.focus()
}

// goNext checks the step, saves the draft in the background, then moves on. On the review
// step it completes the record instead.
func (w *wizard) goNext() {
	if w.saving || !w.current().commit() {
		return
	}
	if w.at == enroll.StepReview {
		w.complete()
		return
	}
	w.current().leave()
	w.persist(w.at+1, func() {
		w.at++
		w.render()
		w.focus()
	})
}

// persist saves the draft with the step to resume at; done runs once it is on disk.
func (w *wizard) persist(resumeAt enroll.Step, done func()) {
	w.save(resumeAt, w.s.cfg.Store.SaveDraft, func() {
		w.status.SetText(w.s.tr.T("wizard.draft_saved"))
		done()
	})
}

// save writes the record in the background with the step to resume at. While it runs the
// officer cannot move on; if it fails the record keeps its previous step and the officer is
// told why, so nothing shown as saved is unsaved.
func (w *wizard) save(resumeAt enroll.Step, write func(context.Context, *enroll.Enrollment) error, done func()) {
	w.saving = true
	w.next.Disable()
	w.status.SetText(w.s.tr.T("wizard.saving"))
	prev := w.e.Step
	w.e.Step = resumeAt
	w.s.background(func() error {
		return write(context.Background(), w.e)
	}, func(err error) {
		w.saving = false
		w.next.Enable()
		if err != nil {
			w.e.Step = prev
			w.status.SetText("")
			var verrs enroll.ValidationErrors
			if errors.As(err, &verrs) {
				w.status.SetText(w.s.tr.T("wizard.incomplete"))
			}
			w.s.showError(err)
			return
		}
		done()
	})
}

// saveAndExit keeps what the current step has (if it is valid) and returns home.
func (w *wizard) saveAndExit() { w.keep(w.s.showHome) }

// keep saves what the current step has (if it is valid), then runs then.
func (w *wizard) keep(then func()) {
	if w.saving {
		return
	}
	if w.at == enroll.StepSaved {
		then()
		return
	}
	at := w.at
	held := w.current().commit()
	if held && at < enroll.StepReview {
		at++
	}
	w.current().leave()
	if !held && w.e.ID == "" && w.e.Blank() {
		// Nothing was captured and nothing was saved before: a draft would hold nothing but
		// count among the officer's drafts and be offered for resuming at every login.
		then()
		return
	}
	w.persist(at, then)
}

// complete records the consent and saves the record as complete in one transaction.
func (w *wizard) complete() {
	w.save(enroll.StepSaved, w.s.cfg.Store.Complete, func() {
		if w.s.cfg.Sync != nil {
			w.s.cfg.Sync.Trigger() // the new record goes into the next batch now
		}
		w.at = enroll.StepSaved
		w.render()
		w.focus()
	})
}
