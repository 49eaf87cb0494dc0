package codegen

import (
	"go/token"
	"strconv"
	"strings"
	"unicode"
)

// namer turns model strings (layer, value and model names) into Go
// identifiers. It is the only way a model string becomes part of Go source
// other than through strconv.Quote: it keeps ASCII letters and digits,
// turns everything else into underscores, avoids keywords and predeclared
// names, and makes every result unique within the namer.
type namer struct {
	used map[string]bool
}

func newNamer(reserved ...string) *namer {
	n := &namer{used: make(map[string]bool)}
	for _, r := range reserved {
		n.used[r] = true
	}
	return n
}

// ident returns a fresh identifier for s with the given prefix, which
// must itself be a valid identifier start ("w", "ep", "win").
func (n *namer) ident(prefix, s string) string {
	base := prefix + camel(s)
	if len(base) > 48 {
		base = base[:48]
	}
	id := base
	for i := 2; n.used[id]; i++ {
		id = base + "_" + strconv.Itoa(i)
	}
	n.used[id] = true
	return id
}

// camel maps s to ASCII identifier characters, upper-casing the letter
// after each run of non-alphanumerics: "conv2d_1/kernel" -> "Conv2d1Kernel".
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if up {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			up = false
			continue
		}
		up = true
	}
	return b.String()
}

// PackageName derives a Go package name from a model name: lower-case
// ASCII letters, digits and underscores, not starting with a digit, not a
// keyword; "model" when nothing usable is left.
func PackageName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "_")
	if name == "" {
		return "model"
	}
	if name[0] >= '0' && name[0] <= '9' {
		name = "m" + name
	}
	if token.IsKeyword(name) || predeclared[name] {
		name += "model"
	}
	return name
}

// ValidPackageName reports whether s may be used as a generated package's
// name as it is.
func ValidPackageName(s string) bool {
	return s != "" && PackageName(s) == s && token.IsIdentifier(s)
}

var predeclared = map[string]bool{
	"bool": true, "byte": true, "error": true, "float32": true, "float64": true, "int": true,
	"string": true, "true": true, "false": true, "nil": true, "len": true, "cap": true,
	"make": true, "new": true, "append": true, "copy": true, "panic": true, "main": true,
	"runtime": true, "math": true, "fmt": true, "errors": true, "sync": true, "testing": true,
}

// comment makes s safe to place after // in a generated line comment: a
// quoted Go string when it holds anything but printable ASCII, so that no
// newline or odd character ends the comment or confuses a reader.
func comment(s string) string {
	for _, r := range s {
		if r < ' ' || r > '~' {
			return strconv.Quote(s)
		}
	}
	return s
}
