package minutiae

import "math"

// directionReach is how far along a branch its direction is read, in ridge periods: far
// enough to average out the skeleton's pixel steps, near enough to stay on a curving ridge.
const directionReach = 1.1

// setDirection gives a candidate its angle (see Minutia for the convention): from the traced
// branches, then refined by the orientation field where the two agree, because the field is
// averaged over many ridges and is steadier than one skeleton line.
func setDirection(c *candidate, w int, f orientationField, period float64) {
	reach := int(math.Round(directionReach * period))
	branchAngle := func(t trace) float64 {
		p := t.path[min(reach, len(t.path)-1)]
		return math.Atan2(float64(p/w)-c.y, float64(p%w)-c.x)
	}
	var traced float64
	switch c.kind {
	case Ending:
		traced = branchAngle(c.branches[0]) + math.Pi // away from the ridge
	case Bifurcation:
		// The two branches of the fork leave at a narrow angle; the third is the stem.
		a := [3]float64{branchAngle(c.branches[0]), branchAngle(c.branches[1]), branchAngle(c.branches[2])}
		stem, narrowest := 0, math.Inf(1)
		for i := range 3 {
			if d := angleDiff(a[(i+1)%3], a[(i+2)%3]); d < narrowest {
				stem, narrowest = i, d
			}
		}
		traced = a[stem]
	}
	traced = normaliseAngle(traced)
	ci := f.theta.cellOf(int(c.x), int(c.y))
	field := float64(f.theta.v[ci])
	if angleDiff(field, traced) > math.Pi/2 {
		field += math.Pi
	}
	field = normaliseAngle(field)
	if angleDiff(field, traced) < math.Pi/4 {
		c.angle = field
	} else {
		c.angle = traced
	}
}

// angleDiff is the absolute difference of two angles, in [0, π].
func angleDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}
