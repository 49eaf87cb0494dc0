package ir

import "reflect"

// Clone returns a copy of g that shares nothing mutable with it: new
// values, nodes and op structs (slices included). Constant tensors are
// shared, since passes replace constants rather than change them in place.
// The memory plan, which refers to g's values, is not copied.
func (g *Graph) Clone() *Graph {
	c := &Graph{Name: g.Name, BatchName: g.BatchName}
	vals := make(map[*Value]*Value)
	val := func(v *Value) *Value {
		if v == nil {
			return nil
		}
		if nv, ok := vals[v]; ok {
			return nv
		}
		nv := &Value{Name: v.Name, Type: Type{DType: v.DType, Shape: v.Shape.Clone(), Layout: v.Layout}, Const: v.Const}
		vals[v] = nv
		return nv
	}
	for _, v := range g.Inputs {
		c.Inputs = append(c.Inputs, val(v))
	}
	for _, n := range g.Nodes {
		nn := &Node{Name: n.Name, Op: CloneOp(n.Op), Layer: n.Layer, LayerType: n.LayerType}
		for _, in := range n.Inputs {
			nn.Inputs = append(nn.Inputs, val(in))
		}
		for _, o := range n.Outputs {
			no := val(o)
			no.Producer = nn
			nn.Outputs = append(nn.Outputs, no)
		}
		c.Nodes = append(c.Nodes, nn)
	}
	for _, v := range g.Outputs {
		c.Outputs = append(c.Outputs, val(v))
	}
	return c
}

// CloneOp deep-copies an op struct: slices and nested ops (a fused
// activation) are copied, so that changing the copy leaves op unchanged.
func CloneOp(op Op) Op {
	if op == nil {
		return nil
	}
	return deepCopy(reflect.ValueOf(op)).Interface().(Op)
}

func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Elem().Type())
		n.Elem().Set(deepCopy(v.Elem()))
		return n
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(deepCopy(v.Elem()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		for i := 0; i < v.NumField(); i++ {
			if n.Field(i).CanSet() {
				n.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	}
	return v
}
