package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/passes"
)

// stdin is where bench -step waits for its go-ahead; tests replace it.
var stdin io.Reader = os.Stdin

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
				g, err := mf.load(path, passes.Analysis())
				if err != nil {
					return err
				}
				e, err := engine.Go(g, engine.GoOptions{})
				if err != nil {
					return err
				}
				defer e.Close()
				in := bufio.NewReader(stdin)
				var all []*engine.BenchResult
				for i := 1; i <= *rounds; i++ {
					if *step && i > 1 {
						if _, err := in.ReadString('\n'); err != nil {
							return fmt.Errorf("-step: standard input ended before round %d: %v", i, err)
						}
					}
					r, err := engine.Bench(e, *batch, *threads, *iters)
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
				if *asJSON {
					extra := ""
					if *rounds > 1 {
						ms := make([]string, len(all))
						for i, a := range all {
							ms[i] = fmt.Sprintf("%.4f", a.MedianMs)
						}
						extra = fmt.Sprintf(`,"rounds":%d,"rounds_ms":[%s]`, *rounds, strings.Join(ms, ","))
					}
					fmt.Fprintf(out, `{"model":%q,"median_ms":%.4f,"p10_ms":%.4f,"p90_ms":%.4f,"batch":%d,"threads":%d,"iters":%d,"kernel":%q%s}`+"\n",
						path, r.MedianMs, r.P10Ms, r.P90Ms, r.Batch, r.Threads, r.Iters, r.Kernel, extra)
					return nil
				}
				of := ""
				if *rounds > 1 {
					of = fmt.Sprintf(" (medians over %d rounds)", *rounds)
				}
				fmt.Fprintf(out, "%s: median %.4f ms (p10 %.4f, p90 %.4f)%s per Run of batch %d on %d thread(s), %.1f items/s; %d runs, GEMM kernel %s\n",
					path, r.MedianMs, r.P10Ms, r.P90Ms, of, r.Batch, r.Threads, float64(r.Batch)*1000/r.MedianMs, r.Iters, r.Kernel)
				return nil
			}
		},
	}
}

// medianResult is one result for several rounds: the median of their
// medians, p10s and p90s (the mean of the middle two for an even count).
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
	r := *rs[0]
	r.MedianMs = med(func(r *engine.BenchResult) float64 { return r.MedianMs })
	r.P10Ms = med(func(r *engine.BenchResult) float64 { return r.P10Ms })
	r.P90Ms = med(func(r *engine.BenchResult) float64 { return r.P90Ms })
	return &r
}
