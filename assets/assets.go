// Package assets embeds the files the station ships inside its binary: translation catalogs
// and the application icon.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed translations/*.json icon.png
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
