package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
)

func runCmd() *command {
	return &command{
		name:    "run",
		args:    "MODEL",
		short:   "run the model on an input (a TensorProto .pb file, or seeded random data) and print or save the outputs",
		example: "cnnc run -input ../shared/conformance/models/mnist-8/test_data_set_0/input_0.pb ../shared/conformance/models/mnist-8/model.onnx",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			mf := addModelFlags(fs, errOut)
			eng := engineFlag(fs)
			var inputs stringsFlag
			fs.Var(&inputs, "input", "input `FILE` as a serialized ONNX TensorProto, one per model input in order (repeatable; default: seeded random data)")
			outPrefix := fs.String("o", "", "write each output K to `PREFIX`K.pb as a TensorProto instead of printing it")
			batch := fs.Int("batch", 1, "batch size of the random input, for a model with a batch dimension")
			return func(positional []string) error {
				path, err := onePath(positional)
				if err != nil {
					return err
				}
				var in []*ir.Tensor
				for _, f := range inputs {
					data, err := os.ReadFile(f)
					if err != nil {
						return err
					}
					_, t, err := onnx.ReadTensor(data)
					if err != nil {
						return fmt.Errorf("%s: %w", f, err)
					}
					in = append(in, t)
				}
				opts := mf.loadOptions()
				if in != nil {
					opts.Inputs = in
				}
				m, err := mf.loadWith(path, opts)
				if err != nil {
					return err
				}
				if err := mf.dumpImport(m.Graph); err != nil {
					return err
				}
				g := m.Graph
				if in == nil {
					if *batch < 1 {
						return usageError("-batch must be positive")
					}
					in = compiler.RandomInputs(g, *batch, uint64(mf.seed))
				} else {
					in = m.Feed
				}
				if _, err := engine.CheckInputs(g, in); err != nil {
					return err
				}
				e, err := newEngine(mf, *eng, g)
				if err != nil {
					return err
				}
				defer e.Close()
				outs, err := e.Run(in)
				if err != nil {
					return err
				}
				for i, t := range outs {
					name := g.Outputs[i].Name
					if *outPrefix != "" {
						data, err := onnx.WriteTensor(name, t)
						if err != nil {
							return err
						}
						file := fmt.Sprintf("%s%d.pb", *outPrefix, i)
						if err := os.WriteFile(file, data, 0o644); err != nil {
							return err
						}
						fmt.Fprintf(out, "output %d %q %v -> %s\n", i, name, t.Shape, file)
						continue
					}
					fmt.Fprintf(out, "output %d %q %v\n%s\n", i, name, t.Shape, describe(t))
				}
				return nil
			}
		},
	}
}

// describe prints a tensor's values (the first 20) and, for a vector of
// scores, the index of the largest.
func describe(t *ir.Tensor) string {
	var b strings.Builder
	n := min(t.Len(), 20)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " %.6g", t.Float(i))
	}
	if t.Len() > n {
		fmt.Fprintf(&b, " ... (%d values)", t.Len())
	}
	if t.Len() > 1 {
		best := 0
		for i := 1; i < t.Len(); i++ {
			if t.Float(i) > t.Float(best) {
				best = i
			}
		}
		fmt.Fprintf(&b, "\n  argmax %d (%.6g)", best, t.Float(best))
	}
	return b.String()
}

// stringsFlag collects a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}
