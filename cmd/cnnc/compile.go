package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/passes"
	"github.com/cnnc/cnnc/summary"
)

func compileCmd() *command {
	return &command{
		name:  "compile",
		args:  "MODEL -o DIR",
		short: "write a Go package for the model: model.go, the embedded weights, and a test with a benchmark",
		example: "cnnc compile testdata/tutorial_125_mnist.cnn -o ./mnist -pkg mnist\n" +
			"  //go:generate go run github.com/cnnc/cnnc/cmd/cnnc compile model.onnx -o . -pkg mymodel",
		flags: func(fs *flag.FlagSet, out io.Writer) func([]string) error {
			mf := addModelFlags(fs)
			outDir := fs.String("o", "", "output `DIR` (created if missing)")
			pkg := fs.String("pkg", "", "Go package `NAME` (default: from the model's name)")
			withTest := fs.Bool("test", true, "also write model_test.go and testdata/golden.bin: a test against the reference evaluator, an allocation test and a benchmark")
			return func(positional []string) error {
				path, err := onePath(positional)
				if err != nil {
					return err
				}
				if *outDir == "" {
					return usageError("-o DIR is required")
				}
				if *pkg != "" && !codegen.ValidPackageName(*pkg) {
					return usageError(fmt.Sprintf("-pkg %q is not a plain lower-case Go package name (try %q)", *pkg, codegen.PackageName(*pkg)))
				}
				g, err := mf.load(path, passes.Analysis())
				if err != nil {
					return err
				}
				opts := codegen.Options{Package: *pkg, Source: filepath.Base(path)}
				if *withTest {
					in := engine.RandomInputs(g, 1, 1)
					want, err := engine.Ref(g).Run(in)
					if err != nil {
						return fmt.Errorf("computing the reference outputs for the generated test: %w", err)
					}
					opts.Golden = &codegen.Golden{Inputs: in, Outputs: want}
				}
				cg := g.Clone()
				mgr := &passes.Manager{Passes: passes.Codegen()}
				if mf.dumpAfter != "" {
					mgr.DumpAfter, mgr.Dump = splitList(mf.dumpAfter), os.Stderr
					if err := mgr.CheckNames(mgr.DumpAfter); err != nil {
						return usageError(fmt.Sprintf("-dump-after: %v", err))
					}
				}
				if err := mgr.Run(cg); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				s := summary.Of(g)
				s.ArenaBytes = int64(cg.Plan.Size) * 4
				var table bytes.Buffer
				if err := s.Write(&table, summary.Options{}); err != nil {
					return err
				}
				opts.Summary = table.String()
				files, err := codegen.Generate(cg, opts)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				return writeFiles(*outDir, files)
			}
		},
	}
}

// writeFiles writes the generated files, leaving any other file in dir
// alone. A file whose content is unchanged is not rewritten, so build
// caches and timestamps stay valid; a changed one is written beside its
// place and renamed over it, so that a failure never leaves half a file.
func writeFiles(dir string, files []codegen.File) error {
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, f.Data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(filepath.Dir(path), ".cnnc-*")
		if err != nil {
			return err
		}
		_, werr := tmp.Write(f.Data)
		cerr := tmp.Close()
		if werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(tmp.Name(), 0o644)
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), path)
		}
		if werr != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("writing %s: %w", path, werr)
		}
	}
	return nil
}
