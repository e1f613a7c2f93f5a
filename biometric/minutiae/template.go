package minutiae

import "math"

// Kind is the type of a minutia.
type Kind uint8

const (
	// Other is a minutia whose type was not determined (some ISO records carry them).
	Other Kind = iota
	// Ending is a ridge ending.
	Ending
	// Bifurcation is a ridge bifurcation.
	Bifurcation
)

func (k Kind) String() string {
	switch k {
	case Ending:
		return "ending"
	case Bifurcation:
		return "bifurcation"
	default:
		return "other"
	}
}

// Minutia is one ridge ending or bifurcation.
//
// Position is in the image's pixels, origin top left, y down. Angle is in radians in [0, 2π),
// measured from the x axis towards the y axis as the image's coordinates run (clockwise as
// seen on screen; ISO records count the other way and are converted). An ending points away
// from its ridge, the way the ridge would go on; a bifurcation points along its stem, away
// from the fork. The two agree for the commonest confusion between them: a ridge ending that
// a firmer press joins to its neighbour becomes a bifurcation pointing the same way.
type Minutia struct {
	X, Y  int
	Angle float64
	Kind  Kind
	// Quality is 1 (barely credible) to 100 (clear ridges all round); 0 means not known.
	Quality uint8
}

// Template is the minutiae of one impression of one finger, with what is needed to compare it:
// the image's size and resolution.
type Template struct {
	Width, Height int
	PPI           int
	// Quality is the finger image's quality 0-100 (ISO/IEC 29794-4 style), if the caller
	// knows it; Extract leaves it 0 (the station records its own measure with the capture).
	Quality  uint8
	Minutiae []Minutia
}

// normaliseAngle maps any angle to [0, 2π).
func normaliseAngle(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	if a >= 2*math.Pi { // -tiny + 2π rounds up to 2π
		a = 0
	}
	return a
}
