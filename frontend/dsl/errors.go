package dsl

import (
	"fmt"
	"strings"

	"github.com/cnnc/cnnc/frontend/nearmiss"
)

// Pos is a place in a source file. Line and Col count from 1; Col counts
// characters (runes), not bytes, so that a column stays right on lines that
// hold Japanese comments or names.
type Pos struct {
	Filename string
	Line     int
	Col      int
}

// String formats the position as file:line:col, leaving out the parts that
// are unknown.
func (p Pos) String() string {
	s := p.Filename
	if p.Line > 0 {
		if s != "" {
			s += ":"
		}
		s += fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	if s == "" {
		s = "-"
	}
	return s
}

// IsValid reports whether the position names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Error is one problem in a model file: a syntax error, an unknown layer or
// argument, a bad value, or a shape that does not work out. Err, when set,
// is the underlying cause (an *ir.ShapeError, a weight-file error) and is
// reachable with errors.Is and errors.As.
type Error struct {
	Pos Pos
	Msg string
	Err error
}

// Error formats the problem as file:line:col: message.
func (e *Error) Error() string {
	if !e.Pos.IsValid() && e.Pos.Filename == "" {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is several problems found in one pass over a file, in source
// order. Parse and Build report up to maxErrors of them at once so that a
// user can fix a file in one round.
type ErrorList []*Error

// Error prints one problem per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// maxErrors bounds how many problems one Parse or Build reports; past it
// the rest of the file is not worth reading until the first ones are fixed.
const maxErrors = 10

// errorSink collects errors up to maxErrors.
type errorSink struct {
	list ErrorList
	full bool // maxErrors reached; the caller should stop
}

func (s *errorSink) add(e *Error) {
	if len(s.list) >= maxErrors {
		return
	}
	s.list = append(s.list, e)
	s.full = len(s.list) >= maxErrors
}

func (s *errorSink) addf(p Pos, format string, args ...any) {
	s.add(&Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// err returns the collected errors as an error, or nil.
func (s *errorSink) err() error {
	if len(s.list) == 0 {
		return nil
	}
	return s.list
}

// suggest returns the candidate closest to name if it is close enough to be
// a plausible misspelling, or "" (see nearmiss.Closest: Conv2d finds
// Conv2D, kernal_size finds kernel_size, print finds nothing).
func suggest(name string, candidates []string) string {
	return nearmiss.Suggest(name, candidates)
}

// didYouMean formats a suggestion as a message suffix.
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return "; did you mean " + s + "?"
	}
	return ""
}
