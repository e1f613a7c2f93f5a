package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wardpolice/enroll/assets"
	"github.com/wardpolice/enroll/biometric"
	"github.com/wardpolice/enroll/ui"
)

var errPortraitChecks = errors.New("the photo fails a portrait check")

// errUnreadable is input a command cannot read at all (exit status 2), as opposed to input it
// read and judged (exit status 1).
var errUnreadable = errors.New("cannot read the input")

// errCannotWrite is an output a command cannot write (exit status 2, as input it cannot read):
// the command did not do its job, but nothing was judged to fail.
var errCannotWrite = errors.New("cannot write the output")

// unreadableError is a file a command could not read, said once: "portrait: cannot read
// x.jpg: is a directory" rather than the reader's "read x.jpg: read x.jpg: is a directory".
type unreadableError struct {
	cmd, path string
	err       error
}

func (e *unreadableError) Error() string {
	var why string
	var pe *os.PathError
	switch {
	case errors.As(e.err, &pe):
		why = pe.Err.Error()
		if errors.Is(pe.Err, unix.EISDIR) {
			why = "it is a folder, not a file"
		}
	case errors.Is(e.err, image.ErrFormat):
		why = "not a JPEG or PNG image"
	default:
		why = e.err.Error()
		for p := "read " + e.path + ": "; strings.HasPrefix(why, p); {
			why = strings.TrimPrefix(why, p)
		}
	}
	return fmt.Sprintf("%s: cannot read %s: %s", e.cmd, e.path, why)
}

func (e *unreadableError) Unwrap() []error { return []error{errUnreadable, e.err} }

// checkOutput makes sure a command can write its output file before it does the work: the
// folder exists and is writable, the path is no folder, and it is not the input (which the
// output would replace).
func checkOutput(cmd, dst, src string) error {
	cannot := func(format string, a ...any) error {
		return fmt.Errorf("%s: %w to %s: %s", cmd, errCannotWrite, dst, fmt.Sprintf(format, a...))
	}
	dir := filepath.Dir(dst)
	switch st, err := os.Stat(dir); {
	case errors.Is(err, os.ErrNotExist):
		return cannot("the folder %s does not exist", dir)
	case err != nil:
		return cannot("%v", err)
	case !st.IsDir():
		return cannot("%s is not a folder", dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return cannot("the folder %s cannot be written (%v)", dir, err)
	}
	out, err := os.Stat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return cannot("%v", err)
	}
	if out.IsDir() {
		return cannot("it is a folder; name the file to write, e.g. %s", filepath.Join(dst, "crop.jpg"))
	}
	if in, err := os.Stat(src); err == nil && os.SameFile(in, out) {
		return fmt.Errorf("%s: %w: --out names the photo given with --in, which the crop would replace; write the crop to another file", cmd, errCannotWrite)
	}
	return nil
}

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
	// Before the checks run: a crop that cannot be written is better told at once.
	if err := checkOutput("portrait", *dst, *in); err != nil {
		return err
	}
	img, err := biometric.ReadImageFile(*in, biometric.MaxPhotoPixels)
	if err != nil {
		return &unreadableError{cmd: "portrait", path: *in, err: err}
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
		return fmt.Errorf("portrait: %w", errPortraitChecks)
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
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once, below
		}
		return fmt.Errorf("portrait: every check passed, but %w to %s: %v", errCannotWrite, *dst, err)
	}
	if !*asJSON {
		fmt.Fprintf(out, "wrote %s: %dx%d, eyes %.0f px apart in the photo\n", *dst, crop.Bounds().Dx(), crop.Bounds().Dy(), a.Face.EyeDistance())
	}
	return nil
}
