package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/passes"
)

// engineFlag adds -engine.
func engineFlag(fs *flag.FlagSet) *string {
	return fs.String("engine", "ref", "engine: ref (float64 reference evaluator) or go (generated Go code, built with the go command)")
}

// newEngine makes the named engine for a typed graph.
func newEngine(name string, g *ir.Graph) (engine.Engine, error) {
	switch name {
	case "ref":
		return engine.Ref(g), nil
	case "go":
		return engine.Go(g, engine.GoOptions{Log: os.Stderr})
	}
	return nil, usageError(fmt.Sprintf("unknown engine %q; want %s", name, strings.Join(engine.Names, " or ")))
}

func checkCmd() *command {
	return &command{
		name:  "check",
		args:  "MODEL [DATA_DIR...]",
		short: "run the model on stored inputs and compare with the stored outputs",
		example: "cnnc check -engine go ../shared/conformance/models/mnist-8/model.onnx\n" +
			"  cnnc check -engine go testdata/tutorial_125_mnist.cnn   (a .cnn model is checked against the reference engine)",
		flags: func(fs *flag.FlagSet) func([]string) error {
			mf := addModelFlags(fs)
			eng := engineFlag(fs)
			rtol := fs.Float64("rtol", 1e-3, "relative tolerance")
			atol := fs.Float64("atol", 1e-5, "absolute tolerance")
			return func(positional []string) error {
				if len(positional) == 0 {
					return usageError("no model given")
				}
				path, dirs := positional[0], positional[1:]
				g, err := mf.load(path, passes.Analysis())
				if err != nil {
					return err
				}
				e, err := newEngine(*eng, g)
				if err != nil {
					return err
				}
				defer e.Close()
				if len(dirs) == 0 {
					dirs, _ = filepath.Glob(filepath.Join(filepath.Dir(path), "test_data_set_*"))
					sort.Strings(dirs)
				}
				var sets []dataSet
				for _, d := range dirs {
					in, out, err := onnx.LoadTestDataSet(d)
					if err != nil {
						return err
					}
					sets = append(sets, dataSet{d, in, out})
				}
				if len(sets) == 0 {
					// No stored outputs (a .cnn model): the reference engine's
					// outputs on a seeded random input are the expected ones.
					if e.Name() == "ref" {
						return usageError(fmt.Sprintf("%s has no test_data_set_* beside it; give a DATA_DIR, or use -engine go to compare generated code with the reference engine", path))
					}
					in := engine.RandomInputs(g, 1, 1)
					want, err := engine.Ref(g).Run(in)
					if err != nil {
						return err
					}
					sets = append(sets, dataSet{"random input (seed 1) against the ref engine", in, want})
				}
				failed := 0
				for _, s := range sets {
					fmt.Printf("%s:\n", s.name)
					ok, err := runSet(e, g, s, *rtol, *atol)
					if err != nil {
						return fmt.Errorf("%s: %w", s.name, err)
					}
					if !ok {
						failed++
					}
				}
				if failed > 0 {
					return fmt.Errorf("%d of %d data sets differ (engine %s, rtol %g, atol %g)", failed, len(sets), e.Name(), *rtol, *atol)
				}
				fmt.Printf("ok: %d data sets agree (engine %s, rtol %g, atol %g)\n", len(sets), e.Name(), *rtol, *atol)
				return nil
			}
		},
	}
}

type dataSet struct {
	name          string
	inputs, wants []*ir.Tensor
}

func runSet(e engine.Engine, g *ir.Graph, s dataSet, rtol, atol float64) (bool, error) {
	if len(s.wants) != len(g.Outputs) {
		return false, fmt.Errorf("holds %d outputs, the model has %d", len(s.wants), len(g.Outputs))
	}
	got, err := e.Run(s.inputs)
	if err != nil {
		return false, err
	}
	ok := true
	for i, want := range s.wants {
		r := check.Compare(got[i], want, rtol, atol)
		fmt.Println("  " + check.Line(i, g.Outputs[i].Name, r))
		ok = ok && r.OK
	}
	return ok, nil
}
