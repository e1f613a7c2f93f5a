package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// VersionLine is what `PROG version` prints: "station 0.1.0 (abfccab 2026-11-30, go1.26.8,
// linux/amd64)", the commit marked "modified" when the build had uncommitted changes, so that
// an operator can tell one build from another. archived is what git archive wrote for a build
// without Go's VCS stamp (see Revision).
func VersionLine(prog, version, archived string) string {
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		settings = bi.Settings
	}
	parts := []string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
	if rev := Revision(settings, archived); rev != "" {
		parts = append([]string{rev}, parts...)
	}
	return fmt.Sprintf("%s %s (%s)", prog, version, strings.Join(parts, ", "))
}

// Revision names the commit a build was made from: Go's VCS stamp (vcs.revision, vcs.time,
// vcs.modified), else archived, a file's "$Format:%h %cs$" that git archive replaced with the
// commit and its date (.gitattributes: export-subst), else "" (a go run, or a copy of the
// files).
func Revision(settings []debug.BuildSetting, archived string) string {
	var rev, when, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				when = t.UTC().Format(time.DateOnly)
			}
		case "vcs.modified":
			if s.Value == "true" {
				modified = "modified"
			}
		}
	}
	if rev != "" {
		if len(rev) > 7 {
			rev = rev[:7]
		}
		return strings.Join(strings.Fields(strings.Join([]string{rev, when, modified}, " ")), " ")
	}
	archived = strings.TrimSpace(archived)
	if archived == "" || strings.Contains(archived, "$Format:") {
		return ""
	}
	return archived
}
