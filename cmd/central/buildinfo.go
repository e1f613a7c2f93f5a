package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// versionLine is what `central version` prints: "central 0.1.0 (abfccab 2026-11-30, go1.26.8,
// linux/amd64)", the commit from Go's VCS stamp (marked "modified" when the build had
// uncommitted changes), so that an operator can tell one build from another.
func versionLine() string {
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		settings = bi.Settings
	}
	parts := []string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
	if rev := revision(settings); rev != "" {
		parts = append([]string{rev}, parts...)
	}
	return fmt.Sprintf("central %s (%s)", version, strings.Join(parts, ", "))
}

// revision is "abfccab 2026-11-30" (and " modified") from the VCS stamp, or "" without one
// (go run, or a build outside a checkout).
func revision(settings []debug.BuildSetting) string {
	var parts []string
	var when, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev := s.Value
			if len(rev) > 7 {
				rev = rev[:7]
			}
			parts = append(parts, rev)
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
	if len(parts) == 0 {
		return ""
	}
	for _, p := range []string{when, modified} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}
