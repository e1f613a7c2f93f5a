// Package posixlocale keeps Fyne from complaining about the C locale. Fyne reads the user's
// locale when its lang package initialises, before main runs, and logs three "Fyne error"
// lines when the locale is C or POSIX (LANG=C.UTF-8 is Debian's default in containers and
// services), on every command of the station, even `station version`. Importing this package
// from main gives Fyne a language to read instead: GNU gettext ignores LANGUAGE when the
// locale is C, so nothing else changes. It imports nothing that imports Fyne, so Go
// initialises it first.
package posixlocale

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		lang, _, _ := strings.Cut(v, ".")
		if lang == "C" || lang == "POSIX" {
			os.Setenv("LANGUAGE", "en")
		}
		return
	}
}
