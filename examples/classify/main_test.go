package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/internal/shared"
)

// The MNIST test images the command's tests classify, named
// testNNNN_LABEL.png.
const imageDir = "../../cmd/cnnc/testdata/images/digits"

func digitImages(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(imageDir, "test*_?.png"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no digit images in %s (%v)", imageDir, err)
	}
	return paths
}

// A line of output: the path, then three "digit: probability" entries.
var lineRE = regexp.MustCompile(`^(.+): ([0-9]): ([0-9.e-]+), ([0-9]): ([0-9.e-]+), ([0-9]): ([0-9.e-]+)$`)

func TestClassify(t *testing.T) {
	paths := digitImages(t)
	var out bytes.Buffer
	if err := classify(&out, paths); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(paths) {
		t.Fatalf("%d lines for %d images:\n%s", len(lines), len(paths), out.String())
	}
	for i, l := range lines {
		m := lineRE.FindStringSubmatch(l)
		if m == nil || m[1] != paths[i] {
			t.Errorf("line %d is %q, want %q followed by three digits and their probabilities", i, l, paths[i]+": ")
			continue
		}
		prev := 2.0
		for _, s := range []string{m[3], m[5], m[7]} {
			p, err := strconv.ParseFloat(s, 64)
			if err != nil || p < 0 || p > prev {
				t.Errorf("line %d: probabilities not in (0, 1], highest first: %q", i, l)
			}
			prev = p
		}
	}
}

// Bad arguments are errors that name the problem, never panics.
func TestClassifyErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(text, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		paths []string
		want  string
	}{
		{"no arguments", nil, "usage: classify IMAGE..."},
		{"missing file", []string{filepath.Join(dir, "missing.png")}, "missing.png: no such file"},
		{"not an image", []string{text}, "notes.png: image: unknown format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := classify(new(bytes.Buffer), tc.paths)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("classify(%q) = %v, want an error containing %q", tc.paths, err, tc.want)
			}
		})
	}
}

// What the command's documentation promises: the same program, with the
// import changed to a package compiled from the trained MNIST model,
// labels the test digits correctly. The program is built in a scratch
// module that requires this checkout, as a user's module would.
func TestClassifyTrained(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program around the trained MNIST model in a scratch module")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	root := shared.RepoRoot(t)
	app := t.TempDir()
	modelDir := filepath.Join(root, "examples", "mnist", "model")
	m, err := compiler.Load(filepath.Join(modelDir, "mnist.cnn"), compiler.LoadOptions{Weights: filepath.Join(modelDir, "mnist.npz")})
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := m.Compile(compiler.Options{Package: "mnist"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pkg.Write(filepath.Join(app, "mnist")); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	const from = `model "github.com/cnnc/cnnc/examples/digits"`
	if !bytes.Contains(src, []byte(from)) {
		t.Fatalf("main.go no longer imports %s", from)
	}
	src = bytes.Replace(src, []byte(from), []byte(`model "example.com/app/mnist"`), 1)
	gomod := fmt.Sprintf("module example.com/app\n\ngo 1.26\n\nrequire github.com/cnnc/cnnc v0.0.0\n\nreplace github.com/cnnc/cnnc => %s\n", strconv.Quote(root))
	for name, data := range map[string][]byte{"main.go": src, "go.mod": []byte(gomod)} {
		if err := os.WriteFile(filepath.Join(app, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gocmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = app
		cmd.Env = append(os.Environ(), "GOWORK=off") // the scratch module stands alone
		out, err := cmd.Output()
		if err != nil {
			msg := ""
			if ee, ok := err.(*exec.ExitError); ok {
				msg = string(ee.Stderr)
			}
			t.Fatalf("go %s: %v\n%s%s", strings.Join(args, " "), err, out, msg)
		}
		return string(out)
	}
	gocmd("mod", "tidy")
	paths := digitImages(t)
	args := []string{"run", "."}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, abs)
	}
	out := gocmd(args...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(paths) {
		t.Fatalf("%d lines for %d images:\n%s", len(lines), len(paths), out)
	}
	for i, l := range lines {
		want := strings.TrimSuffix(paths[i], ".png")
		want = want[len(want)-1:] // the label in the file name
		if m := lineRE.FindStringSubmatch(l); m == nil || m[2] != want {
			t.Errorf("%s: got %q, want digit %s first", filepath.Base(paths[i]), l, want)
		}
	}
	t.Logf("the trained model:\n%s", out)
}
