package main

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ms formats milliseconds.
func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

// count formats a whole number with thin spaces between thousands (10 000).
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + " " + s[i:]
	}
	return s
}

// find returns the result whose name is name.
func find(rs []benchResult, name string) (benchResult, bool) {
	for _, r := range rs {
		if r.Name == name {
			return r, true
		}
	}
	return benchResult{}, false
}

// need returns the result named name and its metric in unit, or an error that says which is
// missing.
func need(rs []benchResult, name, unit string) (benchResult, float64, error) {
	r, ok := find(rs, name)
	if !ok {
		return r, 0, fmt.Errorf("%s did not report", name)
	}
	v, ok := r.metric(unit)
	if !ok {
		return r, 0, fmt.Errorf("%s reported no %s", name, unit)
	}
	return r, v, nil
}

// all returns every result named name (one per -count).
func all(rs []benchResult, name string) []benchResult {
	var out []benchResult
	for _, r := range rs {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

// metrics is one metric of every run of the benchmark name that reported it.
func metrics(rs []benchResult, name, unit string) []float64 {
	var vs []float64
	for _, r := range all(rs, name) {
		if v, ok := r.metric(unit); ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// spread is "a" for one value or "a–b" for a range.
func spread(vs []float64, format func(float64) string) string {
	lo, hi := slices.Min(vs), slices.Max(vs)
	if format(lo) == format(hi) {
		return format(lo)
	}
	return format(lo) + "–" + format(hi)
}

func measureStepChange(cfg *config) []row {
	const what, budget = "wizard step change, through the real wizard with the draft save (p99)", "< 100 ms"
	n := pick(cfg, 100, 20)
	rs, err := goBench(cfg, "./ui", "^BenchmarkStepChange$", fmt.Sprintf("%dx", n), 1, 30*time.Minute)
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	r, p99, err := need(rs, "BenchmarkStepChange", "p99-ms")
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	p50, _ := r.metric("p50-ms")
	worst, worstAt := 0.0, ""
	for unit, v := range r.Metrics {
		if strings.HasSuffix(unit, "-p99-ms") && unit != "p99-ms" && v > worst {
			worst, worstAt = v, strings.TrimSuffix(unit, "-p99-ms")
		}
	}
	maxv, _ := r.metric("max-ms")
	return []row{{What: what, Budget: budget, Result: verdict(p99 < 100),
		Measured: fmt.Sprintf("p99 %s, p50 %s, max %s over %d changes (4 per walk × %d walks); slowest transition %s p99 %s",
			ms(p99), ms(p50), ms(maxv), 4*r.N, r.N, strings.Replace(worstAt, "-", " → ", 1), ms(worst))}}
}

func measureCapture(cfg *config) []row {
	const what, budget = "finger capture → quality score shown, through the fingers step (p99)", "< 150 ms"
	runs := pick(cfg, 3, 1)
	rs, err := goBench(cfg, "./ui", "^BenchmarkCaptureToScore$", "30x", runs, 30*time.Minute)
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	p99s, p50s := metrics(rs, "BenchmarkCaptureToScore", "p99-ms"), metrics(rs, "BenchmarkCaptureToScore", "p50-ms")
	if len(p99s) == 0 {
		return []row{failed(what, budget, fmt.Errorf("BenchmarkCaptureToScore reported no p99-ms"))}
	}
	worst := slices.Max(p99s)
	return []row{{What: what, Budget: budget, Result: verdict(worst < 150),
		Measured: fmt.Sprintf("p99 %s (of %d runs × 30 captures, ten-print with retakes), p50 %s",
			spread(p99s, ms), len(p99s), spread(p50s, ms))}}
}

func measurePreview(cfg *config) []row {
	const budget = "≥ 25 fps shown, face checks ≥ 10 Hz, < 1 core"
	n := pick(cfg, 3, 1)
	rs, err := goBench(cfg, "./ui", "^BenchmarkPortraitPreview(Capacity)?$", fmt.Sprintf("%dx", n), 1, 20*time.Minute)
	if err != nil {
		return []row{failed("camera preview with face box, 640×480 (simulated 30 fps camera, headless)", budget, err)}
	}
	r, ok := find(rs, "BenchmarkPortraitPreview")
	if !ok {
		return []row{failed("camera preview with face box, 640×480", budget, fmt.Errorf("no BenchmarkPortraitPreview result"))}
	}
	shown, _ := r.metric("shown/s")
	frames, _ := r.metric("frames/s")
	checks, _ := r.metric("checks/s")
	cores, _ := r.metric("cores")
	secs := 5 * r.N
	rows := []row{
		{What: "camera preview 640×480: frames shown (simulated 30 fps camera, headless driver)", Budget: "≥ 25 fps",
			Measured: fmt.Sprintf("%.2f fps shown of %.2f fps taken from the camera, over %d s", shown, frames, secs), Result: verdict(shown >= 25)},
		{What: "camera preview 640×480: face checks", Budget: "≥ 10 Hz",
			Measured: fmt.Sprintf("%.2f checks/s over %d s", checks, secs), Result: verdict(checks >= 10)},
		{What: "camera preview 640×480: CPU (whole test process: camera, checks, UI)", Budget: "< 1 core",
			Measured: fmt.Sprintf("%.2f cores over %d s", cores, secs), Result: verdict(cores < 1)},
	}
	if c, ok := find(rs, "BenchmarkPortraitPreviewCapacity"); ok {
		cs, _ := c.metric("shown/s")
		cc, _ := c.metric("checks/s")
		cpu, _ := c.metric("cpu-ms/frame")
		rows = append(rows, row{What: "camera preview capacity: frames as fast as the step shows them (no sleeps)", Budget: "(shows the station's own cost)",
			Measured: fmt.Sprintf("%.0f fps shown, %.1f checks/s, %.1f ms CPU per frame shown", cs, cc, cpu), Result: info})
	}
	return rows
}

// measurePortrait times the portrait checks on real photographs (the 41 of
// ../shared/fixtures/faces, each fitted into a 640×480 frame): the live preview runs them on
// every measured frame, 10 a second at least.
func measurePortrait(cfg *config) []row {
	const what, budget = "portrait checks on one 640×480 frame of a real photograph (p90)", "< 100 ms (≥ 10 Hz)"
	runs := pick(cfg, 3, 1)
	rs, err := goBench(cfg, "./biometric", "^BenchmarkAssessRealFrames$", "410x", runs, 20*time.Minute)
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	p90s, p50s := metrics(rs, "BenchmarkAssessRealFrames", "p90-ms"), metrics(rs, "BenchmarkAssessRealFrames", "p50-ms")
	if len(p90s) == 0 {
		return []row{failed(what, budget, fmt.Errorf("BenchmarkAssessRealFrames reported no p90-ms"))}
	}
	worst := slices.Max(p90s)
	return []row{{What: what, Budget: budget, Result: verdict(worst < 100),
		Measured: fmt.Sprintf("p90 %s, p50 %s (%d runs × 410 frames)", spread(p90s, ms), spread(p50s, ms), len(p90s))}}
}

func measureSave(cfg *config) []row {
	records := pick(cfg, 10000, 1000)
	what := fmt.Sprintf("save a complete record (2 fingers + portrait), synchronous=FULL, into a database of %s records (p99)", count(records))
	if cfg.Quick {
		what += " [quick: 10 000 in the full run]"
	}
	const budget = "< 50 ms p99"
	n := pick(cfg, 500, 150)
	db := filepath.Join(cfg.Cache, fmt.Sprintf("save-%d.db", records))
	rs, err := goBench(cfg, "./store/demo", "^BenchmarkCompleteAmong$", fmt.Sprintf("%dx", n), 1, 3*time.Hour,
		"BENCH_SAVE_DB="+db, fmt.Sprintf("BENCH_RECORDS=%d", records))
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	r, p99, err := need(rs, "BenchmarkCompleteAmong", "p99-ms")
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	p50, _ := r.metric("p50-ms")
	maxv, _ := r.metric("max-ms")
	wal, _ := r.metric("wal-peak-MB")
	return []row{
		{What: what, Budget: budget, Result: verdict(p99 < 50),
			Measured: fmt.Sprintf("p99 %s, p50 %s, max %s over %d saves", ms(p99), ms(p50), ms(maxv), r.N)},
		{What: "WAL while those records were saved back to back (in-process, sampled after each save)", Budget: "< 64 MB",
			Measured: fmt.Sprintf("peak %.1f MB", wal), Result: verdict(wal < 64)},
	}
}

func measureSearch(cfg *config) []row {
	records := pick(cfg, 200000, 20000)
	what := fmt.Sprintf("search among %s records, each kind of query an officer makes (p99 of the slowest query)", count(records))
	if cfg.Quick {
		what += " [quick: 200 000 in the full run]"
	}
	const budget = "< 20 ms"
	n := pick(cfg, 200, 50)
	db := filepath.Join(cfg.Cache, fmt.Sprintf("search-%d.db", records))
	rs, err := goBench(cfg, "./store/demo", "^BenchmarkSearchCached$", fmt.Sprintf("%dx", n), 1, 5*time.Hour,
		"BENCH_SEARCH_DB="+db, fmt.Sprintf("BENCH_RECORDS=%d", records))
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	worst, worstQ := -1.0, ""
	var means []float64
	queries := 0
	for _, r := range rs {
		q, ok := strings.CutPrefix(r.Name, "BenchmarkSearchCached/")
		if !ok {
			continue
		}
		queries++
		if v, ok := r.metric("p99-ms"); ok && v > worst {
			worst, worstQ = v, strings.ReplaceAll(q, "_", " ")
		}
		if v, ok := r.metric("ns/op"); ok {
			means = append(means, v/1e6)
		}
	}
	if worst < 0 {
		return []row{failed(what, budget, fmt.Errorf("BenchmarkSearchCached reported no p99-ms"))}
	}
	return []row{{What: what, Budget: budget, Result: verdict(worst < 20),
		Measured: fmt.Sprintf("slowest p99 %s (%q); means %s over %d queries × %d runs", ms(worst), worstQ, spread(means, ms), queries, n)}}
}

func measureBatch(cfg *config) []row {
	const what, budget = "build + encrypt + sign a 1 000-record batch", "≥ 100 MB/s"
	n := pick(cfg, 5, 2)
	rs, err := goBench(cfg, "./sync/batch", "^BenchmarkBuild$", fmt.Sprintf("%dx", n), 1, 30*time.Minute)
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	big, mbps, err := need(rs, "BenchmarkBuild/records=1000", "MB/s")
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	_, ps, err := need(rs, "BenchmarkBuild/records=100", "peak-MB")
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	pb, _ := big.metric("peak-MB")
	// Flat: ten times the records may not need more than a quarter more heap (or 2 MB).
	flat := pb <= math.Max(ps*1.25, ps+2)
	return []row{
		{What: what, Budget: budget, Result: verdict(mbps >= 100),
			Measured: fmt.Sprintf("%.0f MB/s (%d builds)", mbps, big.N)},
		{What: "batch building: memory flat with batch size (peak heap, 100 vs 1 000 records)", Budget: "flat",
			Measured: fmt.Sprintf("%.1f MB vs %.1f MB", ps, pb), Result: verdict(flat)},
	}
}

func measureUpload(cfg *config) []row {
	const what, budget = "upload over loopback (tus, mutual TLS, 4 MiB chunks) vs a plain HTTPS PUT of the same 64 MiB", "≥ 50 %"
	n := pick(cfg, 8, 3)
	rs, err := goBench(cfg, "./sync/upload", "^BenchmarkUploadVsPUT$/^chunk=4MiB$", fmt.Sprintf("%dx", n), 1, 30*time.Minute)
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	r, ratio, err := need(rs, "BenchmarkUploadVsPUT/chunk=4MiB", "tus/put")
	if err != nil {
		return []row{failed(what, budget, err)}
	}
	tus, _ := r.metric("tus-MB/s")
	put, _ := r.metric("put-MB/s")
	return []row{{What: what, Budget: budget, Result: verdict(ratio >= 0.5),
		Measured: fmt.Sprintf("%.0f %% (%.0f vs %.0f MB/s, %d of each, alternated)", 100*ratio, tus, put, r.N)}}
}

func measureMatcher(cfg *config) []row {
	n := pick(cfg, 30, 10)
	rs, err := goBench(cfg, "./biometric/minutiae", "^Benchmark(Compare|CompareLargest|Extract400)$", fmt.Sprintf("%dx", n), 1, 20*time.Minute)
	if err != nil {
		return []row{failed("one 1:1 fingerprint comparison / one extraction (500 ppi, 400×400)", "< 5 ms / < 100 ms", err)}
	}
	var rows []row
	cmp, ok1 := find(rs, "BenchmarkCompare")
	worst, ok2 := find(rs, "BenchmarkCompareLargest")
	if ok1 && ok2 {
		c, _ := cmp.metric("ns/op")
		w, _ := worst.metric("ns/op")
		rows = append(rows, row{What: "one 1:1 fingerprint comparison (prepared templates)", Budget: "< 5 ms",
			Measured: fmt.Sprintf("%s (worst case, 150 × 150 minutiae: %s), means of %d", ms(c/1e6), ms(w/1e6), n), Result: verdict(c < 5e6)})
	} else {
		rows = append(rows, failed("one 1:1 fingerprint comparison", "< 5 ms", fmt.Errorf("BenchmarkCompare(Largest) did not report")))
	}
	if ex, ok := find(rs, "BenchmarkExtract400"); ok {
		e, _ := ex.metric("ns/op")
		rows = append(rows, row{What: "one minutiae extraction (500 ppi, 400 × 400)", Budget: "< 100 ms",
			Measured: fmt.Sprintf("%s (mean of %d)", ms(e/1e6), n), Result: verdict(e < 100e6)})
	} else {
		rows = append(rows, failed("one minutiae extraction (500 ppi, 400 × 400)", "< 100 ms", fmt.Errorf("BenchmarkExtract400 did not report")))
	}
	return rows
}
