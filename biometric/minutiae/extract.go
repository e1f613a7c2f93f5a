package minutiae

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
)

// Resolutions outside this range are not fingerprint images (or carry a wrong ppi): below it
// ridges are under three pixels apart, above it a 400 px image holds only a few ridges.
const (
	MinPPI = 250
	MaxPPI = 1500
	// MaxMinutiae is the most a template keeps (the best by quality): an ISO record holds 255
	// per view, and more than this many in one print means noise.
	MaxMinutiae = 150
	// minSide is the smallest image side at 500 ppi that holds enough ridges to be worth
	// extracting: 64 px is 3.3 mm.
	minSide = 64
)

// ErrNoRidges says the image holds no recognisable ridge area: a blank or smeared capture.
var ErrNoRidges = errors.New("no ridge area found")

// Extract finds the minutiae of a fingerprint image captured at ppi pixels per inch. The
// template's positions are in img's own pixels, relative to its bounds' top-left corner.
// A print with ridges but no reliable minutiae gives a template without minutiae, not an
// error; the caller decides what is enough.
func Extract(img *image.Gray, ppi int) (*Template, error) {
	if img == nil {
		return nil, errors.New("extract minutiae: no image")
	}
	if ppi < MinPPI || ppi > MaxPPI {
		return nil, fmt.Errorf("extract minutiae: resolution %d ppi is outside %d-%d", ppi, MinPPI, MaxPPI)
	}
	b := img.Bounds()
	scale := float64(workPPI) / float64(ppi)
	if math.Abs(scale-1) < 0.02 {
		scale = 1 // 490-510 ppi: resampling would blur more than the size error matters
	}
	if float64(b.Dx())*scale < minSide || float64(b.Dy())*scale < minSide {
		return nil, fmt.Errorf("extract minutiae: image %d×%d px at %d ppi is smaller than %.1f mm",
			b.Dx(), b.Dy(), ppi, minSide/float64(workPPI)*25.4)
	}
	cands, err := findMinutiae(rasterAt(img, scale))
	if err != nil {
		return nil, fmt.Errorf("extract minutiae: %w", err)
	}
	t := &Template{Width: b.Dx(), Height: b.Dy(), PPI: ppi}
	for _, c := range cands {
		x := int(math.Round((c.x+0.5)/scale - 0.5))
		y := int(math.Round((c.y+0.5)/scale - 0.5))
		t.Minutiae = append(t.Minutiae, Minutia{
			X: min(max(x, 0), t.Width-1), Y: min(max(y, 0), t.Height-1),
			Angle: c.angle, Kind: c.kind, Quality: c.quality,
		})
	}
	return t, nil
}

// found is a minutia at working resolution with its quality.
type found struct {
	x, y, angle float64
	kind        Kind
	quality     uint8
}

// findMinutiae runs the pipeline on a working-resolution raster.
func findMinutiae(r raster) ([]found, error) {
	cands, env, err := candidates(r)
	if err != nil {
		return nil, err
	}
	var out []found
	for _, c := range cands {
		if c.dropped != kept {
			continue
		}
		out = append(out, found{x: c.x, y: c.y, angle: c.angle, kind: c.kind, quality: minutiaQuality(c, env)})
	}
	// The clearest first, so that a cap keeps the best and ties stay in a stable order.
	slices.SortStableFunc(out, func(a, b found) int { return int(b.quality) - int(a.quality) })
	if len(out) > MaxMinutiae {
		out = out[:MaxMinutiae]
	}
	return out, nil
}

// candidates finds every minutia on the skeleton and marks the false ones.
func candidates(r raster) ([]candidate, surroundings, error) {
	smooth := gaussianBlur(r, 1)
	field := orientations(smooth)
	mask := segment(smooth, field)
	if !slices.Contains(mask.in, true) {
		return nil, surroundings{}, ErrNoRidges
	}
	periods, period := ridgePeriods(smooth, field, mask)
	enhanced := enhance(r, field, periods, mask)
	skel := binarise(enhanced, mask)
	thin(&skel)
	cands := detect(&skel, mask, int(math.Ceil(4*period)))
	for i := range cands {
		if cands[i].dropped == kept {
			local := float64(periods.v[field.theta.cellOf(int(cands[i].x), int(cands[i].y))])
			setDirection(&cands[i], skel.w, field, local)
		}
	}
	strength, clarity := ridgeClarity(smooth, enhanced, mask)
	env := surroundings{field: field, mask: mask, strength: strength, clarity: clarity}
	prune(cands, skel.w, env, period)
	return cands, env, nil
}

// minutiaQuality is 1-100: how clearly the ridges around the minutia run (coherence of the
// cell and agreement with its surroundings, the filter's clarity and strength), reduced near the finger's outline where ridges
// fade and endings are often the print's edge rather than the ridge's.
func minutiaQuality(c candidate, env surroundings) uint8 {
	f, m := env.field, env.mask
	ci := f.theta.cellOf(int(c.x), int(c.y))
	flow := math.Min(1, 0.5*float64(f.coherence.v[ci])/0.6+0.5*float64(f.reliability.v[ci])/0.8)
	clarity := flow * math.Min(1, float64(env.clarity.v[ci])/0.7) * math.Min(1, float64(env.strength.v[ci])/0.8)
	border := math.Min(1, float64(m.edge[ci]-edgeCells)/4)
	q := math.Round(100 * clarity * border)
	return uint8(math.Max(1, math.Min(100, q)))
}
