package main

import (
	"debug/buildinfo"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/codegen"
)

func TestVersionText(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string // the first line
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cnnc/cnnc", Version: "v0.4.0"}},
			"cnnc v0.4.0"},
		{"release from a clone", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cnnc/cnnc", Version: "v0.4.0"}, Settings: vcs[:3]},
			"cnnc v0.4.0, git 0123456789abcdef0123456789abcdef01234567 2026-01-02T03:04:05Z"},
		{"pseudo-version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cnnc/cnnc", Version: "v0.0.0-20260102030405-0123456789ab+dirty"}, Settings: vcs},
			"cnnc v0.0.0-20260102030405-0123456789ab+dirty, git 0123456789abcdef0123456789abcdef01234567 2026-01-02T03:04:05Z, modified"},
		{"checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cnnc/cnnc", Version: "(devel)"}, Settings: vcs},
			"cnnc (devel), git 0123456789abcdef0123456789abcdef01234567 2026-01-02T03:04:05Z, modified"},
		{"clean checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cnnc/cnnc", Version: "(devel)"}, Settings: vcs[:3]},
			"cnnc (devel), git 0123456789abcdef0123456789abcdef01234567 2026-01-02T03:04:05Z"},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cnnc/cnnc", Version: "(devel)"}},
			"cnnc (devel)"},
		{"replaced tool", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cnnc/cnnc", Version: "v0.0.0", Replace: &debug.Module{Path: "../cnnc", Version: "(devel)"}}},
			"cnnc v0.0.0 => ../cnnc"},
		{"replaced by a fork", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cnnc/cnnc", Version: "v0.4.0", Replace: &debug.Module{Path: "example.com/fork/cnnc", Version: "v0.4.1"}}},
			"cnnc v0.4.0 => example.com/fork/cnnc v0.4.1"},
		{"dependency", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{{Path: "github.com/cnnc/cnnc", Version: "v0.5.1"}}, Settings: vcs},
			"cnnc v0.5.1"},
		{"absent", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/app"}},
			"cnnc (unknown: github.com/cnnc/cnnc is not in the build information)"},
		{"no build info", nil, "cnnc (unknown: the binary carries no build information)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := strings.Split(strings.TrimSuffix(versionText(tc.bi), "\n"), "\n")
			if len(lines) != 3 {
				t.Fatalf("want 3 lines, got %q", lines)
			}
			if lines[0] != tc.want {
				t.Errorf("first line %q, want %q", lines[0], tc.want)
			}
			if tc.bi != nil && !strings.HasPrefix(lines[1], "go1.26.8 ") {
				t.Errorf("Go line %q does not name the build's Go version", lines[1])
			}
			if want := fmt.Sprintf("contract version %d ", codegen.RuntimeVersion); !strings.Contains(lines[2], want) {
				t.Errorf("contract line %q (codegen.RuntimeVersion %d)", lines[2], codegen.RuntimeVersion)
			}
		})
	}
}

// cnnc version and cnnc -version print the same text on stdout; a built
// binary names the commit it was built from.
func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-version"}, {"--version"}} {
		code, out, errOut := cnnc(t, args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "cnnc ") || !strings.Contains(out, "runtime contract version") {
			t.Errorf("cnnc %s: exit %d, stderr %q, stdout:\n%s", args[0], code, errOut, out)
		}
	}
	if code, _, errOut := cnnc(t, "version", "extra"); code != 2 || !strings.Contains(errOut, "takes no arguments") {
		t.Errorf("cnnc version extra: exit %d, stderr:\n%s", code, errOut)
	}

	if testing.Short() {
		t.Skip("builds the cnnc binary")
	}
	bin := filepath.Join(t.TempDir(), "cnnc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("cnnc version: %v\n%s", err, out)
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != versionText(bi) {
		t.Errorf("the binary prints\n%s\nits build information says\n%s", out, versionText(bi))
	}
	// The go command stamps the commit in a clone, not in a linked git
	// worktree (golang/go#58218) nor under GOFLAGS=-buildvcs=false; when
	// it did, the commit is what is printed.
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && !strings.Contains(string(out), s.Value) {
			t.Errorf("cnnc version does not name the revision %s:\n%s", s.Value, out)
		}
	}
}
