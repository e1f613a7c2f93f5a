package minutiae

// Decision thresholds on Score. Each is the lowest score, to four decimals, that no more than
// the given share of impostor comparisons reach on the calibration population of
// docs/matcher.md (300 simulated fingers × 4 impressions, 300 000 impostor comparisons;
// TestCalibrateThresholds measures them again), which is kept apart from the fingers the
// published error rates are measured on. A comparison scoring at or above Threshold is a match.
const (
	// LenientThreshold is reached by 1 % of impostor comparisons.
	LenientThreshold Score = 0.0153
	// Threshold is reached by 0.1 % of impostor comparisons: the decision threshold.
	Threshold Score = 0.0186
	// StrictThreshold is reached by 0.01 % of impostor comparisons.
	StrictThreshold Score = 0.0238
)

// Matches says whether a score is a match at Threshold.
func (s Score) Matches() bool { return s >= Threshold }
