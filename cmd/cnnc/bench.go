package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/runtime"
)

// benchJSON is bench -json's line.
type benchJSON struct {
	Model    string              `json:"model"`
	MedianMs float64             `json:"median_ms"`
	P10Ms    float64             `json:"p10_ms"`
	P90Ms    float64             `json:"p90_ms"`
	RoundsMs []float64           `json:"rounds_ms,omitempty"`
	Batch    int                 `json:"batch"`
	Threads  int                 `json:"threads"`
	Iters    int                 `json:"iters"`
	Rounds   int                 `json:"rounds"`
	Kernel   string              `json:"kernel"`
	QKernel  string              `json:"int8_kernel"`
	Layers   []runtime.LayerTime `json:"layers,omitempty"`
}

// stdin is where bench -step waits for its go-ahead; tests replace it.
var stdin io.Reader = os.Stdin

// medianResult is one result for several rounds: the median of their
// medians, p10s and p90s (the mean of the middle two for an even count),
// and the layer times of the last round.
func medianResult(rs []*engine.BenchResult) *engine.BenchResult {
	if len(rs) == 1 {
		return rs[0]
	}
	med := func(f func(*engine.BenchResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		n := len(v)
		return (v[(n-1)/2] + v[n/2]) / 2
	}
	r := *rs[len(rs)-1]
	r.MedianMs = med(func(r *engine.BenchResult) float64 { return r.MedianMs })
	r.P10Ms = med(func(r *engine.BenchResult) float64 { return r.P10Ms })
	r.P90Ms = med(func(r *engine.BenchResult) float64 { return r.P90Ms })
	return &r
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
	fmt.Fprintf(w, "layer times are means over the timed runs (the warm-up excluded); the median per Run follows\n")
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
			rounds := fs.Int("rounds", 1, "rounds of -iters runs, each a fresh run of the one built program with its own warm-up; the result is the median of the rounds' medians")
			step := fs.Bool("step", false, "print each round's result as it ends and read a line from standard input before starting the next, so that a driver can interleave another runtime's rounds")
			asJSON := fs.Bool("json", false, "print JSON lines: with -step one per round, then always one for the whole")
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
				in := bufio.NewReader(stdin)
				var all []*engine.BenchResult
				for i := 1; i <= *rounds; i++ {
					if *step && i > 1 {
						if _, err := in.ReadString('\n'); err != nil {
							return fmt.Errorf("-step: standard input ended before round %d: %v", i, err)
						}
					}
					r, err := engine.Bench(e, *batch, *threads, *iters, 1)
					if err != nil {
						return err
					}
					all = append(all, r)
					if *step || (*rounds > 1 && !*asJSON) {
						if *asJSON {
							fmt.Fprintf(out, `{"round":%d,"median_ms":%.4f,"p10_ms":%.4f,"p90_ms":%.4f}`+"\n", i, r.MedianMs, r.P10Ms, r.P90Ms)
						} else {
							fmt.Fprintf(out, "round %d: median %.4f ms (p10 %.4f, p90 %.4f)\n", i, r.MedianMs, r.P10Ms, r.P90Ms)
						}
					}
				}
				r := medianResult(all)
				if *layers && !*asJSON {
					writeLayers(out, r)
				}
				if *asJSON {
					rms := make([]float64, len(all))
					for i, a := range all {
						rms[i] = a.MedianMs
					}
					return json.NewEncoder(out).Encode(benchJSON{
						Model: path, MedianMs: r.MedianMs, P10Ms: r.P10Ms, P90Ms: r.P90Ms, RoundsMs: rms,
						Batch: r.Batch, Threads: r.Threads, Iters: r.Iters, Rounds: *rounds, Kernel: r.Kernel, QKernel: r.QKernel, Layers: r.Layers,
					})
				}
				of := ""
				if *rounds > 1 {
					of = fmt.Sprintf(" (medians over %d rounds)", *rounds)
				}
				fmt.Fprintf(out, "%s: median %.4f ms (p10 %.4f, p90 %.4f)%s per Run of batch %d on %d thread(s), %.1f items/s; %d runs, GEMM kernel %s (int8: %s)\n",
					path, r.MedianMs, r.P10Ms, r.P90Ms, of, r.Batch, r.Threads, float64(r.Batch)*1000/r.MedianMs, r.Iters, r.Kernel, r.QKernel)
				return nil
			}
		},
	}
}
