package eval

import (
	"fmt"
	"reflect"

	"github.com/cnnc/cnnc/ir"
)

// The evaluator finds an op's kernel in a table keyed by the op's Go type.
// Each op's kernel registers itself from the init function of the file
// that holds it (conv.go registers Conv and ConvTranspose, ...), so adding
// an op adds a file here and edits no list. The table is written only
// while the package initializes and read-only afterwards.
var kernels = map[reflect.Type]func(ir.Op) kernel{}

// register adds the kernel of op type O, a function of the op, its inputs
// and the concrete type of its single output.
func register[O ir.Op](f func(op O, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error)) {
	add(reflect.TypeFor[O](), func(op ir.Op) kernel { return bind(f, op.(O)) })
}

// registerAs adds a kernel written for a family of op types (evalUnary
// serves Relu, Exp, ...) under op type O.
func registerAs[O ir.Op](f func(op ir.Op, in []*ir.Tensor, out ir.Type) (*ir.Tensor, error)) {
	add(reflect.TypeFor[O](), func(op ir.Op) kernel { return bind(f, op) })
}

// registerMulti adds the kernel of an op type with several outputs.
func registerMulti[O ir.Op](f func(op O, in []*ir.Tensor, out []ir.Type) ([]*ir.Tensor, error)) {
	add(reflect.TypeFor[O](), func(op ir.Op) kernel {
		o := op.(O)
		return func(in []*ir.Tensor, out []ir.Type) ([]*ir.Tensor, error) { return f(o, in, out) }
	})
}

func add(t reflect.Type, k func(ir.Op) kernel) {
	if _, dup := kernels[t]; dup {
		panic("eval: two kernels registered for " + t.String()) // a programming error, found by any test
	}
	kernels[t] = k
}

// kernelFor maps an op to its kernel, or reports that eval does not know
// the op type.
func kernelFor(op ir.Op) (kernel, error) {
	if k, ok := kernels[reflect.TypeOf(op)]; ok {
		return k(op), nil
	}
	return nil, fmt.Errorf("eval does not support op type %q (%T)", op.OpType(), op)
}

// Supports reports whether the evaluator has a kernel for op's type.
func Supports(op ir.Op) bool {
	_, ok := kernels[reflect.TypeOf(op)]
	return ok
}

// SupportedTypes lists the Go types of the ops the evaluator has kernels
// for, for completeness tests.
func SupportedTypes() []reflect.Type {
	ts := make([]reflect.Type, 0, len(kernels))
	for t := range kernels {
		ts = append(ts, t)
	}
	return ts
}
