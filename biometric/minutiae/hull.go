package minutiae

import (
	"math"
	"slices"
)

// A cylinder cell outside the print says nothing about the finger: a neighbour missing there
// may simply not have been captured. The print's area is taken as the convex hull of its
// minutiae, widened by a margin, as in the MCC paper.

type point struct{ x, y float64 }

// convexHull returns the hull's corners counter-clockwise (Andrew's monotone chain).
func convexHull(pts []cylinder) []point {
	p := make([]point, len(pts))
	for i, c := range pts {
		p[i] = point{c.x, c.y}
	}
	slices.SortFunc(p, func(a, b point) int {
		if a.x != b.x {
			if a.x < b.x {
				return -1
			}
			return 1
		}
		switch {
		case a.y < b.y:
			return -1
		case a.y > b.y:
			return 1
		}
		return 0
	})
	p = slices.Compact(p)
	if len(p) < 3 {
		return p
	}
	cross := func(o, a, b point) float64 { return (a.x-o.x)*(b.y-o.y) - (a.y-o.y)*(b.x-o.x) }
	hull := make([]point, 0, 2*len(p))
	for _, q := range p {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], q) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, q)
	}
	lower := len(hull) + 1
	for i := len(p) - 2; i >= 0; i-- {
		q := p[i]
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], q) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, q)
	}
	return hull[:len(hull)-1]
}

// nearHull says whether (x, y) is inside the hull or within margin of it.
func nearHull(hull []point, x, y, margin float64) bool {
	switch len(hull) {
	case 0:
		return false
	case 1:
		return math.Hypot(x-hull[0].x, y-hull[0].y) <= margin
	}
	inside := len(hull) >= 3
	for i := range hull {
		a, b := hull[i], hull[(i+1)%len(hull)]
		// Counter-clockwise hull: inside is to the left of every edge.
		if (b.x-a.x)*(y-a.y)-(b.y-a.y)*(x-a.x) < 0 {
			inside = false
			break
		}
	}
	if inside {
		return true
	}
	for i := range hull {
		if segmentDistance(hull[i], hull[(i+1)%len(hull)], x, y) <= margin {
			return true
		}
	}
	return false
}

func segmentDistance(a, b point, x, y float64) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((x-a.x)*dx+(y-a.y)*dy)/l2))
	}
	return math.Hypot(x-(a.x+t*dx), y-(a.y+t*dy))
}
