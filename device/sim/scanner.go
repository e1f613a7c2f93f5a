package sim

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/wardpolice/enroll"
)

// ScannerOptions tune the simulated reader.
type ScannerOptions struct {
	Seed uint64
	// Delay is how long a capture takes, as if the citizen placed the finger; 0 in tests.
	Delay time.Duration
	// NoFingerRate is the share of captures that end with no finger on the reader.
	NoFingerRate float64
	// MinQuality is the lowest rendering quality (0-1) drawn for a capture; 0 means the
	// default 0.25, which yields prints from hopeless to clean.
	MinQuality float64
	// Now stamps captures; time.Now when nil.
	Now func() time.Time
}

// DefaultScannerOptions behave like a real reader at the counter: about half a second per
// capture, a missed placement now and then.
func DefaultScannerOptions() ScannerOptions {
	return ScannerOptions{Seed: uint64(time.Now().UnixNano()), Delay: 600 * time.Millisecond, NoFingerRate: 0.08}
}

// Scanner is a simulated fingerprint reader. Each capture is a new synthetic finger at a random
// quality, so officers see the whole range of outcomes, good prints and retries alike.
type Scanner struct {
	opts ScannerOptions
	mu   sync.Mutex
	rng  *rand.Rand
}

// NewScanner makes a simulated reader.
func NewScanner(opts ScannerOptions) *Scanner {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Scanner{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x5eed))}
}

func (s *Scanner) Info() enroll.DeviceInfo {
	return enroll.DeviceInfo{Name: "Simulated fingerprint reader", Driver: "sim", Serial: "SIM-FP-0001", Simulated: true}
}

// Capture waits the configured delay, then returns a synthetic print or ErrNoFinger.
func (s *Scanner) Capture(ctx context.Context) (enroll.FingerImage, error) {
	if s.opts.Delay > 0 {
		t := time.NewTimer(s.opts.Delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return enroll.FingerImage{}, fmt.Errorf("simulated capture: %w", ctx.Err())
		case <-t.C:
		}
	}
	s.mu.Lock()
	noFinger := s.rng.Float64() < s.opts.NoFingerRate
	seed := s.rng.Uint64()
	lo := s.opts.MinQuality
	if lo <= 0 {
		lo = 0.25
	}
	quality := lo + (1-lo)*s.rng.Float64()
	s.mu.Unlock()
	if noFinger {
		return enroll.FingerImage{}, fmt.Errorf("simulated capture: %w", enroll.ErrNoFinger)
	}
	return enroll.FingerImage{Image: Fingerprint(seed, quality), PPI: FingerPPI, CapturedAt: s.opts.Now()}, nil
}

func (s *Scanner) Close() error { return nil }

// Fingerprint renders one synthetic print: seed picks the finger and its placement, quality in
// [0, 1] goes from a smeared, partial, noisy print (0) to a clean, centred one (1).
func Fingerprint(seed uint64, quality float64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 0xf1))
	f := newFinger(r)
	return f.render(newPlacement(r, quality), r)
}

// Impression renders finger (its pattern and minutiae) placed as capture draws it: the same
// finger with another capture seed is the same print shifted, turned and pressed differently,
// as when a citizen puts the same finger down twice.
func Impression(finger, capture uint64, quality float64) *image.Gray {
	f := newFinger(rand.New(rand.NewPCG(finger, 0xf1)))
	r := rand.New(rand.NewPCG(capture, 0xca))
	return f.render(newPlacement(r, quality), r)
}
