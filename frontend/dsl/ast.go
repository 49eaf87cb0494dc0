package dsl

import (
	"strconv"
	"strings"
)

// File is a parsed model file: its statements in source order. It holds
// syntax only; Build gives it meaning.
type File struct {
	Filename string
	Stmts    []Stmt
}

// Stmt is one top-level statement: *ImportStmt, *AssignStmt or *ExprStmt.
type Stmt interface {
	// Start is where the statement begins.
	Start() Pos
	stmtNode()
}

// ImportStmt is `import a.b [as c], ...` or `from a.b import c, (d, e)`.
// Build ignores it: Keras' imports say nothing a model needs.
type ImportStmt struct {
	At    Pos
	From  string   // module of a from-import, "" for a plain import
	Names []string // imported modules or names
}

// AssignStmt is `target = value`, as in `model = Sequential()`.
type AssignStmt struct {
	Target *Ident
	Value  Expr
}

// ExprStmt is an expression used as a statement: `model.add(...)`, or a
// bare layer call in the terse form.
type ExprStmt struct {
	X Expr
}

// Start returns the position of the import keyword.
func (s *ImportStmt) Start() Pos { return s.At }

// Start returns the position of the assigned name.
func (s *AssignStmt) Start() Pos { return s.Target.At }

// Start returns the position of the expression.
func (s *ExprStmt) Start() Pos { return s.X.Start() }

func (*ImportStmt) stmtNode() {}
func (*AssignStmt) stmtNode() {}
func (*ExprStmt) stmtNode()   {}

// Expr is an expression: *Ident, *Selector, *Call, *BasicLit, *Tuple,
// *List, *Dict, *Unary, *Index or *Slice.
type Expr interface {
	// Start is where the expression begins.
	Start() Pos
	exprNode()
}

// Ident is a name. None, True and False are Idents too; Build gives them
// their meaning.
type Ident struct {
	At   Pos
	Name string
}

// Selector is X.Sel, as in model.add or keras.layers.Conv2D.
type Selector struct {
	X      Expr
	Sel    string
	SelPos Pos
}

// Call is Fun(Args...).
type Call struct {
	Fun    Expr
	Lparen Pos
	Args   []*Arg
	Rparen Pos
}

// Arg is one argument of a call: positional when Name is "", keyword
// otherwise.
type Arg struct {
	Name    string
	NamePos Pos
	Value   Expr
}

// LitKind says what a BasicLit holds.
type LitKind uint8

// The literal kinds.
const (
	IntLit LitKind = iota
	FloatLit
	StringLit
)

// BasicLit is a number or string literal. Adjacent string literals are
// joined into one, as in Python.
type BasicLit struct {
	At    Pos
	Kind  LitKind
	Raw   string // source text
	Int   int64
	Float float64
	Str   string
}

// Tuple is (a, b, ...), including the one-element (a,) and the empty ().
type Tuple struct {
	Lparen Pos
	Elems  []Expr
}

// List is [a, b, ...].
type List struct {
	Lbrack Pos
	Elems  []Expr
}

// Dict is {k: v, ...}; only compile() arguments use it.
type Dict struct {
	Lbrace Pos
	Keys   []Expr
	Values []Expr
}

// Unary is -X or +X.
type Unary struct {
	At Pos
	Op string
	X  Expr
}

// Index is X[Index], as in X_train.shape[1:]; Build rejects it with a
// message but the parser takes it so that the message can be precise.
type Index struct {
	X      Expr
	Lbrack Pos
	Index  Expr
}

// Slice is lo:hi[:step] inside an Index; any part may be nil.
type Slice struct {
	At           Pos
	Lo, Hi, Step Expr
}

// Start returns the position of the name.
func (e *Ident) Start() Pos { return e.At }

// Start returns the position of the selected-from expression.
func (e *Selector) Start() Pos { return e.X.Start() }

// Start returns the position of the called expression.
func (e *Call) Start() Pos { return e.Fun.Start() }

// Start returns the position of the literal.
func (e *BasicLit) Start() Pos { return e.At }

// Start returns the position of the opening parenthesis.
func (e *Tuple) Start() Pos { return e.Lparen }

// Start returns the position of the opening bracket.
func (e *List) Start() Pos { return e.Lbrack }

// Start returns the position of the opening brace.
func (e *Dict) Start() Pos { return e.Lbrace }

// Start returns the position of the operator.
func (e *Unary) Start() Pos { return e.At }

// Start returns the position of the indexed expression.
func (e *Index) Start() Pos { return e.X.Start() }

// Start returns the position of the slice.
func (e *Slice) Start() Pos { return e.At }

func (*Ident) exprNode()    {}
func (*Selector) exprNode() {}
func (*Call) exprNode()     {}
func (*BasicLit) exprNode() {}
func (*Tuple) exprNode()    {}
func (*List) exprNode()     {}
func (*Dict) exprNode()     {}
func (*Unary) exprNode()    {}
func (*Index) exprNode()    {}
func (*Slice) exprNode()    {}

// ExprString prints an expression back in Python syntax, normalized
// (single spaces, canonical string quotes), for messages and tests.
func ExprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, 0)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr, depth int) {
	if depth > maxDepth+1 {
		b.WriteString("...")
		return
	}
	list := func(open, close string, elems []Expr, single bool) {
		b.WriteString(open)
		for i, x := range elems {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, x, depth+1)
		}
		if single && len(elems) == 1 {
			b.WriteByte(',')
		}
		b.WriteString(close)
	}
	// operand prints the operand of a postfix operator, in parentheses
	// where it would otherwise bind differently: (+0).A, not +0.A.
	operand := func(x Expr) {
		switch x.(type) {
		case *Unary, *BasicLit:
			b.WriteByte('(')
			writeExpr(b, x, depth+1)
			b.WriteByte(')')
		default:
			writeExpr(b, x, depth+1)
		}
	}
	switch e := e.(type) {
	case nil:
	case *Ident:
		b.WriteString(e.Name)
	case *Selector:
		operand(e.X)
		b.WriteByte('.')
		b.WriteString(e.Sel)
	case *Call:
		operand(e.Fun)
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			if a.Name != "" {
				b.WriteString(a.Name)
				b.WriteByte('=')
			}
			writeExpr(b, a.Value, depth+1)
		}
		b.WriteByte(')')
	case *BasicLit:
		switch e.Kind {
		case StringLit:
			b.WriteString(pyQuote(e.Str))
		default:
			b.WriteString(e.Raw)
		}
	case *Tuple:
		list("(", ")", e.Elems, true)
	case *List:
		list("[", "]", e.Elems, false)
	case *Dict:
		b.WriteByte('{')
		for i := range e.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, e.Keys[i], depth+1)
			b.WriteString(": ")
			writeExpr(b, e.Values[i], depth+1)
		}
		b.WriteByte('}')
	case *Unary:
		b.WriteString(e.Op)
		writeExpr(b, e.X, depth+1)
	case *Index:
		operand(e.X)
		b.WriteByte('[')
		writeExpr(b, e.Index, depth+1)
		b.WriteByte(']')
	case *Slice:
		writeExpr(b, e.Lo, depth+1)
		b.WriteByte(':')
		writeExpr(b, e.Hi, depth+1)
		if e.Step != nil {
			b.WriteByte(':')
			writeExpr(b, e.Step, depth+1)
		}
	}
}

// pyQuote quotes s the way Python's repr does for plain text: single quotes
// unless s holds one and no double quote.
func pyQuote(s string) string {
	q := strconv.Quote(s) // Go escapes are a superset of what we print
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		return q
	}
	inner := q[1 : len(q)-1]
	inner = strings.ReplaceAll(inner, `\"`, `"`)
	inner = strings.ReplaceAll(inner, `'`, `\'`)
	return "'" + inner + "'"
}
