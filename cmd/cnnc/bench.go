package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/cnnc/cnnc/engine"
)

// benchJSON is bench -json's line.
type benchJSON struct {
	Model         string    `json:"model"`
	MedianMs      float64   `json:"median_ms"`
	P10Ms         float64   `json:"p10_ms"`
	P90Ms         float64   `json:"p90_ms"`
	RoundMedianMs []float64 `json:"round_median_ms"`
	Batch         int       `json:"batch"`
	Threads       int       `json:"threads"`
	Iters         int       `json:"iters"`
	Rounds        int       `json:"rounds"`
	Kernel        string    `json:"kernel"`
}

func benchCmd() *command {
	return &command{
		name:    "bench",
		args:    "MODEL",
		short:   "time the generated Go code: median latency of one Run over many, after warm-up",
		example: "cnnc bench -threads 1 -batch 1 ../shared/conformance/models/resnet18/model.onnx",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			mf := addModelFlags(fs, errOut)
			batch := fs.Int("batch", 1, "items per Run, for a model with a batch dimension")
			threads := fs.Int("threads", 1, "goroutines for the matrix products")
			iters := fs.Int("iters", 200, "timed runs")
			rounds := fs.Int("rounds", 1, "time this many rounds of -iters runs in one build, reporting each round's median (for alternating with another runtime)")
			asJSON := fs.Bool("json", false, "print one JSON line")
			return func(positional []string) error {
				path, err := onePath(positional)
				if err != nil {
					return err
				}
				if *batch < 1 || *threads < 1 || *iters < 1 || *rounds < 1 {
					return usageError("-batch, -threads, -iters and -rounds must be positive")
				}
				m, err := mf.load(path)
				if err != nil {
					return err
				}
				mf.progress("generating and building the Go code (go build)")
				e, err := engine.Go(m.Graph, engine.GoOptions{})
				if err != nil {
					return err
				}
				defer e.Close()
				mf.progress("timing %d round(s) of %d runs", *rounds, *iters)
				r, err := engine.Bench(e, *batch, *threads, *iters, *rounds)
				if err != nil {
					return err
				}
				if *asJSON {
					return json.NewEncoder(out).Encode(benchJSON{
						Model: path, MedianMs: r.MedianMs, P10Ms: r.P10Ms, P90Ms: r.P90Ms, RoundMedianMs: r.RoundMedianMs,
						Batch: r.Batch, Threads: r.Threads, Iters: r.Iters, Rounds: r.Rounds, Kernel: r.Kernel,
					})
				}
				fmt.Fprintf(out, "%s: median %.4f ms (p10 %.4f, p90 %.4f) per Run of batch %d on %d thread(s), %.1f items/s; %d runs, GEMM kernel %s\n",
					path, r.MedianMs, r.P10Ms, r.P90Ms, r.Batch, r.Threads, float64(r.Batch)*1000/r.MedianMs, r.Iters, r.Kernel)
				return nil
			}
		},
	}
}
