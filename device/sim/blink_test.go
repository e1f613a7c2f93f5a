package sim

import (
	"testing"
	"time"

	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/biometric"
)

// TestSimulatedSitterBlinks: the simulated camera's sitter passes the eyes-open check with
// eyes open and fails it mid-blink, so the preview shows what a blink does on a real camera.
func TestSimulatedSitterBlinks(t *testing.T) {
	ff, err := biometric.NewFaceFinder(assets.FaceCascade(), assets.PupilCascade())
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
