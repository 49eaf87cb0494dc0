package main

import (
	"flag"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	cnncmod "github.com/cnnc/cnnc"
	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/runtime"
)

func versionCmd() *command {
	return &command{
		name:    "version",
		args:    "",
		short:   "print cnnc's module version, the Go version it was built with and the generated-code contract version",
		example: "cnnc version",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			return func(positional []string) error {
				if len(positional) > 0 {
					return usageError(fmt.Sprintf("version takes no arguments, got %s", strings.Join(positional, " ")))
				}
				bi, _ := debug.ReadBuildInfo()
				_, err := io.WriteString(out, versionText(bi))
				return err
			}
		},
	}
}

// versionText is what cnnc version prints for the binary's build
// information (nil when the binary carries none):
//
//	cnnc v0.4.0
//	go1.26.8 linux/amd64
//	generated code: runtime contract version 2 (this runtime serves 2 to 2)
//
// A build from a checkout is followed by the commit, its time and
// "modified" when the go command stamped them (go build and go install in
// a clone do; go run, go test and builds in a linked git worktree do not),
// so a bug report says which source the binary came from; without them
// the version is "(devel)". A replaced module (a replace directive
// pointing at a checkout) names its replacement.
func versionText(bi *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cnnc %s\n", moduleVersion(bi))
	goVersion := goruntime.Version()
	if bi != nil && bi.GoVersion != "" {
		goVersion = bi.GoVersion
	}
	fmt.Fprintf(&b, "%s %s/%s\n", goVersion, goruntime.GOOS, goruntime.GOARCH)
	// codegen.RuntimeVersion is what this cnnc writes into the packages it
	// generates; runtime.Version and MinVersion are what the runtime of the
	// same module accepts. A test keeps the first two equal; printing both
	// says which generated packages this cnnc's runtime still builds.
	fmt.Fprintf(&b, "generated code: runtime contract version %d (this runtime serves %d to %d)\n",
		codegen.RuntimeVersion, runtime.MinVersion, runtime.Version)
	return b.String()
}

// moduleVersion describes the github.com/cnnc/cnnc module the binary was
// built from.
func moduleVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return "(unknown: the binary carries no build information)"
	}
	m := &bi.Main
	if m.Path != cnncmod.ModulePath {
		// cnnc built as a dependency of another main module; not the
		// case for go install or go tool, where the module holding the
		// main package is Main, but worth saying something true about.
		m = nil
		for _, d := range bi.Deps {
			if d.Path == cnncmod.ModulePath {
				m = d
				break
			}
		}
		if m == nil {
			return "(unknown: " + cnncmod.ModulePath + " is not in the build information)"
		}
	}
	v := m.Version
	if v == "" {
		v = "(devel)"
	}
	if m.Replace != nil {
		v += " => " + m.Replace.Path
		// A replacement by a directory has the version "(devel)", which
		// the path already says.
		if rv := m.Replace.Version; rv != "" && rv != "(devel)" {
			v += " " + rv
		}
	}
	if m == &bi.Main {
		// The settings describe the main module's checkout. Go 1.24 and
		// later already turn a clean or dirty commit into a pseudo-version
		// ("v0.0.0-20260102030405-0123456789ab+dirty"); the full revision
		// and time still say exactly which source it was.
		v += vcsStamp(bi.Settings)
	}
	return v
}

// vcsStamp spells the version control settings the go command records for
// a build in a clone: ", git 0123abcd... 2026-01-02T03:04:05Z, modified".
func vcsStamp(settings []debug.BuildSetting) string {
	get := func(key string) string {
		for _, s := range settings {
			if s.Key == key {
				return s.Value
			}
		}
		return ""
	}
	rev := get("vcs.revision")
	if rev == "" {
		return ""
	}
	stamp := ", "
	if vcs := get("vcs"); vcs != "" {
		stamp += vcs + " "
	}
	stamp += rev
	if t := get("vcs.time"); t != "" {
		stamp += " " + t
	}
	if get("vcs.modified") == "true" {
		stamp += ", modified"
	}
	return stamp
}
