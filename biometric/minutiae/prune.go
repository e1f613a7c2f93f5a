package minutiae

import "math"

// Lengths below are in ridge periods, so that they mean the same on fine and coarse fingers.
const (
	spurLength     = 0.7 // an ending this close along its ridge to a junction is a spur
	fragmentLength = 1.2 // a ridge this short between two endings is a speck
	bridgeLength   = 0.7 // two junctions this close along a ridge: a bridge or a pore hole
	breakDistance  = 1.6 // two endings facing each other this close: one broken ridge
	clusterRadius  = 1.5 // more than clusterMax other minutiae this close: a noisy patch
	clusterMax     = 3
	edgeCells      = 1 // minutiae within this many cells of the finger's outline are dropped
	minCoherence   = 0.2
	minReliability = 0.25
)

// Thresholds on ridgeClarity's measures below which a minutia is not trusted.
const (
	minStrength = 0.25
	minClarity  = 0.2
)

// surroundings is what the extraction learnt about the image around each cell.
type surroundings struct {
	field             orientationField
	mask              fingerMask
	strength, clarity grid
}

// prune removes false minutiae. Structural artefacts are recognised from the skeleton (what a
// minutia's ridge runs into), the others from geometry; the outline and unclear blocks go last
// so that a structure straddling them is recognised whole.
func prune(cands []candidate, w int, env surroundings, period float64) {
	f, m := env.field, env.mask
	for i := range cands {
		c := &cands[i]
		if c.dropped != kept {
			continue
		}
		for _, b := range c.branches {
			if b.hit < 0 {
				continue
			}
			other := &cands[b.hit]
			l := b.length(w)
			switch {
			case c.kind == Ending && other.kind == Bifurcation && l < spurLength*period:
				c.dropped, other.dropped = spur, spur
			case c.kind == Ending && other.kind == Ending && l < fragmentLength*period:
				c.dropped, other.dropped = fragment, fragment
			case c.kind == Bifurcation && other.kind == Bifurcation && l < bridgeLength*period:
				c.dropped, other.dropped = bridge, bridge
			case b.hit == i:
				// A branch that loops back to its own junction: a small lake is a pore or a
				// speck of dirt, not a feature that survives the next capture.
				if l < 4*period {
					c.dropped = lake
				}
			}
		}
	}
	brokenRidges(cands, period)
	clusters(cands, period)
	for i := range cands {
		c := &cands[i]
		if c.dropped != kept {
			continue
		}
		ci := f.theta.cellOf(int(c.x), int(c.y))
		switch {
		case m.edge[ci] <= edgeCells:
			c.dropped = nearEdge
		case f.coherence.v[ci] < minCoherence && f.reliability.v[ci] < minReliability:
			c.dropped = unclearFlow
		case float64(env.strength.v[ci]) < minStrength:
			c.dropped = faint
		case float64(env.clarity.v[ci]) < minClarity:
			c.dropped = unclear
		}
	}
}

// brokenRidges drops pairs of endings that face each other across a short gap: a ridge
// interrupted by a crease, dryness or dirt, not two real endings.
func brokenRidges(cands []candidate, period float64) {
	limit := breakDistance * period
	for i := range cands {
		a := &cands[i]
		if a.dropped != kept || a.kind != Ending {
			continue
		}
		for j := i + 1; j < len(cands); j++ {
			b := &cands[j]
			if b.dropped != kept || b.kind != Ending {
				continue
			}
			dx, dy := b.x-a.x, b.y-a.y
			d := math.Hypot(dx, dy)
			if d > limit || d == 0 {
				continue
			}
			toward := math.Atan2(dy, dx)
			if angleDiff(a.angle, b.angle) > 2*math.Pi/3 && angleDiff(a.angle, toward) < math.Pi/4 &&
				angleDiff(b.angle, toward+math.Pi) < math.Pi/4 {
				a.dropped, b.dropped = broken, broken
				break
			}
		}
	}
}

// clusters drops minutiae crowded by more than clusterMax others within clusterRadius periods:
// real minutiae are rarely that dense, noise and scars make them so.
func clusters(cands []candidate, period float64) {
	r := clusterRadius * period
	dense := make([]bool, len(cands))
	for i := range cands {
		if cands[i].dropped != kept {
			continue
		}
		n := 0
		for j := range cands {
			if j != i && cands[j].dropped == kept && math.Hypot(cands[j].x-cands[i].x, cands[j].y-cands[i].y) < r {
				n++
			}
		}
		dense[i] = n > clusterMax
	}
	for i, c := range dense {
		if c {
			cands[i].dropped = crowded
		}
	}
}
