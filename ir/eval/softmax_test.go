package eval_test

import (
	"math"
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestSoftmax(t *testing.T) {
	l3 := math.Log(3)
	// e^0 : e^ln3 = 1 : 3.
	expect(t, run(t, &ir.Softmax{Axis: -1}, f32(ir.Shape{1, 2}, 0, l3)), ir.Shape{1, 2}, []float64{0.25, 0.75})
	expectTol(t, run(t, &ir.LogSoftmax{Axis: 1}, f32(ir.Shape{1, 2}, 0, l3)), ir.Shape{1, 2}, []float64{math.Log(0.25), math.Log(0.75)}, 1e-15)

	// Shape [1, 2, 2]: over axis 1 alone the pairs are (x[0,0,k], x[0,1,k]);
	// coerced to 2-D from axis 1 on, all four elements form one row.
	x := f32(ir.Shape{1, 2, 2}, 0, 0, l3, l3)
	expect(t, run(t, &ir.Softmax{Axis: 1}, x), ir.Shape{1, 2, 2}, []float64{0.25, 0.25, 0.75, 0.75})
	expect(t, run(t, &ir.Softmax{Axis: 1, Coerce2D: true}, x), ir.Shape{1, 2, 2}, []float64{1. / 8, 1. / 8, 3. / 8, 3. / 8})
	expect(t, run(t, &ir.Softmax{Axis: 0}, x), ir.Shape{1, 2, 2}, []float64{1, 1, 1, 1})
	expectTol(t, run(t, &ir.LogSoftmax{Axis: 1, Coerce2D: true}, x), ir.Shape{1, 2, 2},
		[]float64{math.Log(1. / 8), math.Log(1. / 8), math.Log(3. / 8), math.Log(3. / 8)}, 1e-15)

	// Large inputs must not overflow: 1000 and 1001 behave like 0 and 1.
	e := math.E
	expect(t, run(t, &ir.Softmax{Axis: 0}, f32(ir.Shape{2}, 1000, 1001)), ir.Shape{2}, []float64{1 / (1 + e), e / (1 + e)})
	expect(t, run(t, &ir.LogSoftmax{Axis: 0}, f32(ir.Shape{2}, -1000, 1000)), ir.Shape{2}, []float64{-2000, 0})
	errContains(t, runErr(t, &ir.Softmax{Axis: 2}, f32(ir.Shape{1, 2}, 1, 2)), "axis")
}
