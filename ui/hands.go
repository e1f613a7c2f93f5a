package ui

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/wardpolice/enroll"
)

// fingerState is what the diagram shows for one finger.
type fingerState int

const (
	fingerNotNeeded fingerState = iota
	fingerPending
	fingerCaptured
	fingerExcepted
)

// handDiagram draws both hands, backs up as the citizen places them on the reader (left hand
// on the left), with one button per finger coloured by its state. Buttons keep the diagram
// usable from the keyboard: Tab reaches every finger, Space selects it.
type handDiagram struct {
	buttons  map[enroll.FingerPosition]*widget.Button
	palms    [2]*canvas.Rectangle
	names    [2]*widget.Label // Trái, Phải: which hand is which, under each palm
	box      *fyne.Container
	selected enroll.FingerPosition
}

func newHandDiagram(onSelect func(enroll.FingerPosition)) *handDiagram {
	h := &handDiagram{buttons: map[enroll.FingerPosition]*widget.Button{}}
	var objs []fyne.CanvasObject
	for i := range h.palms {
		h.palms[i] = canvas.NewRectangle(color.NRGBA{0x99, 0x99, 0x99, 0x40})
		h.palms[i].CornerRadius = 28
		h.names[i] = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		objs = append(objs, h.palms[i], h.names[i])
	}
	for p := enroll.RightThumb; p <= enroll.LeftLittle; p++ {
		b := widget.NewButton(strconv.Itoa(int(p)), func() { onSelect(p) })
		h.buttons[p] = b
		objs = append(objs, b)
	}
	h.box = container.New(&handLayout{h: h}, objs...)
	return h
}

// setNames labels the hands, left first, in the officer's language.
func (h *handDiagram) setNames(left, right string) {
	h.names[0].SetText(left)
	h.names[1].SetText(right)
}

// update colours each finger: blue pending, green captured, orange exception, grey not needed;
// the selected finger is marked with brackets.
func (h *handDiagram) update(state func(enroll.FingerPosition) fingerState) {
	for p, b := range h.buttons {
		switch state(p) {
		case fingerPending:
			b.Importance = widget.HighImportance
		case fingerCaptured:
			b.Importance = widget.SuccessImportance
		case fingerExcepted:
			b.Importance = widget.WarningImportance
		default:
			b.Importance = widget.MediumImportance
		}
		label := strconv.Itoa(int(p))
		if p == h.selected {
			label = "[" + label + "]"
		}
		b.SetText(label)
		b.Refresh()
	}
}

// handLayout places fingers like a real hand: middle finger longest, thumb low and to the side.
type handLayout struct{ h *handDiagram }

const (
	fingerW   = 46
	fingerGap = 8
	palmH     = 120
	fingerH   = 110
)

// Finger heights as a share of fingerH for thumb … little.
var fingerLength = [5]float32{0.55, 0.85, 1, 0.9, 0.7}

func (l *handLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	hand := float32(5*fingerW + 4*fingerGap)
	return fyne.NewSize(2*hand+3*theme.Padding()*8, fingerH+palmH)
}

func (l *handLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	hand := float32(5*fingerW + 4*fingerGap)
	gap := (size.Width - 2*hand) / 3
	top := (size.Height - (fingerH + palmH)) / 2
	for side := 0; side < 2; side++ {
		x0 := gap + float32(side)*(hand+gap)
		palm := l.h.palms[side]
		palm.Move(fyne.NewPos(x0, top+fingerH-10))
		palm.Resize(fyne.NewSize(hand, palmH))
		name := l.h.names[side]
		name.Move(fyne.NewPos(x0, top+fingerH-10+palmH-name.MinSize().Height-theme.Padding()))
		name.Resize(fyne.NewSize(hand, name.MinSize().Height))
		for slot := 0; slot < 5; slot++ {
			// Left hand from the left: little … thumb; right hand: thumb … little.
			var p enroll.FingerPosition
			if side == 0 {
				p = enroll.LeftLittle - enroll.FingerPosition(slot)
			} else {
				p = enroll.RightThumb + enroll.FingerPosition(slot)
			}
			length := fingerH * fingerLength[p.Digit()]
			y := top + fingerH - length
			if p.Digit() == 0 {
				y += 40 // the thumb sits low, beside the palm
			}
			b := l.h.buttons[p]
			b.Move(fyne.NewPos(x0+float32(slot)*(fingerW+fingerGap), y))
			b.Resize(fyne.NewSize(fingerW, length))
		}
	}
}
