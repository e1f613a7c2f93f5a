// Package assets embeds the files the station ships inside its binary: translation catalogs,
// the application icon, pigo's face, pupil and facial-landmark cascades and the receipt's fonts.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed translations/*.json icon.png fonts/NotoSans-Regular.ttf fonts/NotoSans-Bold.ttf
var files embed.FS

// Translations returns the catalogs, one JSON file per language (vi.json, en.json).
func Translations() fs.FS {
	sub, _ := fs.Sub(files, "translations")
	return sub
}

// Icon is the application icon (PNG).
func Icon() []byte {
	b, _ := files.ReadFile("icon.png")
	return b
}

// The cascades are embedded as byte slices rather than read from files: the face finder
// works on them where they are (mapped from the binary) instead of on a heap copy the
// station would keep all day (5.6 MB). Callers must not change them.
var (
	//go:embed pigo/facefinder
	faceCascade []byte
	//go:embed pigo/puploc
	pupilCascade []byte
	//go:embed pigo/lps/lp93
	lp93 []byte
	//go:embed pigo/lps/lp84
	lp84 []byte
	//go:embed pigo/lps/lp81
	lp81 []byte
	//go:embed pigo/lps/lp82
	lp82 []byte
	//go:embed pigo/lps/lp312
	lp312 []byte
	//go:embed pigo/lps/lp38
	lp38 []byte
)

// FaceCascade is pigo's frontal face classifier (github.com/esimov/pigo v1.4.6,
// cascade/facefinder; MIT licence in pigo/LICENSE).
func FaceCascade() []byte { return faceCascade }

// PupilCascade is pigo's pupil localiser (cascade/puploc of the same release).
func PupilCascade() []byte { return pupilCascade }

// LandmarkCascades are pigo's facial-landmark localisers (cascade/lps of the same release, in
// pigo/lps), by file name: lp93 the nose tip, lp84 a mouth corner, lp81 and lp82 the middle of
// the upper and lower lip, lp312 and lp38 the outer and inner corner of an eye (the other side's
// by mirroring).
func LandmarkCascades() map[string][]byte {
	return map[string][]byte{"lp93": lp93, "lp84": lp84, "lp81": lp81, "lp82": lp82, "lp312": lp312, "lp38": lp38}
}

// ReceiptFont is Noto Sans Regular (TrueType), and ReceiptFontBold its bold: a printed receipt
// must show Vietnamese diacritics whatever fonts the machine has. Debian's fonts-noto-core
// 20201225-1; SIL Open Font License in fonts/OFL.txt.
func ReceiptFont() []byte {
	b, _ := files.ReadFile("fonts/NotoSans-Regular.ttf")
	return b
}

// ReceiptFontBold is Noto Sans Bold from the same package.
func ReceiptFontBold() []byte {
	b, _ := files.ReadFile("fonts/NotoSans-Bold.ttf")
	return b
}
