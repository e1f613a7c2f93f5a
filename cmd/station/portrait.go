package main

import (
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

// runPortrait: `station portrait --in PHOTO --out CROP.jpg` runs the portrait checks on a file
// (no display needed), prints each result and writes the crop the station would store. It
// exits with an error when a check fails, after writing the crop if there was one face.
func runPortrait(args []string, out io.Writer) error {
	fs := newFlags("portrait")
	in := fs.String("in", "", "photo to check (JPEG or PNG)")
	dst := fs.String("out", "", "where to write the 3:4 crop (JPEG)")
	lang := fs.String("lang", ui.LangEN, "language of the messages (vi or en)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *dst == "" {
		return errors.New("usage: station portrait --in PHOTO --out CROP.jpg [--lang vi|en]")
	}
	tr, err := ui.NewTranslator(assets.Translations(), *lang)
	if err != nil {
		return err
	}
	img, err := biometric.ReadImageFile(*in, biometric.MaxPhotoPixels)
	if err != nil {
		return fmt.Errorf("%w: %w", errUnreadable, err)
	}
	ff, err := biometric.NewFaceFinder(assets.FaceCascade(), assets.PupilCascade())
	if err != nil {
		return err
	}
	a := ff.Assess(img)
	for _, c := range a.Checks {
		mark := "pass"
		if !c.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(out, "%-4s  %-10s  %8s  (limit %s)  %s\n", mark, c.Name, fmt.Sprint(c.Value), c.Limit, ui.CheckLine(tr, c))
	}
	if a.Face == nil {
		return errPortraitChecks
	}
	crop, err := biometric.CropPortraitFace(img, *a.Face)
	if err != nil {
		return err
	}
	jpg, err := biometric.EncodePortraitJPEG(crop)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*dst, jpg, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: %dx%d, eyes %.0f px apart in the photo\n", *dst, crop.Bounds().Dx(), crop.Bounds().Dy(), a.Face.EyeDistance())
	if !a.Passed() {
		return errPortraitChecks
	}
	return nil
}
