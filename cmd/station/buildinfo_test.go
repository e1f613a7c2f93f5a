package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"testing"

	"github.com/wardpolice/enroll/cmd/internal/cli"
)

// TestRevision: the version names the commit a build came from, and whether it had changes
// not committed, from Go's VCS stamp; without one, from what git archive wrote into
// revision.txt; with neither, nothing.
func TestRevision(t *testing.T) {
	stamp := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "abfccab3d6e0c6c4c8d84a4fa1c5a2e0b8e1f9a7"},
		{Key: "vcs.time", Value: "2026-11-30T14:43:00Z"}, {Key: "vcs.modified", Value: "false"}}
	if got := cli.Revision(stamp, "$Format:%h %cs$\n"); got != "abfccab 2026-11-30" {
		t.Errorf("stamped build: %q", got)
	}
	stamp[3].Value = "true"
	if got := cli.Revision(stamp, "1234567 2026-01-01\n"); got != "abfccab 2026-11-30 modified" {
		t.Errorf("stamped build with changes: %q", got)
	}
	if got := cli.Revision(nil, "$Format:%h %cs$\n"); got != "" {
		t.Errorf("neither stamped nor archived: %q", got)
	}
	if got := cli.Revision(nil, "ac02be3 2026-11-30\n"); got != "ac02be3 2026-11-30" {
		t.Errorf("archived: %q", got)
	}
}

// TestArchiveWritesTheRevision: git archive, as scripts/release exports the source, fills in
// revision.txt (the release builds outside any checkout, where Go stamps nothing).
func TestArchiveWritesTheRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	git := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return out
	}
	git("init", "-q")
	for _, name := range []string{"revision.txt", ".gitattributes"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	git("add", ".")
	git("commit", "-q", "-m", "x")
	tr := tar.NewReader(bytes.NewReader(git("archive", "--format=tar", "HEAD")))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("the archive has no revision.txt: %v", err)
		}
		if h.Name != "revision.txt" {
			continue
		}
		data, _ := io.ReadAll(tr)
		got := cli.Revision(nil, string(data))
		if !regexp.MustCompile(`^[0-9a-f]{7,} \d{4}-\d{2}-\d{2}$`).MatchString(got) {
			t.Errorf("archived revision.txt %q gives %q", data, got)
		}
		return
	}
}
