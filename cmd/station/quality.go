package main

import (
	"errors"
	"fmt"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"strings"

	"github.com/wardpolice/enroll/biometric"
)

// errBelowThreshold: the print was scored and is below the acceptance threshold (exit 1).
var errBelowThreshold = errors.New("the print is below the quality threshold")

// runQuality: `station quality FILE.png [--ppi N]` scores a finger image as the station scores
// a capture and prints the score, the flags and every component. The resolution is --ppi,
// else the PNG's pHYs chunk, else estimated from the ridge period (and the output says which).
// Exit status 0 when the print reaches the threshold, 1 when it does not, 2 when the command
// cannot run (a usage mistake, or a file that cannot be read).
func runQuality(args []string, out io.Writer) error {
	fs := newFlags("quality")
	ppi := fs.Int("ppi", 0, fmt.Sprintf("the image's resolution in pixels per inch (%d-%d); default: the PNG's pHYs chunk, else estimated from the ridges",
		biometric.MinQualityPPI, biometric.MaxQualityPPI))
	files, err := fs.ParseArgs(args, out)
	if err != nil {
		return err
	}
	switch {
	case len(files) == 0:
		return fs.Mistake("name the finger image to score: station quality FILE.png")
	case len(files) > 1:
		return fs.Mistake("one file at a time (got %s)", strings.Join(files, ", "))
	case *ppi != 0 && (*ppi < biometric.MinQualityPPI || *ppi > biometric.MaxQualityPPI):
		return fs.Mistake("--ppi %d is outside %d-%d (a fingerprint reader's resolution; leave it out to read it from the PNG or estimate it)",
			*ppi, biometric.MinQualityPPI, biometric.MaxQualityPPI)
	}
	path := files[0]
	img, filePPI, err := biometric.ReadFingerFile(path)
	if err != nil {
		return &unreadableError{cmd: "quality", path: path, err: err}
	}
	given := *ppi
	if given == 0 {
		given = filePPI
	}
	q := biometric.MeasureFingerAt(img, given)
	if *ppi == 0 && q.PPISource == biometric.PPIGiven {
		q.PPISource = biometric.PPIFromPNG
	}
	writeQuality(out, path, img.Rect.Dx(), img.Rect.Dy(), q)
	if q.Score < biometric.FingerQualityThreshold {
		return fmt.Errorf("quality: %w", errBelowThreshold)
	}
	return nil
}

var ppiSourceText = map[biometric.PPISource]string{
	biometric.PPIGiven:     "given with --ppi",
	biometric.PPIFromPNG:   "from the PNG's pHYs chunk",
	biometric.PPIEstimated: fmt.Sprintf("estimated: the file gives none; ridge period taken as %.2f mm", biometric.TypicalRidgePeriodMM),
	biometric.PPIAssumed:   "assumed: the file gives none and the ridges are too unclear to estimate it",
}

func writeQuality(out io.Writer, path string, w, h int, q biometric.FingerQuality) {
	f := q.Features
	verdict := "acceptable"
	if q.Score < biometric.FingerQualityThreshold {
		verdict = fmt.Sprintf("below the threshold %d: capture again", biometric.FingerQualityThreshold)
	}
	fmt.Fprintf(out, "%s: %d×%d px at %d ppi (%s)\n", path, w, h, q.PPI, ppiSourceText[q.PPISource])
	fmt.Fprintf(out, "quality %d/100 (%s)", q.Score, verdict)
	for _, fl := range q.Flags {
		fmt.Fprintf(out, " [%s]", fl)
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "  finger area     %6.0f mm² (%.0f %% of the image)\n", f.AreaMM2, 100*f.Area)
	fmt.Fprintf(out, "  fingertip area  %6.0f mm² in the best %.0f × %.0f mm window (partial below %.0f, full credit from %.0f)\n",
		f.TipAreaMM2, biometric.TipWindowMM, biometric.TipWindowMM, biometric.PartialAreaMM2, biometric.FullTipAreaMM2)
	fmt.Fprintf(out, "  contrast        %6.2f\n", f.Contrast)
	fmt.Fprintf(out, "  orientation     %6.2f\n", f.Orientation)
	fmt.Fprintf(out, "  frequency       %6.2f (mean ridge period %.2f mm)\n", f.Frequency, f.RidgePeriodMM)
	fmt.Fprintf(out, "  clarity         %6.2f\n", f.Clarity)
	fmt.Fprintf(out, "  centring        %6.2f\n", f.Centring)
	fmt.Fprintf(out, "  mean grey       %6.0f\n", f.MeanGrey)
	if q.Core.Found {
		fmt.Fprintf(out, "  core            at (%d, %d) px, %.1f mm from the print's centre, %.1f mm inside its edge\n",
			q.Core.X, q.Core.Y, q.Core.FromCentreMM, q.Core.ToEdgeMM)
	} else {
		fmt.Fprintln(out, "  core            none found (an arch has none; else it lies outside the print)")
	}
}
