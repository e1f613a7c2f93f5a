package minutiae

import (
	"math"
)

// Minutia Cylinder-Code (Cappelli, Ferrara and Maltoni, "Minutia Cylinder-Code: a new
// representation and matching technique for fingerprint recognition", IEEE TPAMI 32(12),
// 2010). Each minutia gets a cylinder: a disc of radius cylRadius around it, turned to its
// direction, divided into cylCells × cylCells cells and cylSections direction sections. A
// cell's bit says whether some neighbouring minutia lies near the cell's centre with a
// direction (relative to the central minutia's) in the section's range. Being relative to the
// minutia, cylinders do not change with rotation or translation; being local and blurred
// (Gaussian in space and direction), they change little with skin distortion. Distances are in
// pixels at 500 ppi; templates at other resolutions are scaled first.
const (
	cylRadius        = 70.0
	cylCells         = 16
	cylSections      = 6
	cylSigmaS        = 28.0 / 3
	cylSigmaD        = 2 * math.Pi / 9
	cylMuPsi         = 0.01 // a cell's summed contributions at or above this set its bit
	cylHullMargin    = 50.0 // cells this far outside the minutiae's convex hull are unknown
	cylMinValidShare = 0.75 // a cylinder needs this share of its cells known to be used
	cylMinNeighbours = 2    // … and this many minutiae around it
	cylWords         = cylCells * cylCells * cylSections / 64
	cellSize         = 2 * cylRadius / cylCells
	sectionWidth     = 2 * math.Pi / cylSections
)

// cylinder is one minutia's code: its bits, the mask of cells that are known (inside the
// print's area), and the minutia itself.
type cylinder struct {
	bits, valid [cylWords]uint64
	x, y, angle float64
	usable      bool
}

// CylinderCode is a template prepared for comparison: building the cylinders costs more than
// comparing them, so a print compared many times (a register's reference, a station's earlier
// fingers) is prepared once. It is safe for concurrent use by Compare.
type CylinderCode struct {
	cyl []cylinder // the usable ones
}

// Len is the number of minutiae whose cylinders take part in comparisons.
func (c *CylinderCode) Len() int { return len(c.cyl) }

// maxCodeMinutiae bounds a cylinder code: an ISO record's most per view. Extract keeps fewer,
// best first; a template from elsewhere with more is cut to its first ones.
const maxCodeMinutiae = 255

// NewCylinderCode builds the cylinders of t's minutiae.
func NewCylinderCode(t *Template) *CylinderCode {
	scale := 1.0
	if t.PPI > 0 {
		scale = float64(workPPI) / float64(t.PPI)
	}
	ms := t.Minutiae[:min(len(t.Minutiae), maxCodeMinutiae)]
	pts := make([]cylinder, len(ms))
	for i, m := range ms {
		pts[i] = cylinder{x: float64(m.X) * scale, y: float64(m.Y) * scale, angle: normaliseAngle(m.Angle)}
	}
	hull := convexHull(pts)
	code := &CylinderCode{}
	for i := range pts {
		if c, ok := buildCylinder(pts, i, hull); ok {
			code.cyl = append(code.cyl, c)
		}
	}
	return code
}

// buildCylinder fills minutia i's cylinder and says whether it is usable.
func buildCylinder(pts []cylinder, i int, hull []point) (cylinder, bool) {
	m := pts[i]
	c := cylinder{x: m.x, y: m.y, angle: m.angle}
	reach := cylRadius + 3*cylSigmaS
	var near []int
	for j, p := range pts {
		if dx, dy := p.x-m.x, p.y-m.y; j != i && dx*dx+dy*dy <= reach*reach {
			near = append(near, j)
		}
	}
	if len(near) < cylMinNeighbours {
		return c, false
	}
	// Each neighbour's direction relative to the central minutia's, once.
	rel := make([]float64, len(near))
	for k, j := range near {
		rel[k] = signedAngle(m.angle, pts[j].angle)
	}
	sin, cos := math.Sincos(m.angle)
	total, known := 0, 0
	var contrib [cylSections]float64
	for cj := range cylCells {
		for ci := range cylCells {
			a := (float64(ci) - (cylCells-1)/2.0) * cellSize
			b := (float64(cj) - (cylCells-1)/2.0) * cellSize
			if math.Hypot(a, b) > cylRadius {
				continue
			}
			total++
			px, py := m.x+cos*a-sin*b, m.y+sin*a+cos*b
			if !nearHull(hull, px, py, cylHullMargin) {
				continue
			}
			known++
			contrib = [cylSections]float64{}
			for k, j := range near {
				dx, dy := pts[j].x-px, pts[j].y-py
				d2 := dx*dx + dy*dy
				if d2 > 9*cylSigmaS*cylSigmaS {
					continue
				}
				gs := spatialWeight(d2)
				for s := range cylSections {
					contrib[s] += gs * directionalWeight(signedAngle(sectionCentre(s), rel[k]))
				}
			}
			for s := range cylSections {
				bit := (s*cylCells+cj)*cylCells + ci
				c.valid[bit/64] |= 1 << (bit % 64)
				if contrib[s] >= cylMuPsi {
					c.bits[bit/64] |= 1 << (bit % 64)
				}
			}
		}
	}
	c.usable = float64(known) >= cylMinValidShare*float64(total)
	return c, c.usable
}

func sectionCentre(s int) float64 { return -math.Pi + (float64(s)+0.5)*sectionWidth }

// spatialWeight is the Gaussian density of a neighbour at squared distance d2 from a cell's
// centre.
func spatialWeight(d2 float64) float64 {
	return math.Exp(-d2/(2*cylSigmaS*cylSigmaS)) / (cylSigmaS * math.Sqrt(2*math.Pi))
}

// directionalWeight is the share of a Gaussian (sigma cylSigmaD) centred on a neighbour's
// relative direction that falls in a section whose centre is diff (in [−π, π]) away. It is
// read from a table: two error functions per neighbour, cell and section were most of the
// time a cylinder code took.
func directionalWeight(diff float64) float64 {
	f := (diff + math.Pi) / (2 * math.Pi) * directionSteps
	i := min(max(int(f), 0), directionSteps-1)
	frac := f - float64(i)
	return directionTable[i]*(1-frac) + directionTable[i+1]*frac
}

const directionSteps = 1024

var directionTable = func() (t [directionSteps + 1]float64) {
	k := cylSigmaD * math.Sqrt2
	for i := range t {
		diff := -math.Pi + 2*math.Pi*float64(i)/directionSteps
		t[i] = 0.5 * (math.Erf((diff+sectionWidth/2)/k) - math.Erf((diff-sectionWidth/2)/k))
	}
	return t
}()

// signedAngle is b − a wrapped to [−π, π), for angles and differences of angles within a few
// turns (math.Mod was a fifth of a comparison's time).
func signedAngle(a, b float64) float64 {
	d := b - a
	for d >= math.Pi {
		d -= 2 * math.Pi
	}
	for d < -math.Pi {
		d += 2 * math.Pi
	}
	return d
}
