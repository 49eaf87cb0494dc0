package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/vision"
)

func runCmd() *command {
	return &command{
		name:  "run",
		args:  "MODEL [INPUT...]",
		short: "run the model on inputs (PNG/JPEG images, .npy or TensorProto files, or seeded random data) and print each item's top classes or values, or save the outputs",
		example: "cnnc run -input cmd/cnnc/testdata/images/digits examples/mnist/model/mnist.onnx\n" +
			"  cnnc run -preset imagenet -labels imagenet_classes.txt -softmax resnet18.onnx cat.jpg dog.png   (inputs may follow the model)",
		flags: func(fs *flag.FlagSet, out, errOut io.Writer) func([]string) error {
			r := &runFlags{out: out, errOut: errOut}
			r.model = addModelFlags(fs, errOut)
			r.engine = engineFlag(fs)
			fs.Var(&r.inputs, "input", "input `FILE or DIR`, repeatable: a .pb TensorProto or .npy array per model input, in order, or images (PNG, JPEG; several files or a directory of them, sorted by name, make one batch); inputs may also follow the model; default: seeded random data")
			fs.StringVar(&r.outFile, "o", "", "also write the outputs to `FILE`.npy or FILE.pb (several outputs: FILE_0.npy, FILE_1.npy, ...); a FILE without extension is a prefix: FILE0.pb, FILE1.pb, ...")
			fs.IntVar(&r.batch, "batch", 1, "batch size of the random input, for a model with a batch dimension")
			fs.IntVar(&r.topK, "topk", 5, "print the `K` highest classes of each item of an output shaped [batch, classes]; 0 prints values instead")
			fs.StringVar(&r.labelsFile, "labels", "", "name the classes from `FILE`, one label per line (line K names class K)")
			fs.BoolVar(&r.softmax, "softmax", false, "apply softmax to class scores before printing them (for models that output logits)")
			r.images = addImageFlags(fs)
			fs.Var(&r.maxMemory, "max-memory", "refuse to run when the estimated memory passes `SIZE` (such as 8GiB or 500MB; default: half of MemAvailable in /proc/meminfo, or 4GiB; 0: no limit)")
			return func(positional []string) error {
				r.set = map[string]bool{}
				fs.Visit(func(f *flag.Flag) { r.set[f.Name] = true })
				return r.run(positional)
			}
		},
	}
}

// runFlags holds cnnc run's flags and does the run.
type runFlags struct {
	model      *modelFlags
	engine     *string
	inputs     stringsFlag
	outFile    string
	batch      int
	topK       int
	labelsFile string
	softmax    bool
	images     *imageFlags
	maxMemory  memoryFlag
	set        map[string]bool // flags given on the command line

	out, errOut io.Writer
}

// imageFlagNames are the flags that only image inputs use.
var imageFlagNames = []string{"preset", "resize", "crop", "scale", "mean", "std", "invert"}

func (r *runFlags) run(positional []string) error {
	path, extra, err := splitRunArgs(positional)
	if err != nil {
		return err
	}
	args := append(append([]string(nil), r.inputs...), extra...)
	if err := r.checkFlags(args); err != nil {
		return err
	}
	var labels []string
	if r.labelsFile != "" {
		if labels, err = readLabels(r.labelsFile); err != nil {
			return err
		}
	}
	specs := make([]inputArg, len(args))
	anyImage := false
	for i, a := range args {
		if specs[i], err = classifyInput(a); err != nil {
			return err
		}
		anyImage = anyImage || specs[i].isImage()
	}
	if !anyImage {
		for _, name := range imageFlagNames {
			if r.set[name] {
				return usageError(fmt.Sprintf("-%s is image preprocessing, and no input is an image", name))
			}
		}
	}

	var g *ir.Graph
	var feed []*ir.Tensor
	var names []string
	if anyImage {
		g, feed, names, err = r.imageInputs(path, specs)
	} else {
		g, feed, err = r.tensorInputs(path, specs)
	}
	if err != nil {
		return err
	}

	e, err := newEngine(r.model, *r.engine, g)
	if err != nil {
		return err
	}
	defer e.Close()
	outs, err := e.Run(feed)
	if err != nil {
		return err
	}
	printOutputs(r.out, g, outs, printOptions{topK: r.topK, labels: labels, softmax: r.softmax, names: names, warn: r.model.log()})
	if r.outFile == "" {
		return nil
	}
	files, err := outputFiles(r.outFile, len(outs))
	if err != nil {
		return err
	}
	for i, t := range outs {
		if err := writeOutput(files[i], g.Outputs[i].Name, t); err != nil {
			return err
		}
		fmt.Fprintf(r.out, "output %d %q %v -> %s\n", i, g.Outputs[i].Name, t.Shape, files[i])
	}
	return nil
}

// checkFlags rejects flag combinations that cannot mean what they say,
// before anything is loaded.
func (r *runFlags) checkFlags(args []string) error {
	if *r.engine != "ref" && *r.engine != "go" {
		return usageError(fmt.Sprintf("unknown engine %q; want %s", *r.engine, strings.Join(engine.Names, " or ")))
	}
	if r.batch < 1 {
		return usageError("-batch must be positive")
	}
	if r.set["batch"] && len(args) > 0 {
		return usageError("-batch sets the batch of the random input; with inputs given, the batch is the number of items they hold")
	}
	if r.topK < 0 {
		return usageError("-topk must be 0 (print values) or more")
	}
	if r.outFile != "" {
		if _, err := outputFiles(r.outFile, 1); err != nil {
			return err
		}
	}
	return nil
}

// splitRunArgs finds the model among the positional arguments: the first
// .cnn or .onnx file (else the first argument, for Load to reject). The
// others are inputs, after those of -input, so that a shell glob works:
// "cnnc run model.onnx digits/*.png", or "-input digits/*.png", whose
// expansion puts all but the first file after the flag.
func splitRunArgs(positional []string) (model string, inputs []string, err error) {
	if len(positional) == 0 {
		return "", nil, usageError("no model given")
	}
	at := 0
	for i, p := range positional {
		if compiler.FormatOf(p) != compiler.Unknown {
			at = i
			break
		}
	}
	inputs = append(append(inputs, positional[:at]...), positional[at+1:]...)
	return positional[at], inputs, nil
}

func readLabels(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	labels, err := vision.ReadLabels(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("-labels %s: the file holds no labels", path)
	}
	return labels, nil
}

// tensorInputs loads the model for .pb and .npy inputs, one per run-time
// input of the model file, or for a seeded random input when there are
// none. The model is loaded with the tensors, so that symbolic dimensions
// (a fully convolutional model's height and width) and inputs needed at
// compile time are bound from them.
func (r *runFlags) tensorInputs(path string, specs []inputArg) (*ir.Graph, []*ir.Tensor, error) {
	var in []*ir.Tensor
	for _, s := range specs {
		t, err := readTensorFile(s)
		if err != nil {
			return nil, nil, err
		}
		in = append(in, t)
	}
	opts := r.model.loadOptions()
	opts.Inputs = in
	m, err := r.model.loadWith(path, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := r.model.dumpImport(m.Graph); err != nil {
		return nil, nil, err
	}
	g := m.Graph
	if in == nil {
		// Checked before the random input is made: it is batch-sized too.
		if err := checkMemory(g, *r.engine, r.batch, fmt.Sprintf("a batch of %d", r.batch), 0, &r.maxMemory); err != nil {
			return nil, nil, err
		}
		return g, compiler.RandomInputs(g, r.batch, uint64(r.model.seed)), nil
	}
	feed := m.Feed
	// The files are matched to the graph's inputs by position unless the
	// load bound some of them at compile time.
	matched := len(feed) == len(specs)
	if matched {
		for i, t := range feed {
			feed[i] = toInputType(t, g.Inputs[i])
		}
	}
	batch, err := engine.CheckInputs(g, feed)
	if err != nil {
		if matched {
			for i := range feed {
				one := &ir.Graph{Inputs: g.Inputs[i : i+1]}
				if _, e := engine.CheckInputs(one, feed[i:i+1]); e != nil {
					return nil, nil, fmt.Errorf("%s: %w", specs[i].path, err)
				}
			}
		}
		return nil, nil, err
	}
	if err := checkMemory(g, *r.engine, batch, fmt.Sprintf("inputs with a batch of %d", batch), 0, &r.maxMemory); err != nil {
		return nil, nil, err
	}
	return g, feed, nil
}

// imageInputs loads the model and makes its inputs from images: a model
// with one input takes every image as one batch; a model with several
// takes one argument per input, images (a file or a directory) for image
// inputs and .pb or .npy files for the others. Image inputs take their
// size, channels and layout from the model, so the model is loaded first.
// It returns the image files of the first image input as the names of
// the batch items.
func (r *runFlags) imageInputs(path string, specs []inputArg) (*ir.Graph, []*ir.Tensor, []string, error) {
	m, err := r.model.load(path)
	if err != nil {
		// Images are resized to the model's input, so its size must be known
		// before any is read: a model with a free height and width needs -dim.
		var de *onnx.DimsError
		if errors.As(err, &de) {
			return nil, nil, nil, fmt.Errorf("%w; image inputs are sized to the model's input, so give its size with -dim", err)
		}
		return nil, nil, nil, err
	}
	if err := r.model.dumpImport(m.Graph); err != nil {
		return nil, nil, nil, err
	}
	g := m.Graph
	groups := make([][]string, len(g.Inputs)) // the image files of each image input
	feed := make([]*ir.Tensor, len(g.Inputs))
	if len(g.Inputs) == 1 {
		for _, s := range specs {
			if !s.isImage() {
				return nil, nil, nil, fmt.Errorf("%s: the model has one input and the other arguments are images; give images only, or .pb/.npy files only", s.path)
			}
			groups[0] = append(groups[0], s.images...)
		}
	} else {
		if len(specs) != len(g.Inputs) {
			return nil, nil, nil, fmt.Errorf("the model has %d inputs (%s) and %d were given: give one per input, in order (images for an image input: a file or a directory)", len(g.Inputs), inputNames(g), len(specs))
		}
		for i, s := range specs {
			if s.isImage() {
				groups[i] = s.images
				continue
			}
			t, err := readTensorFile(s)
			if err != nil {
				return nil, nil, nil, err
			}
			feed[i] = toInputType(t, g.Inputs[i])
		}
	}

	// Every image's size, from its header, and the memory check, before
	// anything is decoded.
	count, largest := 0, 0
	for _, files := range groups {
		count = max(count, len(files))
		for _, f := range files {
			w, h, err := imageSize(f)
			if err != nil {
				return nil, nil, nil, err
			}
			if w <= 0 || h <= 0 || w > vision.MaxPixels/max(h, 1) {
				return nil, nil, nil, fmt.Errorf("%s: an image of %dx%d pixels is more than cnnc run takes (%d pixels)", f, w, h, vision.MaxPixels)
			}
			largest = max(largest, w*h)
		}
	}
	// A decoded image takes up to 8 bytes a pixel (16-bit RGBA).
	if err := checkMemory(g, *r.engine, count, fmt.Sprintf("%d images", count), 8*float64(largest), &r.maxMemory); err != nil {
		return nil, nil, nil, err
	}

	var names []string
	for i, files := range groups {
		if files == nil {
			continue
		}
		v := g.Inputs[i]
		t, err := r.images.transform(i, v, r.set)
		if err != nil {
			return nil, nil, nil, err
		}
		r.model.progress("%d image(s) -> input %d (%q) %v: %s", len(files), i, v.Name, v.Shape, describeTransform(t))
		if feed[i], err = imageTensor(files, i, v, t); err != nil {
			return nil, nil, nil, err
		}
		if names == nil {
			names = files
		}
	}
	if _, err := engine.CheckInputs(g, feed); err != nil {
		return nil, nil, nil, err
	}
	return g, feed, names, nil
}

// inputNames lists a graph's inputs with their shapes, for messages.
func inputNames(g *ir.Graph) string {
	parts := make([]string, len(g.Inputs))
	for i, v := range g.Inputs {
		parts[i] = fmt.Sprintf("%q %v", v.Name, v.Shape)
	}
	return strings.Join(parts, ", ")
}

// imageTensor decodes and preprocesses the images of model input i, one
// at a time, into one tensor: the batch dimension holds the images in
// order. A fixed batch must match the number of images.
func imageTensor(files []string, i int, v *ir.Value, t vision.Transform) (*ir.Tensor, error) {
	shape := v.Shape.Clone()
	n := len(files)
	if len(shape) == 4 {
		switch b := shape[0]; {
		case b == ir.Batch:
			shape[0] = n
		case n > b:
			return nil, fmt.Errorf("input %d (%q) %v has a fixed batch of %d, and %d images are more than that: give %d per run", i, v.Name, v.Shape, b, n, b)
		case n < b:
			return nil, fmt.Errorf("input %d (%q) %v has a fixed batch of %d: it needs %d images, got %d", i, v.Name, v.Shape, b, b, n)
		}
	} else if n != 1 {
		return nil, fmt.Errorf("input %d (%q) %v has no batch dimension: it takes one image, got %d", i, v.Name, v.Shape, n)
	}
	per := t.Len()
	out := &ir.Tensor{DType: v.DType, Shape: shape, Floats: make([]float64, n*per)}
	buf := make([]float32, per)
	for k, f := range files {
		img, err := decodeImage(f)
		if err != nil {
			return nil, err
		}
		if err := t.Apply(buf, img); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		dst := out.Floats[k*per : (k+1)*per]
		for j, x := range buf {
			dst[j] = float64(x)
		}
	}
	out.RoundToType()
	return out, nil
}

// stringsFlag collects a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}
