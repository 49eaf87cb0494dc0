package eval_test

import (
	"testing"

	"github.com/cnnc/cnnc/ir"
)

func TestGemm(t *testing.T) {
	a := f32(ir.Shape{2, 3}, 1, 2, 3, 4, 5, 6)
	b := f32(ir.Shape{3, 2}, 1, 0, 0, 1, 1, 1)
	at := f32(ir.Shape{3, 2}, 1, 4, 2, 5, 3, 6) // a transposed
	bt := f32(ir.Shape{2, 3}, 1, 0, 1, 0, 1, 1) // b transposed
	// a*b = [[4, 5], [10, 11]].
	tests := []struct {
		name string
		op   *ir.Gemm
		in   []*ir.Tensor
		want []float64
	}{
		{"plain", &ir.Gemm{Alpha: 1}, []*ir.Tensor{a, b}, []float64{4, 5, 10, 11}},
		{"alpha beta row bias", &ir.Gemm{Alpha: 2, Beta: 0.5}, []*ir.Tensor{a, b, f32(ir.Shape{2}, 10, 20)}, []float64{13, 20, 25, 32}},
		{"column bias", &ir.Gemm{Alpha: 1, Beta: 1}, []*ir.Tensor{a, b, f32(ir.Shape{2, 1}, 1, 2)}, []float64{5, 6, 12, 13}},
		{"scalar bias", &ir.Gemm{Alpha: 1, Beta: 1}, []*ir.Tensor{a, b, f32(ir.Shape{}, 1)}, []float64{5, 6, 11, 12}},
		{"full bias", &ir.Gemm{Alpha: 1, Beta: -1}, []*ir.Tensor{a, b, f32(ir.Shape{2, 2}, 1, 2, 3, 4)}, []float64{3, 3, 7, 7}},
		{"transA", &ir.Gemm{Alpha: 1, TransA: true}, []*ir.Tensor{at, b}, []float64{4, 5, 10, 11}},
		{"transB", &ir.Gemm{Alpha: 1, TransB: true}, []*ir.Tensor{a, bt}, []float64{4, 5, 10, 11}},
		{"both", &ir.Gemm{Alpha: 1, TransA: true, TransB: true}, []*ir.Tensor{at, bt}, []float64{4, 5, 10, 11}},
		// The zero value is taken literally: alpha 0 gives beta*C.
		{"alpha zero", &ir.Gemm{Beta: 1}, []*ir.Tensor{a, b, f32(ir.Shape{2}, 1, 2)}, []float64{1, 2, 1, 2}},
		// Activation after alpha*AB + beta*C: relu(AB - 10).
		{"activation", &ir.Gemm{Alpha: 1, Beta: 1, Activation: &ir.Relu{}}, []*ir.Tensor{a, b, f32(ir.Shape{1}, -10)}, []float64{0, 0, 0, 1}},
		{"omitted C with beta", &ir.Gemm{Alpha: 1, Beta: 5}, []*ir.Tensor{a, b, nil}, []float64{4, 5, 10, 11}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, tc.op, tc.in...), ir.Shape{2, 2}, tc.want)
		})
	}
	errContains(t, runErr(t, &ir.Gemm{Alpha: 1}, a, a), "inner dimensions")
	errContains(t, runErr(t, &ir.Gemm{Alpha: 1}, a, ints(ir.Int32, ir.Shape{3, 2}, 1, 2, 3, 4, 5, 6)), "input 1 is i32")
}

func TestMatMul(t *testing.T) {
	a := f32(ir.Shape{2, 3}, 1, 2, 3, 4, 5, 6)
	b := f32(ir.Shape{3, 2}, 1, 0, 0, 1, 1, 1)
	tests := []struct {
		name  string
		a, b  *ir.Tensor
		shape ir.Shape
		want  []float64
	}{
		{"2d", a, b, ir.Shape{2, 2}, []float64{4, 5, 10, 11}},
		{"1d 1d", f32(ir.Shape{3}, 1, 2, 3), f32(ir.Shape{3}, 4, 5, 6), ir.Shape{}, []float64{32}},
		{"1d 2d", f32(ir.Shape{2}, 1, 2), f32(ir.Shape{2, 3}, 1, 2, 3, 4, 5, 6), ir.Shape{3}, []float64{9, 12, 15}},
		{"2d 1d", f32(ir.Shape{2, 2}, 1, 2, 3, 4), f32(ir.Shape{2}, 1, 1), ir.Shape{2}, []float64{3, 7}},
		// Two 1x2 matrices times one 2x1: broadcast of B.
		{"batched broadcast B", f32(ir.Shape{2, 1, 2}, 1, 2, 3, 4), f32(ir.Shape{2, 1}, 1, 1), ir.Shape{2, 1, 1}, []float64{3, 7}},
		// One identity times three 2x1 matrices: broadcast of A.
		{"batched broadcast A", f32(ir.Shape{1, 2, 2}, 1, 0, 0, 1), f32(ir.Shape{3, 2, 1}, 1, 2, 3, 4, 5, 6), ir.Shape{3, 2, 1}, []float64{1, 2, 3, 4, 5, 6}},
		// [2,1,1,2] x [3,2,1]: batch axes [2,1] and [3] broadcast to [2,3].
		{"batch axes broadcast", f32(ir.Shape{2, 1, 1, 2}, 1, 1, 1, -1), f32(ir.Shape{3, 2, 1}, 1, 2, 3, 4, 5, 6), ir.Shape{2, 3, 1, 1},
			[]float64{3, 7, 11, -1, -1, -1}},
		{"1d times batched", f32(ir.Shape{2}, 1, 1), f32(ir.Shape{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8), ir.Shape{2, 2}, []float64{4, 6, 12, 14}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, &ir.MatMul{}, tc.a, tc.b), tc.shape, tc.want)
		})
	}
	// Integer products wrap: 100*100 = 10000 = 16 mod 256 in int8.
	expectInts(t, run(t, &ir.MatMul{}, ints(ir.Int8, ir.Shape{1}, 100), ints(ir.Int8, ir.Shape{1}, 100)), ir.Int8, ir.Shape{}, []int64{16})
	expectInts(t, run(t, &ir.MatMul{}, ints(ir.Int32, ir.Shape{1, 2}, 2, 3), ints(ir.Int32, ir.Shape{2, 1}, -4, 5)), ir.Int32, ir.Shape{1, 1}, []int64{7})
	errContains(t, runErr(t, &ir.MatMul{}, a, a), "inner dimensions")
}
