package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric/minutiae"
	"github.com/wardpolice/enroll/device/sim"
	"github.com/wardpolice/enroll/store/demo"
	"github.com/wardpolice/enroll/sync/register"
)

// The citizens the harness enrols are drawn once per run, before any process is started: the
// simulator renders a pool of prints and portraits (about a second) and the register's
// reference prints are extracted from other impressions of the same fingers, as the demo
// generator does. Workers then read whole records from a file instead of rendering their own,
// so that a worker is ready to be killed a few milliseconds after it starts.

// people is the file workers read: the records without their image bytes, and the images once.
type people struct {
	Images [][]byte
	People []person
}

// person is one citizen's complete record as the wizard would end up with it.
type person struct {
	PID      string
	Doc      []byte                        // enroll.Enrollment without image bytes, as JSON
	Fingers  map[enroll.FingerPosition]int // image index per captured finger
	Portrait int                           // image index
	// Images is how many images the complete record holds (portrait and captured fingers).
	Images int
	// Register says how the register entry differs (demo.Discrepancy).
	Register demo.Discrepancy
}

// strangerFingers shifts a finger's identity to one no demo citizen has: the register entries
// made with it belong to someone else (demo.RegisterOtherFingers).
const strangerFingers = 1 << 41

// peoplePool is how many distinct prints the simulator renders; records share them.
const peoplePool = 16

// makePeople draws n citizens with distinct ID numbers for station and officer and writes the
// records to path and the citizen register central checks them against to regPath.
func makePeople(ctx context.Context, seed uint64, n int, station, officer, path, regPath string) (*people, error) {
	pop, err := sim.NewPopulation(ctx, seed, peoplePool)
	if err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	var reg bytes.Buffer
	rw, err := register.NewWriter(&reg)
	if err != nil {
		return nil, err
	}
	refs := map[uint64]*minutiae.Template{}
	variation := sim.RealisticVariation()
	variation.MinQuality = 0.7
	reference := func(finger uint64) (*minutiae.Template, error) {
		if t, ok := refs[finger]; ok {
			return t, nil
		}
		img := sim.NewImpression(finger, finger^0x155e_0000_0000_0000, variation)
		t, err := minutiae.Extract(img, sim.FingerPPI)
		if err != nil {
			return nil, err
		}
		refs[finger] = t
		return t, nil
	}
	ps := &people{}
	images := map[[32]byte]int{}
	index := func(b []byte) int {
		k := sha256.Sum256(b)
		if i, ok := images[k]; ok {
			return i
		}
		images[k] = len(ps.Images)
		ps.Images = append(ps.Images, b)
		return len(ps.Images) - 1
	}
	seen := map[enroll.PersonalID]bool{}
	at := time.Now().Add(-time.Hour)
	for len(ps.People) < n {
		e, fingers, err := pop.Person(station, officer, at)
		if err != nil {
			return nil, err
		}
		if seen[e.Citizen.PersonalID] {
			continue
		}
		seen[e.Citizen.PersonalID] = true
		p := person{PID: string(e.Citizen.PersonalID), Fingers: map[enroll.FingerPosition]int{}}
		for _, f := range e.Fingers {
			p.Fingers[f.Position] = index(f.PNG)
			p.Images++
		}
		p.Portrait = index(e.Portrait.JPEG)
		p.Images++
		bare := e.WithoutImages()
		if p.Doc, err = json.Marshal(&bare); err != nil {
			return nil, err
		}
		p.Register = demo.DiscrepancyOf(len(ps.People))
		if entry, ok := demo.RegisterEntry(e.Citizen, p.Register); ok {
			var rec *minutiae.ISORecord
			for _, pos := range e.FingerSet {
				id, ok := fingers[pos]
				if !ok {
					continue
				}
				if p.Register == demo.RegisterOtherFingers {
					id += strangerFingers
				}
				t, err := reference(id)
				if err != nil {
					return nil, fmt.Errorf("people: reference print: %w", err)
				}
				if rec == nil {
					if rec, err = minutiae.NewISORecord(t, uint8(pos), minutiae.LiveScanPlain); err != nil {
						return nil, err
					}
				} else if err := rec.AddView(t, uint8(pos), minutiae.LiveScanPlain); err != nil {
					return nil, err
				}
			}
			if err := rw.Write(register.Entry{RegisterEntry: entry, Prints: rec}); err != nil {
				return nil, err
			}
		}
		ps.People = append(ps.People, p)
	}
	if err := rw.Close(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(regPath, reg.Bytes(), 0o600); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(ps); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	return ps, nil
}

func readPeople(path string) (*people, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ps people
	if err := gob.NewDecoder(f).Decode(&ps); err != nil {
		return nil, fmt.Errorf("people file %s: %w", path, err)
	}
	return &ps, nil
}

// record is person i's complete record, images attached, with no id yet.
func (ps *people) record(i int) (*enroll.Enrollment, error) {
	if i < 0 || i >= len(ps.People) {
		return nil, fmt.Errorf("person %d: the people file holds %d", i, len(ps.People))
	}
	p := ps.People[i]
	var e enroll.Enrollment
	if err := json.Unmarshal(p.Doc, &e); err != nil {
		return nil, fmt.Errorf("person %d: %w", i, err)
	}
	for pos, img := range p.Fingers {
		e.AttachImage(enroll.ImageFinger, int(pos), ps.Images[img])
	}
	e.AttachImage(enroll.ImagePortrait, 0, ps.Images[p.Portrait])
	return &e, nil
}

// verifiable says whether central should verify person i's record (the register holds the
// citizen as enrolled); the others come back rejected.
func (ps *people) verifiable(i int) bool { return ps.People[i].Register == demo.RegisterSame }
