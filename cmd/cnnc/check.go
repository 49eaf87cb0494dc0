package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
)

// engineFlag adds -engine.
func engineFlag(fs *flag.FlagSet) *string {
	return fs.String("engine", "ref", "engine: ref (float64 reference evaluator) or go (generated Go code, built with the go command)")
}

// newEngine makes the named engine for a typed graph.
func newEngine(mf *modelFlags, name string, g *ir.Graph) (engine.Engine, error) {
	switch name {
	case "ref":
		return engine.Ref(g), nil
	case "go":
		mf.progress("building the generated code (go build)")
		return engine.Go(g, engine.GoOptions{})
	}
	return nil, usageError(fmt.Sprintf("unknown engine %q; want %s", name, strings.Join(engine.Names, " or ")))
}

func checkCmd() *command {
	return &command{
		name:  "check",
		args:  "MODEL [DATA_DIR...]",
		short: "run the model on stored inputs and compare with the stored outputs",
		example: "cnnc check -engine go ../shared/conformance/models/mnist-8/model.onnx\n" +
			"  cnnc check -engine go testdata/tutorial_125_mnist.cnn   (without data, against the reference engine on a random input)",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			mf := addModelFlags(fs, errOut)
			eng := engineFlag(fs)
			rtol := fs.Float64("rtol", 1e-3, "relative tolerance")
			atol := fs.Float64("atol", 1e-5, "absolute tolerance")
			steps := fs.Float64("steps", 0, "also accept a quantized output (integer codes, or the DequantizeLinear of codes) whose elements all lie within this many quantization steps of the stored ones; each such output's line counts the elements one step off either way")
			return func(positional []string) error {
				if len(positional) == 0 {
					return usageError("no model given")
				}
				if *eng != "ref" && *eng != "go" {
					return usageError(fmt.Sprintf("unknown engine %q; want %s", *eng, strings.Join(engine.Names, " or ")))
				}
				path, dirs := positional[0], positional[1:]
				if len(dirs) == 0 {
					dirs, _ = filepath.Glob(filepath.Join(filepath.Dir(path), "test_data_set_*"))
					sort.Strings(dirs)
				}
				sets, err := loadSets(mf, path, dirs, *eng)
				if err != nil {
					return err
				}
				engines, err := newEngines(mf, *eng, sets)
				if err != nil {
					return err
				}
				defer func() {
					for _, e := range engines {
						e.Close()
					}
				}()
				failed := 0
				if len(sets) > 1 || *eng == "go" {
					mf.progress("checking %d data set(s) on the %s engine", len(sets), *eng)
				}
				for i, s := range sets {
					fmt.Fprintf(out, "%s:\n", s.name)
					ok, err := runSet(out, engines[i], s, *rtol, *atol, *steps)
					if err != nil {
						return fmt.Errorf("%s: %w", s.name, err)
					}
					if !ok {
						failed++
					}
				}
				if failed > 0 {
					return fmt.Errorf("%d of %d data sets differ (engine %s, rtol %g, atol %g)", failed, len(sets), *eng, *rtol, *atol)
				}
				fmt.Fprintf(out, "ok: %d data sets agree (engine %s, rtol %g, atol %g)\n", len(sets), *eng, *rtol, *atol)
				return nil
			}
		},
	}
}

// loadSets reads the data sets. A model is loaded once per set with the
// set's inputs, so that inputs it needs at compile time (a node test's
// shape or pads) and symbolic dimensions (a fully convolutional model's
// height and width) are bound to the set's values. Without data, the
// reference engine's outputs on a seeded random input are the expected
// ones.
func loadSets(mf *modelFlags, path string, dirs []string, eng string) ([]dataSet, error) {
	var sets []dataSet
	for _, d := range dirs {
		ins, outs, err := onnx.LoadTestDataSet(d)
		if err != nil {
			return nil, err
		}
		opts := mf.loadOptions()
		opts.Inputs = ins
		m, err := mf.loadWith(path, opts)
		if err != nil {
			return nil, err
		}
		if err := mf.dumpImport(m.Graph); err != nil {
			return nil, err
		}
		sets = append(sets, dataSet{d, m.Graph, m.Feed, outs})
	}
	if len(sets) > 0 {
		return sets, nil
	}
	if eng == "ref" {
		return nil, usageError(fmt.Sprintf("%s has no test_data_set_* beside it; give a DATA_DIR, or use -engine go to compare generated code with the reference engine", path))
	}
	m, err := mf.load(path)
	if err != nil {
		return nil, err
	}
	if err := mf.dumpImport(m.Graph); err != nil {
		return nil, err
	}
	in := compiler.RandomInputs(m.Graph, 1, 1)
	mf.progress("computing the reference outputs (float64 evaluator)")
	want, err := engine.Ref(m.Graph).Run(in)
	if err != nil {
		return nil, err
	}
	return []dataSet{{"random input (seed 1) against the ref engine", m.Graph, in, want}}, nil
}

// newEngines makes one engine per data set; the Go engine builds all of
// them in one go build.
func newEngines(mf *modelFlags, name string, sets []dataSet) ([]engine.Engine, error) {
	engines := make([]engine.Engine, len(sets))
	if name == "ref" {
		for i, s := range sets {
			engines[i] = engine.Ref(s.graph)
		}
		return engines, nil
	}
	graphs := make([]*ir.Graph, len(sets))
	for i, s := range sets {
		graphs[i] = s.graph
	}
	mf.progress("generating and building the Go code (go build)")
	built, errs, err := engine.GoMany(graphs, engine.GoOptions{})
	if err != nil {
		return nil, err
	}
	for i, e := range errs {
		if e != nil {
			for _, b := range built {
				if b != nil {
					b.Close()
				}
			}
			return nil, fmt.Errorf("%s: %w", sets[i].name, e)
		}
	}
	return built, nil
}

type dataSet struct {
	name          string
	graph         *ir.Graph
	inputs, wants []*ir.Tensor
}

func runSet(out io.Writer, e engine.Engine, s dataSet, rtol, atol, steps float64) (bool, error) {
	g := s.graph
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
		fmt.Fprintln(out, "  "+check.Line(i, g.Outputs[i].Name, r))
		if q := check.QuantumOf(g.Outputs[i]); q != nil && r.Problem == "" {
			// A quantized output: how many elements are a step off.
			c := q.Count(got[i], want)
			within := steps > 0 && c.MaxSteps <= steps+1e-3 // a thousandth of a step for float32 rounding, as Count allows
			verdict := ""
			if !r.OK && within {
				verdict = fmt.Sprintf("; accepted, within %g steps", steps)
				r.OK = true
			}
			fmt.Fprintf(out, "    quantized output (%s): %s%s\n", q, c, verdict)
		}
		ok = ok && r.OK
	}
	return ok, nil
}
