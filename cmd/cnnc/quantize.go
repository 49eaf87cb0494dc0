package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/quantize"
)

func quantizeCmd() *command {
	return &command{
		name: "quantize",
		args: "MODEL.onnx -calibrate INPUTS [-o MODEL.int8.onnx]",
		short: "post-training static quantization: calibrate activation ranges on sample inputs and write a QDQ ONNX model " +
			"(int8 weights per channel, uint8 activations, int32 biases) that ONNX Runtime runs on integers",
		example: "cnnc quantize examples/mnist/model/mnist.onnx -calibrate cmd/cnnc/testdata/images/digits -o mnist.int8.onnx\n" +
			"  cnnc quantize -preset imagenet -method percentile resnet18.onnx -calibrate 'val/*.JPEG' -n 500",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			q := &quantizeFlags{out: out, errOut: errOut, dims: dimsFlag{}}
			fs.Var(&q.calibrate, "calibrate", "calibration `INPUT`, repeatable: images (PNG, JPEG), a directory of images, a glob ('imgs/*.png', quoted), .npy or .pb tensors (items along the first dimension), or an ONNX test-data directory (input_0.pb, ...; for models with several inputs); inputs may also follow the model")
			fs.StringVar(&q.outFile, "o", "", "write the QDQ model to `FILE` (default: MODEL.int8.onnx beside the model)")
			fs.IntVar(&q.limit, "n", 0, "calibrate on at most `N` items (0: all given)")
			fs.StringVar(&q.method, "method", "minmax", "calibration `method`: minmax (the range of every value seen) or percentile (cut the tails of a histogram, see -percentile)")
			fs.Float64Var(&q.percentile, "percentile", 99.99, "with -method percentile: the share `P` (in percent) of values kept inside the range; (100-P)/2 percent saturate on each side")
			fs.StringVar(&q.activations, "activations", "uint8", "activation `type`: uint8 or int8 (asymmetric either way)")
			fs.BoolVar(&q.reduceRange, "reduce-range", false, "quantize weights to 7 bits ([-64, 64]): exact under ONNX Runtime on x86 CPUs without VNNI (AVX2 only), whose uint8 x int8 kernels saturate 16-bit sums of products of full-range weights")
			fs.BoolVar(&q.perChannel, "per-channel", true, "one weight scale per output channel (false: one per weight tensor)")
			fs.Var(&q.exclude, "exclude", "keep the nodes named `NODE[,NODE...]` in float (repeatable; an unnamed node is OpType_INDEX)")
			fs.BoolVar(&q.keepFirstLast, "keep-first-last", true, "keep the first and the last Conv/Gemm/MatMul in float: the known-good recipe, since the raw input and the logits lose the most accuracy to 8 bits for the least time; -keep-first-last=false quantizes them too")
			fs.StringVar(&q.engine, "engine", "auto", "calibration `engine`: go (the generated code, built with the go command: fast), ref (the float64 reference evaluator: exact, several times slower), auto (go when the go command is on PATH)")
			fs.IntVar(&q.threads, "threads", 1, "goroutines of the generated code during calibration")
			fs.Var(q.dims, "dim", "fix a symbolic ONNX dimension, `NAME=VALUE` (repeatable)")
			fs.BoolVar(&q.quiet, "q", false, "print nothing on stderr about what is being done")
			fs.BoolVar(&q.verbose, "v", false, "also print each activation tensor's calibrated range, scale and zero point")
			q.images = addImageFlags(fs)
			return func(positional []string) error {
				q.set = map[string]bool{}
				fs.Visit(func(f *flag.Flag) { q.set[f.Name] = true })
				return q.run(positional)
			}
		},
	}
}

// quantizeFlags holds cnnc quantize's flags and does the quantization.
type quantizeFlags struct {
	calibrate     stringsFlag
	outFile       string
	limit         int
	method        string
	percentile    float64
	activations   string
	perChannel    bool
	reduceRange   bool
	exclude       stringsFlag
	keepFirstLast bool
	engine        string
	threads       int
	dims          dimsFlag
	quiet         bool
	verbose       bool
	images        *imageFlags
	set           map[string]bool

	out, errOut io.Writer
}

func (q *quantizeFlags) progress(format string, args ...any) {
	if !q.quiet {
		fmt.Fprintf(q.errOut, "cnnc: "+format+"\n", args...)
	}
}

func (q *quantizeFlags) log() io.Writer {
	if q.quiet {
		return nil
	}
	return q.errOut
}

// options checks the flags and turns them into the package's options.
func (q *quantizeFlags) options() (quantize.Options, quantize.Method, error) {
	var opts quantize.Options
	method, err := quantize.ParseMethod(q.method)
	if err != nil {
		return opts, 0, usageError(err.Error())
	}
	if q.set["percentile"] && method != quantize.Percentile {
		return opts, 0, usageError("-percentile applies to -method percentile")
	}
	if !(q.percentile > 0 && q.percentile <= 100) {
		return opts, 0, usageError(fmt.Sprintf("-percentile %g: want a share in (0, 100]", q.percentile))
	}
	if opts.Activations, err = quantize.ParseQType(q.activations); err != nil {
		return opts, 0, usageError(err.Error())
	}
	if q.limit < 0 {
		return opts, 0, usageError("-n must be 0 (all items) or more")
	}
	if q.threads < 1 {
		return opts, 0, usageError("-threads must be positive")
	}
	switch q.engine {
	case "auto", "go", "ref":
	default:
		return opts, 0, usageError(fmt.Sprintf("unknown engine %q; want %s", q.engine, strings.Join(quantize.Engines, ", ")))
	}
	for _, e := range q.exclude {
		opts.Exclude = append(opts.Exclude, splitList(e)...)
	}
	opts.PerTensor = !q.perChannel
	opts.ReduceRange = q.reduceRange
	opts.KeepFirstLast = q.keepFirstLast
	return opts, method, nil
}

func (q *quantizeFlags) run(positional []string) error {
	path, extra, err := splitRunArgs(positional)
	if err != nil {
		return err
	}
	switch compiler.FormatOf(path) {
	case compiler.ONNX:
	case compiler.DSL:
		return fmt.Errorf("%s: quantize reads and writes ONNX models; a .cnn model has no ONNX file to quantize", path)
	default:
		return fmt.Errorf("%s: want an .onnx model", path)
	}
	opts, method, err := q.options()
	if err != nil {
		return err
	}
	args := append(append([]string(nil), q.calibrate...), extra...)
	if len(args) == 0 {
		return usageError("no calibration inputs: give -calibrate with images, a directory, a glob, .npy/.pb tensors or test-data directories")
	}
	outFile := q.outFile
	if outFile == "" {
		outFile = strings.TrimSuffix(path, filepath.Ext(path)) + ".int8.onnx"
	}
	if abs(outFile) == abs(path) {
		return fmt.Errorf("-o %s would overwrite the model", outFile)
	}
	sources, err := expandCalibration(args)
	if err != nil {
		return err
	}

	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	m, err := quantize.Load(data, quantize.LoadOptions{Dims: q.dims})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	plan, err := m.Plan(opts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cal, err := m.NewCalibrator(plan.Observe(), quantize.CalibrateOptions{Engine: q.engine, Method: method, Threads: q.threads, Log: q.log()})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer cal.Close()
	start := time.Now()
	if err := q.feed(cal, sources); err != nil {
		return err
	}
	if cal.Items() == 0 {
		return errors.New("the calibration inputs hold no items")
	}
	calTime := time.Since(start)
	ranges, err := quantize.Ranges(cal.Stats(), method, q.percentile)
	if err != nil {
		return err
	}
	how := method.String()
	if method == quantize.Percentile {
		how = fmt.Sprintf("percentile %g", q.percentile)
	}
	weights := "per channel"
	if opts.PerTensor {
		weights = "per tensor"
	}
	if opts.ReduceRange {
		weights += " (7 bits)"
	}
	note := fmt.Sprintf("QDQ written by cnnc quantize: activations %s asymmetric (%s calibration on %d items), weights int8 symmetric %s, biases int32", opts.Activations, how, cal.Items(), weights)
	qm, rep, err := m.Quantize(plan, ranges, quantize.QuantizeOptions{Note: note})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	enc, err := qm.Marshal()
	if err != nil {
		return fmt.Errorf("encoding the QDQ model: %w", err)
	}
	if err := os.WriteFile(outFile, enc, 0o644); err != nil {
		return err
	}
	q.summary(rep, m, summaryFacts{
		items: cal.Items(), how: how, engine: cal.Engine(), calTime: calTime,
		act: opts.Activations, weights: weights, outFile: outFile, outBytes: len(enc), inBytes: len(data),
	})
	return nil
}

// summaryFacts are what the summary says besides the report.
type summaryFacts struct {
	items            int64
	how, engine      string
	calTime          time.Duration
	act              quantize.QType
	weights, outFile string
	outBytes         int
	inBytes          int
}

// summary prints what was quantized, what stayed float and where the
// model went.
func (q *quantizeFlags) summary(rep *quantize.Report, m *quantize.Model, f summaryFacts) {
	w := q.out
	var ops []string
	for _, op := range quantize.Quantizable {
		if n := rep.OpCounts[op]; n > 0 {
			ops = append(ops, fmt.Sprintf("%d %s", n, op))
		}
	}
	fmt.Fprintf(w, "calibrated %s (%s, %s engine) in %.1f s\n", plural(f.items, "item"), f.how, f.engine, f.calTime.Seconds())
	fmt.Fprintf(w, "quantized %d nodes (%s): %d activation tensors %s, %d weights int8 %s, %d biases int32",
		len(rep.Nodes), strings.Join(ops, ", "), rep.Activations, f.act, rep.Weights, f.weights, rep.Biases)
	if rep.Constants > 0 {
		fmt.Fprintf(w, ", %d constant operands %s", rep.Constants, f.act)
	}
	fmt.Fprintln(w)
	if len(rep.Float) > 0 {
		fmt.Fprintf(w, "kept in float:\n")
		for _, n := range rep.Float {
			fmt.Fprintf(w, "  %s (%s): %s\n", n.Node, n.OpType, n.Reason)
		}
	}
	if others := floatOps(m, rep); len(others) > 0 {
		fmt.Fprintf(w, "other ops run in float on dequantized values: %s\n", strings.Join(others, ", "))
	}
	if len(rep.Widened) > 0 {
		fmt.Fprintf(w, "widened the scale of %s so that the bias fits in int32\n", strings.Join(rep.Widened, ", "))
	}
	if rep.Opset != rep.OldOpset {
		fmt.Fprintf(w, "raised the ai.onnx opset from %d to %d (per-channel DequantizeLinear)\n", rep.OldOpset, rep.Opset)
	}
	if q.verbose {
		fmt.Fprintf(w, "activation parameters (range as calibrated; 0 is always inside):\n")
		for _, p := range rep.Params {
			shared := ""
			if p.Shared != "" {
				shared = " (those of " + p.Shared + ")"
			}
			fmt.Fprintf(w, "  %-40s [%.6g, %.6g]  scale %.6g  zero point %d%s\n", p.Name, p.Range.Lo, p.Range.Hi, p.Params.Scale, p.Params.Zero, shared)
		}
	}
	fmt.Fprintf(w, "wrote %s: %s bytes (the float model: %s)\n", f.outFile, thousands(int64(f.outBytes)), thousands(int64(f.inBytes)))
}

// floatOps lists the op types of the model's other nodes (neither
// quantized, nor fused into a quantized node's range, nor Constant), for
// the summary.
func floatOps(m *quantize.Model, rep *quantize.Report) []string {
	skip := map[string]bool{"Constant": true, "Relu": true, "Clip": true}
	for _, op := range quantize.Quantizable {
		skip[op] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range m.Proto.Graph.Node {
		if n == nil || skip[n.OpType] || seen[n.OpType] {
			continue
		}
		seen[n.OpType] = true
		out = append(out, n.OpType)
	}
	sort.Strings(out)
	return out
}

// plural is "1 item" or "n items".
func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// calSource is one calibration argument: a classified input, or an ONNX
// test-data directory.
type calSource struct {
	arg     inputArg
	dataSet bool
}

// expandCalibration expands globs and classifies every calibration
// argument by content, before the model is loaded, so that a typo fails
// fast.
func expandCalibration(args []string) ([]calSource, error) {
	var out []calSource
	for _, a := range args {
		paths := []string{a}
		if _, err := os.Stat(a); err != nil && strings.ContainsAny(a, "*?[") {
			m, gerr := filepath.Glob(a)
			if gerr != nil {
				return nil, fmt.Errorf("-calibrate %s: %w", a, gerr)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("-calibrate %s: the pattern matches no file", a)
			}
			sort.Strings(m)
			paths = m
		}
		for _, p := range paths {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				if _, err := os.Stat(filepath.Join(p, "input_0.pb")); err == nil {
					out = append(out, calSource{arg: inputArg{path: p}, dataSet: true})
					continue
				}
			}
			s, err := classifyInput(p)
			if err != nil {
				return nil, fmt.Errorf("-calibrate: %w", err)
			}
			out = append(out, calSource{arg: s})
		}
	}
	return out, nil
}

// feed runs the calibrator on every source, up to -n items. Images are
// decoded a chunk at a time, so that memory stays bounded however many
// there are.
func (q *quantizeFlags) feed(cal *quantize.Calibrator, sources []calSource) error {
	inputs := cal.Inputs()
	anyImage := false
	for _, s := range sources {
		anyImage = anyImage || s.arg.isImage()
	}
	if !anyImage {
		for _, name := range imageFlagNames {
			if q.set[name] {
				return usageError(fmt.Sprintf("-%s is image preprocessing, and no calibration input is an image", name))
			}
		}
	}
	left := int64(q.limit)
	if left == 0 {
		left = -1 // no limit
	}
	var images []string
	flush := func() error {
		if len(images) == 0 {
			return nil
		}
		files := images
		images = nil
		t, err := q.images.transform(0, inputs[0], q.set)
		if err != nil {
			return err
		}
		chunk := cal.ChunkSize()
		for at := 0; at < len(files); at += chunk {
			part := files[at:min(at+chunk, len(files))]
			x, err := imageTensor(part, 0, inputs[0], t)
			if err != nil {
				return err
			}
			if err := cal.Observe([]*ir.Tensor{x}); err != nil {
				return fmt.Errorf("calibrating on %s ...: %w", part[0], err)
			}
		}
		return nil
	}
	take := func(n int64) int64 {
		if left < 0 {
			return n
		}
		n = min(n, left)
		left -= n
		return n
	}
	announced := false
	for _, s := range sources {
		if left == 0 {
			break
		}
		if !announced {
			q.progress("calibrating with the %s engine", cal.Engine())
			announced = true
		}
		switch {
		case s.dataSet:
			if err := flush(); err != nil {
				return err
			}
			in, _, err := onnx.LoadTestDataSet(s.arg.path)
			if err != nil {
				return err
			}
			if len(in) != len(inputs) {
				return fmt.Errorf("%s: holds %d inputs, the model has %d (%s)", s.arg.path, len(in), len(inputs), valueNames(inputs))
			}
			for i := range in {
				in[i] = toInputType(in[i], inputs[i])
			}
			if take(itemsOf(in[0], inputs[0])) == 0 {
				continue
			}
			if err := cal.Observe(in); err != nil {
				return fmt.Errorf("%s: %w", s.arg.path, err)
			}
		case len(inputs) != 1:
			return fmt.Errorf("%s: the model has %d inputs (%s); give each calibration sample as an ONNX test-data directory (input_0.pb, input_1.pb, ...)", s.arg.path, len(inputs), valueNames(inputs))
		case s.arg.isImage():
			for _, f := range s.arg.images {
				if take(1) == 0 {
					break
				}
				images = append(images, f)
			}
		default:
			if err := flush(); err != nil {
				return err
			}
			t, err := readTensorFile(s.arg)
			if err != nil {
				return err
			}
			t = toInputType(withBatch(t, inputs[0]), inputs[0])
			n := itemsOf(t, inputs[0])
			k := take(n)
			if k == 0 {
				continue
			}
			if k < n {
				t = firstItems(t, int(k))
			}
			if err := cal.Observe([]*ir.Tensor{t}); err != nil {
				return fmt.Errorf("%s: %w", s.arg.path, err)
			}
		}
	}
	return flush()
}

// withBatch adds a batch dimension of 1 to a tensor that is one item of
// the input (a [1,28,28] array for a [N,1,28,28] input).
func withBatch(t *ir.Tensor, v *ir.Value) *ir.Tensor {
	if len(t.Shape) == len(v.Shape)-1 && len(v.Shape) > 0 {
		c := *t
		c.Shape = append(ir.Shape{1}, t.Shape...)
		return &c
	}
	return t
}

// itemsOf is the number of items a tensor for input v holds.
func itemsOf(t *ir.Tensor, v *ir.Value) int64 {
	if len(t.Shape) == 0 || len(v.Shape) == 0 {
		return 1
	}
	return int64(t.Shape[0])
}

// firstItems keeps the first k items of t.
func firstItems(t *ir.Tensor, k int) *ir.Tensor {
	per := 1
	for _, d := range t.Shape[1:] {
		per *= d
	}
	c := &ir.Tensor{DType: t.DType, Shape: t.Shape.Clone()}
	c.Shape[0] = k
	if t.Floats != nil {
		c.Floats = t.Floats[:k*per]
	}
	if t.Ints != nil {
		c.Ints = t.Ints[:k*per]
	}
	return c
}

func valueNames(vs []*ir.Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%q %v", v.Name, v.Shape)
	}
	return strings.Join(parts, ", ")
}
