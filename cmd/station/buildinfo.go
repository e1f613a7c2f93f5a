package main

import (
	_ "embed"

	"github.com/wardpolice/enroll/cmd/internal/cli"
)

// archivedRevision is revision.txt: "$Format:%h %cs$" in a checkout, which `git archive` (as
// scripts/release builds from) replaces with the commit and its date (.gitattributes:
// export-subst). A build in a checkout gets the same from Go's VCS stamp instead.
//
//go:embed revision.txt
var archivedRevision string

// versionLine is what `station version` prints (see cli.VersionLine).
func versionLine() string { return cli.VersionLine("station", version, archivedRevision) }
