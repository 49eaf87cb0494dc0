package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/cnnc/cnnc/codegen"
)

func compileCmd() *command {
	return &command{
		name:  "compile",
		args:  "MODEL -o DIR",
		short: "write a Go package for the model: model.go, the embedded weights, and a test with a benchmark",
		example: "cnnc compile testdata/tutorial_125_mnist.cnn -o ./mnist -pkg mnist\n" +
			"  //go:generate go tool cnnc compile model.onnx -o . -pkg mymodel",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			mf := addModelFlags(fs, errOut)
			outDir := fs.String("o", "", "output `DIR` (created if missing)")
			pkg := fs.String("pkg", "", "Go package `NAME` (default: from the model's name)")
			withTest := fs.Bool("test", true, "also write model_test.go and testdata/golden.bin: a test against the reference evaluator, allocation, wrong-size and concurrency tests and a benchmark")
			threads := fs.Int("threads", 1, "goroutines a new Model of the package runs on (Model.SetThreads changes it)")
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
				if *threads < 1 {
					return usageError("-threads must be positive")
				}
				opts, err := mf.compileOptions()
				if err != nil {
					return err
				}
				opts.Package, opts.Test, opts.Threads = *pkg, *withTest, *threads
				m, err := mf.load(path)
				if err != nil {
					return err
				}
				p, err := m.Compile(opts)
				if err != nil {
					return err
				}
				if err := p.Write(*outDir); err != nil {
					return err
				}
				if !mf.quiet {
					fmt.Fprintln(mf.stderr, "cnnc: "+wrote(*outDir, p.Files))
				}
				return nil
			}
		},
	}
}

// wrote is compile's closing line: the files, the lines of Go and the
// bytes of weights it wrote.
func wrote(dir string, files []codegen.File) string {
	var names []string
	lines, weights := 0, 0
	for _, f := range files {
		names = append(names, f.Name)
		if filepath.Ext(f.Name) == ".go" {
			lines += bytes.Count(f.Data, []byte("\n"))
		} else if f.Name == "weights.bin" {
			weights = len(f.Data)
		}
	}
	return fmt.Sprintf("wrote %s: %v (%d lines of Go, %s of weights)", dir, names, lines, byteSize(weights))
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
