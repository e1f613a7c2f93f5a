package ui

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/device/sim"
)

// countingCamera counts the preview frames the portrait step takes from the stream.
type countingCamera struct {
	*sim.Camera
	taken atomic.Int64
}

func (c *countingCamera) Stream(ctx context.Context) (<-chan enroll.Frame, error) {
	in, err := c.Camera.Stream(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan enroll.Frame)
	go func() {
		defer close(out)
		for f := range in {
			select {
			case out <- f:
				c.taken.Add(1)
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// countingFaces counts the frames the face checks measured.
type countingFaces struct {
	*biometric.FaceFinder
	assessed atomic.Int64
}

func (f *countingFaces) Assess(img image.Image) biometric.Assessment {
	defer f.assessed.Add(1)
	return f.FaceFinder.Assess(img)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPortraitPreview runs the portrait step's live preview (the simulated 640×480 camera,
// the face box, the checks) for five seconds per iteration, with the UI work run as it
// arrives, and reports frames shown and checks per second and the CPU used, in cores. The
// simulated camera renders every frame (about 7 ms), standing in for a real camera's decoding.
func BenchmarkPortraitPreview(b *testing.B) {
	cam := &countingCamera{Camera: sim.NewCamera(nil)}
	h := newHarnessWith(b, filepath.Join(b.TempDir(), "station.db"), cam)
	faces := &countingFaces{FaceFinder: h.faces}
	h.s.cfg.Faces = faces
	if os.Getenv("BENCH_NO_CHECKS") != "" {
		h.s.cfg.Faces = nil
	}
	h.firstRun()
	h.toPortrait()
	var frames, checks int64
	var wall, cpu time.Duration
	for b.Loop() {
		f0, c0, cpu0, t0 := cam.taken.Load(), faces.assessed.Load(), cpuTime(), time.Now()
		for time.Since(t0) < 5*time.Second {
			h.pump()
			time.Sleep(2 * time.Millisecond)
		}
		frames += cam.taken.Load() - f0
		checks += faces.assessed.Load() - c0
		wall += time.Since(t0)
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(frames)/wall.Seconds(), "frames/s")
	b.ReportMetric(float64(checks)/wall.Seconds(), "checks/s")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores")
}
