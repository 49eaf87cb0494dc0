package codegen_test

import (
	"strings"
	"testing"

	"github.com/cnnc/cnnc/check"
	"github.com/cnnc/cnnc/codegen"
	"github.com/cnnc/cnnc/compiler"
	"github.com/cnnc/cnnc/engine"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/passes"
)

// resizeGraph is x -> Resize -> output, with x of the given shape (Batch
// allowed in dimension 0).
func resizeGraph(name string, shape ir.Shape, op *ir.Resize) *ir.Graph {
	g := ir.NewGraph(name)
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: shape, Layout: ir.NCHW})
	g.Outputs = []*ir.Value{g.Apply("resize", op, x)}
	return g
}

// sizes4 resizes the two spatial axes of an NCHW image of h x w to oh x
// ow, with the scales the importer derives from sizes.
func sizes4(n, c, h, w, oh, ow int) ([]int, []float64) {
	return []int{n, c, oh, ow}, []float64{1, 1, float64(oh) / float64(h), float64(ow) / float64(w)}
}

// resizeCases covers every mode, coordinate transformation and rounding,
// a symbolic batch, ranks other than 4 and a Resize between convolutions
// (whose NHWC outputs the layout pass transposes back for it).
func resizeCases() []*ir.Graph {
	var gs []*ir.Graph
	add := func(name string, shape ir.Shape, op *ir.Resize) { gs = append(gs, resizeGraph(name, shape, op)) }
	sz, sc := sizes4(1, 3, 5, 6, 10, 9)
	add("nearest_up", ir.Shape{1, 3, 5, 6}, &ir.Resize{Sizes: sz, Scales: sc})
	for _, m := range []ir.ResizeNearestMode{ir.NearestRoundPreferFloor, ir.NearestRoundPreferCeil, ir.NearestFloor, ir.NearestCeil} {
		sz, sc := sizes4(1, 2, 7, 5, 3, 4)
		add("nearest_"+m.String(), ir.Shape{1, 2, 7, 5}, &ir.Resize{Sizes: sz, Scales: sc, Nearest: m, Coord: ir.ResizeHalfPixel})
	}
	for _, c := range []ir.ResizeCoord{ir.ResizeHalfPixel, ir.ResizePytorchHalfPixel, ir.ResizeAlignCorners, ir.ResizeAsymmetric} {
		sz, sc := sizes4(2, 2, 4, 6, 7, 3)
		add("linear_"+c.String(), ir.Shape{2, 2, 4, 6}, &ir.Resize{Sizes: sz, Scales: sc, Mode: ir.ResizeLinear, Coord: c})
	}
	add("linear_half_pixel_symmetric", ir.Shape{1, 2, 5, 5},
		&ir.Resize{Sizes: []int{1, 2, 3, 3}, Scales: []float64{1, 1, 0.6, 0.6}, Mode: ir.ResizeLinear, Coord: ir.ResizeHalfPixelSymmetric})
	add("linear_batch", ir.Shape{ir.Batch, 3, 4, 4},
		&ir.Resize{Sizes: []int{ir.Batch, 3, 8, 6}, Scales: []float64{1, 1, 2, 1.5}, Mode: ir.ResizeLinear})
	add("linear_channels", ir.Shape{1, 4, 3, 3},
		&ir.Resize{Sizes: []int{1, 2, 3, 5}, Scales: []float64{1, 0.5, 1, 5.0 / 3}, Mode: ir.ResizeLinear})
	add("linear_antialias", ir.Shape{1, 1, 9, 8},
		&ir.Resize{Sizes: []int{1, 1, 3, 5}, Scales: []float64{1, 1, 1.0 / 3, 5.0 / 8}, Mode: ir.ResizeLinear, Antialias: true})
	sz, sc = sizes4(1, 2, 4, 4, 9, 3)
	add("cubic", ir.Shape{1, 2, 4, 4}, &ir.Resize{Sizes: sz, Scales: sc, Mode: ir.ResizeCubic, CubicCoeffA: -0.75})
	add("cubic_exclude_antialias", ir.Shape{1, 2, 4, 8}, &ir.Resize{Sizes: []int{1, 2, 6, 3}, Scales: []float64{1, 1, 1.5, 0.375},
		Mode: ir.ResizeCubic, CubicCoeffA: -0.5, ExcludeOutside: true, Antialias: true})
	add("crop_linear", ir.Shape{1, 1, 5, 5}, &ir.Resize{Sizes: []int{1, 1, 4, 3}, Scales: []float64{1, 1, 0.8, 0.6},
		Mode: ir.ResizeLinear, Coord: ir.ResizeTFCropAndResize, Roi: []float64{0, 0, -0.2, 0.3, 1, 1, 0.9, 1.4}, ExtrapolationValue: 7})
	add("crop_nearest", ir.Shape{1, 1, 5, 5}, &ir.Resize{Sizes: []int{1, 1, 4, 3}, Scales: []float64{1, 1, 0.8, 0.6},
		Coord: ir.ResizeTFCropAndResize, Roi: []float64{0, 0, -0.2, 0.3, 1, 1, 0.9, 1.4}, ExtrapolationValue: -1})
	add("rank3_linear", ir.Shape{2, 3, 5}, &ir.Resize{Sizes: []int{2, 3, 8}, Scales: []float64{1, 1, 1.6}, Mode: ir.ResizeLinear})
	add("rank1_cubic", ir.Shape{6}, &ir.Resize{Sizes: []int{9}, Scales: []float64{1.5}, Mode: ir.ResizeCubic, CubicCoeffA: -0.75})
	add("identity", ir.Shape{1, 2, 3, 3}, &ir.Resize{Sizes: []int{1, 2, 3, 3}, Scales: []float64{1, 1, 1, 1}, Mode: ir.ResizeLinear})

	// conv -> 2x nearest upsample -> conv, with a symbolic batch.
	g := ir.NewGraph("conv_resize_conv")
	x := g.AddInput("x", ir.Type{DType: ir.Float32, Shape: ir.Shape{ir.Batch, 2, 5, 5}, Layout: ir.NCHW})
	w := ir.Zeros(ir.Float32, ir.Shape{3, 2, 3, 3})
	for i := range w.Floats {
		w.Floats[i] = float64(i%5)/5 - 0.4
	}
	c1 := g.Apply("c1", &ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}, Group: 1}, x, ir.NewConst("w1", w))
	up := g.Apply("up", &ir.Resize{Sizes: []int{ir.Batch, 3, 10, 10}, Scales: []float64{1, 1, 2, 2}, Coord: ir.ResizeAsymmetric, Nearest: ir.NearestFloor}, c1)
	w2 := ir.Zeros(ir.Float32, ir.Shape{2, 3, 3, 3})
	for i := range w2.Floats {
		w2.Floats[i] = float64(i%7)/7 - 0.5
	}
	g.Outputs = []*ir.Value{g.Apply("c2", &ir.Conv{Window: ir.Window{Pads: []int{1, 1, 1, 1}}, Group: 1}, up, ir.NewConst("w2", w2))}
	return append(gs, g)
}

// TestResizeMatchesRef builds every case into one program and compares it
// with the reference evaluator.
func TestResizeMatchesRef(t *testing.T) {
	graphs := resizeCases()
	for _, g := range graphs {
		if err := g.Infer(); err != nil {
			t.Fatalf("%s: %v", g.Name, err)
		}
	}
	if testing.Short() {
		for _, g := range graphs {
			generate(t, g.Clone(), "m")
		}
		t.Skip("builds generated packages")
	}
	engines, errs, err := engine.GoMany(graphs, engine.GoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range graphs {
		t.Run(g.Name, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			defer engines[i].Close()
			in := compiler.RandomInputs(g, 2, 5)
			want, err := engine.Ref(g).Run(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := engines[i].Run(in)
			if err != nil {
				t.Fatal(err)
			}
			if r := check.Compare(got[0], want[0], 1e-4, 1e-5); !r.OK {
				t.Error(check.Line(0, g.Outputs[0].Name, r))
			}
		})
	}
}

// The tables are package-level arrays: a nearest axis has offsets only, a
// linear one offsets and weights, and copied axes none.
func TestResizeTables(t *testing.T) {
	sz, sc := sizes4(1, 3, 2, 2, 4, 4)
	src := generatedModel(t, resizeGraph("near", ir.Shape{1, 3, 2, 2}, &ir.Resize{Sizes: sz, Scales: sc, Coord: ir.ResizeAsymmetric, Nearest: ir.NearestFloor}))
	for _, want := range []string{"var rsOffResize = [...]int{0, 0, 2, 2}", "var rsOffResize_2 = [...]int{0, 0, 1, 1}", "for i := 0; i < 3; i++ {"} {
		if !strings.Contains(src, want) {
			t.Errorf("model.go lacks %q", want)
		}
	}
	if strings.Contains(src, "rsW") {
		t.Error("a nearest resize has weight tables")
	}
	sz, sc = sizes4(1, 1, 2, 2, 4, 4)
	src = generatedModel(t, resizeGraph("lin", ir.Shape{1, 1, 2, 2}, &ir.Resize{Sizes: sz, Scales: sc, Mode: ir.ResizeLinear}))
	// half_pixel 2 -> 4: -0.25 0.25 0.75 1.25; the two taps clamped to
	// an edge are merged, and the single tap padded with weight 0.
	for _, want := range []string{
		"var rsOffResize = [...]int{0, 0, 0, 2, 0, 2, 2, 2}", "var rsWResize = [...]float32{1, 0, 0.75, 0.25, 0.25, 0.75, 1, 0}",
		"var rsOffResize_2 = [...]int{0, 0, 0, 1, 0, 1, 1, 1}", "for i2 := 0; i2 < 4; i2++ {",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("model.go lacks %q", want)
		}
	}
}

func generatedModel(t *testing.T, g *ir.Graph) string {
	t.Helper()
	if err := g.Infer(); err != nil {
		t.Fatal(err)
	}
	if err := (&passes.Manager{Passes: compiler.Passes(), Verify: true}).Run(g); err != nil {
		t.Fatal(err)
	}
	files, err := codegen.Generate(g, codegen.Options{Package: "m"})
	if err != nil {
		t.Fatal(err)
	}
	return string(files[0].Data)
}
