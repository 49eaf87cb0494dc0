package codegen

import (
	"fmt"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

func init() {
	emit((*gen).channelShuffle)
}

// channelShuffle emits the runtime's per-pixel shuffle for NHWC data, and
// plane copies for NCHW.
func (gen *gen) channelShuffle(n *ir.Node, op *ir.ChannelShuffle) error {
	xs := batch1(n.Inputs[0].Shape)
	src, dst, err := gen.inOut(n)
	if err != nil {
		return err
	}
	r := len(xs)
	ca := op.Layout.ChannelAxis(r)
	c := xs[ca]
	outer, inner := xs[:ca].NumElements(1), xs[ca+1:].NumElements(1)
	if inner == 1 {
		gen.kernel = "channel shuffle"
		gen.line("runtime.ChannelShuffle(%s, %s, %d, %d, %d)", dst, src, outer, c, op.Groups)
		return nil
	}
	srcs := make([]string, c)
	for o := range srcs {
		srcs[o] = fmt.Sprint(op.Source(o, c))
	}
	gen.line("{")
	gen.line("x, y := %s, %s", src, dst)
	gen.line("for o := 0; o < %d; o++ {", outer)
	gen.line("for j, k := range [...]int{%s} {", strings.Join(srcs, ", "))
	gen.line("copy(y[(o*%d+j)*%d:(o*%d+j+1)*%d], x[(o*%d+k)*%d:(o*%d+k+1)*%d])", c, inner, c, inner, c, inner, c, inner)
	gen.line("}")
	gen.line("}")
	gen.line("}")
	return nil
}
