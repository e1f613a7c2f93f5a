package demo

import (
	"fmt"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
)

// The register's reference prints: for every demo citizen, another impression of each of
// their fingers, as if captured when their card was issued years earlier (a new placement,
// turn, pressure, skin distortion and noise), reduced to minutiae as the national database
// keeps them. Issuance captures are supervised and retaken until good, so they are drawn from
// the better half of the simulator's quality range.

// strangerFingers is where the fingers of people who never enrol at the demo station begin:
// far from any pool's identities, so a stranger's print is never a demo citizen's.
const strangerFingers = 1 << 40

// references makes reference templates, each finger's once.
type references struct {
	templates map[uint64]*minutiae.Template
	variation sim.Variation
}

func newReferences() *references {
	v := sim.RealisticVariation()
	v.MinQuality = 0.7
	return &references{templates: map[uint64]*minutiae.Template{}, variation: v}
}

// of is the reference record for a citizen's fingers at the positions of set (captured ones
// only; an excused finger's reference is not needed at central). With stranger, the prints
// are of other people's fingers.
func (r *references) of(set []enroll.FingerPosition, fingers sim.Fingers, stranger bool) (*minutiae.ISORecord, error) {
	var rec *minutiae.ISORecord
	for _, p := range set {
		id, ok := fingers[p]
		if !ok {
			continue
		}
		if stranger {
			id += strangerFingers
		}
		t, err := r.template(id)
		if err != nil {
			return nil, fmt.Errorf("reference print of finger %d: %w", id, err)
		}
		if rec == nil {
			if rec, err = minutiae.NewISORecord(t, uint8(p), minutiae.LiveScanPlain); err != nil {
				return nil, err
			}
			continue
		}
		if err := rec.AddView(t, uint8(p), minutiae.LiveScanPlain); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (r *references) template(finger uint64) (*minutiae.Template, error) {
	if t, ok := r.templates[finger]; ok {
		return t, nil
	}
	// The capture seed differs from every station capture's: another impression.
	img := sim.NewImpression(finger, finger^0x155e_0000_0000_0000, r.variation)
	t, err := minutiae.Extract(img, sim.FingerPPI)
	if err != nil {
		return nil, err
	}
	r.templates[finger] = t
	return t, nil
}
