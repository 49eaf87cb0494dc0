package onnx

import (
	"fmt"
	"math"
	"sort"
	"strings"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// attrs gives typed access to a node's attributes. The first failure (a
// wrong attribute type, an out-of-range value) is kept in err and later
// reads return defaults, so an importer reads all it needs and checks once.
// Every attribute an importer reads or explicitly ignores is marked; one
// left unmarked is an error (see unused), so that an attribute cnnc does
// not understand is never silently dropped.
type attrs struct {
	m    map[string]*pb.AttributeProto
	used map[string]bool
	err  error
}

func newAttrs(n *pb.NodeProto) (*attrs, error) {
	a := &attrs{m: make(map[string]*pb.AttributeProto), used: make(map[string]bool)}
	for _, at := range n.Attribute {
		if at == nil {
			continue
		}
		if at.Name == "" {
			return nil, fmt.Errorf("attribute with no name")
		}
		if _, dup := a.m[at.Name]; dup {
			return nil, fmt.Errorf("attribute %q is given twice", at.Name)
		}
		if at.RefAttrName != "" {
			return nil, fmt.Errorf("attribute %q refers to a function attribute (%q) outside a function", at.Name, at.RefAttrName)
		}
		a.m[at.Name] = at
	}
	return a, nil
}

func (a *attrs) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

// has reports whether the attribute is present, marking it used.
func (a *attrs) has(name string) bool {
	_, ok := a.m[name]
	if ok {
		a.used[name] = true
	}
	return ok
}

// ignore marks attributes as understood but irrelevant for inference
// (training-only or legacy attributes).
func (a *attrs) ignore(names ...string) {
	for _, n := range names {
		a.used[n] = true
	}
}

// get returns the attribute, marking it used, after checking its declared
// type. An UNDEFINED type (files from before the type field existed) is
// accepted: the caller reads the field it expects.
func (a *attrs) get(name string, want ...pb.AttributeProto_AttributeType) *pb.AttributeProto {
	at, ok := a.m[name]
	if !ok {
		return nil
	}
	a.used[name] = true
	if at.Type == pb.AttributeProto_UNDEFINED {
		return at
	}
	for _, w := range want {
		if at.Type == w {
			return at
		}
	}
	a.fail("attribute %q is %s, want %s", name, at.Type, want[0])
	return nil
}

// int reads an INT attribute.
func (a *attrs) int(name string, def int64) int64 {
	at := a.get(name, pb.AttributeProto_INT)
	if at == nil {
		return def
	}
	return at.I
}

// intIn reads an INT attribute that must lie in [lo, hi]; the bound keeps
// later int conversions safe.
func (a *attrs) intIn(name string, def, lo, hi int64) int {
	v := a.int(name, def)
	if v < lo || v > hi {
		a.fail("attribute %s = %d is out of range [%d, %d]", name, v, lo, hi)
		return int(def)
	}
	return int(v)
}

// bool reads a 0/1 INT attribute.
func (a *attrs) bool(name string, def bool) bool {
	d := int64(0)
	if def {
		d = 1
	}
	v := a.int(name, d)
	if v != 0 && v != 1 {
		a.fail("attribute %s = %d, want 0 or 1", name, v)
	}
	return v == 1
}

// float reads a FLOAT attribute. ONNX float attributes are float32, so
// the default is rounded to float32 too, making an absent attribute and
// one an exporter wrote with the default value identical.
func (a *attrs) float(name string, def float64) float64 {
	at := a.get(name, pb.AttributeProto_FLOAT)
	if at == nil {
		if math.IsInf(def, 0) {
			return def
		}
		return float64(float32(def))
	}
	if at.Type == pb.AttributeProto_UNDEFINED && at.F == 0 && at.I != 0 {
		// A typeless attribute written as an integer.
		return float64(at.I)
	}
	return float64(at.F)
}

// string reads a STRING attribute.
func (a *attrs) string(name, def string) string {
	at := a.get(name, pb.AttributeProto_STRING)
	if at == nil {
		return def
	}
	return string(at.S)
}

// ints64 reads an INTS attribute; nil when absent.
func (a *attrs) ints64(name string) []int64 {
	at := a.get(name, pb.AttributeProto_INTS)
	if at == nil {
		return nil
	}
	if at.Ints == nil {
		return []int64{}
	}
	return at.Ints
}

// ints reads an INTS attribute whose entries must fit in [lo, hi]; nil
// when absent.
func (a *attrs) ints(name string, lo, hi int64) []int {
	v := a.ints64(name)
	if v == nil {
		return nil
	}
	out := make([]int, len(v))
	for i, x := range v {
		if x < lo || x > hi {
			a.fail("attribute %s = %v: entry %d is out of range [%d, %d]", name, v, x, lo, hi)
			return nil
		}
		out[i] = int(x)
	}
	return out
}

// floats reads a FLOATS attribute; nil when absent.
func (a *attrs) floats(name string) []float64 {
	at := a.get(name, pb.AttributeProto_FLOATS)
	if at == nil {
		return nil
	}
	out := make([]float64, len(at.Floats))
	for i, f := range at.Floats {
		out[i] = float64(f)
	}
	return out
}

// tensor reads a TENSOR attribute; nil when absent.
func (a *attrs) tensor(name string) *ir.Tensor {
	at := a.get(name, pb.AttributeProto_TENSOR)
	if at == nil {
		return nil
	}
	if at.T == nil {
		a.fail("attribute %q has no tensor", name)
		return nil
	}
	t, err := decodeTensor(at.T)
	if err != nil {
		if a.err == nil {
			a.err = fmt.Errorf("attribute %q: %w", name, err)
		}
		return nil
	}
	return t
}

// unused returns an error naming the attributes no one read.
func (a *attrs) unused() error {
	var names []string
	for n := range a.m {
		if !a.used[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return unsupportedf("attribute %s not supported", quoteList(names))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
