package dsl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Parse reads the syntax of a model file: Python statements made of calls,
// names, literals, tuples, lists and dicts (see GRAMMAR.md). It checks
// syntax only; which calls and arguments mean something is Build's job.
//
// On a syntax error Parse returns an ErrorList holding every error it could
// find (up to ten), each as file:line:col: message, together with the
// statements it did parse.
func Parse(filename string, src []byte) (*File, error) {
	f := &File{Filename: filename}
	errs := &errorSink{}
	if len(src) > MaxSourceSize {
		errs.addf(Pos{Filename: filename}, "file is larger than %d bytes (1 MiB), far more than a model definition needs", MaxSourceSize)
		return f, errs.err()
	}
	text := string(src)
	if !utf8.ValidString(text) {
		errs.add(&Error{Pos: badUTF8Pos(filename, text), Msg: "file is not valid UTF-8; save it as UTF-8"})
		return f, errs.err()
	}
	p := &parser{filename: filename, toks: lex(filename, text, errs), errs: errs}
	for !p.errs.full {
		t := p.cur()
		if t.kind == tEOF {
			break
		}
		if t.kind == tNewline || t.kind == tOp && t.text == ";" {
			p.i++
			continue
		}
		if s := p.stmt(); s != nil {
			f.Stmts = append(f.Stmts, s)
		}
	}
	// The lexer's errors were all found before the parser's; report them
	// in source order.
	slices.SortStableFunc(errs.list, func(a, b *Error) int {
		if a.Pos.Line != b.Pos.Line {
			return cmp.Compare(a.Pos.Line, b.Pos.Line)
		}
		return cmp.Compare(a.Pos.Col, b.Pos.Col)
	})
	return f, errs.err()
}

// badUTF8Pos finds the first invalid UTF-8 sequence in s.
func badUTF8Pos(filename, s string) Pos {
	p := Pos{Filename: filename, Line: 1, Col: 1}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return p
		}
		if r == '\n' {
			p.Line++
			p.Col = 1
		} else {
			p.Col++
		}
		i += n
	}
	return p
}

// parser is a recursive-descent parser over the token slice. Newlines end
// statements except inside brackets, where Python joins lines implicitly;
// open counts the brackets currently open.
type parser struct {
	filename string
	toks     []token
	i        int
	errs     *errorSink
	open     []token // the opening brackets currently open, innermost last
	depth    int     // recursion depth of parseExpr
}

// errSyntax marks a parse function's failure; the error itself is already
// in the sink.
type errSyntax struct{}

// cur returns the current token, skipping newlines inside brackets.
func (p *parser) cur() token {
	if len(p.open) > 0 {
		for p.toks[p.i].kind == tNewline {
			p.i++
		}
	}
	return p.toks[p.i]
}

func (p *parser) peek(k int) token {
	j := p.i
	for n := 0; ; j++ {
		if p.toks[j].kind == tEOF {
			return p.toks[j]
		}
		if len(p.open) > 0 && p.toks[j].kind == tNewline {
			continue
		}
		if n == k {
			return p.toks[j]
		}
		n++
	}
}

func (p *parser) advance() token {
	t := p.cur()
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isOp(op string) bool {
	t := p.cur()
	return t.kind == tOp && t.text == op
}

// fail records a syntax error at t and unwinds to the statement level.
func (p *parser) fail(t token, format string, args ...any) {
	p.errs.addf(t.pos, format, args...)
	panic(errSyntax{})
}

// expected reports that want was expected where t stands. Inside brackets,
// a token on a later line than the one before it usually means a closing
// bracket is missing, so the message says so.
func (p *parser) expected(want string) {
	t := p.cur()
	if t.kind == tIllegal {
		// The lexer has reported this token; one message is enough.
		panic(errSyntax{})
	}
	msg := fmt.Sprintf("expected %s, found %s", want, t.describe())
	if n := len(p.open); n > 0 && p.i > 0 {
		prev := p.toks[p.i-1]
		for k := p.i - 1; k > 0 && prev.kind == tNewline; k-- {
			prev = p.toks[k-1]
		}
		switch {
		case t.kind == tEOF || t.pos.Line > prev.pos.Line && t.pos.Col == 1:
			o := p.open[n-1]
			msg += fmt.Sprintf("; is a '%s' missing for the '%s' at %d:%d?", closer(o.text), o.text, o.pos.Line, o.pos.Col)
		case strings.HasPrefix(want, "','") && startsExpr(t) && prev.kind != tOp:
			msg += "; is a ',' missing?"
		}
	}
	p.fail(t, "%s", msg)
}

// startsExpr reports whether t can begin an expression.
func startsExpr(t token) bool {
	switch t.kind {
	case tName:
		return !pythonKeywords[t.text] || t.text == "None" || t.text == "True" || t.text == "False"
	case tInt, tFloat, tString:
		return true
	case tOp:
		return t.text == "(" || t.text == "[" || t.text == "{" || t.text == "-" || t.text == "+"
	}
	return false
}

func closer(open string) string {
	switch open {
	case "(":
		return ")"
	case "[":
		return "]"
	}
	return "}"
}

func (p *parser) expectOp(op, context string) token {
	if !p.isOp(op) {
		p.expected(fmt.Sprintf("'%s' %s", op, context))
	}
	return p.advance()
}

// openBracket consumes an opening bracket and starts implicit line joining.
func (p *parser) openBracket() token {
	t := p.advance()
	if len(p.open) >= maxDepth {
		p.fail(t, "brackets are nested more than %d deep", maxDepth)
	}
	p.open = append(p.open, t)
	return t
}

// closeBracket consumes the closing bracket matching the innermost open
// one.
func (p *parser) closeBracket(context string) token {
	o := p.open[len(p.open)-1]
	c := closer(o.text)
	if !p.isOp(c) {
		p.expected(fmt.Sprintf("',' or '%s' %s", c, context))
	}
	p.open = p.open[:len(p.open)-1]
	return p.advance()
}

// stmt parses one statement. On a syntax error it records it, skips to the
// start of the next statement and returns nil.
func (p *parser) stmt() (s Stmt) {
	start := p.i
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(errSyntax); !ok {
				panic(r)
			}
			p.sync(start)
			s = nil
		}
	}()
	t := p.cur()
	if t.kind == tName && pythonKeywords[t.text] {
		switch t.text {
		case "import", "from":
			s = p.importStmt()
		case "None", "True", "False":
			s = p.exprOrAssign()
		default:
			p.fail(t, "Python '%s' statements are not supported: a model file holds the model definition only (imports, model = Sequential(...), model.add(...) or layer calls, model.summary(), model.compile(...))", t.text)
		}
	} else {
		s = p.exprOrAssign()
	}
	switch t := p.cur(); {
	case t.kind == tNewline, t.kind == tEOF:
	case t.kind == tOp && t.text == ";":
	default:
		p.expected("end of statement")
	}
	return s
}

// sync skips from a failed statement that began at token start to the start
// of the next one: the first newline after which the brackets opened since
// start are closed again, or, when a bracket was left open, the first line
// that begins in column 1 (a new statement in any sensibly formatted file).
func (p *parser) sync(start int) {
	p.open = p.open[:0]
	depth := 0
	for j := start; j < len(p.toks); j++ {
		t := p.toks[j]
		switch {
		case t.kind == tEOF:
			p.i = j
			return
		case t.kind == tOp && strings.Contains("([{", t.text):
			depth++
		case t.kind == tOp && strings.Contains(")]}", t.text):
			depth--
		case t.kind == tNewline && j >= p.i:
			next := p.toks[j+1]
			if depth <= 0 || next.pos.Col == 1 || next.kind == tEOF {
				p.i = j + 1
				return
			}
		}
	}
	p.i = len(p.toks) - 1
}

func (p *parser) importStmt() Stmt {
	kw := p.advance()
	s := &ImportStmt{At: kw.pos}
	from := kw.text == "from"
	if from {
		var mod strings.Builder
		for p.isOp(".") || p.isOp("...") { // relative imports
			mod.WriteString(p.advance().text)
		}
		if p.cur().kind == tName && p.cur().text != "import" {
			mod.WriteString(p.dotted())
		}
		if mod.Len() == 0 {
			p.expected("a module name after 'from'")
		}
		s.From = mod.String()
		if p.cur().kind != tName || p.cur().text != "import" {
			p.expected("'import'")
		}
		p.advance()
		switch {
		case p.isOp("*"):
			p.advance()
			s.Names = []string{"*"}
		case p.isOp("("):
			p.openBracket()
			for { // at least one name, then an optional trailing comma
				s.Names = append(s.Names, p.importName(false))
				if !p.isOp(",") {
					break
				}
				p.advance()
				if p.isOp(")") {
					break
				}
			}
			p.closeBracket("to close the import list")
		default:
			for {
				s.Names = append(s.Names, p.importName(false))
				if !p.isOp(",") {
					break
				}
				p.advance()
			}
		}
	} else {
		for {
			s.Names = append(s.Names, p.importName(true))
			if !p.isOp(",") {
				break
			}
			p.advance()
		}
	}
	return s
}

// importName parses `name [as alias]`, dotted when dotted is set.
func (p *parser) importName(dotted bool) string {
	var n string
	if dotted {
		n = p.dotted()
	} else {
		n = p.name("a name to import")
	}
	if t := p.cur(); t.kind == tName && t.text == "as" {
		p.advance()
		p.name("a name after 'as'")
	}
	return n
}

func (p *parser) dotted() string {
	n := p.name("a module name")
	for p.isOp(".") {
		p.advance()
		n += "." + p.name("a name after '.'")
	}
	return n
}

func (p *parser) name(want string) string {
	t := p.cur()
	if t.kind != tName || pythonKeywords[t.text] {
		p.expected(want)
	}
	p.advance()
	return t.text
}

func (p *parser) exprOrAssign() Stmt {
	x := p.expr()
	t := p.cur()
	if t.kind != tOp {
		return &ExprStmt{X: x}
	}
	switch t.text {
	case "=":
		id, ok := x.(*Ident)
		if !ok || pythonKeywords[id.Name] {
			p.fail(t, "cannot assign to %s: only `model = Sequential(...)` assignments are supported", clip(ExprString(x)))
		}
		p.advance()
		return &AssignStmt{Target: id, Value: p.expr()}
	case "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=", ">>=", "<<=", ":=":
		p.fail(t, "'%s' is not supported: a model file holds the model definition only", t.text)
	case ",":
		if len(p.open) == 0 {
			p.fail(t, "unexpected ',': tuple unpacking and bare tuples are not supported; put tuples in parentheses")
		}
	}
	return &ExprStmt{X: x}
}

// expr parses an expression: a unary sign applied to a postfix expression.
// Arithmetic is not part of the language; a binary operator stops the
// expression and the caller reports what it expected instead.
func (p *parser) expr() Expr {
	p.depth++
	defer func() { p.depth-- }()
	t := p.cur()
	if p.depth > maxDepth {
		p.fail(t, "expression is nested more than %d deep", maxDepth)
	}
	if t.kind == tOp && (t.text == "-" || t.text == "+") {
		p.advance()
		return &Unary{At: t.pos, Op: t.text, X: p.expr()}
	}
	x := p.primary()
	_, lit := x.(*BasicLit)
	for {
		switch {
		case lit && (p.isOp(".") || p.isOp("(") || p.isOp("[")):
			// 32 (3, 3) is a call of 32 to Python, and a missing comma
			// to anyone writing a model: leave the '(' to the caller,
			// whose message says so.
			return x
		case p.isOp("."):
			p.advance()
			sp := p.cur().pos
			x = &Selector{X: x, Sel: p.name("a name after '.'"), SelPos: sp}
		case p.isOp("("):
			x = p.call(x)
		case p.isOp("["):
			lb := p.openBracket()
			idx := p.subscript()
			p.closeBracket("to close the subscript")
			x = &Index{X: x, Lbrack: lb.pos, Index: idx}
		default:
			if t := p.cur(); t.kind == tOp && isBinaryOp(t.text) {
				p.fail(t, "operator '%s' is not supported: write the value as a literal", t.text)
			}
			return x
		}
	}
}

func isBinaryOp(op string) bool {
	switch op {
	case "+", "-", "*", "/", "//", "%", "**", "@", "<", ">", "<=", ">=", "==", "!=", "&", "|", "^", "<<", ">>":
		return true
	}
	return false
}

func (p *parser) primary() Expr {
	t := p.cur()
	switch t.kind {
	case tName:
		if pythonKeywords[t.text] && t.text != "None" && t.text != "True" && t.text != "False" {
			p.expected("an expression")
		}
		p.advance()
		return &Ident{At: t.pos, Name: t.text}
	case tInt:
		p.advance()
		return &BasicLit{At: t.pos, Kind: IntLit, Raw: t.text, Int: t.ival}
	case tFloat:
		p.advance()
		return &BasicLit{At: t.pos, Kind: FloatLit, Raw: t.text, Float: t.fval}
	case tString:
		p.advance()
		lit := &BasicLit{At: t.pos, Kind: StringLit, Raw: t.text, Str: t.str}
		// Adjacent literals concatenate, as in Python; inside brackets
		// they may sit on separate lines.
		for p.cur().kind == tString {
			n := p.advance()
			lit.Raw += " " + n.text
			lit.Str += n.str
			if len(lit.Str) > MaxSourceSize {
				p.fail(n, "string literal is too long")
			}
		}
		return lit
	case tOp:
		switch t.text {
		case "(":
			return p.tupleOrParen()
		case "[":
			lb := p.openBracket()
			elems := p.elems("]", "to close the list")
			return &List{Lbrack: lb.pos, Elems: elems}
		case "{":
			return p.dict()
		}
	}
	p.expected("an expression")
	return nil
}

// elems parses comma-separated expressions up to the closing bracket of the
// innermost open bracket, allowing a trailing comma.
func (p *parser) elems(close, context string) []Expr {
	var elems []Expr
	for !p.isOp(close) {
		elems = append(elems, p.expr())
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	p.closeBracket(context)
	return elems
}

// tupleOrParen parses (), (x), (x,) and (x, y, ...): parentheses around a
// single expression without a comma only group it, as in Python.
func (p *parser) tupleOrParen() Expr {
	lp := p.openBracket()
	if p.isOp(")") {
		p.closeBracket("")
		return &Tuple{Lparen: lp.pos}
	}
	x := p.expr()
	if !p.isOp(",") {
		p.closeBracket("to close the parenthesis")
		return x
	}
	p.advance()
	elems := append([]Expr{x}, p.elems(")", "to close the tuple")...)
	return &Tuple{Lparen: lp.pos, Elems: elems}
}

func (p *parser) dict() Expr {
	lb := p.openBracket()
	d := &Dict{Lbrace: lb.pos}
	for !p.isOp("}") {
		d.Keys = append(d.Keys, p.expr())
		p.expectOp(":", "after a dict key")
		d.Values = append(d.Values, p.expr())
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	p.closeBracket("to close the dict")
	return d
}

// subscript parses the inside of x[...]: an expression or a slice.
func (p *parser) subscript() Expr {
	at := p.cur().pos
	var lo Expr
	if !p.isOp(":") {
		lo = p.expr()
		if !p.isOp(":") {
			return lo
		}
	}
	s := &Slice{At: at, Lo: lo}
	p.advance()
	if !p.isOp(":") && !p.isOp("]") {
		s.Hi = p.expr()
	}
	if p.isOp(":") {
		p.advance()
		if !p.isOp("]") {
			s.Step = p.expr()
		}
	}
	return s
}

// call parses the argument list of fun(...). Python's rules hold: keyword
// arguments follow positional ones and are not repeated.
func (p *parser) call(fun Expr) Expr {
	lp := p.openBracket()
	c := &Call{Fun: fun, Lparen: lp.pos}
	seen := map[string]bool{}
	for !p.isOp(")") {
		t := p.cur()
		if t.kind == tOp && (t.text == "*" || t.text == "**") {
			p.fail(t, "'%s' argument unpacking is not supported", t.text)
		}
		a := &Arg{}
		if t.kind == tName && !pythonKeywords[t.text] {
			if n := p.peek(1); n.kind == tOp && n.text == "=" {
				p.advance()
				p.advance()
				a.Name, a.NamePos = t.text, t.pos
				if seen[t.text] {
					p.fail(t, "keyword argument %s is repeated", t.text)
				}
				seen[t.text] = true
			}
		}
		if a.Name == "" && len(seen) > 0 {
			p.fail(t, "positional argument follows keyword argument")
		}
		a.Value = p.expr()
		c.Args = append(c.Args, a)
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	c.Rparen = p.closeBracket(fmt.Sprintf("to close the call of %s", clip(ExprString(fun)))).pos
	return c
}
