package main

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/wardpolice/enroll/cmd/internal/cli"
)

// TestVersionNamesTheCommit: the version names the commit and its date, and whether the build
// had uncommitted changes; a build without a VCS stamp says only the version and Go's.
func TestVersionNamesTheCommit(t *testing.T) {
	stamp := []debug.BuildSetting{{Key: "vcs.revision", Value: "abfccab3d6e0c6c4c8d84a4fa1c5a2e0b8e1f9a7"},
		{Key: "vcs.time", Value: "2026-11-30T14:43:00Z"}, {Key: "vcs.modified", Value: "true"}}
	if got := cli.Revision(stamp, ""); got != "abfccab 2026-11-30 modified" {
		t.Errorf("revision %q", got)
	}
	if got := cli.Revision(stamp[:2], ""); got != "abfccab 2026-11-30" {
		t.Errorf("revision %q", got)
	}
	if got := cli.Revision(nil, ""); got != "" {
		t.Errorf("revision without a stamp %q", got)
	}
	if line := versionLine(); !strings.HasPrefix(line, "central "+version+" (") || !strings.HasSuffix(line, ")") {
		t.Errorf("version line %q", line)
	}
}
