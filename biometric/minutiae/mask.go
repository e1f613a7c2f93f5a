package minutiae

import (
	"math"
	"slices"
)

// Segmentation thresholds, per cell. Sensors differ widely in gain (the UPEK capture's
// ridges span barely 10 grey levels, a good optical print 100), so the spread a cell needs is
// a share of the image's own strong spread, with a floor against flat platens; noise and
// smudges fail the coherence test instead, which no amount of gain can fake.
const (
	maskSpreadFloor  = 2.5  // grey levels, standard deviation of the smoothed image
	maskSpreadShare  = 0.2  // of the 90th percentile of the cells' spreads
	maskMinCoherence = 0.25 // structure tensor coherence
	maskWindow       = 8    // the spread's window half-size: 16 × 16 px around the cell
)

// fingerMask says which cells are finger (ridge texture) rather than platen or noise.
type fingerMask struct {
	cols, rows int
	in         []bool
	// edge is each cell's distance in cells to the nearest cell off the finger (or off the
	// image), so that minutiae near the outline can be dropped.
	edge []int
}

func (m fingerMask) at(c, r int) bool {
	return c >= 0 && r >= 0 && c < m.cols && r < m.rows && m.in[r*m.cols+c]
}

// segment finds the finger: cells with spread and coherent ridges, cleaned into one region
// without holes.
func segment(s raster, f orientationField) fingerMask {
	cols, rows := f.coherence.cols, f.coherence.rows
	sum := integralOf(s.w, s.h, func(i int) float64 { return float64(s.v[i]) })
	sq := integralOf(s.w, s.h, func(i int) float64 { return float64(s.v[i] * s.v[i]) })
	spread := make([]float64, cols*rows)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			cx, cy := c*cell+cell/2, r*cell+cell/2
			a, n := sum.sum(cx-maskWindow, cy-maskWindow, cx+maskWindow, cy+maskWindow)
			b, _ := sq.sum(cx-maskWindow, cy-maskWindow, cx+maskWindow, cy+maskWindow)
			if n == 0 {
				continue
			}
			mean := a / float64(n)
			spread[r*cols+c] = math.Sqrt(math.Max(0, b/float64(n)-mean*mean))
		}
	}
	sorted := slices.Clone(spread)
	slices.Sort(sorted)
	minSpread := math.Max(maskSpreadFloor, maskSpreadShare*sorted[len(sorted)*9/10])
	raw := make([]bool, cols*rows)
	for i, sp := range spread {
		raw[i] = sp >= minSpread && f.coherence.v[i] >= maskMinCoherence
	}
	m := fingerMask{cols: cols, rows: rows, in: majority(raw, cols, rows)}
	m.in = keepLargeRegions(m.in, cols, rows)
	m.in = fillHoles(m.in, cols, rows)
	m.edge = edgeDistance(m.in, cols, rows)
	return m
}

// majority keeps a cell when at least 5 of the 9 cells around it (itself included) agree,
// removing isolated specks of texture and closing pinholes.
func majority(in []bool, cols, rows int) []bool {
	out := make([]bool, len(in))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			n := 0
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					cc, rr := c+dc, r+dr
					if cc >= 0 && rr >= 0 && cc < cols && rr < rows && in[rr*cols+cc] {
						n++
					}
				}
			}
			out[r*cols+c] = n >= 5
		}
	}
	return out
}

// keepLargeRegions drops 4-connected regions smaller than a third of the largest: a finger is
// one region, a smudge beside it is not finger.
func keepLargeRegions(in []bool, cols, rows int) []bool {
	label := make([]int, len(in))
	var sizes []int
	for i := range in {
		if in[i] && label[i] == 0 {
			sizes = append(sizes, flood(in, label, cols, rows, i, len(sizes)+1))
		}
	}
	largest := 0
	for _, s := range sizes {
		largest = max(largest, s)
	}
	out := make([]bool, len(in))
	for i, l := range label {
		out[i] = l > 0 && sizes[l-1]*3 >= largest
	}
	return out
}

// fillHoles marks as finger every off-finger region that does not reach the grid's edge: the
// low-coherence patches at a core or delta, or a scar, are inside the finger.
func fillHoles(in []bool, cols, rows int) []bool {
	off := make([]bool, len(in))
	for i, v := range in {
		off[i] = !v
	}
	label := make([]int, len(in))
	outside := make([]bool, len(in))
	for i := range off {
		c, r := i%cols, i/cols
		if off[i] && label[i] == 0 && (c == 0 || r == 0 || c == cols-1 || r == rows-1) {
			flood(off, label, cols, rows, i, 1)
		}
	}
	for i := range outside {
		outside[i] = label[i] == 1
	}
	out := make([]bool, len(in))
	for i := range in {
		out[i] = in[i] || !outside[i]
	}
	return out
}

// flood labels the unlabelled 4-connected region of set cells containing start with id and
// returns its size.
func flood(set []bool, label []int, cols, rows, start, id int) int {
	stack := []int{start}
	label[start] = id
	n := 0
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		c, r := i%cols, i/cols
		for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			cc, rr := c+d[0], r+d[1]
			if cc < 0 || rr < 0 || cc >= cols || rr >= rows {
				continue
			}
			j := rr*cols + cc
			if set[j] && label[j] == 0 {
				label[j] = id
				stack = append(stack, j)
			}
		}
	}
	return n
}

// edgeDistance is each finger cell's chessboard distance in cells to the nearest cell off the
// finger or beyond the grid (two passes of the classic distance transform).
func edgeDistance(in []bool, cols, rows int) []int {
	const far = 1 << 20
	d := make([]int, len(in))
	get := func(c, r int) int {
		if c < 0 || r < 0 || c >= cols || r >= rows {
			return 0
		}
		return d[r*cols+c]
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			if !in[r*cols+c] {
				continue
			}
			v := far
			for _, n := range [4][2]int{{-1, 0}, {-1, -1}, {0, -1}, {1, -1}} {
				v = min(v, get(c+n[0], r+n[1])+1)
			}
			d[r*cols+c] = v
		}
	}
	for r := rows - 1; r >= 0; r-- {
		for c := cols - 1; c >= 0; c-- {
			if !in[r*cols+c] {
				continue
			}
			v := d[r*cols+c]
			for _, n := range [4][2]int{{1, 0}, {1, 1}, {0, 1}, {-1, 1}} {
				v = min(v, get(c+n[0], r+n[1])+1)
			}
			d[r*cols+c] = v
		}
	}
	return d
}
