package main

import "github.com/wardpolice/enroll/cmd/internal/cli"

// versionLine is what `central version` prints (see cli.VersionLine); central is not built
// from an archive, so only Go's VCS stamp names its commit.
func versionLine() string { return cli.VersionLine("central", version, "") }
