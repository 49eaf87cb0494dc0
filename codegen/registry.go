package codegen

import (
	"reflect"
	"sort"

	"github.com/cnnc/cnnc/ir"
)

// The generator finds an op's emitter in a table keyed by the op's Go
// type. Each emitter registers itself from the init function of the file
// that holds it (conv.go registers Conv and ConvTranspose), and an op the
// Go engine does not compile registers the reason instead, so adding an op
// adds a file here and edits no list. The tables are written only while
// the package initializes.
var (
	emitters    = map[reflect.Type]func(*gen, *ir.Node) error{}
	notCompiled = map[reflect.Type]string{}
	// wholeBatch says, for the op types whose emitters can, whether a node
	// is emitted once for all n items of a batched model's forward pass
	// (the batch folded into a GEMM's rows); the others are emitted for
	// one item, in a loop over the items.
	wholeBatch = map[reflect.Type]func(*ir.Node) bool{}
)

// emit registers the emitter of op type O.
func emit[O ir.Op](f func(gen *gen, n *ir.Node, op O) error) {
	t := reflect.TypeFor[O]()
	checkNew(t)
	emitters[t] = func(gen *gen, n *ir.Node) error { return f(gen, n, n.Op.(O)) }
}

// emitWhole registers the emitter of op type O, which emits nodes for
// which whole reports true once for the whole batch: gen.buf then gives
// all n items of a value, and sizes scale with the variable n.
func emitWhole[O ir.Op](f func(gen *gen, n *ir.Node, op O) error, whole func(n *ir.Node, op O) bool) {
	emit(f)
	wholeBatch[reflect.TypeFor[O]()] = func(n *ir.Node) bool { return whole(n, n.Op.(O)) }
}

// noEmitter records why the Go engine does not compile op type O; the
// reference engine still runs it, and docs/go-engine.md lists the reason.
func noEmitter[O ir.Op](reason string) {
	t := reflect.TypeFor[O]()
	checkNew(t)
	notCompiled[t] = reason
}

func checkNew(t reflect.Type) {
	_, e := emitters[t]
	_, r := notCompiled[t]
	if e || r {
		panic("codegen: op type " + t.String() + " registered twice") // a programming error, found by any test
	}
}

// OpSupport says what the code generator does with one op type.
type OpSupport struct {
	Type reflect.Type
	// Compiled is set when the op has an emitter; otherwise Reason says
	// why the Go engine does not compile it.
	Compiled bool
	Reason   string
}

// Ops lists every op type the code generator knows, compiled or with the
// reason it is not, sorted by type name.
func Ops() []OpSupport {
	var ops []OpSupport
	for t := range emitters {
		ops = append(ops, OpSupport{Type: t, Compiled: true})
	}
	for t, r := range notCompiled {
		ops = append(ops, OpSupport{Type: t, Reason: r})
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Type.String() < ops[j].Type.String() })
	return ops
}
