// Package shared locates ../shared, the directory beside the repository
// that holds third-party test data (ONNX conformance tests, exported
// models) and the tutorial cnnc grew from, for tests of any package.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot finds the module root by walking up from the working
// directory to go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Dir returns ../shared beside the repository. When it is missing the
// test fails under CI (CI=true) and is skipped elsewhere, so that a fresh
// clone passes go test ./... on its own.
func Dir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("../shared is missing under CI: %v", err)
		}
		t.Skipf("skipping: ../shared (conformance data, tutorial) not found beside the repository: %v", err)
	}
	return dir
}

// Conformance returns ../shared/conformance, with Dir's rules.
func Conformance(t testing.TB) string {
	t.Helper()
	return filepath.Join(Dir(t), "conformance")
}
