package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/runtime"
)

// benchJSON is bench -json's line.
type benchJSON struct {
	Model         string              `json:"model"`
	MedianMs      float64             `json:"median_ms"`
	P10Ms         float64             `json:"p10_ms"`
	P90Ms         float64             `json:"p90_ms"`
	RoundMedianMs []float64           `json:"round_median_ms"`
	Batch         int                 `json:"batch"`
	Threads       int                 `json:"threads"`
	Iters         int                 `json:"iters"`
	Rounds        int                 `json:"rounds"`
	Kernel        string              `json:"kernel"`
	Layers        []runtime.LayerTime `json:"layers,omitempty"`
}

// writeLayers prints bench -layers' table: the layers by time, with their
// share of the total, their speed where they multiply, and the kernel.
func writeLayers(w io.Writer, r *engine.BenchResult) {
	ls := append([]runtime.LayerTime(nil), r.Layers...)
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Seconds > ls[j].Seconds })
	total, macs := 0.0, int64(0)
	for _, l := range ls {
		total += l.Seconds
		macs += l.MACs
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\top\toutput\tms\tshare\tGFLOP/s\tkernel\t")
	for _, l := range ls {
		gf := ""
		if l.MACs > 0 && l.Seconds > 0 {
			gf = fmt.Sprintf("%.1f", 2*float64(l.MACs)/l.Seconds/1e9)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%.4f\t%.1f%%\t%s\t%s\t\n", trimName(l.Name), l.Op, l.Shape, l.Seconds*1000, 100*l.Seconds/total, gf, l.Kernel)
	}
	gf := ""
	if total > 0 {
		gf = fmt.Sprintf("%.1f", 2*float64(macs)/total/1e9)
	}
	fmt.Fprintf(tw, "total (%d layers)\t\t\t%.4f\t100%%\t%s\t\t\n", len(ls), total*1000, gf)
	tw.Flush()
	fmt.Fprintf(w, "layer times are means over every run, warm-up included; the timed median per Run follows\n")
}

// trimName shortens a long layer name for the table.
func trimName(s string) string {
	if len(s) > 48 {
		return s[:22] + "..." + s[len(s)-23:]
	}
	return s
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
			layers := fs.Bool("layers", false, "build with per-layer timing and print a table of the layers by time: output shape, share, GFLOP/s, the kernel that ran")
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
				e, err := engine.Go(m.Graph, engine.GoOptions{Profile: *layers})
				if err != nil {
					return err
				}
				defer e.Close()
				mf.progress("timing %d round(s) of %d runs", *rounds, *iters)
				r, err := engine.Bench(e, *batch, *threads, *iters, *rounds)
				if err != nil {
					return err
				}
				if *layers && !*asJSON {
					writeLayers(out, r)
				}
				if *asJSON {
					return json.NewEncoder(out).Encode(benchJSON{
						Model: path, MedianMs: r.MedianMs, P10Ms: r.P10Ms, P90Ms: r.P90Ms, RoundMedianMs: r.RoundMedianMs,
						Batch: r.Batch, Threads: r.Threads, Iters: r.Iters, Rounds: r.Rounds, Kernel: r.Kernel, Layers: r.Layers,
					})
				}
				fmt.Fprintf(out, "%s: median %.4f ms (p10 %.4f, p90 %.4f) per Run of batch %d on %d thread(s), %.1f items/s; %d runs, GEMM kernel %s\n",
					path, r.MedianMs, r.P10Ms, r.P90Ms, r.Batch, r.Threads, float64(r.Batch)*1000/r.MedianMs, r.Iters, r.Kernel)
				return nil
			}
		},
	}
}
