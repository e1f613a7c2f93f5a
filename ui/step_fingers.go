package ui

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/biometric/minutiae"
)

// fingersStep captures the finger set (both index fingers by default, ten prints on request),
// one finger at a time, with retakes and exceptions for fingers that cannot be captured.
type fingersStep struct {
	w        *wizard
	hands    *handDiagram
	selected enroll.FingerPosition
	image    *canvas.Image
	title    *widget.Label
	state    *widget.Label
	quality  *widget.Label
	same     *widget.Label // a warning that two positions hold the same finger
	capture  *widget.Button
	except   *widget.Button
	accept   *widget.Button
	tenPrint *widget.Check
	cancel   context.CancelFunc
	attempts map[enroll.FingerPosition]int
	// duplicate marks fingers whose kept print matched another position: a retake then
	// replaces it whatever the scores, since a better print of the wrong finger is no use.
	duplicate map[enroll.FingerPosition]bool
	// decoded keeps the picture of each print as captured, so showing it or comparing it
	// needs no PNG decoding (on the UI goroutine, that delayed the score on screen).
	decoded map[enroll.FingerPosition]decodedPrint
}

// decodedPrint is a print's picture and the PNG it was stored as, and once the same-finger
// check has made it, its cylinder code.
type decodedPrint struct {
	png  []byte
	img  *image.Gray
	code *minutiae.CylinderCode
}

// picture is the print's picture: the one captured when it is still the one kept, else
// decoded from the record (a resumed draft, a kept earlier try).
func (st *fingersStep) picture(f enroll.FingerCapture) (*image.Gray, error) {
	if d, ok := st.decoded[f.Position]; ok && bytes.Equal(d.png, f.PNG) {
		return d.img, nil
	}
	img, _, err := biometric.DecodeFingerPNG(f.PNG)
	if err != nil {
		return nil, err
	}
	st.decoded[f.Position] = decodedPrint{png: f.PNG, img: img}
	return img, nil
}

func newFingersStep(w *wizard) *fingersStep {
	st := &fingersStep{w: w, attempts: map[enroll.FingerPosition]int{}, duplicate: map[enroll.FingerPosition]bool{},
		decoded: map[enroll.FingerPosition]decodedPrint{}}
	for _, f := range w.e.Fingers {
		st.attempts[f.Position] = f.Attempts
	}
	st.hands = newHandDiagram(st.selectFinger)
	st.image = canvas.NewImageFromImage(nil)
	st.image.FillMode = canvas.ImageFillContain
	st.image.SetMinSize(fyne.NewSize(256, 320))
	st.title = heading("")
	st.state = widget.NewLabel("")
	st.state.Wrapping = fyne.TextWrapWord
	st.quality = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	st.quality.Wrapping = fyne.TextWrapWord
	st.same = errorLabel()
	st.tenPrint = widget.NewCheck("", func(on bool) {
		if on {
			w.e.FingerSet = enroll.TenPrint()
		} else {
			w.e.FingerSet = enroll.Level2Fingers()
		}
		st.refresh()
	})
	st.tenPrint.Checked = len(w.e.FingerSet) == 10
	st.selected = st.firstPending()
	return st
}

func (st *fingersStep) required(p enroll.FingerPosition) bool {
	for _, q := range st.w.e.FingerSet {
		if q == p {
			return true
		}
	}
	return false
}

func (st *fingersStep) stateOf(p enroll.FingerPosition) fingerState {
	if _, ok := st.w.e.Finger(p); ok {
		return fingerCaptured
	}
	if _, ok := st.w.e.Exception(p); ok {
		return fingerExcepted
	}
	if st.required(p) {
		return fingerPending
	}
	return fingerNotNeeded
}

func (st *fingersStep) firstPending() enroll.FingerPosition {
	for _, p := range st.w.e.FingerSet {
		if st.stateOf(p) == fingerPending {
			return p
		}
	}
	if len(st.w.e.FingerSet) > 0 {
		return st.w.e.FingerSet[0]
	}
	return enroll.RightIndex
}

func (st *fingersStep) view() fyne.CanvasObject {
	tr := st.w.s.tr
	st.capture = widget.NewButton("", st.captureSelected)
	st.capture.Importance = widget.HighImportance
	st.except = widget.NewButton(tr.T("fingers.exception"), st.askException)
	st.accept = widget.NewButton(tr.T("fingers.accept"), st.askAcceptance)
	st.accept.Importance = widget.WarningImportance
	st.hands.setNames(tr.T("hand.left"), tr.T("hand.right"))
	st.tenPrint.Text = tr.T("fingers.ten_print")
	st.tenPrint.Refresh()
	legend := widget.NewLabel(tr.T("fingers.legend"))
	legend.Wrapping = fyne.TextWrapWord
	left := container.NewVBox(st.tenPrint, st.hands.box, legend,
		st.w.s.deviceLabel("scanner"))
	right := container.NewVBox(st.title, st.image, st.quality, st.capture, st.accept, st.except, st.state, st.same)
	st.refresh()
	return container.NewBorder(nil, nil, nil, container.NewGridWrap(fyne.NewSize(320, right.MinSize().Height), right), left)
}

func (st *fingersStep) selectFinger(p enroll.FingerPosition) {
	if st.cancel != nil {
		return // a capture is running for another finger
	}
	st.selected = p
	st.state.SetText("")
	st.quality.SetText("")
	st.refresh()
}

// showQuality colours the score: green from 60, orange from the threshold, red below.
func (st *fingersStep) showQuality(s enroll.FingerScore, note string) {
	text := st.w.s.tr.F("fingers.quality", map[string]any{"score": s.Score})
	switch {
	case s.Score >= 60:
		st.quality.Importance = widget.SuccessImportance
	case s.Score >= enroll.MinFingerQuality:
		st.quality.Importance = widget.WarningImportance
	default:
		st.quality.Importance = widget.DangerImportance
	}
	if note != "" {
		text += "\n" + note
	}
	st.quality.SetText(text)
}

// reasons turns quality flags into advice.
func (st *fingersStep) reasons(s enroll.FingerScore) string {
	var out []string
	for _, f := range s.Flags {
		out = append(out, st.w.s.tr.T("quality."+f))
	}
	if len(out) == 0 {
		out = append(out, st.w.s.tr.T("quality.unclear"))
	}
	return strings.Join(out, "; ")
}

// refresh redraws the diagram and the selected finger's panel from the record.
func (st *fingersStep) refresh() {
	tr := st.w.s.tr
	st.hands.selected = st.selected
	st.hands.update(st.stateOf)
	st.title.SetText(capitalize(tr.F("fingers.selected", map[string]any{"finger": st.selected, "n": int(st.selected)})))
	st.image.Image = nil
	if st.capture == nil {
		return
	}
	st.capture.SetText(tr.T("fingers.capture"))
	st.capture.Importance = widget.HighImportance
	st.capture.Enable()
	st.accept.Hide()
	switch st.stateOf(st.selected) {
	case fingerCaptured:
		f, _ := st.w.e.Finger(st.selected)
		if img, err := st.picture(f); err == nil {
			st.image.Image = img
		}
		if st.quality.Text == "" {
			st.showQuality(f.Quality, "")
		}
		if !f.TriesLeft() {
			st.capture.Disable() // the rules allow no more tries of this finger
		}
		if !f.Acceptable() && !f.TriesLeft() {
			st.accept.Show()
		}
		if f.AcceptedBy != "" {
			st.state.SetText(tr.F("fingers.accepted", map[string]any{"name": f.AcceptedBy, "score": f.Quality.Score, "reason": f.AcceptedReason}))
		}
		st.capture.SetText(tr.T("fingers.retake"))
		st.capture.Importance = widget.MediumImportance // a good print's next step is another finger
		if st.state.Text == "" {
			st.state.SetText(tr.F("fingers.captured_info", map[string]any{"attempts": f.Attempts, "ppi": f.PPI, "device": tr.Device(f.Device)}))
		}
	case fingerExcepted:
		x, _ := st.w.e.Exception(st.selected)
		st.state.SetText(tr.F("fingers.excepted_info", map[string]any{"reason": tr.W(x.Reason), "note": x.Note}))
	}
	st.capture.Refresh()
	st.image.Refresh()
}

// captureSelected asks the citizen to place the selected finger and captures it.
func (st *fingersStep) captureSelected() {
	tr := st.w.s.tr
	scanner := st.w.s.cfg.Scanner
	if st.cancel != nil {
		return
	}
	if scanner == nil {
		st.state.SetText(tr.T("fingers.no_scanner"))
		return
	}
	p := st.selected
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	st.capture.Disable()
	st.except.Disable()
	st.state.SetText(tr.F("fingers.place", map[string]any{"finger": p}))
	st.attempts[p]++
	attempts := st.attempts[p]
	var fc enroll.FingerCapture
	var shot *image.Gray
	st.w.s.background(func() error {
		img, err := scanner.Capture(ctx)
		if err != nil {
			return err
		}
		// Scoring and storing the print are independent: one core each.
		var png []byte
		encoded := make(chan error, 1)
		go func() {
			var err error
			png, err = biometric.EncodeFingerPNG(img.Image, img.PPI)
			encoded <- err
		}()
		quality := biometric.MeasureCapture(img).Record()
		if err := <-encoded; err != nil {
			return err
		}
		info := scanner.Info()
		fc = enroll.FingerCapture{Position: p, PNG: png, Width: img.Image.Rect.Dx(), Height: img.Image.Rect.Dy(),
			PPI: img.PPI, Device: info.Name, Driver: info.Driver, Attempts: attempts, Quality: quality}
		shot = img.Image
		return nil
	}, func(err error) {
		cancel()
		st.cancel = nil
		st.capture.Enable()
		st.except.Enable()
		// Disabling dropped the keyboard; give it back so Space captures the next finger.
		st.w.s.win.Canvas().Focus(st.capture)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			st.state.SetText(tr.Err(err))
			return
		}
		st.keepBest(fc)
		kept, _ := st.w.e.Finger(p)
		if bytes.Equal(kept.PNG, fc.PNG) {
			st.decoded[p] = decodedPrint{png: fc.PNG, img: shot}
		}
		st.checkSameFinger(kept)
		switch {
		case !kept.Acceptable() && kept.TriesLeft():
			st.state.SetText(tr.F("fingers.quality_low", map[string]any{"score": kept.Quality.Score,
				"reasons": st.reasons(kept.Quality), "try": kept.Attempts, "tries": enroll.MaxFingerTries}))
			st.refresh()
			return
		case !kept.Acceptable():
			st.state.SetText(tr.F("fingers.quality_kept", map[string]any{"score": kept.Quality.Score, "tries": enroll.MaxFingerTries}))
			st.refresh()
			return
		}
		st.state.SetText(tr.F("fingers.lift", map[string]any{"finger": p}))
		if next := st.firstPending(); st.stateOf(next) == fingerPending {
			st.selected = next
			st.quality.SetText("") // the score shown belongs to the finger just done
			st.state.SetText(tr.F("fingers.captured_next", map[string]any{"finger": p, "next": next}))
		}
		st.refresh()
	})
}

// keepBest stores the new capture unless an earlier try of the same finger scored higher;
// either way the try counts.
func (st *fingersStep) keepBest(fc enroll.FingerCapture) {
	tr := st.w.s.tr
	prev, had := st.w.e.Finger(fc.Position)
	if had && !st.duplicate[fc.Position] && prev.Quality.Score > fc.Quality.Score {
		prev.Attempts = fc.Attempts
		st.w.e.SetFinger(prev)
		st.showQuality(prev.Quality, tr.F("fingers.quality_worse", map[string]any{"new": fc.Quality.Score, "score": prev.Quality.Score}))
		return
	}
	st.w.e.SetFinger(fc)
	delete(st.duplicate, fc.Position)
	st.showQuality(fc.Quality, "")
}

// checkSameFinger compares a new print with the citizen's other captured fingers in the
// background, with the matcher central uses (minutiae and cylinder codes), and warns when two
// positions hold the same finger: the citizen may have put one finger down twice. It uses the
// strict threshold (false match rate 0.01 %): a ten-print makes 45 comparisons, and a false
// warning sends the officer to retake a good print.
func (st *fingersStep) checkSameFinger(c enroll.FingerCapture) {
	setError(st.same, "")
	type print struct {
		pos  enroll.FingerPosition
		png  []byte
		ppi  int
		img  *image.Gray
		code *minutiae.CylinderCode
	}
	var prints []*print // the new one first
	for _, f := range append([]enroll.FingerCapture{c}, st.w.e.Fingers...) {
		if f.Position == c.Position && len(prints) > 0 {
			continue
		}
		p := &print{pos: f.Position, png: f.PNG, ppi: f.PPI}
		if d, ok := st.decoded[f.Position]; ok && bytes.Equal(d.png, f.PNG) {
			p.img, p.code = d.img, d.code
		}
		prints = append(prints, p)
	}
	if len(prints) < 2 {
		return
	}
	var match enroll.FingerPosition
	st.w.s.background(func() error {
		for _, p := range prints {
			if p.code != nil {
				continue
			}
			if p.img == nil {
				img, _, err := biometric.DecodeFingerPNG(p.png)
				if err != nil {
					return err
				}
				p.img = img
			}
			t, err := minutiae.Extract(p.img, cmp.Or(p.ppi, 500))
			if err != nil {
				continue // no ridges to compare: nothing to warn about
			}
			p.code = minutiae.NewCylinderCode(t)
		}
		if prints[0].code == nil {
			return nil
		}
		for _, o := range prints[1:] {
			if o.code != nil && minutiae.Compare(prints[0].code, o.code) >= minutiae.StrictThreshold {
				match = o.pos
				return nil
			}
		}
		return nil
	}, func(err error) {
		for _, p := range prints { // keep the codes for the next comparison
			if d, ok := st.decoded[p.pos]; ok && bytes.Equal(d.png, p.png) && p.code != nil {
				d.code = p.code
				st.decoded[p.pos] = d
			}
		}
		if err == nil && match != 0 {
			st.duplicate[c.Position] = true
			setError(st.same, st.w.s.tr.F("fingers.same_finger", map[string]any{"finger": c.Position, "other": match}))
		}
	})
}

// askAcceptance lets a supervisor, with their own password, accept a print that stayed below
// the threshold after every try, with a reason that is stored with the print.
func (st *fingersStep) askAcceptance() {
	tr := st.w.s.tr
	p := st.selected
	user, pw, reason := newDialogEntry(), newDialogPasswordEntry(), newDialogEntry()
	reason.SetPlaceHolder(tr.T("fingers.accept_reason_hint"))
	items := []*widget.FormItem{
		widget.NewFormItem(tr.T("field.username"), user),
		widget.NewFormItem(tr.T("field.password"), pw),
		widget.NewFormItem(tr.T("fingers.accept_reason"), reason),
	}
	d := dialog.NewForm(tr.F("fingers.accept_title", map[string]any{"finger": p}), tr.T("dialog.save"), tr.T("dialog.cancel"), items,
		func(ok bool) {
			if !ok {
				return
			}
			why := enroll.NormalizeText(reason.Text)
			if why == "" {
				st.state.SetText(tr.T("fingers.accept_need_reason"))
				return
			}
			name, pass := user.Text, pw.Text
			var who enroll.Officer
			f, _ := st.w.e.Finger(p)
			recordID := st.w.e.ID
			st.w.s.background(func() (err error) {
				who, err = st.w.s.cfg.Store.Authenticate(context.Background(), name, pass)
				if err == nil && who.Role == enroll.RoleSupervisor {
					err = st.w.s.cfg.Store.Audit(context.Background(), who.Username, enroll.ActionFingerAccept, recordID,
						fmt.Sprintf("finger %d score %d: %s", p, f.Quality.Score, why))
				}
				return err
			}, func(err error) {
				switch {
				case err != nil:
					st.state.SetText(tr.Err(err))
				case who.Role != enroll.RoleSupervisor:
					st.state.SetText(tr.T("fingers.accept_not_supervisor"))
				default:
					f, _ := st.w.e.Finger(p)
					f.AcceptedBy, f.AcceptedReason = who.Username, why
					st.w.e.SetFinger(f)
					st.refresh()
				}
			})
		}, st.w.s.win)
	d.Resize(fyne.NewSize(480, 300))
	d.Show()
}

// askException records why a finger cannot be captured.
func (st *fingersStep) askException() {
	tr := st.w.s.tr
	p := st.selected
	var labels []string
	for _, r := range enroll.ExceptionReasons() {
		labels = append(labels, tr.W(r))
	}
	reason := widget.NewSelect(labels, nil)
	reason.PlaceHolder = tr.T("fingers.exception_choose")
	note := newDialogEntry()
	note.SetPlaceHolder(tr.T("fingers.exception_note_hint"))
	msg := errorLabel()
	form := widget.NewForm(
		widget.NewFormItem(tr.T("field.finger_exception"), reason),
		widget.NewFormItem(tr.T("fingers.exception_note"), note),
	)
	var d *dialog.CustomDialog
	save := widget.NewButton(tr.T("dialog.save"), func() {
		x := enroll.FingerException{Position: p, Note: enroll.NormalizeText(note.Text)}
		for i, r := range enroll.ExceptionReasons() {
			if reason.SelectedIndex() == i {
				x.Reason = r
			}
		}
		if err := x.Check(); err != nil {
			// Said in the dialog, which stays open: the officer chooses the reason there.
			setError(msg, tr.Err(err))
			return
		}
		d.Hide()
		st.w.e.SetException(x)
		st.selected = st.firstPending()
		st.state.SetText("")
		st.refresh()
	})
	save.Importance = widget.HighImportance
	note.OnSubmitted = func(string) { save.OnTapped() }
	d = dialog.NewCustomWithoutButtons(tr.F("fingers.exception_title", map[string]any{"finger": p}), container.NewVBox(form, msg), st.w.s.win)
	d.SetButtons([]fyne.CanvasObject{widget.NewButton(tr.T("dialog.cancel"), func() { d.Hide() }), save})
	d.Resize(fyne.NewSize(480, 280))
	d.Show()
}

func (st *fingersStep) commit() bool {
	if st.cancel != nil {
		return false
	}
	if errs := st.w.e.CheckFingers(); len(errs) > 0 {
		st.state.SetText(st.w.s.tr.Err(errs))
		st.w.status.SetText(st.w.s.tr.T("wizard.fix_errors"))
		return false
	}
	return true
}

func (st *fingersStep) first() fyne.Focusable { return st.capture }

func (st *fingersStep) leave() {
	if st.cancel != nil {
		st.cancel()
	}
}

// fingerThumb renders a stored finger image for review screens.
func fingerThumb(f enroll.FingerCapture) fyne.CanvasObject {
	img, _, err := biometric.DecodeFingerPNG(f.PNG)
	if err != nil {
		return widget.NewLabel("?")
	}
	c := canvas.NewImageFromImage(img)
	c.FillMode = canvas.ImageFillContain
	c.SetMinSize(fyne.NewSize(128, 160))
	return c
}

// capitalize upper-cases the first letter: finger names are lower case in the catalogs because
// they mostly stand inside sentences.
func capitalize(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+utf8.RuneLen(r):]
	}
	return s
}
