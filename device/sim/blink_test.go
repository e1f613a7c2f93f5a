package sim

import (
	"context"
	"testing"
	"time"

	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/biometric"
)

// TestSimulatedSitterBlinks: the simulated camera's sitter passes the eyes-open check with
// eyes open and fails it mid-blink, so the preview shows what a blink does on a real camera.
func TestSimulatedSitterBlinks(t *testing.T) {
	ff, err := biometric.NewFaceFinder(assets.FaceCascade(), assets.PupilCascade(), assets.LandmarkCascades())
	if err != nil {
		t.Fatal(err)
	}
	c := NewCamera(nil)
	for _, at := range []time.Duration{0, 1 * time.Second, 2 * time.Second, 3900 * time.Millisecond, 7950 * time.Millisecond} {
		_, _, open := motion(at)
		a := ff.Assess(c.Frame(at))
		k, ok := a.Check(biometric.CheckEyesOpen)
		if !ok {
			t.Fatalf("at %v: eyes not measured (%d faces)", at, len(a.Faces))
		}
		if k.Pass != open {
			t.Errorf("at %v (eyes open: %v): eyes_open %v, opening %v", at, open, k.Pass, k.Value)
		}
		if !open && k.Code != "eyes_closed" {
			t.Errorf("at %v: code %q, want eyes_closed", at, k.Code)
		}
	}
}

// TestSimulatedCameraPassesPortraitChecks: over two blink cycles of the sitter's sway, the
// preview frames with eyes open and the stills pass every portrait check, so training on the
// simulated camera shows what a good set-up looks like (a few misses are what the preview's
// steady pass is for).
func TestSimulatedCameraPassesPortraitChecks(t *testing.T) {
	ff, err := biometric.NewFaceFinder(assets.FaceCascade(), assets.PupilCascade(), assets.LandmarkCascades())
	if err != nil {
		t.Fatal(err)
	}
	epoch := time.Unix(0, 0)
	var at time.Duration
	c := NewCamera(func() time.Time { return epoch.Add(at) })
	c.start = epoch
	var frames, stills, framesPassed, stillsPassed int
	for at = 0; at < 9*time.Second; at += 150 * time.Millisecond {
		if _, _, open := motion(at); !open {
			continue
		}
		frames++
		if a := ff.Assess(c.Frame(at)); a.Passed() {
			framesPassed++
		} else {
			t.Logf("frame at %v fails %v", at, a.Failed())
		}
		still, err := c.Still(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		stills++
		if a := ff.Assess(still); a.Passed() {
			stillsPassed++
		} else {
			t.Logf("still at %v fails %v", at, a.Failed())
		}
	}
	if framesPassed < frames*9/10 || stillsPassed < stills*9/10 {
		t.Errorf("frames passing %d/%d, stills %d/%d; want 90%% of each", framesPassed, frames, stillsPassed, stills)
	}
}
