package biometric_test

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/biometric/minutiae"
)

// The station warns that two positions hold the same finger when their prints compare at or
// above minutiae.StrictThreshold (ui/step_fingers.go, checkSameFinger), reading each print at
// its stored resolution or, without one, 500 ppi. Public data has almost no second impression
// of a real finger, but it does have different real fingers: libfprint's captures (one finger
// per reader) and the UPEK capture beside the checkout. No pair of them may reach the
// threshold, whether read as the station would read them (libfprint's drivers all report
// 500 ppi) or at the resolution estimated from their ridges (what the matcher would see if
// readers reported their true scale). Other images in ENROLL_FINGER_IMAGES (such as NIST's
// example prints in libfprint's examples/prints, scanned ink at about 270 ppi) are read only
// at their estimated resolution: read as 500 ppi they are not what any reader delivers
// (README.md, "Same-finger check on real prints", has what that does to the scores).
func TestDifferentRealFingersStayBelowSameFingerThreshold(t *testing.T) {
	images := realFingerImages(t)
	upek, err := os.ReadFile(filepath.Join("..", "..", "shared", "fixtures", "fingerprint", "upektc_img", "capture.png"))
	if err != nil {
		t.Fatalf("recorded capture missing: %v", err)
	}
	g, ppi, err := biometric.DecodeFingerPNG(upek)
	if err != nil {
		t.Fatal(err)
	}
	have := map[[32]byte]bool{}
	for _, r := range images {
		have[sha256.Sum256(r.img.Pix)] = true
	}
	if !have[sha256.Sum256(g.Pix)] {
		images = append(images, realImage{name: "upektc_img (fixture)", img: g, ppi: ppi})
	}
	for _, reading := range []struct {
		name    string
		ppi     func(realImage) int
		readers bool // reader captures only
	}{
		{"as the station reads them (the file's ppi, else 500)", func(r realImage) int { return cmp.Or(r.ppi, 500) }, true},
		{"at the resolution estimated from their ridges", func(r realImage) int { return biometric.MeasureFingerAt(r.img, r.ppi).PPI }, false},
	} {
		type coded struct {
			name string
			code *minutiae.CylinderCode
		}
		var codes []coded
		for _, r := range images {
			if _, capture := eyeVerdict[r.name]; reading.readers && !capture && r.img != g {
				continue
			}
			ppi := reading.ppi(r)
			tp, err := minutiae.Extract(r.img, ppi)
			if err != nil {
				t.Logf("%s at %d ppi: %v (the station skips such a print)", r.name, ppi, err)
				continue
			}
			codes = append(codes, coded{fmt.Sprintf("%s@%d", r.name, ppi), minutiae.NewCylinderCode(tp)})
		}
		var highest minutiae.Score
		var at string
		pairs, overThreshold := 0, 0
		for i, a := range codes {
			for _, b := range codes[i+1:] {
				s := minutiae.Compare(a.code, b.code)
				pairs++
				if s > highest {
					highest, at = s, a.name+" × "+b.name
				}
				if s.Matches() {
					overThreshold++
				}
				if s >= minutiae.StrictThreshold {
					t.Errorf("%s: %s and %s score %.4f, at or above the same-finger threshold %.4f",
						reading.name, a.name, b.name, s, minutiae.StrictThreshold)
				}
			}
		}
		t.Logf("%s: %d prints, %d pairs of different fingers; highest %.4f (%s); StrictThreshold %.4f, Threshold %.4f (%d pairs at or above it)",
			reading.name, len(codes), pairs, highest, at, minutiae.StrictThreshold, minutiae.Threshold, overThreshold)
	}
}
