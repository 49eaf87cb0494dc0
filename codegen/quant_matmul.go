package codegen

import (
	"fmt"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emitQ(func(gen *gen, n *ir.Node, op *ir.QLinearMatMul) error {
		return gen.intMatMul(n, intConvArgs{x: 0, xz: 2, w: 3, wz: 5, bias: 8, requant: true, act: op.Activation})
	})
	emitQ(func(gen *gen, n *ir.Node, op *ir.MatMulInteger) error {
		return gen.intMatMul(n, intConvArgs{x: 0, xz: 2, w: 1, wz: 3, bias: -1})
	})
}

// intMatMul emits the integer matmul of run-time codes A (rank 2 or more,
// its rows one GEMM) by a constant 2-D B as one runtime.QGemm with B packed
// at load, requantizing (QLinearMatMul) or storing int32 sums
// (MatMulInteger) in the store step.
func (gen *gen) intMatMul(n *ir.Node, a intConvArgs) error {
	x, bv, y := n.Inputs[a.x], n.Inputs[a.w], n.Outputs[0]
	if !bv.IsConst() || len(bv.Shape) != 2 || len(x.Shape) < 2 || x.IsConst() || !constParams(n, a) {
		return gen.intMatMulLoops(n, a)
	}
	k, nn := bv.Shape[0], bv.Shape[1]
	rows := numel(x.Shape) / k
	vals, zeros, err := intWeights(bv, n.Input(a.wz))
	if err != nil {
		return err
	}
	za, err := gen.zeroArg(n.Input(a.xz), x.DType)
	if err != nil {
		return err
	}
	ep, err := gen.qepilogue(n, a, 1, nn)
	if err != nil {
		return err
	}
	src, dst, err := gen.bufPair(x, y)
	if err != nil {
		return err
	}
	wts := gen.bytesField("qw", bv.Name, "int8", vals)
	zb := "nil"
	if zeros != nil {
		zb = gen.bytesField("qwz", bv.Name+"/zero", "int8", zeros)
	}
	pk := gen.names.ident("qpk", n.Name)
	fmt.Fprintf(&gen.wfields, "\t%s *runtime.PackedQB // %s\n", pk, comment(bv.Name))
	fmt.Fprintf(&gen.wload, "\tw.%s = runtime.PackQB(%d, %d, %s, %d, false, %s)\n", pk, k, nn, wts, nn, zb)
	epArg := "nil"
	if ep != "nil" {
		epArg = "&" + ep + "[0]"
	}
	gen.kernel = "int8 gemm"
	gen.line("m.rt.Pool.QGemm(%d, %s, %d, %s, w.%s, %s(%s), %d, %s)", rows, src, k, za, pk, outKind(y), dst, nn, epArg)
	return nil
}
