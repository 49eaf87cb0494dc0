package dsl

import (
	"github.com/cnnc/cnnc/internal/tutorial"
	"os"
	"strings"
	"testing"
)

// TestGrammarDoc keeps GRAMMAR.md in step with the layer table: every
// class, alias, argument and activation is mentioned, and every Python
// example in it builds.
func TestGrammarDoc(t *testing.T) {
	b, err := os.ReadFile("GRAMMAR.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	mention := func(what string) {
		t.Helper()
		if !strings.Contains(doc, "`"+what) {
			t.Errorf("GRAMMAR.md does not mention `%s", what)
		}
	}
	for _, s := range layerSpecs {
		mention(s.class + "`")
		for _, a := range s.aliases {
			mention(a + "`")
		}
		for _, p := range s.allParams() {
			mention(p.name)
		}
	}
	for name := range activations {
		mention(name + "`")
	}
	blocks := tutorial.PythonBlocks(strings.Split(doc, "\n"))
	if len(blocks) < 3 {
		t.Fatalf("%d python examples", len(blocks))
	}
	for i, blk := range blocks {
		f, err := Parse("GRAMMAR.md", []byte(strings.Join(blk, "\n")))
		if err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
		if _, err := Build(f, Options{}); err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
	}
}
