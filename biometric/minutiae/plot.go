package minutiae

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
)

// The evaluation plot: on the left the genuine and impostor score distributions on a log
// scale (the impostor tail that decides the FMR is invisible on a linear one), with the
// documented thresholds; on the right the DET curve, FNMR against FMR on log axes, with the
// operating points at FMR 1 %, 0.1 % and 0.01 %.

var (
	plotBackground = color.RGBA{255, 255, 255, 255}
	plotInk        = color.RGBA{40, 40, 40, 255}
	plotGrid       = color.RGBA{225, 225, 225, 255}
	plotGenuine    = color.RGBA{30, 130, 60, 255}
	plotImpostor   = color.RGBA{200, 50, 40, 255}
	plotThreshold  = color.RGBA{40, 80, 200, 255}
)

const (
	plotWidth, plotHeight = 1100, 520
	plotMargin            = 70
	plotBins              = 60
)

// frame is a plot panel: its pixel rectangle and how values map into it.
type frame struct {
	r          image.Rectangle
	x0, x1     float64 // value range across
	y0, y1     float64 // value range up
	logX, logY bool
}

func (f frame) px(x, y float64) (int, int) {
	if f.logX {
		x = math.Log10(x)
	}
	if f.logY {
		y = math.Log10(y)
	}
	u := (x - f.x0) / (f.x1 - f.x0)
	v := (y - f.y0) / (f.y1 - f.y0)
	u, v = math.Max(0, math.Min(1, u)), math.Max(0, math.Min(1, v))
	return f.r.Min.X + int(math.Round(u*float64(f.r.Dx()))), f.r.Max.Y - int(math.Round(v*float64(f.r.Dy())))
}

// WritePlot draws the evaluation as a PNG.
func (e *Evaluation) WritePlot(w io.Writer) error {
	img := image.NewRGBA(image.Rect(0, 0, plotWidth, plotHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(plotBackground), image.Point{}, draw.Src)
	title := fmt.Sprintf("MINUTIA CYLINDER-CODE MATCHER: %d GENUINE, %d IMPOSTOR COMPARISONS", len(e.Rates.Genuine), len(e.Rates.Impostor))
	drawText(img, (plotWidth-textWidth(title, 2))/2, 12, 2, title, plotInk)
	half := plotWidth / 2
	e.drawDistributions(img, image.Rect(plotMargin, 60, half-30, plotHeight-plotMargin))
	e.drawDET(img, image.Rect(half+plotMargin, 60, plotWidth-40, plotHeight-plotMargin))
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("write matcher plot: %w", err)
	}
	return nil
}

func (e *Evaluation) drawDistributions(img *image.RGBA, r image.Rectangle) {
	// Scores on a log axis too: impostors gather below 0.02, genuine comparisons spread from
	// there to 1, and the threshold sits where they meet. Scores below 0.001 (no consistent
	// pairs at all) are counted in the first bin.
	f := frame{r: r, x0: -3, x1: 0, y0: -5, y1: 0, logX: true, logY: true}
	for d := -5; d <= 0; d++ {
		_, y := f.px(1, math.Pow(10, float64(d)))
		hline(img, r.Min.X, r.Max.X, y, plotGrid)
		label := fmt.Sprintf("%g%%", 100*math.Pow(10, float64(d)))
		drawText(img, r.Min.X-textWidth(label, 1)-6, y-3, 1, label, plotInk)
	}
	for d := -3; d <= 0; d++ {
		x, _ := f.px(math.Pow(10, float64(d)), 1)
		vline(img, x, r.Min.Y, r.Max.Y, plotGrid)
		label := fmt.Sprintf("%g", math.Pow(10, float64(d)))
		drawText(img, x-textWidth(label, 1)/2, r.Max.Y+8, 1, label, plotInk)
	}
	drawText(img, r.Min.X, r.Max.Y+26, 1, "SCORE (LOG)", plotInk)
	drawText(img, r.Min.X, r.Min.Y-14, 1, "SHARE OF COMPARISONS PER BIN (LOG)", plotInk)
	binOf := func(s float64) int {
		if s <= 0.001 {
			return 0
		}
		return min(int((math.Log10(s)+3)/3*plotBins), plotBins-1)
	}
	edge := func(b int) float64 { return math.Pow(10, -3+3*float64(b)/plotBins) }
	for _, set := range []struct {
		scores []float64
		c      color.RGBA
	}{{e.Rates.Impostor, plotImpostor}, {e.Rates.Genuine, plotGenuine}} {
		var hist [plotBins]float64
		for _, s := range set.scores {
			hist[binOf(s)]++
		}
		prevX, prevY := -1, -1
		for b, n := range hist {
			share := n / float64(len(set.scores))
			x0, y := f.px(edge(b), math.Max(share, 1e-6))
			x1, _ := f.px(edge(b+1), 1)
			if share > 0 {
				fill(img, image.Rect(x0+1, y, x1, r.Max.Y), lighten(set.c))
			}
			if prevX >= 0 {
				line(img, prevX, prevY, x0, y, set.c, 2)
			}
			line(img, x0, y, x1, y, set.c, 2)
			prevX, prevY = x1, y
		}
	}
	for i, t := range []struct {
		at    Score
		label string
	}{{Threshold, "THRESHOLD (FMR 0.1%)"}, {StrictThreshold, "FMR 0.01%"}} {
		x, _ := f.px(float64(t.at), 1)
		dashed(img, x, r.Min.Y, r.Max.Y, plotThreshold)
		drawText(img, x+5, r.Min.Y+6+12*i, 1, t.label, plotThreshold)
	}
	drawLegend(img, r.Max.X-150, r.Min.Y+40, []legendItem{
		{fmt.Sprintf("GENUINE (%d)", len(e.Rates.Genuine)), plotGenuine},
		{fmt.Sprintf("IMPOSTOR (%d)", len(e.Rates.Impostor)), plotImpostor},
	})
	frameBox(img, r)
}

func (e *Evaluation) drawDET(img *image.RGBA, r image.Rectangle) {
	f := frame{r: r, x0: -5, x1: 0, y0: -4, y1: 0, logX: true, logY: true}
	for d := -5; d <= 0; d++ {
		x, _ := f.px(math.Pow(10, float64(d)), 1)
		vline(img, x, r.Min.Y, r.Max.Y, plotGrid)
		label := fmt.Sprintf("%g%%", 100*math.Pow(10, float64(d)))
		drawText(img, x-textWidth(label, 1)/2, r.Max.Y+8, 1, label, plotInk)
	}
	for d := -4; d <= 0; d++ {
		_, y := f.px(1, math.Pow(10, float64(d)))
		hline(img, r.Min.X, r.Max.X, y, plotGrid)
		label := fmt.Sprintf("%g%%", 100*math.Pow(10, float64(d)))
		drawText(img, r.Min.X-textWidth(label, 1)-6, y-3, 1, label, plotInk)
	}
	drawText(img, r.Min.X, r.Max.Y+26, 1, "FALSE MATCH RATE (FMR)", plotInk)
	drawText(img, r.Min.X, r.Min.Y-14, 1, "FALSE NON-MATCH RATE (FNMR)", plotInk)
	// One point per impostor score from the top: each step down in threshold admits one
	// more false match.
	imp := e.Rates.Impostor
	floor := 1e-4
	prevX, prevY := -1, -1
	for k := 1; k <= len(imp); k++ {
		t := math.Nextafter(imp[len(imp)-k], math.Inf(1))
		fmr := float64(k-1) / float64(len(imp))
		if fmr == 0 {
			fmr = 1e-5
		}
		x, y := f.px(fmr, math.Max(e.Rates.FNMR(t), floor))
		if prevX >= 0 {
			line(img, prevX, prevY, x, y, plotInk, 2)
		}
		prevX, prevY = x, y
		if fmr > 0.5 {
			break
		}
	}
	for _, fmr := range []float64{0.01, 0.001, 0.0001} {
		fnmr, _ := e.Rates.FNMRAtFMR(fmr)
		x, y := f.px(fmr, math.Max(fnmr, floor))
		fill(img, image.Rect(x-4, y-4, x+5, y+5), plotThreshold)
		label := fmt.Sprintf("FMR %g%%: FNMR %.2f%%", 100*fmr, 100*fnmr)
		drawText(img, x+8, y-12, 1, label, plotThreshold)
	}
	if eer, _ := e.Rates.EER(); !math.IsNaN(eer) {
		drawText(img, r.Max.X-textWidth("EER 00.00%", 2)-10, r.Min.Y+10, 2, fmt.Sprintf("EER %.2f%%", 100*eer), plotInk)
	}
	drawText(img, r.Min.X+6, r.Max.Y-12, 1, "FNMR BELOW 0.01% DRAWN ON THE AXIS", plotGrid)
	frameBox(img, r)
}

type legendItem struct {
	label string
	c     color.RGBA
}

func drawLegend(img *image.RGBA, x, y int, items []legendItem) {
	for i, it := range items {
		fill(img, image.Rect(x, y+i*16, x+12, y+i*16+8), it.c)
		drawText(img, x+18, y+i*16, 1, it.label, plotInk)
	}
}

func lighten(c color.RGBA) color.RGBA {
	return color.RGBA{uint8(185 + int(c.R)/4), uint8(185 + int(c.G)/4), uint8(185 + int(c.B)/4), 255}
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Over)
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color) { fill(img, image.Rect(x0, y, x1+1, y+1), c) }
func vline(img *image.RGBA, x, y0, y1 int, c color.Color) { fill(img, image.Rect(x, y0, x+1, y1+1), c) }

func dashed(img *image.RGBA, x, y0, y1 int, c color.Color) {
	for y := y0; y < y1; y += 8 {
		fill(img, image.Rect(x, y, x+2, min(y+5, y1)), c)
	}
}

func frameBox(img *image.RGBA, r image.Rectangle) {
	hline(img, r.Min.X, r.Max.X, r.Min.Y, plotInk)
	hline(img, r.Min.X, r.Max.X, r.Max.Y, plotInk)
	vline(img, r.Min.X, r.Min.Y, r.Max.Y, plotInk)
	vline(img, r.Max.X, r.Min.Y, r.Max.Y, plotInk)
}

// line draws a segment of the given thickness (Bresenham's algorithm, thickened by squares).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color, width int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		fill(img, image.Rect(x0, y0, x0+width, y0+width), c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}
