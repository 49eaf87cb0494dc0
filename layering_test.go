package cnnc_test

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestLayering checks every package's imports (test files excluded)
// against the layout table of README.md, which is the one statement of who
// may import whom: each row names a package directory (or a directory and
// everything below it, written `dir/...`) and, in its last column, the
// project packages and third-party modules it may import. The standard
// library is always allowed. A package the table does not list fails the
// test too, so the table stays complete.
func TestLayering(t *testing.T) {
	rules := readLayering(t)
	pkgs := projectPackages(t)
	for _, dir := range pkgs {
		rule, ok := ruleFor(rules, dir)
		if !ok {
			t.Errorf("package %s is not in README.md's layout table", dir)
			continue
		}
		p, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		for _, imp := range p.Imports {
			if !allowed(rule, imp) {
				t.Errorf("%s imports %s, which README.md's layout table does not allow (row %s: may import %s)", dir, imp, rule.path, strings.Join(rule.imports, ", "))
			}
		}
	}
	// Rows must name real directories: a renamed package must not leave
	// a stale row behind.
	for _, r := range rules {
		d := strings.TrimSuffix(r.path, "/...")
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Errorf("README.md's layout table lists %s, which is not a directory", r.path)
		}
	}
}

type layerRule struct {
	path    string   // "ir", "ir/eval", "internal/..." or "." for the root package
	imports []string // project paths relative to the module ("ir"), or full third-party paths
}

const module = "github.com/cnnc/cnnc"

var cellPath = regexp.MustCompile("`([^`]+)`")

// readLayering parses the table under "## Layout of the code".
func readLayering(t *testing.T) []layerRule {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "## Layout of the code")
	if i < 0 {
		t.Fatal(`README.md has no "## Layout of the code" section`)
	}
	var rules []layerRule
	for _, line := range strings.Split(text[i:], "\n")[1:] {
		if strings.HasPrefix(line, "## ") {
			break
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 3 {
			t.Fatalf("layout table row %q has fewer than three columns", line)
		}
		var paths []string
		for _, m := range cellPath.FindAllStringSubmatch(cells[0], -1) {
			paths = append(paths, strings.TrimSuffix(strings.TrimSuffix(m[1], "/"), "/*"))
		}
		var imports []string
		for _, m := range cellPath.FindAllStringSubmatch(cells[len(cells)-1], -1) {
			imports = append(imports, strings.TrimSuffix(m[1], "/"))
		}
		for _, p := range paths {
			rules = append(rules, layerRule{path: p, imports: imports})
		}
	}
	if len(rules) == 0 {
		t.Fatal("README.md's layout table has no rows")
	}
	return rules
}

// projectPackages lists the directories holding non-test Go files, except
// testdata and generated scratch.
func projectPackages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			// A nested module (the avo generator) has rules of its own.
			if path != "." {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dir := filepath.ToSlash(filepath.Dir(path))
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	return dirs
}

// ruleFor finds the row for dir: an exact row, or the nearest dir/... row.
func ruleFor(rules []layerRule, dir string) (layerRule, bool) {
	for _, r := range rules {
		if r.path == dir || r.path == "./" && dir == "." {
			return r, true
		}
	}
	best, found := layerRule{}, false
	for _, r := range rules {
		base, ok := strings.CutSuffix(r.path, "/...")
		if ok && (dir == base || strings.HasPrefix(dir, base+"/")) && len(base) > len(strings.TrimSuffix(best.path, "/...")) {
			best, found = r, true
		}
	}
	return best, found
}

// allowed reports whether a package under rule may import imp.
func allowed(rule layerRule, imp string) bool {
	first := strings.SplitN(imp, "/", 2)[0]
	if !strings.Contains(first, ".") {
		return true // the standard library
	}
	for _, a := range rule.imports {
		if a == "everything" {
			return true
		}
		full := a
		if a == "." {
			full = module
		} else if !strings.Contains(strings.SplitN(a, "/", 2)[0], ".") {
			full = module + "/" + strings.TrimSuffix(a, "/...")
			if strings.HasSuffix(a, "/...") && strings.HasPrefix(imp, full+"/") {
				return true
			}
		} else if strings.HasSuffix(a, "/...") {
			base := strings.TrimSuffix(a, "/...")
			if imp == base || strings.HasPrefix(imp, base+"/") {
				return true
			}
		}
		if imp == full {
			return true
		}
	}
	return false
}
