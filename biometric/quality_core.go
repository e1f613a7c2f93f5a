package biometric

import "math"

// findCore looks for the core with the Poincaré index of the block orientation field: going
// once round a core, the ridge direction turns by half a turn, round a delta by half a turn the
// other way, round a whorl's centre by a whole turn. The field is first smoothed (doubled-angle
// vectors, so that opposite gradients across one ridge agree) and the holes of the finger's
// mask closed; a block is a core when the index is a core's on both the ring of its 8
// neighbours and the ring of 16 around those, which rejects the spurious turns noise and
// creases make. Where several blocks qualify (a whorl has two cores close together, or one
// whole-turn centre), the one nearest the print's centre is reported. (cx, cy) is the centre of
// the foreground in pixels at 500 ppi; sx, sy convert positions back to the input's pixels.
func findCore(g blockGrid, cx, cy, sx, sy float64) FingerCore {
	bw, bh := g.bw, g.bh
	mask := make([]bool, bw*bh)
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			i := by*bw + bx
			if g.fg[i] {
				mask[i] = true
				continue
			}
			n := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := bx+dx, by+dy
					if (dx != 0 || dy != 0) && x >= 0 && y >= 0 && x < bw && y < bh && g.fg[y*bw+x] {
						n++
					}
				}
			}
			mask[i] = n >= 5
		}
	}
	// Smooth twice with the (1 2 1)² kernel over the foreground's vectors.
	vx, vy := g.vx, g.vy
	for range 2 {
		nx, ny := make([]float64, bw*bh), make([]float64, bw*bh)
		for by := 0; by < bh; by++ {
			for bx := 0; bx < bw; bx++ {
				if !mask[by*bw+bx] {
					continue
				}
				var sx, sy float64
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						x, y := bx+dx, by+dy
						if x < 0 || y < 0 || x >= bw || y >= bh {
							continue
						}
						wt := float64((2 - iabs(dx)) * (2 - iabs(dy)))
						sx += wt * vx[y*bw+x]
						sy += wt * vy[y*bw+x]
					}
				}
				nx[by*bw+bx], ny[by*bw+bx] = sx, sy
			}
		}
		vx, vy = nx, ny
	}
	angle := func(x, y int) (float64, bool) {
		if x < 0 || y < 0 || x >= bw || y >= bh || !mask[y*bw+x] {
			return 0, false
		}
		i := y*bw + x
		if vx[i] == 0 && vy[i] == 0 {
			return 0, false
		}
		return 0.5 * math.Atan2(vy[i], vx[i]), true
	}
	best, bestDist := -1, math.Inf(1)
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			if !mask[by*bw+bx] {
				continue
			}
			i1, ok1 := poincare(angle, bx, by, 1)
			i2, ok2 := poincare(angle, bx, by, 2)
			if !ok1 || !ok2 || !isCoreIndex(i1) || !isCoreIndex(i2) {
				continue
			}
			px, py := (float64(bx)+0.5)*qualityBlock, (float64(by)+0.5)*qualityBlock
			if d := math.Hypot(px-cx, py-cy); d < bestDist {
				best, bestDist = by*bw+bx, d
			}
		}
	}
	if best < 0 {
		return FingerCore{}
	}
	bx, by := best%bw, best/bw
	px, py := (float64(bx)+0.5)*qualityBlock, (float64(by)+0.5)*qualityBlock
	// The nearest edge: a block outside the mask, or the image's border.
	edge := math.Min(math.Min(px, float64(bw*qualityBlock)-px), math.Min(py, float64(bh*qualityBlock)-py))
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			if !mask[y*bw+x] {
				edge = math.Min(edge, math.Hypot(float64(x-bx), float64(y-by))*qualityBlock-qualityBlock/2)
			}
		}
	}
	mm := mmPerInch / qualityPPI
	return FingerCore{Found: true, X: int(math.Round(px * sx)), Y: int(math.Round(py * sy)),
		FromCentreMM: bestDist * mm, ToEdgeMM: math.Max(0, edge) * mm}
}

// isCoreIndex: half a turn (a loop's core) or a whole turn (a whorl's centre) in the ridge
// direction's sense of rotation that cores have in image coordinates; deltas turn the other
// way.
func isCoreIndex(turns float64) bool {
	return math.Abs(turns-0.5) < 0.2 || math.Abs(turns-1) < 0.2
}

// poincare sums the change of direction going once round the square ring at distance r from
// block (bx, by), in turns; false when the ring leaves the finger.
func poincare(angle func(x, y int) (float64, bool), bx, by, r int) (float64, bool) {
	var ring [][2]int
	for x := -r; x < r; x++ {
		ring = append(ring, [2]int{x, -r})
	}
	for y := -r; y < r; y++ {
		ring = append(ring, [2]int{r, y})
	}
	for x := r; x > -r; x-- {
		ring = append(ring, [2]int{x, r})
	}
	for y := r; y > -r; y-- {
		ring = append(ring, [2]int{-r, y})
	}
	first, ok := angle(bx+ring[0][0], by+ring[0][1])
	if !ok {
		return 0, false
	}
	prev, sum := first, 0.0
	for k := 1; k <= len(ring); k++ {
		a := first
		if k < len(ring) {
			var ok bool
			if a, ok = angle(bx+ring[k][0], by+ring[k][1]); !ok {
				return 0, false
			}
		}
		d := a - prev
		for d > math.Pi/2 {
			d -= math.Pi
		}
		for d <= -math.Pi/2 {
			d += math.Pi
		}
		sum += d
		prev = a
	}
	return sum / (2 * math.Pi), true
}

func iabs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
