package biometric

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
)

// markCascade is one of pigo's point-localisation cascades (pupils, facial landmarks): a
// sequence of stages of binary trees comparing two pixels each, every tree voting a shift of
// the point; after each stage the search window shrinks. pigo runs it from randomly jittered
// start points and takes the median; markCascade jitters by a fixed pattern instead, so the
// same picture always gives the same point, and no lock or global random source is needed.
type markCascade struct {
	stages, trees, depth int
	shrink               float32
	// tree is the packed trees as pigo writes them, one after another, each its pixel-pair
	// codes (4 int8 a node) then its leaf votes (two little-endian float32 a leaf). They are
	// read where they lie: parsed out they would be a 5.6 MB heap copy of the embedded files.
	tree []byte
}

// parseMarkCascade reads pigo's packed cascade: stage, shrink factor, trees per stage and tree
// depth, then the trees. The cascade keeps b: the caller must not change it.
func parseMarkCascade(b []byte) (*markCascade, error) {
	if len(b) < 16 {
		return nil, errors.New("cascade: too short")
	}
	c := &markCascade{
		stages: int(binary.LittleEndian.Uint32(b[0:])),
		shrink: math.Float32frombits(binary.LittleEndian.Uint32(b[4:])),
		trees:  int(binary.LittleEndian.Uint32(b[8:])),
		depth:  int(binary.LittleEndian.Uint32(b[12:])),
	}
	if c.stages <= 0 || c.stages > 64 || c.trees <= 0 || c.trees > 1024 || c.depth <= 0 || c.depth > 16 {
		return nil, fmt.Errorf("cascade: implausible shape %d×%d×%d", c.stages, c.trees, c.depth)
	}
	if len(b) != 16+c.stages*c.trees*c.treeSize() {
		return nil, fmt.Errorf("cascade: %d bytes, want %d", len(b), 16+c.stages*c.trees*c.treeSize())
	}
	c.tree = b[16:]
	return c, nil
}

// treeSize is one tree's bytes: its inner nodes' codes and its leaves' votes.
func (c *markCascade) treeSize() int {
	leaves := 1 << c.depth
	return 4*(leaves-1) + 8*leaves
}

// vote is the float32 at p in the packed trees.
func (c *markCascade) vote(p int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(c.tree[p:]))
}

// run regresses the point from (row, col) with a window of side scale; mirror flips the
// cascade left-right (a right mouth corner from a left-corner cascade).
func (c *markCascade) run(g *image.Gray, row, col, scale float32, mirror bool) (float32, float32) {
	rows, cols := g.Rect.Dy(), g.Rect.Dx()
	leaves := 1 << c.depth
	sign := int32(1)
	if mirror {
		sign = -1
	}
	per, votes := c.treeSize(), 4*(leaves-1)
	t := 0
	for range c.stages {
		var dr, dc float32
		s := int32(math.Round(float64(scale)))
		r256, c256 := 256*int32(row), 256*int32(col)
		for range c.trees {
			idx := 0
			node := c.tree[t : t+votes]
			for range c.depth {
				k := 4 * idx
				r1 := clampInt(int((r256+int32(int8(node[k]))*s)>>8), rows)
				c1 := clampInt(int((c256+sign*int32(int8(node[k+1]))*s)>>8), cols)
				r2 := clampInt(int((r256+int32(int8(node[k+2]))*s)>>8), rows)
				c2 := clampInt(int((c256+sign*int32(int8(node[k+3]))*s)>>8), cols)
				idx = 2 * idx
				if g.Pix[r1*g.Stride+c1] > g.Pix[r2*g.Stride+c2] {
					idx += 2
				} else {
					idx++
				}
			}
			leaf := t + votes + 8*(idx-(leaves-1))
			dr += c.vote(leaf)
			dc += float32(sign) * c.vote(leaf+4)
			t += per
		}
		row += dr * scale
		col += dc * scale
		scale *= c.shrink
	}
	return row, col
}

func clampInt(v, n int) int { return max(0, min(n-1, v)) }

// jitter is the fixed set of start-point perturbations (row and column offsets as a share of
// the window, and the window's scale), the same pattern pigo draws at random: ±7.5 % of the
// window across, 92.5-107.5 % of its size. 31 starts give the median to within a pixel of 63.
var jitter = func() [31][3]float32 {
	var j [31][3]float32
	r := rand.New(rand.NewPCG(29794, 5))
	for i := range j {
		j[i] = [3]float32{0.15 * (0.5 - r.Float32()), 0.15 * (0.5 - r.Float32()), 0.925 + 0.15*r.Float32()}
	}
	return j
}()

// locate runs the cascade from every jittered start and returns the median row and column,
// rounded to a pixel.
func (c *markCascade) locate(g *image.Gray, row, col, scale float64, mirror bool) image.Point {
	x, y := c.locateAt(g, row, col, scale, mirror)
	return image.Pt(int(math.Round(x)), int(math.Round(y)))
}

// locateAt is locate to a fraction of a pixel: the median column (x) and row (y).
func (c *markCascade) locateAt(g *image.Gray, row, col, scale float64, mirror bool) (x, y float64) {
	var rs, cs [len(jitter)]float32
	for i, j := range jitter {
		rs[i], cs[i] = c.run(g, float32(row)+float32(scale)*j[0], float32(col)+float32(scale)*j[1], float32(scale)*j[2], mirror)
	}
	slices.Sort(rs[:])
	slices.Sort(cs[:])
	return float64(cs[len(cs)/2]), float64(rs[len(rs)/2])
}

// landmarkCascades are the nose, mouth-corner, upper-lip, lower-lip and outer and inner
// eye-corner cascades.
type landmarkCascades struct{ nose, corner, upper, lower, eyeOuter, eyeInner *markCascade }

// loadLandmarks unpacks the landmark cascades from pigo's files, by name (assets/pigo/lps).
func loadLandmarks(files map[string][]byte) (landmarkCascades, error) {
	var l landmarkCascades
	for _, c := range []struct {
		name string
		dst  **markCascade
	}{{"lp93", &l.nose}, {"lp84", &l.corner}, {"lp81", &l.upper}, {"lp82", &l.lower}, {"lp312", &l.eyeOuter}, {"lp38", &l.eyeInner}} {
		b, ok := files[c.name]
		if !ok {
			return l, fmt.Errorf("landmark cascade %s missing", c.name)
		}
		var err error
		if *c.dst, err = parseMarkCascade(b); err != nil {
			return l, fmt.Errorf("landmark cascade %s: %w", c.name, err)
		}
	}
	return l, nil
}
