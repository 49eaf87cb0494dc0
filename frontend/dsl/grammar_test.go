package dsl

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/internal/tutorial"
)

// The two documents that describe the DSL to users: GRAMMAR.md in full,
// the README's "The DSL" section in short. Each has a table of layers; the
// tests below hold both tables to layerSpecs, so that a default changed in
// the code cannot leave a stale table behind.
var dslDocs = []struct {
	path string
	// header is the first line of the layer table.
	header string
	// argsCol is the column of the table listing the arguments.
	argsCol int
	// defaultNames says the table has a column of Keras' default layer
	// names (column 1).
	defaultNames bool
}{
	{"GRAMMAR.md", "| class (aliases) | default name | arguments (defaults) | IR |", 2, true},
	{"../../README.md", "| layer (aliases) | arguments, positional in this order (defaults) |", 1, false},
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGrammarDoc keeps GRAMMAR.md in step with the layer table: every
// class, alias, argument and activation is mentioned, and every Python
// example in it (and in the README) builds.
func TestGrammarDoc(t *testing.T) {
	doc := readDoc(t, "GRAMMAR.md")
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
	for _, path := range []string{"GRAMMAR.md", "../../README.md"} {
		blocks := tutorial.PythonBlocks(strings.Split(readDoc(t, path), "\n"))
		if len(blocks) == 0 || path == "GRAMMAR.md" && len(blocks) < 3 {
			t.Fatalf("%s: %d python examples", path, len(blocks))
		}
		for i, blk := range blocks {
			f, err := Parse(path, []byte(strings.Join(blk, "\n")))
			if err != nil {
				t.Fatalf("%s: example %d: %v", path, i, err)
			}
			if _, err := Build(f, Options{}); err != nil {
				t.Fatalf("%s: example %d: %v", path, i, err)
			}
		}
	}
}

// docDefaults are defaults the documents state that the layer table cannot
// hold: LeakyReLU's alpha is None in the table so that giving both alpha
// and negative_slope is caught, and the builder then uses Keras' 0.3.
var docDefaults = map[string]any{"LeakyReLU.alpha": 0.3}

var (
	// argSpan is an argument as a table cell writes it: `name` or
	// `name=default`.
	argSpan = regexp.MustCompile("`([a-z_]+)(?:=([^`]*))?`")
	// keywordOnly starts the keyword-only part of a cell.
	keywordOnly = regexp.MustCompile(`\bkeywords? `)
	// codeSpan is any `code` in Markdown.
	codeSpan = regexp.MustCompile("`([^`]+)`")
)

// TestLayerTables checks the layer tables of GRAMMAR.md and the README
// against layerSpecs: one row per class with exactly its aliases (and, in
// GRAMMAR.md, its default name), every argument listed, the positional
// ones in Keras' order and the keyword-only ones after the word
// "keyword", each default as the code has it, and "required" beside the
// arguments that have none.
func TestLayerTables(t *testing.T) {
	for _, d := range dslDocs {
		t.Run(strings.TrimPrefix(d.path, "../../"), func(t *testing.T) {
			rows := tableRows(t, readDoc(t, d.path), d.header)
			seen := map[string]bool{}
			for _, cells := range rows {
				names := backticked(cells[0])
				if len(names) == 0 {
					t.Errorf("%s: row %q names no class", d.path, strings.Join(cells, "|"))
					continue
				}
				s := specByName[names[0]]
				if s == nil || s.class != names[0] {
					t.Errorf("%s: row for %s, which is not a layer class%s", d.path, names[0], didYouMean(names[0], layerNames()))
					continue
				}
				seen[s.class] = true
				if got := names[1:]; !slices.Equal(got, s.aliases) {
					t.Errorf("%s: %s: aliases %v, want %v", d.path, s.class, got, s.aliases)
				}
				if d.defaultNames && !strings.Contains(cells[1], "`"+s.base+"`") {
					t.Errorf("%s: %s: default name %q, want `%s`", d.path, s.class, strings.TrimSpace(cells[1]), s.base)
				}
				if len(cells) <= d.argsCol {
					t.Errorf("%s: %s: the row has no arguments column", d.path, s.class)
					continue
				}
				for _, err := range checkArgs(s, cells[d.argsCol]) {
					t.Errorf("%s: %s: %v", d.path, s.class, err)
				}
			}
			for _, s := range layerSpecs {
				if !seen[s.class] {
					t.Errorf("%s: the layer table has no row for %s", d.path, s.class)
				}
			}
		})
	}
}

// checkArgs checks one arguments cell against the class's own parameters.
func checkArgs(s *layerSpec, cell string) []error {
	var errs []error
	if other, ok := strings.CutPrefix(strings.TrimSpace(cell), "as "); ok {
		o := specByName[strings.Trim(strings.Fields(other)[0], "`;,.")]
		if o == nil || !reflect.DeepEqual(paramView(o.params), paramView(s.params)) {
			errs = append(errs, fmt.Errorf("%q, but the arguments differ", cell))
		}
		return errs
	}
	// Everything after "keyword" is keyword-only.
	kwAt := len(cell)
	if i := keywordOnly.FindStringIndex(cell); i != nil {
		kwAt = i[0]
	}
	spans := argSpan.FindAllStringSubmatchIndex(cell, -1)
	var positional []string
	listed := map[string]bool{}
	for k, m := range spans {
		name := cell[m[2]:m[3]]
		p, ok := findParam(s.params, name)
		if !ok {
			errs = append(errs, fmt.Errorf("lists `%s`, which %s does not take", name, s.class))
			continue
		}
		listed[name] = true
		if kw := m[0] > kwAt; kw != p.kwOnly {
			errs = append(errs, fmt.Errorf("%s is listed as keyword-only %v, but it is %v in the code", name, kw, p.kwOnly))
		}
		if !p.kwOnly {
			positional = append(positional, name)
		}
		next := len(cell)
		if k+1 < len(spans) {
			next = spans[k+1][0]
		}
		required := strings.Contains(cell[m[1]:next], "required")
		if required != p.required {
			errs = append(errs, fmt.Errorf("%s: says required %v, the code %v", name, required, p.required))
		}
		want, known := docDefaults[s.class+"."+name]
		if !known {
			want = p.def
		}
		if m[4] < 0 { // no default written: there must be none
			if !p.required && want != nil {
				errs = append(errs, fmt.Errorf("%s: no default given; the code's is %v", name, want))
			}
			continue
		}
		if err := sameDefault(p, cell[m[4]:m[5]], want); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
		}
	}
	var wantPos []string
	for _, p := range s.params {
		if !listed[p.name] {
			errs = append(errs, fmt.Errorf("argument %s is not listed", p.name))
		}
		if !p.kwOnly {
			wantPos = append(wantPos, p.name)
		}
	}
	if !slices.Equal(positional, wantPos) && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("positional order %v, the code's is %v", positional, wantPos))
	}
	return errs
}

// sameDefault reports whether lit, a default as a document writes it,
// converts to want: the way a call writing it would, through the
// parameter's own converter (activation=None is 'linear'). None also
// stands for "no value" where the converter would not take it (name=None).
func sameDefault(p param, lit string, want any) error {
	if lit == "None" && want == nil {
		return nil
	}
	f, err := Parse("doc", []byte("f("+lit+")"))
	if err != nil {
		return fmt.Errorf("default %s does not parse: %v", lit, err)
	}
	call, ok := f.Stmts[0].(*ExprStmt).X.(*Call)
	if !ok || len(call.Args) != 1 {
		return fmt.Errorf("default %s is not one value", lit)
	}
	v, perr := evalLiteral(call.Args[0].Value)
	if perr != nil {
		return fmt.Errorf("default %s: %v", lit, perr)
	}
	got, why := p.conv.apply(v)
	if why != "" {
		return fmt.Errorf("default %s is not a valid value", lit)
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("written %s (%#v), the code's default is %#v", lit, got, want)
	}
	return nil
}

// paramView is what a document says about parameters: names, order,
// defaults, required and keyword-only.
func paramView(ps []param) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s=%#v/%v/%v", p.name, p.def, p.required, p.kwOnly))
	}
	return out
}

// tableRows returns the cells of each row of the Markdown table whose
// header is header.
func tableRows(t *testing.T, doc, header string) [][]string {
	t.Helper()
	i := strings.Index(doc, "\n"+header+"\n")
	if i < 0 {
		t.Fatalf("no table headed %q", header)
	}
	var rows [][]string
	for _, line := range strings.Split(doc[i+1:], "\n")[2:] { // skip the header and |---|
		if !strings.HasPrefix(line, "|") {
			break
		}
		rows = append(rows, strings.Split(strings.Trim(line, "|"), " | "))
	}
	return rows
}

func backticked(s string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestActivationTable checks GRAMMAR.md's activation table and the
// README's list against the activations the code knows.
func TestActivationTable(t *testing.T) {
	var got []string
	for _, cells := range tableRows(t, readDoc(t, "GRAMMAR.md"), "| name | IR |") {
		got = append(got, backticked(cells[0])...)
	}
	slices.Sort(got)
	if want := activationNames(); !slices.Equal(got, want) {
		t.Errorf("GRAMMAR.md's activations %v, the code's %v", got, want)
	}
	readme := readDoc(t, "../../README.md")
	for _, name := range activationNames() {
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("README.md's DSL section does not list the activation `%s`", name)
		}
	}
}
