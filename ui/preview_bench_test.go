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

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

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

// previewImage finds the portrait step's live picture on screen.
func (h *harness) previewImage() *canvas.Image {
	var found *canvas.Image
	h.waitFor("the live picture", func() bool {
		for _, o := range test.LaidOutObjects(h.win.Content()) {
			if img, ok := o.(*canvas.Image); ok && img.Image != nil && img.Image.Bounds().Dx() == sim.PreviewWidth {
				found = img
				return true
			}
		}
		return false
	})
	return found
}

// BenchmarkPortraitPreview runs the portrait step's live preview (the simulated 640×480
// camera at 30 fps, the face box, the checks) for five seconds per iteration, with the UI
// work run as it arrives, and reports frames shown (distinct pictures on the preview, looked
// at after each batch of UI work), frames taken from the camera and checks per second, and
// the CPU used, in cores. The simulated camera renders every frame, standing in for a real
// camera's decoding, and paces itself by sleeping: on these virtual machines a sleeping
// thread often wakes 100-300 ms late, so the figures here are bounded by the host's
// scheduling; BenchmarkPortraitPreviewCapacity measures the station's own cost.
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
	preview := h.previewImage()
	var frames, shown, checks int64
	var wall, cpu time.Duration
	for b.Loop() {
		f0, c0, cpu0, t0 := cam.taken.Load(), faces.assessed.Load(), cpuTime(), time.Now()
		last := preview.Image
		for time.Since(t0) < 5*time.Second {
			<-h.queued // frames arrive 30 times a second
			h.pump()
			if preview.Image != last {
				last = preview.Image
				shown++
			}
		}
		frames += cam.taken.Load() - f0
		checks += faces.assessed.Load() - c0
		wall += time.Since(t0)
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(shown)/wall.Seconds(), "shown/s")
	b.ReportMetric(float64(frames)/wall.Seconds(), "frames/s")
	b.ReportMetric(float64(checks)/wall.Seconds(), "checks/s")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores")
}

// BenchmarkPortraitPreviewCapacity drives the simulated camera as fast as the portrait step
// shows its frames (a new frame as soon as the last one is on screen), with the face checks
// running beside the picture, and reports the frames shown and checks per second this
// machine sustains, and the CPU time per frame shown. No timers take part: on these virtual
// machines a sleeping thread often wakes 100-300 ms late, which paced measurements cannot
// separate from the station's own cost.
func BenchmarkPortraitPreviewCapacity(b *testing.B) {
	ticks := make(chan struct{}, 1)
	cam := &countingCamera{Camera: sim.NewPacedCamera(nil, ticks)}
	h := newHarnessWith(b, filepath.Join(b.TempDir(), "station.db"), cam)
	faces := &countingFaces{FaceFinder: h.faces}
	h.s.cfg.Faces = faces
	h.firstRun()
	h.toPortrait()
	ticks <- struct{}{} // the first frame, which replaces the step's placeholder
	preview := h.previewImage()
	var shown, checks int64
	var wall, cpu time.Duration
	for b.Loop() {
		c0, cpu0, t0 := faces.assessed.Load(), cpuTime(), time.Now()
		last := preview.Image
		select {
		case ticks <- struct{}{}:
		default:
		}
		for time.Since(t0) < 5*time.Second {
			<-h.queued
			h.pump()
			if preview.Image != last {
				last = preview.Image
				shown++
				select {
				case ticks <- struct{}{}:
				default:
				}
			}
		}
		checks += faces.assessed.Load() - c0
		wall += time.Since(t0)
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(shown)/wall.Seconds(), "shown/s")
	b.ReportMetric(float64(checks)/wall.Seconds(), "checks/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(shown)/1000, "cpu-ms/frame")
}
