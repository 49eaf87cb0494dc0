package dsl

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// vkind is the kind of a literal value.
type vkind uint8

const (
	vNone vkind = iota
	vBool
	vInt
	vFloat
	vStr
	vSeq // tuple or list
	vRef // a dotted name such as tf.nn.relu; only activation= takes one
)

// value is an argument after literal evaluation: the Python value the
// expression denotes, for the literal subset the DSL accepts.
type value struct {
	kind vkind
	b    bool
	i    int64
	f    float64
	s    string // string, or the dotted name of a vRef
	seq  []value
	list bool // a [...] list rather than a (...) tuple
	pos  Pos
	src  Expr
}

// describe names the value for "want X, got Y" messages.
func (v value) describe() string {
	switch v.kind {
	case vNone:
		return "None"
	case vBool, vInt, vFloat:
		return ExprString(v.src)
	case vStr:
		return "the string " + clip(ExprString(v.src))
	case vSeq:
		if v.list {
			return "the list " + clip(ExprString(v.src))
		}
		return "the tuple " + clip(ExprString(v.src))
	}
	return "the name " + v.s
}

// evalLiteral evaluates e as a Python literal. Anything that needs Python
// to run (calls, subscripts, arithmetic) is an error that says so: the DSL
// describes a model, it does not execute Python.
func evalLiteral(e Expr) (value, *Error) {
	v := value{pos: e.Start(), src: e}
	switch e := e.(type) {
	case *Ident:
		switch e.Name {
		case "None":
			v.kind = vNone
		case "True", "False":
			v.kind, v.b = vBool, e.Name == "True"
		default:
			v.kind, v.s = vRef, e.Name
		}
		return v, nil
	case *Selector:
		name, ok := dottedName(e)
		if !ok {
			return v, notLiteral(e)
		}
		v.kind, v.s = vRef, name
		return v, nil
	case *BasicLit:
		switch e.Kind {
		case IntLit:
			v.kind, v.i = vInt, e.Int
		case FloatLit:
			v.kind, v.f = vFloat, e.Float
		default:
			v.kind, v.s = vStr, e.Str
		}
		return v, nil
	case *Unary:
		x, err := evalLiteral(e.X)
		if err != nil {
			return v, err
		}
		switch x.kind {
		case vInt:
			if e.Op == "-" {
				if x.i == math.MinInt64 {
					return v, &Error{Pos: e.At, Msg: "integer literal is too large"}
				}
				x.i = -x.i
			}
		case vFloat:
			if e.Op == "-" {
				x.f = -x.f
			}
		default:
			return v, &Error{Pos: e.At, Msg: fmt.Sprintf("unary '%s' needs a number, not %s", e.Op, x.describe())}
		}
		x.pos, x.src = e.At, e
		return x, nil
	case *Tuple, *List:
		var elems []Expr
		if t, ok := e.(*Tuple); ok {
			elems = t.Elems
		} else {
			elems = e.(*List).Elems
			v.list = true
		}
		v.kind = vSeq
		for _, x := range elems {
			ev, err := evalLiteral(x)
			if err != nil {
				return v, err
			}
			v.seq = append(v.seq, ev)
		}
		return v, nil
	}
	return v, notLiteral(e)
}

func notLiteral(e Expr) *Error {
	return &Error{Pos: e.Start(), Msg: fmt.Sprintf("%s is a Python expression the DSL does not evaluate; write the value as a literal (a number, a string, a tuple such as (32, 32, 3), None, True or False)", clip(ExprString(e)))}
}

// dottedName flattens a.b.c into "a.b.c".
func dottedName(e Expr) (string, bool) {
	switch e := e.(type) {
	case *Ident:
		return e.Name, !pythonKeywords[e.Name]
	case *Selector:
		x, ok := dottedName(e.X)
		return x + "." + e.Sel, ok
	}
	return "", false
}

// badType is a converter's reason when the value has the wrong type; the
// caller then says what the argument wants instead.
const badType = "\x00wrong type"

// A converter checks a value against what one argument accepts and turns
// it into the Go value the layer builder uses. want describes what it
// accepts, for error messages.
type converter struct {
	want string
	conv func(v value) (any, string) // the Go value and "", or badType or why the value is wrong
}

func (c converter) apply(v value) (any, string) { return c.conv(v) }

// Limits on argument values; anything beyond them is a typo or an attack,
// never a real model.
const (
	maxWindow = 1 << 16 // kernel, pool, stride, dilation and padding sizes
	maxUnits  = 1 << 24 // filters and units
	maxDimLen = 1 << 24 // one input dimension
	// maxElems bounds the elements of one activation per batch item, as
	// the IR does (2^31).
	maxElems = 1 << 31
)

func intConv(lo, hi int64) converter {
	want := "an int"
	switch {
	case lo == 1:
		want = "a positive int"
	case lo == 0:
		want = "a non-negative int"
	}
	return converter{want: want, conv: func(v value) (any, string) {
		if v.kind != vInt {
			return nil, badType
		}
		if v.i < lo || v.i > hi {
			return nil, fmt.Sprintf("%d is out of range [%d, %d]", v.i, lo, hi)
		}
		return int(v.i), ""
	}}
}

// floatConv accepts ints too, as Python does where a float is expected.
func floatConv(want string, ok func(float64) bool) converter {
	return converter{want: want, conv: func(v value) (any, string) {
		var f float64
		switch v.kind {
		case vInt:
			f = float64(v.i)
		case vFloat:
			f = v.f
		default:
			return nil, badType
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || !ok(f) {
			return nil, fmt.Sprintf("%s is out of range: want %s", ExprString(v.src), want)
		}
		return f, ""
	}}
}

func anyFloat(float64) bool { return true }

var boolConv = converter{want: "True or False", conv: func(v value) (any, string) {
	if v.kind != vBool {
		return nil, badType
	}
	return v.b, ""
}}

// optional accepts None (giving nil) or what c accepts.
func optional(c converter) converter {
	return converter{want: "None or " + c.want, conv: func(v value) (any, string) {
		if v.kind == vNone {
			return nil, ""
		}
		return c.conv(v)
	}}
}

// choiceConv accepts one of the given strings. Keras lower-cases padding
// and data_format values, so fold says whether case matters.
func choiceConv(fold bool, choices ...string) converter {
	quoted := make([]string, len(choices))
	for i, c := range choices {
		quoted[i] = "'" + c + "'"
	}
	return converter{want: strings.Join(quoted, " or "), conv: func(v value) (any, string) {
		if v.kind != vStr {
			return nil, badType
		}
		s := v.s
		if fold {
			s = strings.ToLower(s)
		}
		for _, c := range choices {
			if s == c {
				return c, ""
			}
		}
		return nil, "unknown value " + pyQuote(v.s) + didYouMean(v.s, choices)
	}}
}

// pairConv accepts an int n, meaning (n, n), or a tuple or list of two
// ints, as Keras' normalize_tuple does for kernel_size, strides and the
// like.
func pairConv(lo, hi int64) converter {
	want := "an int or a tuple of 2 ints"
	return converter{want: want, conv: func(v value) (any, string) {
		var p [2]int64
		switch {
		case v.kind == vInt:
			p = [2]int64{v.i, v.i}
		case v.kind == vSeq && len(v.seq) == 2 && v.seq[0].kind == vInt && v.seq[1].kind == vInt:
			p = [2]int64{v.seq[0].i, v.seq[1].i}
		case v.kind == vSeq && allInts(v.seq):
			return nil, fmt.Sprintf("want 2 values (height, width), got %d", len(v.seq))
		default:
			return nil, badType
		}
		for _, x := range p {
			if x < lo || x > hi {
				return nil, fmt.Sprintf("%d is out of range [%d, %d]", x, lo, hi)
			}
		}
		return [2]int{int(p[0]), int(p[1])}, ""
	}}
}

func allInts(vs []value) bool {
	for _, v := range vs {
		if v.kind != vInt {
			return false
		}
	}
	return true
}

// shapeConv accepts a tuple or list of positive ints: a shape without its
// batch dimension. None dimensions (variable sizes) are rejected: every
// shape cnnc compiles is static except the batch.
var shapeConv = converter{want: "a tuple of positive ints such as (28, 28, 1)", conv: func(v value) (any, string) {
	switch v.kind {
	case vInt:
		return nil, fmt.Sprintf("a shape is a tuple; write (%d,)", v.i)
	case vSeq:
	default:
		return nil, badType
	}
	if len(v.seq) == 0 || len(v.seq) > 3 {
		return nil, fmt.Sprintf("want 1 to 3 dimensions (features,) or (height, width, channels), got %d", len(v.seq))
	}
	shape := make([]int, len(v.seq))
	elems := int64(1)
	for i, d := range v.seq {
		switch {
		case d.kind == vNone:
			return nil, "dimensions must be fixed: cnnc compiles static shapes (only the batch size varies), so None is not allowed"
		case d.kind != vInt:
			return nil, badType
		case d.i < 1 || d.i > maxDimLen:
			return nil, fmt.Sprintf("dimension %d is out of range [1, %d]", d.i, maxDimLen)
		}
		elems *= d.i // cannot overflow: at most 3 factors of 2^24
		shape[i] = int(d.i)
	}
	if elems > maxElems {
		return nil, fmt.Sprintf("%d elements per batch item is more than 2^31", elems)
	}
	return shape, ""
}}

// nameRE is what a layer or model name may look like: it becomes part of
// value names ("conv2d/kernel") and weight keys, so no slash or colon.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.\-]{0,127}$`)

var nameConv = converter{want: "a string name", conv: func(v value) (any, string) {
	if v.kind != vStr {
		return nil, badType
	}
	if !nameRE.MatchString(v.s) {
		return nil, fmt.Sprintf("name %s must be 1 to 128 letters, digits, '_', '.' or '-'", pyQuote(v.s))
	}
	return v.s, ""
}}

// dtypeConv accepts the only element type cnnc models compute in.
var dtypeConv = converter{want: "None or 'float32'", conv: func(v value) (any, string) {
	switch {
	case v.kind == vNone:
		return nil, ""
	case v.kind == vStr && v.s == "float32":
		return "float32", ""
	case v.kind == vStr || v.kind == vRef:
		return nil, "cnnc models compute in float32 only"
	}
	return nil, badType
}}

// dataFormatConv accepts channels-last only; cnnc's DSL is channels-last,
// as Keras is by default.
var dataFormatConv = converter{want: "None or 'channels_last'", conv: func(v value) (any, string) {
	switch {
	case v.kind == vNone:
		return nil, ""
	case v.kind == vStr && strings.ToLower(v.s) == "channels_last":
		return "channels_last", ""
	case v.kind == vStr && strings.ToLower(v.s) == "channels_first":
		return nil, "channels_first is not supported: cnnc's DSL is channels-last (NHWC), as Keras is by default"
	case v.kind == vStr:
		return nil, "unknown data format " + pyQuote(v.s)
	}
	return nil, badType
}}

// activationConv accepts an activation name as a string ('relu'), a name
// (relu, after `from keras.activations import relu`) or a dotted name
// (keras.activations.relu, tf.nn.relu); the last component decides.
var activationConv = converter{want: "None or an activation name such as 'relu'", conv: func(v value) (any, string) {
	var name string
	switch v.kind {
	case vNone:
		return "linear", ""
	case vStr:
		name = v.s
	case vRef:
		name = v.s[strings.LastIndexByte(v.s, '.')+1:]
	default:
		return nil, badType
	}
	if _, ok := activations[name]; !ok {
		return nil, "unknown activation " + pyQuote(name) + orList(didYouMean(name, activationNames()), activationNames())
	}
	return name, ""
}}

// initConv accepts the initializers cnnc implements for weights it makes
// up when no .npz is given.
func initConv(choices ...string) converter {
	c := choiceConv(false, choices...)
	c.want = "an initializer name: " + c.want
	return c
}

// zeroPaddingConv accepts ZeroPadding2D's padding forms: n, (h, w) or
// ((top, bottom), (left, right)); it gives [top, bottom, left, right].
var zeroPaddingConv = converter{want: "an int, a tuple of 2 ints or a tuple of 2 tuples of 2 ints", conv: func(v value) (any, string) {
	var p [4]int64
	switch {
	case v.kind == vInt:
		p = [4]int64{v.i, v.i, v.i, v.i}
	case v.kind == vSeq && len(v.seq) == 2 && allInts(v.seq):
		p = [4]int64{v.seq[0].i, v.seq[0].i, v.seq[1].i, v.seq[1].i}
	case v.kind == vSeq && len(v.seq) == 2 && v.seq[0].kind == vSeq && v.seq[1].kind == vSeq &&
		len(v.seq[0].seq) == 2 && len(v.seq[1].seq) == 2 && allInts(v.seq[0].seq) && allInts(v.seq[1].seq):
		p = [4]int64{v.seq[0].seq[0].i, v.seq[0].seq[1].i, v.seq[1].seq[0].i, v.seq[1].seq[1].i}
	default:
		return nil, badType
	}
	out := [4]int{}
	for i, x := range p {
		if x < 0 || x > maxWindow {
			return nil, fmt.Sprintf("%d is out of range [0, %d]", x, maxWindow)
		}
		out[i] = int(x)
	}
	return out, ""
}}

// ignoredConv accepts anything literal; the argument only matters for
// training (noise_shape, seed, momentum, compile's arguments).
var ignoredConv = converter{want: "a literal", conv: func(v value) (any, string) { return nil, "" }}
