package main

import (
	_ "embed"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// archivedRevision is revision.txt: "$Format:%h %cs$" in a checkout, which `git archive` (as
// scripts/release builds from) replaces with the commit and its date (.gitattributes:
// export-subst). A build in a checkout gets the same from Go's VCS stamp instead.
//
//go:embed revision.txt
var archivedRevision string

// versionLine is what `station version` prints: "station 0.1.0 (abfccab 2026-11-30,
// go1.26.8, linux/amd64)", the commit marked "modified" when the build had uncommitted
// changes, so that an operator can tell one build from another.
func versionLine() string {
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		settings = bi.Settings
	}
	parts := []string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
	if rev := revision(settings, archivedRevision); rev != "" {
		parts = append([]string{rev}, parts...)
	}
	return fmt.Sprintf("station %s (%s)", version, strings.Join(parts, ", "))
}

// revision names the commit a build was made from: Go's VCS stamp (vcs.revision, vcs.time,
// vcs.modified), else what git archive wrote into revision.txt, else "".
func revision(settings []debug.BuildSetting, archived string) string {
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
		return "" // not stamped, not archived: a go run, or a copy of the files
	}
	return archived
}
