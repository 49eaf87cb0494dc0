package eval_test

import (
	"math"
	"strings"
	"testing"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// The CNN tutorial (shared/seed/cnn-tutorial.md, sections 1.2.2 and 1.2.3)
// convolves a 10x10 black-and-white circle, circle.npy, with four 3x3 line
// detectors and max-pools the results with its Pool(2) class. circle.npy
// itself is not available, so the test draws its own circle: pixel (i, j)
// (row i, column j) is 1 where
//
//	|sqrt((i-4.5)^2 + (j-4.5)^2) - 3.5| < 0.75
//
// and 0 elsewhere, a ring of radius 3.5 around the image's centre. That
// gives exactly this picture (# is 1):
const circleArt = `
..........
...####...
..##..##..
.##....##.
.#......#.
.#......#.
.##....##.
..##..##..
...####...
..........`

// circle draws the image by the rule above.
func circle() [10][10]float64 {
	var x [10][10]float64
	for i := range 10 {
		for j := range 10 {
			r := math.Hypot(float64(i)-4.5, float64(j)-4.5)
			if math.Abs(r-3.5) < 0.75 {
				x[i][j] = 1
			}
		}
	}
	return x
}

// The kernels of section 1.2.3's example: vertical, horizontal and the two
// diagonal lines.
var tutorialKernels = [4][3][3]float64{
	{{0, 1, 0}, {0, 1, 0}, {0, 1, 0}},
	{{0, 0, 0}, {1, 1, 1}, {0, 0, 0}},
	{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	{{0, 0, 1}, {0, 1, 0}, {1, 0, 0}},
}

// convFProp transcribes the tutorial's numpy Conv.f_prop:
//
//	out = np.zeros((X.shape[0]-2, X.shape[1]-2))
//	for i in range(out.shape[0]):
//	    for j in range(out.shape[1]):
//	        x = X[i:i+3, j:j+3]
//	        out[i,j] = np.dot(self.W.flatten(), x.flatten())
func convFProp(w [3][3]float64, x [10][10]float64) [8][8]float64 {
	var out [8][8]float64
	for i := range 8 {
		for j := range 8 {
			var wf, xf []float64
			for a := range 3 {
				for b := range 3 {
					wf = append(wf, w[a][b])
					xf = append(xf, x[i+a][j+b])
				}
			}
			for k := range wf {
				out[i][j] += wf[k] * xf[k]
			}
		}
	}
	return out
}

// poolFProp transcribes the tutorial's Pool.f_prop with l = 2:
//
//	out = np.zeros((X.shape[0]//self.l, X.shape[1]//self.l))
//	for i in range(out.shape[0]):
//	    for j in range(out.shape[1]):
//	        out[i,j] = np.max(X[i*l:(i+1)*l, j*l:(j+1)*l])
func poolFProp(x [8][8]float64) [4][4]float64 {
	const l = 2
	var out [4][4]float64
	for i := range 8 / l {
		for j := range 8 / l {
			m := math.Inf(-1)
			for a := i * l; a < (i+1)*l; a++ {
				for b := j * l; b < (j+1)*l; b++ {
					m = math.Max(m, x[a][b])
				}
			}
			out[i][j] = m
		}
	}
	return out
}

func TestTutorialCircle(t *testing.T) {
	img := circle()
	var art []string
	for _, row := range img {
		var b strings.Builder
		for _, v := range row {
			if v == 1 {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		art = append(art, b.String())
	}
	if got := "\n" + strings.Join(art, "\n"); got != circleArt {
		t.Fatalf("the circle rule draws%s\nnot the picture in the comment", got)
	}

	for _, layout := range []ir.Layout{ir.NCHW, ir.NHWC} {
		t.Run(layout.String(), func(t *testing.T) {
			// One Conv with a 1-channel input and 4 output channels, one
			// per kernel, no padding; then MaxPool 2x2, stride 2.
			var wdata []float64
			for _, k := range tutorialKernels {
				for _, row := range k {
					wdata = append(wdata, row[:]...)
				}
			}
			var xdata []float64
			for _, row := range img {
				xdata = append(xdata, row[:]...)
			}
			inShape := ir.Shape{ir.Batch, 1, 10, 10}
			if layout == ir.NHWC {
				inShape = ir.Shape{ir.Batch, 10, 10, 1} // one channel: same data order
			}
			g := ir.NewGraph("tutorial")
			x := g.AddInput("X", ir.Type{DType: ir.Float32, Shape: inShape, Layout: layout})
			w := ir.NewConst("W", f32(ir.Shape{4, 1, 3, 3}, wdata...))
			c := g.Apply("conv", &ir.Conv{Window: ir.Window{Kernel: []int{3, 3}}, Layout: layout}, x, w)
			p := g.Apply("pool", &ir.MaxPool{Window: ir.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, Layout: layout}, c)
			g.Outputs = []*ir.Value{c, p}

			in := f32(ir.Shape{1, 1, 10, 10}, xdata...)
			in.Shape = append(ir.Shape{1}, inShape[1:]...)
			outs, err := eval.Run(g, []*ir.Tensor{in})
			if err != nil {
				t.Fatal(err)
			}
			conv, pool := outs[0], outs[1]
			if layout == ir.NHWC {
				conv, pool = channelsFirst(conv), channelsFirst(pool)
			}
			expectShape(t, conv, ir.Shape{1, 4, 8, 8})
			expectShape(t, pool, ir.Shape{1, 4, 4, 4})

			// (a) The tutorial's own loops.
			for k, kern := range tutorialKernels {
				cw := convFProp(kern, img)
				pw := poolFProp(cw)
				for i := range 8 {
					for j := range 8 {
						if got := conv.Floats[(k*8+i)*8+j]; got != cw[i][j] {
							t.Fatalf("kernel W%d: conv[%d][%d] = %v, Conv.f_prop gives %v", k+1, i, j, got, cw[i][j])
						}
					}
				}
				for i := range 4 {
					for j := range 4 {
						if got := pool.Floats[(k*4+i)*4+j]; got != pw[i][j] {
							t.Fatalf("kernel W%d: pool[%d][%d] = %v, Pool.f_prop gives %v", k+1, i, j, got, pw[i][j])
						}
					}
				}
			}

			// (b) Values worked out by hand from the picture. Vertical
			// kernel, output row 0: column j+1 summed over image rows
			// 0..2, where row 1 is set in columns 3-6 and row 2 in
			// columns 2, 3, 6, 7.
			row := func(t *ir.Tensor, k, i, w int) []float64 { return t.Floats[(k*w+i)*w : (k*w+i+1)*w] }
			expectRow(t, "W1 conv row 0", row(conv, 0, 0, 8), 0, 1, 2, 1, 1, 2, 1, 0)
			// Horizontal kernel, output row 0: three neighbours of image
			// row 1 (columns j..j+2), set in columns 3-6.
			expectRow(t, "W2 conv row 0", row(conv, 1, 0, 8), 0, 1, 2, 3, 3, 2, 1, 0)
			// Vertical kernel, conv rows 3 and 4 meet the ring's left and
			// right sides in three pixels (image rows 3-5, columns 1 and
			// 8); pooled row 1 = max over conv rows 2-3.
			expectRow(t, "W1 conv row 3", row(conv, 0, 3, 8), 3, 1, 0, 0, 0, 0, 1, 3)
			expectRow(t, "W1 pool row 1", row(pool, 0, 1, 4), 3, 1, 1, 3)
			expectRow(t, "W2 pool row 0", row(pool, 1, 0, 4), 2, 3, 3, 2)
			// The main diagonal kernel sees the ring's top-right and
			// bottom-left arcs (3 along a diagonal) and nothing inside.
			expectRow(t, "W3 pool row 1", row(pool, 2, 1, 4), 1, 1, 0, 3)
		})
	}
}

func expectShape(t *testing.T, x *ir.Tensor, s ir.Shape) {
	t.Helper()
	if !x.Shape.Equal(s) {
		t.Fatalf("shape %v, want %v", x.Shape, s)
	}
}

func expectRow(t *testing.T, what string, got []float64, want ...float64) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}
