package minutiae

// Neighbour order round a pixel, clockwise from north (image y runs down): N, NE, E, SE, S, SW,
// W, NW. Bit i of a neighbourhood code is set when neighbour i is ridge.
var ring = [8][2]int{{0, -1}, {1, -1}, {1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}}

const (
	nN = 1 << iota
	nNE
	nE
	nSE
	nS
	nSW
	nW
	nNW
)

// skeleton is a binary image of one-pixel-wide ridges; the outermost pixels are always clear,
// so that every neighbourhood read stays inside.
type skeleton struct {
	w, h int
	on   []bool
}

func (s *skeleton) code(i int) uint8 {
	var c uint8
	w := s.w
	for k, o := range [8]int{-w, -w + 1, 1, w + 1, w, w - 1, -1, -w - 1} {
		if s.on[i+o] {
			c |= 1 << k
		}
	}
	return c
}

// Lookup tables over the 256 neighbourhood codes.
var (
	// transitions is the crossing number ×2: background→ridge changes going round the ring.
	transitions [256]uint8
	count       [256]uint8
	// zsDelete[pass] says whether Zhang-Suen's sub-iteration pass removes the pixel.
	zsDelete [2][256]bool
	// staircase says the pixel is the inner corner of a two-pixel-thick diagonal step and
	// can go without breaking anything (its neighbours stay one 8-connected piece).
	staircase [256]bool
)

func init() {
	for c := range 256 {
		bit := func(i int) int { return (c >> (i % 8)) & 1 }
		var t, n int
		for i := range 8 {
			n += bit(i)
			if bit(i) == 0 && bit(i+1) == 1 {
				t++
			}
		}
		transitions[c], count[c] = uint8(t), uint8(n)
		p2, p4, p6, p8 := bit(0), bit(2), bit(4), bit(6)
		if n >= 2 && n <= 6 && t == 1 {
			zsDelete[0][c] = p2*p4*p6 == 0 && p4*p6*p8 == 0
			zsDelete[1][c] = p2*p4*p8 == 0 && p2*p6*p8 == 0
		}
		corner := (p2 == 1 && p4 == 1) || (p4 == 1 && p6 == 1) || (p6 == 1 && p8 == 1) || (p8 == 1 && p2 == 1)
		staircase[c] = corner && n >= 2 && components8(uint8(c)) == 1
	}
}

// components8 counts the 8-connected pieces among the set neighbours of a code: consecutive
// ring positions touch, and so do two edge neighbours a quarter turn apart (N and E meet at a
// corner).
func components8(c uint8) int {
	parent := [8]int{0, 1, 2, 3, 4, 5, 6, 7}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		if c&(1<<a) != 0 && c&(1<<b) != 0 {
			parent[find(a)] = find(b)
		}
	}
	for i := range 8 {
		union(i, (i+1)%8)
	}
	for _, e := range [4][2]int{{0, 2}, {2, 4}, {4, 6}, {6, 0}} {
		union(e[0], e[1])
	}
	roots := 0
	for i := range 8 {
		if c&(1<<i) != 0 && find(i) == i {
			roots++
		}
	}
	return roots
}

// binarise marks ridge pixels: negative filter response on the finger.
func binarise(e raster, m fingerMask) skeleton {
	s := skeleton{w: e.w, h: e.h, on: make([]bool, e.w*e.h)}
	for y := 1; y < e.h-1; y++ {
		for x := 1; x < e.w-1; x++ {
			if m.in[(y/cell)*m.cols+x/cell] && e.v[y*e.w+x] < 0 {
				s.on[y*e.w+x] = true
			}
		}
	}
	return s
}

// thin reduces the ridges to one-pixel-wide, 8-connected lines: Zhang and Suen's two
// sub-iterations until nothing changes, then removal of the staircase corners they leave,
// which would otherwise read as tiny junctions.
func thin(s *skeleton) {
	var live []int
	for i, on := range s.on {
		if on {
			live = append(live, i)
		}
	}
	var del []int
	for changed := true; changed; {
		changed = false
		for pass := range 2 {
			del = del[:0]
			for _, i := range live {
				if s.on[i] && zsDelete[pass][s.code(i)] {
					del = append(del, i)
				}
			}
			for _, i := range del {
				s.on[i] = false
			}
			changed = changed || len(del) > 0
		}
		kept := live[:0]
		for _, i := range live {
			if s.on[i] {
				kept = append(kept, i)
			}
		}
		live = kept
	}
	for _, i := range live {
		if s.on[i] && staircase[s.code(i)] {
			s.on[i] = false
		}
	}
}
