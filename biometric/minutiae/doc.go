// Package minutiae finds the minutiae of a fingerprint image and compares two prints 1:1.
//
// It is what central uses to verify a captured finger against the register's reference
// print, and what the station can use to notice one finger captured for two positions.
//
// Extraction (Extract) works at 500 ppi; other resolutions are resampled first and the
// minutiae are reported in the input's own pixels:
//
//  1. Orientation field: the gradient structure tensor summed over 25 × 25 px windows on an
//     8 px grid, smoothed as doubled-angle vectors (so opposite gradients across a ridge
//     agree instead of cancelling). Its coherence says how clearly ridges run one way.
//  2. Segmentation: grid cells with grey-level spread and coherent ridges are the finger;
//     the mask is cleaned (majority vote, largest region, holes filled).
//  3. Ridge period: from signatures sampled across the ridges, filled in and smoothed
//     where the signature is unreadable (cores, deltas, scars).
//  4. Enhancement: an oriented Gabor filter, applied as a smoothing along the ridge followed
//     by a tuned band-pass across it, which joins broken ridges and removes noise.
//  5. Binarisation (the filter's sign) and thinning to a one-pixel skeleton.
//  6. Minutiae: skeleton ends (ridge endings) and three-way junctions (bifurcations), their
//     directions from the ridge traced away from them and the orientation field.
//  7. False minutiae removal: near the mask's edge or in unclear blocks, short spurs, short
//     ridge fragments, bridges between ridges, small holes, broken ridges (two endings
//     facing each other) and dense clusters.
//
// Comparison (Match, or Compare on prepared CylinderCodes) is a Minutia Cylinder-Code
// matcher after Cappelli, Ferrara and Maltoni (IEEE TPAMI 2010): each minutia is described by
// a bit cylinder of its neighbours' relative positions and directions, which does not change
// with rotation or translation and changes little with skin distortion; cylinders are
// compared pairwise, and the best pairs are checked against each other for geometric
// consistency (relaxation) before their similarity becomes the score, 0 (nothing in common)
// to 1. See Threshold for the decision and docs/matcher.md for the measured error rates.
//
// Templates are stored in a versioned format of our own (Template.MarshalBinary) and can be
// exchanged as ISO/IEC 19794-2:2005 finger minutiae records (ISORecord).
package minutiae
