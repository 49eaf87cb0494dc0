package onnx

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ErrUnsupported is wrapped by every error that says the model uses
// something cnnc does not support (an operator, an opset, an element type,
// an attribute value such as BatchNormalization's training mode), as
// opposed to a malformed model. Test it with errors.Is.
var ErrUnsupported = errors.New("not supported")

// unsupportedf returns an error wrapping ErrUnsupported.
func unsupportedf(format string, args ...any) error {
	return &unsupportedErr{msg: fmt.Sprintf(format, args...)}
}

type unsupportedErr struct{ msg string }

func (e *unsupportedErr) Error() string { return e.msg }
func (e *unsupportedErr) Is(target error) bool {
	return target == ErrUnsupported
}

// UnsupportedOp is one operator a model uses that cnnc cannot import, with
// the nodes using it.
type UnsupportedOp struct {
	OpType string
	Domain string // "ai.onnx" for the default domain
	Opset  int64  // the version of Domain the model imports; 0 if none
	Nodes  []string
	// Reason says why, when the op is known but not at this opset or
	// domain: "supported at opsets 7 to 25". For an op type cnnc does not
	// know it is the guess at what was meant, if there is one: "did you
	// mean Sigmoid?".
	Reason string
	// DidYouMean lists the supported op types an unknown op type is
	// probably a misspelling or another framework's name of (Sigmoidd,
	// Conv2d, Relu6, Dense); empty for a real ONNX operator cnnc lacks and
	// for a name close to none.
	DidYouMean []string
}

// UnsupportedOpsError lists every unsupported operator of a model. Import
// checks all nodes before importing any, so one error names them all. It
// matches ErrUnsupported under errors.Is.
type UnsupportedOpsError struct {
	Ops []UnsupportedOp
}

// Error lists the operators, their domains and opsets, and the nodes.
func (e *UnsupportedOpsError) Error() string {
	var b strings.Builder
	if len(e.Ops) == 1 {
		b.WriteString("model uses an unsupported operator: ")
	} else {
		fmt.Fprintf(&b, "model uses %d unsupported operators: ", len(e.Ops))
	}
	for i, op := range e.Ops {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%s, opset %d)", op.OpType, op.Domain, op.Opset)
		if op.Reason != "" {
			fmt.Fprintf(&b, " [%s]", op.Reason)
		}
		b.WriteString(" in ")
		if len(op.Nodes) == 1 {
			b.WriteString("node ")
		} else {
			b.WriteString("nodes ")
		}
		const maxNames = 5
		for j, n := range op.Nodes {
			if j == maxNames {
				fmt.Fprintf(&b, " and %d more", len(op.Nodes)-maxNames)
				break
			}
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(n))
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedOpsError) Is(target error) bool { return target == ErrUnsupported }

// sortOps orders the list by op type, domain and opset for a stable message.
func sortOps(ops []UnsupportedOp) {
	sort.Slice(ops, func(i, j int) bool {
		a, b := ops[i], ops[j]
		if a.OpType != b.OpType {
			return a.OpType < b.OpType
		}
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		return a.Opset < b.Opset
	})
}

// RunTimeInputError says that a node needs one of its inputs at compile
// time (a Reshape's shape, a Pad's pads, a Clip's bounds) but the input is
// computed at run time. GraphInputs lists the graph inputs it is computed
// from, so that a caller that knows their values (a test harness) can bind
// them with Options.Constants and import again.
type RunTimeInputError struct {
	// What names the input: "shape", "pads", "min", ...
	What string
	// Input is the value's name.
	Input string
	// GraphInputs are the run-time graph inputs the value depends on.
	GraphInputs []string
	// Batch is set when the value depends on the symbolic batch size.
	Batch bool
	// Symbolic spells the value in terms of the batch size N when the
	// importer could follow it, as in "[3*N 4]".
	Symbolic string
}

// Error says which input is needed at compile time and what it depends on.
func (e *RunTimeInputError) Error() string {
	msg := fmt.Sprintf("%s computed at run time is not supported (input %q", e.What, e.Input)
	if len(e.GraphInputs) > 0 {
		q := make([]string, len(e.GraphInputs))
		for i, s := range e.GraphInputs {
			q[i] = strconv.Quote(s)
		}
		msg += " depends on graph input " + strings.Join(q, ", ")
	}
	if e.Symbolic != "" {
		msg += " is " + e.Symbolic
	}
	if e.Batch {
		msg += "; it depends on the symbolic batch size, which --dim NAME=VALUE can fix"
	}
	return msg + ")"
}

// NodeError is an import failure at one node; it names the node, its op
// type and the opset it was imported at, and wraps the cause.
type NodeError struct {
	Node   string
	OpType string
	Opset  int64
	Err    error
}

// Error prefixes the cause with `node "name" (OpType, opset N)`.
func (e *NodeError) Error() string {
	return fmt.Sprintf("node %q (%s, opset %d): %v", e.Node, e.OpType, e.Opset, e.Err)
}

// Unwrap returns the cause.
func (e *NodeError) Unwrap() error { return e.Err }
