package dsl

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Resource limits. A model file is a few hundred bytes; these bounds are far
// above any real model and keep a hostile or fuzzed input from costing more
// than a few milliseconds.
const (
	// MaxSourceSize is the largest model file Parse accepts, in bytes.
	MaxSourceSize = 1 << 20
	// maxTokens bounds the tokens of one file.
	maxTokens = 200_000
	// maxDepth bounds the nesting of brackets and unary operators, which
	// is also the parser's recursion depth.
	maxDepth = 64
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tNewline
	tName
	tInt
	tFloat
	tString
	tOp
	// tIllegal stands where the lexer found an error (already reported),
	// so that the parser fails the statement without a second message.
	tIllegal
)

// token is one lexical token. text is the source text (for an operator, the
// operator itself); the literal kinds also carry their decoded value.
type token struct {
	kind tokKind
	text string
	pos  Pos
	str  string  // decoded string literal
	ival int64   // integer literal
	fval float64 // float literal
}

// describe names a token for "expected X, found Y" messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tNewline:
		return "end of line"
	case tName:
		if pythonKeywords[t.text] {
			return "keyword " + t.text
		}
		return "name " + t.text
	case tInt, tFloat:
		return "number " + clip(t.text)
	case tString:
		return "string " + clip(t.text)
	}
	return "'" + t.text + "'"
}

// clip shortens a token's text for messages.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	r := []rune(s)
	return string(r[:37]) + "..."
}

// pythonKeywords are Python's reserved words; a statement starting with one
// other than import/from is Python the DSL does not take.
var pythonKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true,
	"async": true, "await": true, "break": true, "class": true, "continue": true,
	"def": true, "del": true, "elif": true, "else": true, "except": true, "finally": true,
	"for": true, "from": true, "global": true, "if": true, "import": true, "in": true,
	"is": true, "lambda": true, "nonlocal": true, "not": true, "or": true, "pass": true,
	"raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
}

// fullWidth maps the full-width punctuation a Japanese input method
// produces to what Python expects, for a hint.
var fullWidth = map[rune]string{
	'（': "(", '）': ")", '，': ",", '、': ",", '＝': "=", '．': ".",
	'\u3000': "a space", '［': "[", '］': "]", '：': ":", '＃': "#",
	'‘': "'", '’': "'", '“': "\"", '”': "\"",
}

// lexer turns source text into tokens. It never stops at an error: it
// records it, skips the offending character and goes on, so that the parser
// can report several problems at once.
type lexer struct {
	src      string
	filename string
	off      int // byte offset of the next character
	line     int
	col      int // column of the next character, in runes
	errs     *errorSink
	toks     []token
}

// lex tokenizes src. The result always ends with a tEOF token, and every
// statement-ending line with a tNewline (blank lines and comment lines make
// none).
func lex(filename, src string, errs *errorSink) []token {
	lx := &lexer{src: src, filename: filename, line: 1, col: 1, errs: errs}
	lx.run()
	return lx.toks
}

func (lx *lexer) pos() Pos { return Pos{Filename: lx.filename, Line: lx.line, Col: lx.col} }

// peekRune returns the rune at byte offset off (relative to lx.off).
func (lx *lexer) peekAt(k int) rune {
	if lx.off+k >= len(lx.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(lx.src[lx.off+k:])
	return r
}

func (lx *lexer) peek() rune { return lx.peekAt(0) }

// advance consumes one rune, keeping line and column right.
func (lx *lexer) advance() rune {
	if lx.off >= len(lx.src) {
		return -1
	}
	r, n := utf8.DecodeRuneInString(lx.src[lx.off:])
	lx.off += n
	switch {
	case r == '\n':
		lx.line++
		lx.col = 1
	case r == '\r':
		// \r\n is one line break; a lone \r is one too.
		if lx.off < len(lx.src) && lx.src[lx.off] == '\n' {
			lx.off++
		}
		lx.line++
		lx.col = 1
		r = '\n'
	default:
		lx.col++
	}
	return r
}

func (lx *lexer) emit(t token) bool {
	if len(lx.toks) >= maxTokens {
		lx.errs.addf(t.pos, "file has more than %d tokens; a model definition is far smaller", maxTokens)
		return false
	}
	lx.toks = append(lx.toks, t)
	return true
}

func (lx *lexer) newline(p Pos) bool {
	if n := len(lx.toks); n == 0 || lx.toks[n-1].kind == tNewline {
		return true // blank line, or a comment-only line
	}
	return lx.emit(token{kind: tNewline, text: "\n", pos: p})
}

func (lx *lexer) run() {
	if strings.HasPrefix(lx.src, "\uFEFF") {
		lx.off = len("\uFEFF") // a byte-order mark, as Windows editors write
	}
	for !lx.errs.full {
		p := lx.pos()
		start := lx.off
		r := lx.peek()
		switch {
		case r < 0:
			lx.newline(p)
			lx.toks = append(lx.toks, token{kind: tEOF, pos: p})
			return
		case r == '\n' || r == '\r':
			lx.advance()
			if !lx.newline(p) {
				lx.toks = append(lx.toks, token{kind: tEOF, pos: p})
				return
			}
			continue
		case r == ' ' || r == '\t' || r == '\f' || r == '\v':
			lx.advance()
			continue
		case r == '#':
			for c := lx.peek(); c >= 0 && c != '\n' && c != '\r'; c = lx.peek() {
				lx.advance()
			}
			continue
		case r == '\\':
			lx.advance()
			if c := lx.peek(); c == '\n' || c == '\r' {
				lx.advance() // explicit line joining
				continue
			}
			lx.errs.addf(p, "unexpected '\\' outside a string; a backslash may only end a line to continue it")
			if !lx.emit(token{kind: tIllegal, text: "\\", pos: p}) {
				lx.toks = append(lx.toks, token{kind: tEOF, pos: p})
				return
			}
			continue
		}
		var t token
		ok := true
		switch {
		case r == '_' || isLetter(r):
			t, ok = lx.name(p)
		case isDigit(r) || (r == '.' && isDigit(lx.peekAt(1))):
			t, ok = lx.number(p)
		case r == '\'' || r == '"':
			t, ok = lx.stringLit(p, false, "")
		default:
			t, ok = lx.operator(p)
		}
		if !ok {
			t = token{kind: tIllegal, text: lx.src[start:lx.off], pos: p}
		}
		if !lx.emit(t) {
			lx.toks = append(lx.toks, token{kind: tEOF, pos: p})
			return
		}
	}
	// Too many errors: end the stream so the parser stops too.
	lx.toks = append(lx.toks, token{kind: tEOF, pos: lx.pos()})
}

func isLetter(r rune) bool {
	return r >= 0 && (r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') || r >= utf8.RuneSelf && unicode.IsLetter(r))
}
func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func isNameRune(r rune) bool {
	return r == '_' || isLetter(r) || isDigit(r) || r >= utf8.RuneSelf && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r))
}

func (lx *lexer) name(p Pos) (token, bool) {
	start := lx.off
	for isNameRune(lx.peek()) {
		lx.advance()
	}
	text := lx.src[start:lx.off]
	// String prefixes: r'...' and u'...' are plain strings to us; b'...'
	// and f'...' mean bytes and formatting, which a model never needs.
	if q := lx.peek(); q == '\'' || q == '"' {
		switch strings.ToLower(text) {
		case "r", "u":
			return lx.stringLit(p, strings.EqualFold(text, "r"), text)
		case "b", "f", "rb", "br", "fr", "rf":
			lx.stringLit(p, true, text) // consume it to resynchronize
			lx.errs.addf(p, "%s'...' strings are not supported; use a plain '...' string", text)
			return token{}, false
		}
	}
	if len(text) > 256 {
		lx.errs.addf(p, "name %s is longer than 256 characters", clip(text))
		return token{}, false
	}
	return token{kind: tName, text: text, pos: p}, true
}

func (lx *lexer) number(p Pos) (token, bool) {
	start := lx.off
	isFloat := false
	digits := func(ok func(rune) bool) {
		for c := lx.peek(); ok(c) || c == '_'; c = lx.peek() {
			lx.advance()
		}
	}
	base := 10
	if lx.peek() == '0' {
		switch lx.peekAt(1) {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
	}
	if base != 10 {
		lx.advance()
		lx.advance()
		digits(func(c rune) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' })
	} else {
		digits(isDigit)
		if lx.peek() == '.' {
			isFloat = true
			lx.advance()
			digits(isDigit)
		}
		if c := lx.peek(); c == 'e' || c == 'E' {
			n := 1
			if s := lx.peekAt(1); s == '+' || s == '-' {
				n = 2
			}
			if isDigit(lx.peekAt(n)) {
				isFloat = true
				for ; n > 0; n-- {
					lx.advance()
				}
				digits(isDigit)
			}
		}
	}
	// Anything name-like glued to the number (3j, 1abc, 0x1g) makes it
	// malformed; take it along so the error covers the whole token.
	for isNameRune(lx.peek()) {
		lx.advance()
	}
	text := lx.src[start:lx.off]
	t := token{kind: tInt, text: text, pos: p}
	if err := checkUnderscores(text, base); err != "" {
		lx.errs.addf(p, "invalid number literal %s: %s", clip(text), err)
		return t, false
	}
	clean := strings.ReplaceAll(text, "_", "")
	if isFloat {
		f, err := strconv.ParseFloat(clean, 64)
		if err != nil || math.IsInf(f, 0) {
			lx.errs.addf(p, "invalid float literal %s", clip(text))
			return t, false
		}
		t.kind, t.fval = tFloat, f
		return t, true
	}
	if base == 10 && len(clean) > 1 && clean[0] == '0' && strings.Trim(clean, "0") != "" {
		lx.errs.addf(p, "invalid number literal %s: leading zeros are not allowed in decimal integers", clip(text))
		return t, false
	}
	digitsOnly := clean
	if base != 10 {
		digitsOnly = clean[2:]
	}
	v, err := strconv.ParseInt(digitsOnly, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			lx.errs.addf(p, "integer literal %s is too large", clip(text))
		} else {
			lx.errs.addf(p, "invalid number literal %s", clip(text))
		}
		return t, false
	}
	t.ival = v
	return t, true
}

// checkUnderscores enforces Python's rule that an underscore in a number
// sits between two digits (or right after a base prefix).
func checkUnderscores(text string, base int) string {
	body := text
	if base != 10 {
		body = text[2:]
		if body == "" {
			return "no digits after the base prefix"
		}
		if body[0] == '_' {
			body = body[1:]
		}
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '_' {
			continue
		}
		isD := func(c byte) bool {
			if base == 16 {
				return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
			}
			return '0' <= c && c <= '9'
		}
		if i == 0 || i == len(body)-1 || !isD(body[i-1]) || !isD(body[i+1]) {
			return "'_' must separate two digits"
		}
	}
	return ""
}

// stringLit scans a '...', "...", ”'...”' or """...""" literal starting
// at the quote. raw turns off escape processing (r'...').
func (lx *lexer) stringLit(p Pos, raw bool, prefix string) (token, bool) {
	start := lx.off - len(prefix)
	q := lx.advance()
	triple := false
	if lx.peek() == q && lx.peekAt(1) == q {
		lx.advance()
		lx.advance()
		triple = true
	}
	var b strings.Builder
	for {
		c := lx.peek()
		switch {
		case c < 0:
			lx.errs.addf(p, "string literal is not terminated")
			return token{}, false
		case (c == '\n' || c == '\r') && !triple:
			lx.errs.addf(p, "string literal is not terminated before the end of the line")
			return token{}, false
		case c == q:
			lx.advance()
			if !triple {
				return token{kind: tString, text: lx.src[start:lx.off], pos: p, str: b.String()}, true
			}
			if lx.peek() == q && lx.peekAt(1) == q {
				lx.advance()
				lx.advance()
				return token{kind: tString, text: lx.src[start:lx.off], pos: p, str: b.String()}, true
			}
			b.WriteRune(q)
		case c == '\\':
			ep := lx.pos()
			lx.advance()
			e := lx.peek()
			if e < 0 {
				continue // reported as unterminated on the next turn
			}
			if raw {
				// In a raw string the backslash stays and only keeps
				// the next character from ending the string.
				b.WriteByte('\\')
				b.WriteRune(lx.advance())
				continue
			}
			lx.escape(&b, ep)
		default:
			b.WriteRune(lx.advance())
		}
	}
}

// escape decodes the escape sequence after a backslash, as Python does.
func (lx *lexer) escape(b *strings.Builder, p Pos) {
	e := lx.advance()
	simple := map[rune]rune{'\\': '\\', '\'': '\'', '"': '"', 'n': '\n', 't': '\t', 'r': '\r',
		'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}
	if r, ok := simple[e]; ok {
		b.WriteRune(r)
		return
	}
	hex := func(n int) {
		v := 0
		for i := 0; i < n; i++ {
			c := lx.peek()
			d := strings.IndexRune("0123456789abcdef", unicode.ToLower(c))
			if c < 0 || d < 0 {
				lx.errs.addf(p, "invalid \\%c escape: want %d hex digits", e, n)
				return
			}
			lx.advance()
			v = v*16 + d
		}
		if v > unicode.MaxRune || (v >= 0xD800 && v < 0xE000) {
			lx.errs.addf(p, "invalid \\%c escape: %#x is not a character", e, v)
			return
		}
		b.WriteRune(rune(v))
	}
	switch {
	case e == '\n':
		// A backslash at the end of a line continues the string.
	case e == 'x':
		hex(2)
	case e == 'u':
		hex(4)
	case e == 'U':
		hex(8)
	case '0' <= e && e <= '7':
		v := int(e - '0')
		for i := 0; i < 2 && '0' <= lx.peek() && lx.peek() <= '7'; i++ {
			v = v*8 + int(lx.advance()-'0')
		}
		b.WriteRune(rune(v))
	case e == 'N':
		lx.errs.addf(p, "\\N{...} escapes are not supported")
	default:
		// Python keeps unknown escapes as they are.
		b.WriteByte('\\')
		b.WriteRune(e)
	}
}

// operators lists the punctuation tokens, longest first so that the scan
// takes the longest match.
var operators = []string{
	"**=", "//=", ">>=", "<<=", "...",
	"**", "//", "==", "!=", "<=", ">=", "->", "+=", "-=", "*=", "/=", "%=", "@=", "&=", "|=", "^=", ":=", "<<", ">>",
	"(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "+", "-", "*", "/", "%", "@", "<", ">", "&", "|", "^", "~",
}

func (lx *lexer) operator(p Pos) (token, bool) {
	rest := lx.src[lx.off:]
	for _, op := range operators {
		if strings.HasPrefix(rest, op) {
			for range op {
				lx.advance()
			}
			return token{kind: tOp, text: op, pos: p}, true
		}
	}
	r := lx.peek()
	switch {
	case r == utf8.RuneError && len(rest) > 0:
		if _, n := utf8.DecodeRuneInString(rest); n == 1 {
			lx.errs.addf(p, "invalid UTF-8 byte %#x; save the file as UTF-8", rest[0])
			lx.off++ // one byte, not one rune
			lx.col++
			return token{}, false
		}
	case r == 0:
		lx.errs.addf(p, "the file contains a NUL byte; is it a text file?")
		lx.advance()
		return token{}, false
	}
	lx.advance()
	if fw, ok := fullWidth[r]; ok {
		lx.errs.addf(p, "unexpected full-width character %q (%U); use %s", r, r, fw)
	} else if unicode.IsPrint(r) {
		lx.errs.addf(p, "unexpected character %q", r)
	} else {
		lx.errs.addf(p, "unexpected character %U", r)
	}
	return token{}, false
}
