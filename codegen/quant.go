package codegen

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/ir"
)

// The code of quantized layers.
//
// Run-time integer values (8-bit codes, int32 sums) live in the float32
// arena like every other value, placed by the memory plan in four-byte
// slots: forward sees the arena as bytes (ab, runtime.ArenaBytes) and as
// int32 values (ai, runtime.ArenaInt32s), and an 8-bit value at slot off
// is ab[4*off:]. int8 tensors are stored as uint8 codes plus 128, the
// form the runtime's kernels read (an int8 tensor with zero point z is the
// same real tensor as its stored codes with zero point z+128), so every
// kernel runs on uint8 codes and the zero points written into the code
// are the stored ones. Model inputs and outputs stay float32: the
// integer-io pass gives integer inputs and outputs of the model a
// conversion from and to float32.
//
// Integer weights go into weights.bin four bytes to a float32 slot (int32
// biases one to a slot), as their bit patterns, and are decoded and packed
// at load. Requantization multipliers are computed here, in float32, the
// way runtime.QScale computes them (codegen does not import the runtime).

// intOps holds the op types whose emitters read or write run-time integer
// values; views of them need no code.
var intOps = map[reflect.Type]bool{}

// emitQ registers the emitter of a quantized op type O.
func emitQ[O ir.Op](f func(gen *gen, n *ir.Node, op O) error) {
	emit(f)
	intOps[reflect.TypeFor[O]()] = true
}

func init() {
	// Transpose's general loops move any element type (the layout pass
	// puts transposes between quantized layers too).
	intOps[reflect.TypeFor[*ir.Transpose]()] = true
	intOps[reflect.TypeFor[*ir.Pad]()] = true // its loops too, with padLit
	emitQ((*gen).quantizeLinear)
	emitQ((*gen).dequantizeLinear)
	emitQ((*gen).dynamicQuantizeLinear)
}

// storable reports whether generated code can hold run-time values of
// type dt besides float32.
func storable(dt ir.DType) bool { return dt == ir.Uint8 || dt == ir.Int8 || dt == ir.Int32 }

// checkIntegers rejects run-time integer values where no emitter handles
// them: they may flow only into and out of the quantized ops (and views).
func (gen *gen) checkIntegers(n *ir.Node) error {
	ok := intOps[reflect.TypeOf(n.Op)] || ir.IsView(n)
	for _, o := range n.Outputs {
		if o != nil && o.DType != ir.Float32 && (!ok || !storable(o.DType)) {
			return unsupportedf("a run-time %s value", o.DType)
		}
	}
	for _, in := range n.Inputs {
		if in != nil && !in.IsConst() && in.DType != ir.Float32 && (!ok || !storable(in.DType)) {
			return unsupportedf("a run-time %s value", in.DType)
		}
	}
	return nil
}

// intArena is the expression of an integer value placed at slot off, as
// buf computes a float32 one's: in the front's region (lb, li), in a
// model without a batch, or item b's part of a batched pass's n items,
// each taking the value's Slots.
func (gen *gen) intArena(v *ir.Value, off int) (string, error) {
	n, slots := numel(v.Shape), passesSlots(v)
	view, unit := "ab", 4 // bytes per slot
	switch v.DType {
	case ir.Uint8, ir.Int8:
	case ir.Int32:
		view, unit = "ai", 1
	default:
		return "", fmt.Errorf("codegen: value %s is %s, which generated code cannot hold", strconv.Quote(v.Name), v.DType)
	}
	if _, in := gen.g.Plan.In[v]; in {
		return "", unsupportedf("a %s value inside another's memory", v.DType)
	}
	start := ""
	switch {
	case gen.g.Plan.Local[v]:
		return fmt.Sprintf("l%s[%d:%d]", view[1:], unit*off, unit*off+n), nil
	case !gen.batched():
		return fmt.Sprintf("%s[%d:%d]", view, unit*off, unit*off+n), nil
	case gen.whole:
		return "", unsupportedf("a whole-batch %s value", v.DType)
	default:
		start = fmt.Sprintf("%d*(n*%d+b*%d)", unit, off, slots)
	}
	return fmt.Sprintf("%s[%s : %s+%d]", view, start, start, n), nil
}

// passesSlots is passes.Slots (codegen does not import passes): the
// four-byte slots one item of v takes in the memory plan.
func passesSlots(v *ir.Value) int {
	n := v.Shape.PerBatch()
	if v.DType == ir.Float32 {
		return n
	}
	return (n*v.DType.Size() + 3) / 4
}

// shift is what the stored form adds to a code of type dt: 128 for int8.
func shift(dt ir.DType) int64 {
	if dt == ir.Int8 {
		return 128
	}
	return 0
}

// storedCodes returns the stored form of an 8-bit constant's codes.
func storedCodes(t *ir.Tensor) []byte {
	s := shift(t.DType)
	b := make([]byte, len(t.Ints))
	for i, v := range t.Ints {
		b[i] = byte(v + s)
	}
	return b
}

// bytesField declares a field of the shared weights holding data, decoded
// by runtime.Int8s or runtime.Uint8s (goType "int8" or "uint8"), and
// returns the expression that reads it.
func (gen *gen) bytesField(prefix, name, goType string, data []byte) string {
	for gen.blob.Len()%4 != 0 {
		gen.blob.WriteByte(0) // never: every write is whole slots
	}
	off := gen.blob.Len() / 4
	gen.blob.Write(data)
	for gen.blob.Len()%4 != 0 {
		gen.blob.WriteByte(0)
	}
	id := gen.names.ident(prefix, name)
	fn := "Uint8s"
	if goType == "int8" {
		fn = "Int8s"
	}
	fmt.Fprintf(&gen.wfields, "\t%s []%s // %s\n", id, goType, comment(name))
	fmt.Fprintf(&gen.wload, "\tw.%s = runtime.%s(all[%d:%d], %d)\n", id, fn, off, gen.blob.Len()/4, len(data))
	return "w." + id
}

// int32Field declares a []int32 field of the shared weights holding v.
func (gen *gen) int32Field(prefix, name string, v []int64) string {
	off := gen.blob.Len() / 4
	var b [4]byte
	for _, x := range v {
		u := uint32(int32(x))
		b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		gen.blob.Write(b[:])
	}
	id := gen.names.ident(prefix, name)
	fmt.Fprintf(&gen.wfields, "\t%s []int32 // %s\n", id, comment(name))
	fmt.Fprintf(&gen.wload, "\tw.%s = runtime.Int32Bits(all[%d:%d])\n", id, off, off+len(v))
	return "w." + id
}

// float32Field declares a []float32 field of the shared weights holding v
// (values already rounded to float32).
func (gen *gen) float32Field(name string, v []float32) string {
	t := ir.Zeros(ir.Float32, ir.Shape{len(v)})
	for i, x := range v {
		t.Floats[i] = float64(x)
	}
	return gen.weightSlice(name, t)
}

// qbuf is buf for the operands of quantized kernels: an integer constant
// becomes a field of its stored codes (8-bit) or values (int32).
func (gen *gen) qbuf(v *ir.Value) (string, error) {
	if !v.IsConst() || v.DType.IsFloat() {
		return gen.buf(v)
	}
	switch v.DType {
	case ir.Uint8, ir.Int8:
		return gen.bytesField("qc", v.Name, "uint8", storedCodes(v.Const)), nil
	case ir.Int32:
		return gen.int32Field("qc", v.Name, v.Const.Ints), nil
	}
	return "", unsupportedf("a %s constant operand", v.DType)
}

// constScales returns the float32 values of a constant scale.
func constScales(v *ir.Value) ([]float32, error) {
	if v == nil || !v.IsConst() {
		return nil, unsupportedf("a quantization scale computed at run time here")
	}
	s := make([]float32, v.Const.Len())
	for i := range s {
		f := v.Const.Float(i)
		if !(f > 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("scale %q holds %g; a scale must be positive and finite", v.Name, f)
		}
		s[i] = float32(f)
	}
	return s, nil
}

// constZeros returns the stored zero points (n of them when per channel,
// else one) of codes of type dt from v, 0 (stored) when v is omitted.
func constZeros(v *ir.Value, dt ir.DType) ([]int64, error) {
	if v == nil {
		return []int64{shift(dt)}, nil
	}
	if !v.IsConst() {
		return nil, unsupportedf("a zero point computed at run time here")
	}
	lo, hi := ir.QuantRange(dt)
	z := make([]int64, v.Const.Len())
	for i, x := range v.Const.Ints {
		if x < lo || x > hi {
			return nil, fmt.Errorf("zero point %q holds %d, outside the %s range", v.Name, x, dt)
		}
		z[i] = x + shift(dt)
	}
	return z, nil
}

// qscale is runtime.QScale: x_scale*w_scale/y_scale in float32, product
// first.
func qscale(xs, ws, ys float32) float32 {
	p := float32(xs * ws)
	return float32(p / ys)
}

// quantize32 is QuantizeLinear of one float32 value to stored codes of
// type dt, as the runtime computes it.
func quantize32(x, scale float32, zero int64, dt ir.DType) int64 {
	v := float64(float32(x / scale))
	lo, hi := ir.QuantRange(dt)
	lo, hi = lo+shift(dt), hi+shift(dt)
	if v != v {
		return zero
	}
	r := math.RoundToEven(v) + float64(zero)
	return int64(min(max(r, float64(lo)), float64(hi)))
}

// clampLit is the Clamp, Lo and Hi of a QEpilogue for a fused clamping
// activation of outputs with stored zero point yz and scale ys, or "".
func clampLit(act ir.Activation, ys float32, yz int64, dt ir.DType) string {
	if act == nil {
		return ""
	}
	a, b := ir.ClampBounds(act)
	lo, hi := ir.QuantRange(dt)
	lo, hi = lo+shift(dt), hi+shift(dt)
	if !math.IsInf(a, -1) {
		lo = max(lo, quantize32(float32(a), ys, yz, dt))
	}
	if !math.IsInf(b, 1) {
		hi = min(hi, quantize32(float32(b), ys, yz, dt))
	}
	return fmt.Sprintf(", Clamp: true, Lo: %d, Hi: %d", lo, max(lo, hi))
}

// params holds the expressions of a conversion's scale and zero point and
// the number of channels they cover.
type params struct {
	scale, zero string // zero may be "nil"
	channels    int
}

// convParams returns the scale and zero point expressions of a
// QuantizeLinear or DequantizeLinear of codes of type dt: constants as
// weights, or run-time values straight from the arena (a run-time zero
// point is stored already).
func (gen *gen) convParams(n *ir.Node, dt ir.DType) (params, error) {
	sv, zv := n.Inputs[1], n.Input(2)
	p := params{zero: "nil", channels: numel(sv.Shape)}
	if sv.DType != ir.Float32 {
		return p, unsupportedf("a %s scale", sv.DType)
	}
	if sv.IsConst() {
		s, err := constScales(sv)
		if err != nil {
			return p, err
		}
		p.scale = gen.float32Field(sv.Name, s)
	} else {
		s, err := gen.buf(sv)
		if err != nil {
			return p, err
		}
		p.scale = s
	}
	switch {
	case zv == nil && shift(dt) == 0:
	case zv == nil || zv.IsConst():
		z, err := constZeros(zv, dt)
		if err != nil {
			return p, err
		}
		if zv == nil {
			z = repeat(z[0], p.channels)
		}
		b := make([]byte, len(z))
		for i, v := range z {
			b[i] = byte(v)
		}
		name := n.Name + "/zero"
		if zv != nil {
			name = zv.Name
		}
		p.zero = gen.bytesField("qz", name, "uint8", b)
	default:
		z, err := gen.buf(zv)
		if err != nil {
			return p, err
		}
		p.zero = z
	}
	return p, nil
}

func repeat(v int64, n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// perChannel emits call once for per-tensor parameters or per-channel ones
// along the last axis (which the runtime's conversions take as they are),
// and once per (outer, channel) block for another axis. call formats the
// statement from the destination, source, scale and zero expressions.
func (gen *gen) perChannel(shape ir.Shape, axis int, p params, dst, src string, call func(dst, src, scale, zero string) string) {
	s := batch1(shape)
	if p.channels == 1 || axis == len(s)-1 {
		gen.line("%s", call(dst, src, p.scale, p.zero))
		return
	}
	outer, inner := 1, 1
	for _, d := range s[:axis] {
		outer *= d
	}
	for _, d := range s[axis+1:] {
		inner *= d
	}
	c := s[axis]
	zero := "nil"
	gen.line("{")
	if p.zero != "nil" {
		gen.line("x, y, s, z := %s, %s, %s, %s", src, dst, p.scale, p.zero)
		zero = "z[c : c+1]"
	} else {
		gen.line("x, y, s := %s, %s, %s", src, dst, p.scale)
	}
	gen.line("for o := 0; o < %d; o++ {", outer)
	gen.line("for c := 0; c < %d; c++ {", c)
	gen.line("i := (o*%d + c) * %d", c, inner)
	gen.line("%s", call(fmt.Sprintf("y[i:i+%d]", inner), fmt.Sprintf("x[i:i+%d]", inner), "s[c:c+1]", zero))
	gen.line("}")
	gen.line("}")
	gen.line("}")
}

// quantizeLinear emits float32 -> 8-bit codes (runtime.QuantizeU8 into
// the stored form).
func (gen *gen) quantizeLinear(n *ir.Node, op *ir.QuantizeLinear) error {
	x, y := n.Inputs[0], n.Outputs[0]
	switch {
	case x.DType != ir.Float32:
		return unsupportedf("a QuantizeLinear of %s data", x.DType)
	case !ir.Is8Bit(op.To):
		return unsupportedf("a run-time %s value", op.To)
	case op.BlockSize > 0:
		return unsupportedf("blocked quantization")
	case op.Precision != ir.Invalid && op.Precision != ir.Float32:
		return unsupportedf("a QuantizeLinear dividing in %s", op.Precision)
	}
	p, err := gen.convParams(n, op.To)
	if err != nil {
		return err
	}
	src, dst, err := gen.bufPair(x, y)
	if err != nil {
		return err
	}
	gen.kernel = "quantize"
	gen.perChannel(x.Shape, op.Axis, p, dst, src, func(d, s, sc, z string) string {
		return fmt.Sprintf("runtime.QuantizeU8(%s, %s, %s, %s)", d, s, sc, z)
	})
	return nil
}

// dequantizeLinear emits 8-bit codes or int32 values -> float32.
func (gen *gen) dequantizeLinear(n *ir.Node, op *ir.DequantizeLinear) error {
	x, y := n.Inputs[0], n.Outputs[0]
	switch {
	case op.To != ir.Float32:
		return unsupportedf("a run-time %s value", op.To)
	case op.BlockSize > 0:
		return unsupportedf("blocked quantization")
	case !ir.Is8Bit(x.DType) && x.DType != ir.Int32:
		return unsupportedf("a run-time %s value", x.DType)
	}
	p, err := gen.convParams(n, x.DType)
	if err != nil {
		return err
	}
	src, err := gen.qbuf(x)
	if err != nil {
		return err
	}
	dst, err := gen.buf(y)
	if err != nil {
		return err
	}
	gen.kernel = "dequantize"
	gen.perChannel(x.Shape, op.Axis, p, dst, src, func(d, s, sc, z string) string {
		if x.DType == ir.Int32 {
			return fmt.Sprintf("runtime.DequantizeInt32(%s, %s, %s)", d, s, sc)
		}
		return fmt.Sprintf("runtime.DequantizeU8(%s, %s, %s, %s)", d, s, sc, z)
	})
	return nil
}

// dynamicQuantizeLinear emits runtime.DynamicQuantizeU8.
func (gen *gen) dynamicQuantizeLinear(n *ir.Node, _ *ir.DynamicQuantizeLinear) error {
	var exprs [4]string
	for i, v := range append([]*ir.Value{n.Inputs[0]}, n.Outputs...) {
		if v == nil {
			return unsupportedf("a DynamicQuantizeLinear without all its outputs")
		}
		e, err := gen.buf(v)
		if err != nil {
			return err
		}
		exprs[i] = e
	}
	gen.kernel = "dynamic quantize"
	gen.line("runtime.DynamicQuantizeU8(%s, %s, %s, %s)", exprs[1], exprs[2], exprs[3], exprs[0])
	return nil
}

// intList formats integers as a Go list.
func intList(v []int64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, ", ")
}

// padLit is a Pad's constant in the stored form of values of type dt: a
// float literal for float32, the stored code for 8-bit codes.
func padLit(dt ir.DType, v float64) string {
	if dt == ir.Float32 {
		return floatLit(v)
	}
	return strconv.FormatInt(int64(v)+shift(dt), 10)
}
