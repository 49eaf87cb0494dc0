package dsl

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGoldenErrors")

// TestGoldenErrors loads every testdata/errors/*.cnn, each a malformed
// model, and compares the error with the .golden file beside it. Run with
// -update to rewrite the golden files after a deliberate change, then
// read the diff.
func TestGoldenErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.cnn")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("only %d error cases", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := Load(path, Options{})
			if err == nil {
				t.Fatal("loaded without error")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(path, ".cnn") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGoldenErrors -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("error differs from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestErrorsAreTyped checks that errors carry their position and unwrap
// to *Error, and that a shape error unwraps to the IR's cause.
func TestErrorsAreTyped(t *testing.T) {
	_, err := Load("testdata/errors/window_too_large.cnn", Options{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not an *Error", err)
	}
	if e.Pos.Line != 7 || e.Pos.Col != 11 {
		t.Errorf("position %v, want line 7 column 11", e.Pos)
	}
	if e.Err == nil {
		t.Errorf("shape error does not wrap its cause")
	}
	_, err = Load("testdata/errors/several_syntax_errors.cnn", Options{})
	var list ErrorList
	if !errors.As(err, &list) || len(list) < 3 {
		t.Fatalf("want an ErrorList of 3 or more, got %T %v", err, err)
	}
}
