package main

import (
	"encoding/json"
	"errors"
	"fmt"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"

	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/ui"
)

var errPortraitChecks = errors.New("the photo fails a portrait check")

// errUnreadable is input a command cannot read at all (exit status 2), as opposed to input it
// read and judged (exit status 1).
var errUnreadable = errors.New("cannot read the input")

// portraitReport is `station portrait --json`'s output.
type portraitReport struct {
	Verdict string             `json:"verdict"` // "pass" or "fail"
	Checks  []portraitCheckOut `json:"checks"`
}

type portraitCheckOut struct {
	Name    string  `json:"name"`
	Result  string  `json:"result"` // "pass", "warn" or "fail"
	Value   float64 `json:"value"`
	Limit   string  `json:"limit"`
	Message string  `json:"message"`
}

// runPortrait: `station portrait --in PHOTO --out CROP.jpg [--json]` runs the portrait checks
// on a photo file as on a still (no display needed) and prints each result: one line per check
// (pass, warn or FAIL, name, value, limit, message), or with --json one object. Exit status 0
// when no check fails (warnings allowed), 1 when one does, 2 when the command cannot run (a
// usage mistake, or a photo that cannot be read); the crop the station would store is written
// only when no check fails.
func runPortrait(args []string, out io.Writer) error {
	fs := newFlags("portrait")
	in := fs.String("in", "", "photo to check (JPEG or PNG)")
	dst := fs.String("out", "", "where to write the 3:4 crop (JPEG), when every check holds")
	asJSON := fs.Bool("json", false, `print one JSON object: {"verdict", "checks": [{"name", "result", "value", "limit", "message"}]}`)
	lang := fs.String("lang", ui.LangEN, "language of the messages (vi or en)")
	if err := fs.parse(args, out); err != nil {
		return err
	}
	switch {
	case *in == "" && *dst == "":
		return fs.Mistake("say which photo to check and where the crop goes: --in PHOTO --out CROP.jpg")
	case *in == "":
		return fs.Mistake("say which photo to check: --in PHOTO")
	case *dst == "":
		return fs.Mistake("say where the crop goes when the photo passes: --out CROP.jpg")
	case *lang != ui.LangVI && *lang != ui.LangEN:
		return fs.Mistake("--lang %q: vi or en", *lang)
	}
	tr, err := ui.NewTranslator(assets.Translations(), *lang)
	if err != nil {
		return fmt.Errorf("portrait: %w", err)
	}
	img, err := biometric.ReadImageFile(*in, biometric.MaxPhotoPixels)
	if err != nil {
		return fmt.Errorf("%w: %w", errUnreadable, err)
	}
	ff, err := biometric.NewFaceFinder(assets.FaceCascade(), assets.PupilCascade(), assets.LandmarkCascades())
	if err != nil {
		return fmt.Errorf("portrait: %w", err)
	}
	a := ff.Assess(img)
	report := portraitReport{Verdict: "pass", Checks: []portraitCheckOut{}}
	if !a.Passed() {
		report.Verdict = "fail"
	}
	for _, c := range a.Checks {
		report.Checks = append(report.Checks, portraitCheckOut{Name: c.Name, Result: c.Result(), Value: c.Value,
			Limit: c.Limit, Message: ui.CheckMessage(tr, c)})
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(report); err != nil {
			return fmt.Errorf("portrait: %w", err)
		}
	} else {
		for _, c := range report.Checks {
			mark := map[string]string{"pass": "pass", "warn": "warn", "fail": "FAIL"}[c.Result]
			fmt.Fprintf(out, "%-4s  %-12s  %8s  (limit %s)  %s\n", mark, c.Name, fmt.Sprint(c.Value), c.Limit, c.Message)
		}
	}
	if !a.Passed() || a.Face == nil {
		return errPortraitChecks
	}
	crop, err := biometric.CropPortraitFace(img, *a.Face)
	if err != nil {
		return fmt.Errorf("portrait: crop: %w", err)
	}
	jpg, err := biometric.EncodePortraitJPEG(crop)
	if err != nil {
		return fmt.Errorf("portrait: crop: %w", err)
	}
	if err := os.WriteFile(*dst, jpg, 0o644); err != nil {
		return fmt.Errorf("portrait: %w", err)
	}
	if !*asJSON {
		fmt.Fprintf(out, "wrote %s: %dx%d, eyes %.0f px apart in the photo\n", *dst, crop.Bounds().Dx(), crop.Bounds().Dy(), a.Face.EyeDistance())
	}
	return nil
}
