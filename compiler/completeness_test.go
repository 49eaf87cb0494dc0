package compiler_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/ir/eval"
)

// irOpTypes lists the op types package ir declares: every type with an
// OpType method, read from the source so that no list has to be kept.
func irOpTypes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../ir/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var ops []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != "OpType" || fd.Recv == nil || len(fd.Recv.List) != 1 {
				continue
			}
			if star, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok {
					ops = append(ops, "*ir."+id.Name)
				}
			}
		}
	}
	sort.Strings(ops)
	if len(ops) < 50 {
		t.Fatalf("found only %d ir op types; is the parser looking in the right place?", len(ops))
	}
	return ops
}

// Every ir op has a reference kernel, and either an emitter or a written
// reason why the Go engine does not compile it; nothing is registered for a
// type ir does not declare.
func TestEveryOpIsHandled(t *testing.T) {
	ops := irOpTypes(t)
	declared := map[string]bool{}
	for _, op := range ops {
		declared[op] = true
	}
	evals := map[string]bool{}
	for _, ty := range eval.SupportedTypes() {
		evals[ty.String()] = true
	}
	gen := map[string]codegen.OpSupport{}
	for _, s := range codegen.Ops() {
		gen[s.Type.String()] = s
	}
	for _, op := range ops {
		if !evals[op] {
			t.Errorf("%s has no reference kernel in ir/eval (register one in its file there)", op)
		}
		s, ok := gen[op]
		switch {
		case !ok:
			t.Errorf("%s has neither an emitter in codegen nor a reason why the Go engine does not compile it (noEmitter)", op)
		case !s.Compiled && strings.TrimSpace(s.Reason) == "":
			t.Errorf("%s is not compiled and gives no reason", op)
		}
	}
	for name := range evals {
		if !declared[name] {
			t.Errorf("ir/eval registers %s, which package ir does not declare as an op", name)
		}
	}
	for name := range gen {
		if !declared[name] {
			t.Errorf("codegen registers %s, which package ir does not declare as an op", name)
		}
	}
}
