package sim

import (
	"context"
	"errors"
	"image"
	"math"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
)

// ridgeContrast is the standard deviation of grey levels in the image's central region: a
// print has strong light/dark alternation there, a blank platen has only noise.
func ridgeContrast(img *image.Gray) float64 {
	b := img.Bounds()
	var sum, sq, n float64
	for y := b.Dy() / 3; y < 2*b.Dy()/3; y++ {
		for x := b.Dx() / 3; x < 2*b.Dx()/3; x++ {
			v := float64(img.GrayAt(x, y).Y)
			sum += v
			sq += v * v
			n++
		}
	}
	m := sum / n
	return math.Sqrt(sq/n - m*m)
}

func TestFingerprintLooksLikeAPrint(t *testing.T) {
	good := Fingerprint(11, 1)
	if good.Bounds() != image.Rect(0, 0, FingerWidth, FingerHeight) {
		t.Fatalf("size %v", good.Bounds())
	}
	if c := ridgeContrast(good); c < 40 {
		t.Errorf("good print has little ridge contrast: %.1f", c)
	}
	// Corners are background (light), the centre is finger (darker on average).
	if corner := good.GrayAt(2, 2).Y; corner < 200 {
		t.Errorf("background is not light: %d", corner)
	}
	poor := Fingerprint(11, 0)
	if ridgeContrast(poor) >= ridgeContrast(good) {
		t.Errorf("quality 0 is not worse than quality 1: %.1f vs %.1f", ridgeContrast(poor), ridgeContrast(good))
	}
	// The same seed draws the same print; another seed another one.
	if again := Fingerprint(11, 1); string(again.Pix) != string(good.Pix) {
		t.Error("same seed, different print")
	}
	if other := Fingerprint(12, 1); string(other.Pix) == string(good.Pix) {
		t.Error("different seeds, same print")
	}
}

func TestScannerOutcomes(t *testing.T) {
	s := NewScanner(ScannerOptions{Seed: 1, NoFingerRate: 1})
	if _, err := s.Capture(context.Background()); !errors.Is(err, enroll.ErrNoFinger) {
		t.Errorf("no-finger capture: %v", err)
	}
	s = NewScanner(ScannerOptions{Seed: 1})
	f, err := s.Capture(context.Background())
	if err != nil || f.PPI != 500 || f.Image == nil {
		t.Fatalf("capture: %+v %v", f, err)
	}
	if !s.Info().Simulated {
		t.Error("simulator does not say it is simulated")
	}
	// A capture waiting for the finger ends when the officer cancels.
	slow := NewScanner(ScannerOptions{Seed: 1, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := slow.Capture(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled capture: %v", err)
	}
}

func TestCameraStreamDropsRatherThanQueues(t *testing.T) {
	ticks := make(chan struct{})
	c := NewPacedCamera(nil, ticks)
	ctx, cancel := context.WithCancel(context.Background())
	frames, err := c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ticks <- struct{}{}
	first := <-frames
	// The consumer is away for ten frames. The tick channel is unbuffered, so the eleventh
	// send returns only once the tenth frame has been handed over.
	for range 11 {
		ticks <- struct{}{}
	}
	if n := len(frames); n != 1 {
		t.Errorf("%d frames waiting, want only the newest", n)
	}
	next := <-frames
	if next.Seq < first.Seq+10 {
		t.Errorf("got frame %d after frame %d: stale frames were queued", next.Seq, first.Seq)
	}
	cancel()
	for range frames { // the stream closes once the context ends
	}
	if first.Image.Bounds() != image.Rect(0, 0, PreviewWidth, PreviewHeight) {
		t.Errorf("frame size %v", first.Image.Bounds())
	}
	still, err := c.Still(context.Background())
	if err != nil || still.Bounds().Dx() != 2*PreviewWidth {
		t.Errorf("still %v %v", still.Bounds(), err)
	}
}

func TestPopulationIsValid(t *testing.T) {
	p, err := NewPopulation(context.Background(), 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	today := enroll.Date{Year: 2026, Month: 11, Day: 25}
	for i := 0; i < 200; i++ {
		e, err := p.Enrollment("DEMO-01", "demo.officer", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if errs := e.CheckComplete(today); len(errs) > 0 {
			t.Fatalf("synthetic record %d is invalid: %v (%+v)", i, errs, e.Citizen)
		}
		form, err := enroll.ParseCCCDQR(QR(e.Citizen))
		if err != nil {
			t.Fatalf("synthetic QR %q: %v", QR(e.Citizen), err)
		}
		if form.FullName != e.Citizen.FullName || form.PersonalID != string(e.Citizen.PersonalID) {
			t.Fatalf("QR round trip: %+v vs %+v", form, e.Citizen)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	for b.Loop() {
		Fingerprint(7, 0.8)
	}
}

func BenchmarkCameraFrame(b *testing.B) {
	c := NewCamera(nil)
	for i := 0; b.Loop(); i++ {
		c.Frame(time.Duration(i) * 40 * time.Millisecond)
	}
}

// BenchmarkCameraStream reports the preview rate the stream delivers (budget: 25 fps).
func BenchmarkCameraStream(b *testing.B) {
	c := NewCamera(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	frames, err := c.Stream(ctx)
	if err != nil {
		b.Fatal(err)
	}
	<-frames
	start := time.Now()
	for b.Loop() {
		<-frames
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
}

func BenchmarkCameraRender(b *testing.B) {
	c := NewCamera(nil)
	dst := image.NewRGBA(image.Rect(0, 0, PreviewWidth, PreviewHeight))
	for i := 0; b.Loop(); i++ {
		c.render(dst, time.Duration(i)*40*time.Millisecond)
	}
}
