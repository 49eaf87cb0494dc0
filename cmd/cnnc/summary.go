package main

import (
	"flag"
	"io"

	"github.com/cnnc/cnnc/summary"
)

func summaryCmd() *command {
	return &command{
		name:    "summary",
		args:    "MODEL",
		short:   "print the model's layers, output shapes, parameter counts, MACs and memory, as Keras' model.summary() does",
		example: "cnnc summary testdata/tutorial_125_mnist.cnn",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			mf := addModelFlags(fs, errOut)
			macs := fs.Bool("macs", false, "add a per-layer MACs column")
			arena := fs.Bool("arena", false, "also run the optimizing passes and print the generated code's arena size")
			return func(positional []string) error {
				path, err := onePath(positional)
				if err != nil {
					return err
				}
				m, err := mf.load(path)
				if err != nil {
					return err
				}
				if err := mf.dumpImport(m.Graph); err != nil {
					return err
				}
				s := m.Summary()
				if *arena {
					opts, err := mf.compileOptions()
					if err != nil {
						return err
					}
					g, err := m.Optimize(opts)
					if err != nil {
						return err
					}
					s.ArenaBytes = int64(g.Plan.Size) * 4
				}
				return s.Write(out, summary.Options{MACsColumn: *macs})
			}
		},
	}
}
