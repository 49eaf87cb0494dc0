package dsl

import (
	"strings"
	"testing"
)

// stmtString prints a statement in a normalized form for comparison.
func stmtString(s Stmt) string {
	switch s := s.(type) {
	case *ImportStmt:
		if s.From != "" {
			return "from " + s.From + " import " + strings.Join(s.Names, ", ")
		}
		return "import " + strings.Join(s.Names, ", ")
	case *AssignStmt:
		return s.Target.Name + " = " + ExprString(s.Value)
	case *ExprStmt:
		return ExprString(s.X)
	}
	return "?"
}

func parseStmts(t *testing.T, src string) []string {
	t.Helper()
	f, err := Parse("t.cnn", []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	var out []string
	for _, s := range f.Stmts {
		out = append(out, stmtString(s))
	}
	return out
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", nil},
		{"comments and blank lines", "# a comment\n\n   # indented comment\n\n", nil},
		{"call", "model.add(Dense(10))", []string{"model.add(Dense(10))"}},
		{"assignment", "model = Sequential()\n", []string{"model = Sequential()"}},
		{"multi-line call", "model.add(MaxPooling2D(pool_size=(2, 2),\n                       strides=(1,1)))\n",
			[]string{"model.add(MaxPooling2D(pool_size=(2, 2), strides=(1, 1)))"}},
		{"odd spacing", "model.add( Conv2D (filters = 32,kernel_size=(3,3) ,input_shape=(28,28,1) ) )",
			[]string{"model.add(Conv2D(filters=32, kernel_size=(3, 3), input_shape=(28, 28, 1)))"}},
		{"trailing spaces and trailing comma", "Conv2D(32, (3, 3), \n  padding='same', \n)  \n", []string{"Conv2D(32, (3, 3), padding='same')"}},
		{"comment inside a call", "Dense(10,  # units\n  activation='relu')  # trailing\n", []string{"Dense(10, activation='relu')"}},
		{"blank line inside a call", "Dense(\n\n10)\n", []string{"Dense(10)"}},
		{"backslash continuation", "model = \\\n  Sequential()", []string{"model = Sequential()"}},
		{"semicolons", "Flatten(); Dense(10);\n", []string{"Flatten()", "Dense(10)"}},
		{"CRLF line ends", "model = Sequential()\r\nmodel.add(Flatten(\r\n))\r\n", []string{"model = Sequential()", "model.add(Flatten())"}},
		{"lone CR line ends", "Flatten()\rDense(1)", []string{"Flatten()", "Dense(1)"}},
		{"byte-order mark", "\uFEFFFlatten()", []string{"Flatten()"}},
		{"indented statements", "  Flatten()\n\tDense(1)", []string{"Flatten()", "Dense(1)"}},
		{"no final newline", "Dense(10)", []string{"Dense(10)"}},
		{"dotted callee", "tf.keras.layers.Conv2D(8, 3)", []string{"tf.keras.layers.Conv2D(8, 3)"}},
		{"subscript and slice", "f(X.shape[1:], a[0], b[::2], c[:-1])", []string{"f(X.shape[1:], a[0], b[::2], c[:-1])"}},
		{"unicode names", "モデル = Sequential()", []string{"モデル = Sequential()"}},

		{"import", "import keras", []string{"import keras"}},
		{"import dotted as", "import numpy as np, matplotlib.pyplot as plt", []string{"import numpy, matplotlib.pyplot"}},
		{"from import", "from keras.layers import Activation, Conv2D, Dense", []string{"from keras.layers import Activation, Conv2D, Dense"}},
		{"from import parenthesized", "from keras.layers import (\n  Conv2D,\n  Dense,\n)", []string{"from keras.layers import Conv2D, Dense"}},
		{"from import star", "from keras.layers import *", []string{"from keras.layers import *"}},
		{"relative from import", "from .models import Sequential as S", []string{"from .models import Sequential"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseStmts(t, tt.src)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestParseLiterals checks each literal form's value, not just its text.
func TestParseLiterals(t *testing.T) {
	tests := []struct {
		src  string
		kind vkind
		want any    // int64, float64, string, bool or nil
		repr string // ExprString of the expression
	}{
		{"0", vInt, int64(0), "0"},
		{"42", vInt, int64(42), "42"},
		{"-3", vInt, int64(-3), "-3"},
		{"+3", vInt, int64(3), "+3"},
		{"1_000", vInt, int64(1000), "1_000"},
		{"0x1F", vInt, int64(31), "0x1F"},
		{"0o17", vInt, int64(15), "0o17"},
		{"0b101", vInt, int64(5), "0b101"},
		{"00", vInt, int64(0), "00"},
		{"9223372036854775807", vInt, int64(9223372036854775807), "9223372036854775807"},
		{"1e-3", vFloat, 1e-3, "1e-3"},
		{".5", vFloat, 0.5, ".5"},
		{"1.", vFloat, 1.0, "1."},
		{"0.25", vFloat, 0.25, "0.25"},
		{"1.5E+3", vFloat, 1500.0, "1.5E+3"},
		{"1_0.5", vFloat, 10.5, "1_0.5"},
		{"-1e-3", vFloat, -1e-3, "-1e-3"},
		{"2e3", vFloat, 2000.0, "2e3"},
		{"'relu'", vStr, "relu", "'relu'"},
		{`"same"`, vStr, "same", "'same'"},
		{`'it\'s'`, vStr, "it's", `"it's"`},
		{`"a\tb\n\x41\u00e9\101"`, vStr, "a\tb\nAéA", `'a\tb\nAéA'`},
		{`'\d'`, vStr, `\d`, `'\\d'`},
		{`r'\d'`, vStr, `\d`, `'\\d'`},
		{`u'x'`, vStr, "x", `'x'`},
		{`'''tri
ple'''`, vStr, "tri\nple", `'tri\nple'`},
		{`"a" 'b'`, vStr, "ab", "'ab'"},
		{"'日本語'", vStr, "日本語", "'日本語'"},
		{"None", vNone, nil, "None"},
		{"True", vBool, true, "True"},
		{"False", vBool, false, "False"},
		{"relu", vRef, "relu", "relu"},
		{"tf.nn.relu", vRef, "tf.nn.relu", "tf.nn.relu"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f, err := Parse("t.cnn", []byte("f("+tt.src+")"))
			if err != nil {
				t.Fatal(err)
			}
			e := f.Stmts[0].(*ExprStmt).X.(*Call).Args[0].Value
			if got := ExprString(e); got != tt.repr {
				t.Errorf("ExprString = %s, want %s", got, tt.repr)
			}
			v, verr := evalLiteral(e)
			if verr != nil {
				t.Fatal(verr)
			}
			if v.kind != tt.kind {
				t.Fatalf("kind %d, want %d", v.kind, tt.kind)
			}
			var got any
			switch v.kind {
			case vInt:
				got = v.i
			case vFloat:
				got = v.f
			case vStr, vRef:
				got = v.s
			case vBool:
				got = v.b
			}
			if got != tt.want {
				t.Errorf("value %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseSequences(t *testing.T) {
	tests := []struct {
		src  string
		want string
		n    int // elements, -1 for a parenthesized non-tuple
	}{
		{"()", "()", 0},
		{"(3,)", "(3,)", 1},
		{"(3)", "3", -1},
		{"(1, 2)", "(1, 2)", 2},
		{"(1, 2,)", "(1, 2)", 2},
		{"(\n 28,\n 28,\n 1\n)", "(28, 28, 1)", 3},
		{"((1, 2), (3, 4))", "((1, 2), (3, 4))", 2},
		{"[]", "[]", 0},
		{"['accuracy']", "['accuracy']", 1},
		{"[1, 2,]", "[1, 2]", 2},
		{"{}", "{}", 0},
		{"{'a': 1, 'b': (2, 3),}", "{'a': 1, 'b': (2, 3)}", 2},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f, err := Parse("t.cnn", []byte("f("+tt.src+")"))
			if err != nil {
				t.Fatal(err)
			}
			e := f.Stmts[0].(*ExprStmt).X.(*Call).Args[0].Value
			if got := ExprString(e); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			n := -1
			switch e := e.(type) {
			case *Tuple:
				n = len(e.Elems)
			case *List:
				n = len(e.Elems)
			case *Dict:
				n = len(e.Keys)
			}
			if n != tt.n {
				t.Errorf("%d elements, want %d", n, tt.n)
			}
		})
	}
}

func TestParseArguments(t *testing.T) {
	f, err := Parse("t.cnn", []byte("Conv2D(32, (3, 3),\n       padding='same', input_shape=(28, 28, 1))"))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Stmts[0].(*ExprStmt).X.(*Call)
	if len(c.Args) != 4 {
		t.Fatalf("%d args", len(c.Args))
	}
	names := []string{"", "", "padding", "input_shape"}
	for i, a := range c.Args {
		if a.Name != names[i] {
			t.Errorf("arg %d named %q, want %q", i, a.Name, names[i])
		}
	}
	if p := c.Args[2].NamePos; p.Line != 2 || p.Col != 8 {
		t.Errorf("padding at %v, want 2:8", p)
	}
	if p := c.Fun.Start(); p.Line != 1 || p.Col != 1 {
		t.Errorf("call at %v", p)
	}
}

// TestParseErrors checks syntax errors and their positions; the golden
// files under testdata/errors cover the rest, through Load.
func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"Dense(10", "t.cnn:1:9: expected ',' or ')' to close the call of Dense, found end of file; is a ')' missing for the '(' at 1:6?"},
		{"Dense(10 20)", "t.cnn:1:10: expected ',' or ')' to close the call of Dense, found number 20; is a ',' missing?"},
		{"Dense(10,\n", "t.cnn:2:1: expected an expression, found end of file; is a ')' missing for the '(' at 1:6?"},
		{"Dense(10))", "t.cnn:1:10: expected end of statement, found ')'"},
		{"Dense(units=1, 2)", "t.cnn:1:16: positional argument follows keyword argument"},
		{"Dense(units=1, units=2)", "t.cnn:1:16: keyword argument units is repeated"},
		{"Dense(*args)", "t.cnn:1:7: '*' argument unpacking is not supported"},
		{"Dense(10) Flatten()", "t.cnn:1:11: expected end of statement, found name Flatten"},
		{"x += 1", "t.cnn:1:3: '+=' is not supported: a model file holds the model definition only"},
		{"a.b = 1", "t.cnn:1:5: cannot assign to a.b: only `model = Sequential(...)` assignments are supported"},
		{"a, b = 1, 2", "t.cnn:1:2: unexpected ',': tuple unpacking and bare tuples are not supported; put tuples in parentheses"},
		{"def f():\n  pass", "t.cnn:1:1: Python 'def' statements are not supported"},
		{"f(lambda x: x)", "t.cnn:1:3: expected an expression, found keyword lambda"},
		{"f(1 + 2)", "t.cnn:1:5: operator '+' is not supported: write the value as a literal"},
		{"f('abc\n)", "t.cnn:1:3: string literal is not terminated before the end of the line"},
		{"f('abc", "t.cnn:1:3: string literal is not terminated"},
		{"f('''abc", "t.cnn:1:3: string literal is not terminated"},
		{"f(b'abc')", "t.cnn:1:3: b'...' strings are not supported; use a plain '...' string"},
		{`f('\x4')`, `t.cnn:1:4: invalid \x escape: want 2 hex digits`},
		{"f(1__0)", "t.cnn:1:3: invalid number literal 1__0: '_' must separate two digits"},
		{"f(3j)", "t.cnn:1:3: invalid number literal 3j"},
		{"f(0x)", "t.cnn:1:3: invalid number literal 0x: no digits after the base prefix"},
		{"f(99999999999999999999)", "t.cnn:1:3: integer literal 99999999999999999999 is too large"},
		{"f(1e999)", "t.cnn:1:3: invalid float literal 1e999"},
		{"f(1) \\ g", "t.cnn:1:6: unexpected '\\' outside a string; a backslash may only end a line to continue it"},
		{"f($)", "t.cnn:1:3: unexpected character '$'"},
		{"f('日本語', $)", "t.cnn:1:10: unexpected character '$'"}, // columns count characters
		{"f(\x01)", "t.cnn:1:3: unexpected character U+0001"},
		{"f(\x00)", "t.cnn:1:3: the file contains a NUL byte; is it a text file?"},
		{"f(\xff)", "t.cnn:1:3: file is not valid UTF-8; save it as UTF-8"},
		{"f(x[1:2:3:4])", "t.cnn:1:10: expected ',' or ']' to close the subscript, found ':'"},
		{"f({1 2})", "t.cnn:1:6: expected ':' after a dict key, found number 2"},
		{"from import x", "t.cnn:1:6: expected a module name after 'from', found keyword import"},
		{"from a x", "t.cnn:1:8: expected 'import', found name x"},
		{"import", "t.cnn:1:7: expected a module name, found end of line"},
		{strings.Repeat("(", 100), "t.cnn:1:65: expression is nested more than 64 deep"},
		{"f(" + strings.Repeat("-", 100) + "1)", "t.cnn:1:66: expression is nested more than 64 deep"},
		{"f" + strings.Repeat("[", 100), "t.cnn:1:66: expression is nested more than 64 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Parse("t.cnn", []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			first := strings.SplitN(err.Error(), "\n", 2)[0]
			if !strings.HasPrefix(first, tt.want) {
				t.Errorf("got  %s\nwant %s", first, tt.want)
			}
		})
	}
}

// TestParseSeveralErrors checks that independent syntax errors in one file
// are all reported, each once, and that a multi-line statement in error
// does not cascade into its continuation lines.
func TestParseSeveralErrors(t *testing.T) {
	src := `model = Sequential()
model.add(Conv2D(32, (3, 3)
                 padding='same'))
model.add(Dense(10,,))
model.add(Flatten())
x = = 1
Dense($)
`
	_, err := Parse("t.cnn", []byte(src))
	want := []string{
		"t.cnn:3:18: expected ',' or ')' to close the call of Conv2D, found name padding",
		"t.cnn:4:20: expected an expression, found ','",
		"t.cnn:6:5: expected an expression, found '='",
		"t.cnn:7:7: unexpected character '$'",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestParseLimits(t *testing.T) {
	big := make([]byte, MaxSourceSize+1)
	for i := range big {
		big[i] = '#'
	}
	if _, err := Parse("big.cnn", big); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("oversized file: %v", err)
	}
	many := strings.Repeat("f(1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)\n", 6000)
	if _, err := Parse("many.cnn", []byte(many)); err == nil || !strings.Contains(err.Error(), "tokens") {
		t.Errorf("token limit: %v", err)
	}
	bad := strings.Repeat("f(,)\n", 50)
	_, err := Parse("bad.cnn", []byte(bad))
	if n := strings.Count(err.Error(), "\n") + 1; n != maxErrors {
		t.Errorf("%d errors reported, want %d", n, maxErrors)
	}
}

func TestSuggest(t *testing.T) {
	names := layerNames()
	tests := []struct{ in, want string }{
		{"Conv2d", "Conv2D"},
		{"conv2d", "Conv2D"},
		{"MaxPooling", "MaxPooling2D"},
		{"maxpooling2d", "MaxPooling2D"},
		{"MaxPool2d", "MaxPool2D"},
		{"MaxPool", "MaxPool2D"},
		{"Dence", "Dense"},
		{"Flaten", "Flatten"},
		{"Dropuot", "Dropout"},
		{"BatchNorm", ""},
		{"print", ""},
		{"xyz", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, names); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	params := specByName["Conv2D"].paramNames()
	if got := suggest("kernal_size", params); got != "kernel_size" {
		t.Errorf("kernal_size -> %q", got)
	}
	if got := suggest("rleu", activationNames()); got != "relu" {
		t.Errorf("rleu -> %q", got)
	}
	if got := suggest("stride", params); got != "strides" {
		t.Errorf("stride -> %q", got)
	}
}

// TestParseErrorOrder checks that lexical errors, found in a first pass,
// are merged into source order with the parser's.
func TestParseErrorOrder(t *testing.T) {
	_, err := Parse("t.cnn", []byte("f(,)\ng($)\nh(,)"))
	want := "t.cnn:1:3: expected an expression, found ','\nt.cnn:2:3: unexpected character '$'\nt.cnn:3:3: expected an expression, found ','"
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}
