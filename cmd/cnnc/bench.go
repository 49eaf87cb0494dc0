package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/passes"
)

func benchCmd() *command {
	return &command{
		name:    "bench",
		args:    "MODEL",
		short:   "time the generated Go code: median latency of one Run over many, after warm-up",
		example: "cnnc bench -threads 1 -batch 1 ../shared/conformance/models/resnet18/model.onnx",
		flags: func(fs *flag.FlagSet, out io.Writer) func([]string) error {
			mf := addModelFlags(fs)
			batch := fs.Int("batch", 1, "items per Run, for a model with a batch dimension")
			threads := fs.Int("threads", 1, "goroutines for the matrix products")
			iters := fs.Int("iters", 200, "timed runs")
			asJSON := fs.Bool("json", false, "print one JSON line")
			return func(positional []string) error {
				path, err := onePath(positional)
				if err != nil {
					return err
				}
				if *batch < 1 || *threads < 1 || *iters < 1 {
					return usageError("-batch, -threads and -iters must be positive")
				}
				g, err := mf.load(path, passes.Analysis())
				if err != nil {
					return err
				}
				e, err := engine.Go(g, engine.GoOptions{})
				if err != nil {
					return err
				}
				defer e.Close()
				r, err := engine.Bench(e, *batch, *threads, *iters)
				if err != nil {
					return err
				}
				if *asJSON {
					fmt.Fprintf(out, `{"model":%q,"median_ms":%.4f,"p10_ms":%.4f,"p90_ms":%.4f,"batch":%d,"threads":%d,"iters":%d,"kernel":%q}`+"\n",
						path, r.MedianMs, r.P10Ms, r.P90Ms, r.Batch, r.Threads, r.Iters, r.Kernel)
					return nil
				}
				fmt.Fprintf(out, "%s: median %.4f ms (p10 %.4f, p90 %.4f) per Run of batch %d on %d thread(s), %.1f items/s; %d runs, GEMM kernel %s\n",
					path, r.MedianMs, r.P10Ms, r.P90Ms, r.Batch, r.Threads, float64(r.Batch)*1000/r.MedianMs, r.Iters, r.Kernel)
				return nil
			}
		},
	}
}
