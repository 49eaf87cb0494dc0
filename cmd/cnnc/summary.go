package main

import (
	"flag"
	"io"

	"github.com/cnnc/cnnc/passes"
	"github.com/cnnc/cnnc/summary"
)

func summaryCmd() *command {
	return &command{
		name:    "summary",
		args:    "MODEL",
		short:   "print the model's layers, output shapes, parameter counts, MACs and memory, as Keras' model.summary() does",
		example: "cnnc summary testdata/tutorial_125_mnist.cnn",
		flags: func(fs *flag.FlagSet, out io.Writer) func([]string) error {
			mf := addModelFlags(fs)
			macs := fs.Bool("macs", false, "add a per-layer MACs column")
			return func(positional []string) error {
				path, err := onePath(positional)
				if err != nil {
					return err
				}
				g, err := mf.load(path, passes.Analysis())
				if err != nil {
					return err
				}
				s := summary.Of(g)
				// The arena line needs the code-generation passes; a model
				// that only the reference engine runs simply has none.
				if n, err := passes.PlannedArenaBytes(g); err == nil {
					s.ArenaBytes = n
				}
				return s.Write(out, summary.Options{MACsColumn: *macs})
			}
		},
	}
}
