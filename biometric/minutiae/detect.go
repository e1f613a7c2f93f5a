package minutiae

import (
	"math"
	"slices"
)

// candidate is a minutia found on the skeleton, before false ones are removed; positions and
// lengths are in working pixels.
type candidate struct {
	x, y     float64
	angle    float64
	kind     Kind
	branches []trace
	dropped  falseMinutia
}

// falseMinutia says why a candidate was found false; zero while it is believed.
type falseMinutia uint8

const (
	kept falseMinutia = iota
	tangle
	spur
	fragment
	bridge
	lake
	broken
	crowded
	nearEdge
	unclearFlow
	faint
	unclear
)

// trace is a walk from a minutia along one of its ridges.
type trace struct {
	path []int // pixel indices, first the one next to the minutia
	// hit is the index of the candidate the walk ran into (another ending or junction), or -1
	// when it went on past the tracing limit or stopped at the finger's edge.
	hit int
}

// length of the walk in pixels, counting diagonal steps as √2.
func (t trace) length(w int) float64 {
	var l float64
	for i := 1; i < len(t.path); i++ {
		d := t.path[i] - t.path[i-1]
		if d == 1 || d == -1 || d == w || d == -w {
			l++
		} else {
			l += math.Sqrt2
		}
	}
	return l + 1
}

// detect finds ridge endings (crossing number 1) and bifurcations (junctions with exactly
// three branches) on the skeleton, and traces each branch for up to maxTrace pixels.
func detect(s *skeleton, m fingerMask, maxTrace int) []candidate {
	w := s.w
	cn := make([]uint8, len(s.on))
	for y := 1; y < s.h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if s.on[i] {
				cn[i] = transitions[s.code(i)]
			}
		}
	}
	// Junction pixels next to each other are one junction; owner maps every junction or
	// ending pixel to its candidate.
	owner := make(map[int]int)
	var cands []candidate
	var members [][]int
	for i, c := range cn {
		if c == 0 || c == 2 {
			continue
		}
		x, y := i%w, i/w
		if !m.in[(y/cell)*m.cols+x/cell] {
			continue
		}
		if _, done := owner[i]; done {
			continue
		}
		id := len(cands)
		if c == 1 {
			owner[i] = id
			cands = append(cands, candidate{x: float64(x), y: float64(y), kind: Ending})
			members = append(members, []int{i})
			continue
		}
		cluster := []int{i}
		owner[i] = id
		for k := 0; k < len(cluster); k++ {
			for _, o := range ring {
				j := cluster[k] + o[1]*w + o[0]
				if _, done := owner[j]; !done && cn[j] >= 3 {
					owner[j] = id
					cluster = append(cluster, j)
				}
			}
		}
		var sx, sy float64
		for _, j := range cluster {
			sx += float64(j % w)
			sy += float64(j / w)
		}
		n := float64(len(cluster))
		cands = append(cands, candidate{x: sx / n, y: sy / n, kind: Bifurcation})
		members = append(members, cluster)
	}
	for id := range cands {
		starts := branchStarts(s, members[id], owner, id)
		if cands[id].kind == Bifurcation && len(starts) != 3 {
			cands[id].dropped = tangle // a crossing or a tangle, not a bifurcation
			continue
		}
		for k, st := range starts {
			// The other branches' first pixels are off limits: north and east of a junction
			// touch, but a walk from one must not turn into the other.
			fence := append(slices.Clone(members[id]), starts[:k]...)
			fence = append(fence, starts[k+1:]...)
			cands[id].branches = append(cands[id].branches, walk(s, st, fence, owner, maxTrace))
		}
	}
	return cands
}

// branchStarts returns one skeleton pixel per branch leaving the cluster: the cluster's
// outside neighbours, grouped into pieces that touch along an edge, each represented by the
// piece's pixel nearest the cluster (an edge neighbour rather than a diagonal one). Pixels
// touching only at a corner start different branches: north and east of a junction are
// diagonal neighbours of each other, yet one branch runs up and the other right, which is
// exactly how the crossing number counts them.
func branchStarts(s *skeleton, cluster []int, owner map[int]int, id int) []int {
	w := s.w
	var outside []int
	seen := make(map[int]bool)
	for _, c := range cluster {
		for k, o := range ring {
			j := c + o[1]*w + o[0]
			if !s.on[j] || seen[j] {
				continue
			}
			if own, ok := owner[j]; ok && own == id {
				continue
			}
			seen[j] = true
			// Edge neighbours first, so that a piece's representative is the closest pixel.
			if k%2 == 0 {
				outside = append([]int{j}, outside...)
			} else {
				outside = append(outside, j)
			}
		}
	}
	var starts []int
	grouped := make(map[int]bool)
	for _, j := range outside {
		if grouped[j] {
			continue
		}
		starts = append(starts, j)
		// Everything of outside edge-connected to j belongs to j's branch.
		stack := []int{j}
		grouped[j] = true
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, q := range outside {
				if !grouped[q] && adjacent4(p, q, w) {
					grouped[q] = true
					stack = append(stack, q)
				}
			}
		}
	}
	return starts
}

func adjacent8(a, b, w int) bool {
	ax, ay, bx, by := a%w, a/w, b%w, b/w
	return a != b && abs(ax-bx) <= 1 && abs(ay-by) <= 1
}

func adjacent4(a, b, w int) bool {
	ax, ay, bx, by := a%w, a/w, b%w, b/w
	return abs(ax-bx)+abs(ay-by) == 1
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// walk follows the skeleton from start, away from the cluster it leaves, until it reaches
// another candidate, a dead end or maxTrace pixels.
func walk(s *skeleton, start int, from []int, owner map[int]int, maxTrace int) trace {
	w := s.w
	t := trace{path: []int{start}, hit: -1}
	visited := make(map[int]bool, maxTrace+len(from))
	for _, f := range from {
		visited[f] = true
	}
	visited[start] = true
	cur := start
	for len(t.path) < maxTrace {
		if id, ok := owner[cur]; ok {
			t.hit = id
			return t
		}
		next := -1
		for k, o := range ring {
			j := cur + o[1]*w + o[0]
			if !s.on[j] || visited[j] {
				continue
			}
			// Prefer an edge neighbour: a diagonal one next to it is the same ridge.
			if next < 0 || k%2 == 0 {
				next = j
				if k%2 == 0 {
					break
				}
			}
		}
		if next < 0 {
			return t
		}
		// Pixels beside the step were passed too: they must not be taken for a new branch.
		for _, o := range ring {
			j := cur + o[1]*w + o[0]
			if s.on[j] && adjacent8(j, next, w) && j != next {
				if _, isMinutia := owner[j]; !isMinutia {
					visited[j] = true
				}
			}
		}
		visited[next] = true
		t.path = append(t.path, next)
		cur = next
	}
	return t
}
