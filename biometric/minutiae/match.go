package minutiae

import (
	"math"
	"math/bits"
	"slices"
)

// Comparing cylinders (the bit-based MCC similarity). Two cylinders are compared only where
// both are known, and only when their minutiae point within a quarter turn of each other's
// directions once the prints are aligned: a larger turn is not the same minutia, whatever the
// neighbourhood looks like.
const (
	maxDirectionGap = math.Pi / 2
	minSharedShare  = 0.6 // share of a full cylinder's cells both must know to be compared
)

// fullCylinderBits is how many bits a cylinder with every cell known has.
var fullCylinderBits = func() int {
	n := 0
	for cj := range cylCells {
		for ci := range cylCells {
			a := (float64(ci) - (cylCells-1)/2.0) * cellSize
			b := (float64(cj) - (cylCells-1)/2.0) * cellSize
			if math.Hypot(a, b) <= cylRadius {
				n++
			}
		}
	}
	return n * cylSections
}()

// cylinderSimilarity is 1 − ‖a⊕b‖ / (‖a‖ + ‖b‖) over the cells both know, 0 when they cannot
// be compared.
func cylinderSimilarity(a, b *cylinder) float64 {
	if angleDiff(a.angle, b.angle) > maxDirectionGap {
		return 0
	}
	var shared, na, nb, nx int
	for w := range cylWords {
		m := a.valid[w] & b.valid[w]
		shared += bits.OnesCount64(m)
		ca, cb := a.bits[w]&m, b.bits[w]&m
		na += bits.OnesCount64(ca)
		nb += bits.OnesCount64(cb)
		nx += bits.OnesCount64(ca ^ cb)
	}
	if float64(shared) < minSharedShare*float64(fullCylinderBits) || na+nb == 0 {
		return 0
	}
	return 1 - math.Sqrt(float64(nx))/(math.Sqrt(float64(na))+math.Sqrt(float64(nb)))
}

// Score is a comparison's result: 0 (nothing in common) to 1 (identical minutiae). See
// Threshold for what counts as a match.
type Score float64

// Match compares two templates. To compare one template with many, prepare it once with
// NewCylinderCode and use Compare.
func Match(a, b *Template) Score {
	return Compare(NewCylinderCode(a), NewCylinderCode(b))
}

// Consolidation: local similarities alone can pair minutiae whose neighbourhoods look alike by
// chance. The best one-to-one pairs are checked against each other (relaxation, as in MCC's
// LSS-R): a pair keeps its similarity only in proportion to how many other pairs agree with it
// about distances and angles, so pairs consistent with a single placement of one print on the
// other support each other, and chance pairs fade. The score is the mean relaxed similarity
// of the scoredPairs pairs that kept the most of it, counting missing pairs as zero.
//
// MCC lets the number of pairs averaged fall to 4 for small templates. Measured here, that
// made the false match rate depend on the print's size: at the threshold for 0.1 % between
// full prints, a narrow partial print (a 7 × 15 mm crop, 12 minutiae) matched 0.9 % of other
// fingers, the real UPEK capture 1 %. Always averaging 12 pairs holds it near 0.15 % for
// partial prints, at the price a small print has to pay anyway: less evidence, lower scores
// (docs/matcher.md).
const (
	relaxRounds = 5
	relaxWeight = 0.5 // share of a pair's own value kept each round
	scoredPairs = 12
	// minSupport is the least number of other pairs a pair's support is shared among: with
	// only two or three pairs in all, agreeing with each other is too easy to count fully.
	minSupport = 7
)

// Tolerances between two pairs' geometry (sigmoid centre and steepness): distances within a
// few pixels, relative directions and bearings within about 15°.
const (
	distanceMid, distanceSlope = 5.0, -8.0 / 5
	angleMid, angleSlope       = math.Pi / 12, -30
	bearingMid, bearingSlope   = math.Pi / 12, -30
)

// Compare scores two prepared prints.
func Compare(a, b *CylinderCode) Score {
	na, nb := len(a.cyl), len(b.cyl)
	if na == 0 || nb == 0 {
		return 0
	}
	type pair struct {
		i, j int
		sim  float64
	}
	// Candidate pairs sorted by similarity, best first. Each is packed into one integer
	// (similarity as float32 bits, which order like the values for positive numbers, then
	// the two indices) so that sorting compares integers: with a comparison function the
	// sort took a third of a large comparison's time.
	sims := make([]float64, na*nb)
	keys := make([]uint64, 0, na*nb/4)
	for i := range a.cyl {
		for j := range b.cyl {
			if s := cylinderSimilarity(&a.cyl[i], &b.cyl[j]); s > 0 {
				sims[i*nb+j] = s
				keys = append(keys, uint64(math.Float32bits(float32(s)))<<32|uint64(i)<<16|uint64(j))
			}
		}
	}
	slices.Sort(keys)
	// The best one-to-one pairing, greedily: each minutia in at most one pair.
	want := min(na, nb)
	usedA, usedB := make([]bool, na), make([]bool, nb)
	var sel []pair
	for k := len(keys) - 1; k >= 0 && len(sel) < want; k-- {
		i, j := int(keys[k]>>16&0xffff), int(keys[k]&0xffff)
		if !usedA[i] && !usedB[j] {
			usedA[i], usedB[j] = true, true
			sel = append(sel, pair{i, j, sims[i*nb+j]})
		}
	}
	if len(sel) == 0 {
		return 0
	}
	lambda := make([]float64, len(sel))
	for t, p := range sel {
		lambda[t] = p.sim
	}
	if len(sel) > 1 {
		rho := make([]float64, len(sel)*len(sel))
		for t, p := range sel {
			for k := t + 1; k < len(sel); k++ {
				q := sel[k]
				r := compatibility(&a.cyl[p.i], &a.cyl[q.i], &b.cyl[p.j], &b.cyl[q.j])
				rho[t*len(sel)+k], rho[k*len(sel)+t] = r, r
			}
		}
		next := make([]float64, len(sel))
		for range relaxRounds {
			for t := range sel {
				var support float64
				for k := range sel {
					support += rho[t*len(sel)+k] * lambda[k]
				}
				next[t] = relaxWeight*lambda[t] + (1-relaxWeight)*support/float64(max(len(sel)-1, minSupport))
			}
			lambda, next = next, lambda
		}
	} else {
		lambda[0] *= relaxWeight // a single pair has no one to agree with
	}
	// Keep the pairs that lost least to the relaxation.
	order := make([]int, len(sel))
	for t := range order {
		order[t] = t
	}
	efficiency := func(t int) float64 { return lambda[t] / sel[t].sim }
	slices.SortStableFunc(order, func(x, y int) int {
		switch ex, ey := efficiency(x), efficiency(y); {
		case ex > ey:
			return -1
		case ex < ey:
			return 1
		}
		return 0
	})
	var sum float64
	for _, t := range order[:min(scoredPairs, len(order))] {
		sum += lambda[t]
	}
	return Score(sum / scoredPairs)
}

// compatibility is how well pair (a1, b1) agrees with pair (a2, b2): the distance between the
// two minutiae, the difference of their directions and the bearing of each from the other
// should be the same in both prints.
func compatibility(a1, a2, b1, b2 *cylinder) float64 {
	da := math.Hypot(a1.x-a2.x, a1.y-a2.y)
	db := math.Hypot(b1.x-b2.x, b1.y-b2.y)
	d1 := math.Abs(da - db)
	z1 := sigmoid(d1, distanceMid, distanceSlope)
	if z1 < 1e-6 {
		return 0 // distances 14 px or more apart: the angles cannot make up for it
	}
	d2 := math.Abs(signedAngle(signedAngle(a1.angle, a2.angle), signedAngle(b1.angle, b2.angle)))
	bearing := func(p, q *cylinder) float64 { return signedAngle(p.angle, math.Atan2(q.y-p.y, q.x-p.x)) }
	d3 := math.Abs(signedAngle(bearing(a1, a2), bearing(b1, b2)))
	return z1 * sigmoid(d2, angleMid, angleSlope) * sigmoid(d3, bearingMid, bearingSlope)
}

// sigmoid is 1 / (1 + e^(−slope·(v − mid))).
func sigmoid(v, mid, slope float64) float64 {
	return 1 / (1 + math.Exp(-slope*(v-mid)))
}
