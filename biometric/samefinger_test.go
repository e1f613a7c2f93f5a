package biometric_test

import (
	"testing"

	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/device/sim"
)

// Held-out fingers (seeds not used to choose the threshold): the same finger placed twice
// must be recognised at least 90 % of the time, different fingers never.
func TestSameFingerOnHeldOutPrints(t *testing.T) {
	const n = 8
	hits, falseAlarms := 0, 0
	for f := uint64(500); f < 500+n; f++ {
		a := sim.Impression(f, 1000+f, 0.85)
		b := sim.Impression(f, 2000+f, 0.75)
		other := sim.Impression(f+100, 3000+f, 0.85)
		s, same := biometric.SameFinger(a, b)
		d, diff := biometric.SameFinger(a, other)
		t.Logf("finger %d: same %.2f, different %.2f", f, s, d)
		if same {
			hits++
		}
		if diff {
			falseAlarms++
		}
	}
	if falseAlarms > 0 || hits*10 < n*9 {
		t.Errorf("recognised %d of %d repeated fingers, %d false alarms", hits, n, falseAlarms)
	}
}
