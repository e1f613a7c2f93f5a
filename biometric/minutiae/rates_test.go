package minutiae_test

import (
	"math"
	"testing"

	"github.com/wardpolice/enroll/biometric/minutiae"
)

func TestErrorRates(t *testing.T) {
	// Ten impostors 0.00-0.09, ten genuine 0.05-0.95.
	var imp, gen []float64
	for i := range 10 {
		imp = append(imp, float64(i)/100)
		gen = append(gen, 0.05+float64(i)/10)
	}
	r := minutiae.NewErrorRates(gen, imp)
	if got := r.FMR(0.05); got != 0.5 {
		t.Errorf("FMR at 0.05: %v, want 0.5 (0.05-0.09 match)", got)
	}
	if got := r.FNMR(0.16); got != 0.2 {
		t.Errorf("FNMR at 0.16: %v, want 0.2 (0.05 and 0.15 miss)", got)
	}
	// FMR 10 %: one impostor of ten may match, so the threshold sits just above the second
	// highest (0.08), and FNMR counts the genuine 0.05 only.
	fnmr, th := r.FNMRAtFMR(0.1)
	if th <= 0.08 || th > 0.0800001 || fnmr != 0.1 {
		t.Errorf("at FMR 10 %%: threshold %v, FNMR %v", th, fnmr)
	}
	if r.FMR(th) > 0.1 {
		t.Errorf("threshold for FMR 10 %% gives FMR %v", r.FMR(th))
	}
	// Below one impostor in 1/fmr, the threshold clears every impostor.
	if _, th := r.FNMRAtFMR(0.01); th <= 0.09 || r.FMR(th) != 0 {
		t.Errorf("at FMR 1 %% of ten: threshold %v", th)
	}
	eer, at := r.EER()
	if math.Abs(eer-0.1) > 1e-9 || r.FMR(at) > 0.2 || r.FNMR(at) > 0.2 {
		t.Errorf("EER %v at %v", eer, at)
	}
	if e, _ := minutiae.NewErrorRates(nil, imp).EER(); !math.IsNaN(e) {
		t.Errorf("EER without genuine scores: %v", e)
	}
	// The inputs are not reordered.
	if imp[0] != 0 || gen[0] != 0.05 {
		t.Error("NewErrorRates sorted the caller's slices")
	}
}
