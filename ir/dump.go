package ir

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// Dump writes a stable, line-per-node text form of g, for tests and for
// cnnc's -dump-after flag:
//
//	graph "mnist"
//	input %input: f32[N,28,28,1] NHWC
//	%conv2d: f32[N,26,26,32] NHWC = Conv(%input, $conv2d/kernel: f32[32,1,3,3], $conv2d/bias: f32[32]) {Kernel=[3 3] ...}
//	output %dense_1
//
// Run-time values print as %name, constants as $name with their type.
func Dump(w io.Writer, g *Graph) error {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s\n", strconv.Quote(g.Name))
	for _, v := range g.Inputs {
		fmt.Fprintf(&b, "input %%%s: %v\n", name(v.Name), v.Type)
	}
	for _, n := range g.Nodes {
		outs := make([]string, len(n.Outputs))
		for i, o := range n.Outputs {
			outs[i] = "%" + name(o.Name)
			if o.Known() {
				outs[i] += ": " + o.Type.String()
			}
		}
		ins := make([]string, len(n.Inputs))
		for i, v := range n.Inputs {
			switch {
			case v == nil:
				ins[i] = "_"
			case v.Const != nil:
				ins[i] = "$" + name(v.Name) + ": " + v.Type.String()
			default:
				ins[i] = "%" + name(v.Name)
			}
		}
		fmt.Fprintf(&b, "%s = %s(%s)", strings.Join(outs, ", "), n.Op.OpType(), strings.Join(ins, ", "))
		if a := Attrs(n.Op); a != "" {
			fmt.Fprintf(&b, " {%s}", a)
		}
		if n.Name != "" && (len(n.Outputs) == 0 || n.Name != n.Outputs[0].Name) {
			fmt.Fprintf(&b, " # %s", name(n.Name))
		}
		b.WriteByte('\n')
	}
	for _, v := range g.Outputs {
		if v == nil {
			b.WriteString("output <nil>\n")
			continue
		}
		fmt.Fprintf(&b, "output %%%s\n", name(v.Name))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String returns the Dump of g.
func (g *Graph) String() string {
	var b strings.Builder
	_ = Dump(&b, g)
	return b.String()
}

// Attrs prints an op's non-zero attributes as Name=value pairs in field
// order, fields of embedded structs inline, a nested op as Type{...}.
func Attrs(op Op) string {
	v := reflect.ValueOf(op)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Sprint(v.Interface())
	}
	var parts []string
	appendFields(&parts, v)
	return strings.Join(parts, " ")
}

func appendFields(parts *[]string, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fv := v.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && fv.Kind() == reflect.Struct {
			appendFields(parts, fv)
			continue
		}
		if fv.IsZero() {
			continue
		}
		*parts = append(*parts, f.Name+"="+attrValue(fv))
	}
}

func attrValue(v reflect.Value) string {
	if op, ok := v.Interface().(Op); ok {
		return op.OpType() + "{" + Attrs(op) + "}"
	}
	switch x := v.Interface().(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case fmt.Stringer:
		return x.String()
	}
	if v.Kind() == reflect.Slice {
		items := make([]string, v.Len())
		for i := range items {
			items[i] = attrValue(v.Index(i))
		}
		return "[" + strings.Join(items, " ") + "]"
	}
	return fmt.Sprint(v.Interface())
}

// name quotes a value name when it holds anything but plain identifier
// characters, so that hostile names cannot break a dump's line structure.
func name(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r == '/' || r == ':' || r == '-' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return strconv.Quote(s)
		}
	}
	return s
}
