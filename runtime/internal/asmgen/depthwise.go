package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// depthwise writes the depthwise-convolution kernel: for each of npix
// output pixels (pixel p's channels at out + p*ostride floats, its input
// taps relative to in + p*istride floats) it computes, for ch < c,
//
//	out[ch] = bias[ch] + sum_t in[taps[2t] + ch] * w[taps[2t+1] + ch]
//
// over ntaps taps, where the taps table holds byte offsets of each tap's
// input pixel and of its weights, then clamps if flags say so (the tBias
// and tClamp flags of the GEMM). c must be a multiple of the vector width;
// the caller does any remaining channels. The table lets one kernel serve
// interior pixels (all taps) and border pixels (the taps inside the image)
// alike.
//
// Pixels go four at a time, sharing each weight vector: a tap costs one
// weight load for four FMAs, each of which reads its input straight from
// memory, so the loads no longer outnumber the FMAs two to one as they do
// when every pixel reloads the weights. Channels go two vectors at a time
// (eight accumulators) and then one.
func depthwise(s isa) {
	name := s.name[len("sgemm"):]
	name = "depthwise" + name
	TEXT(name, NOSPLIT, "func(npix int, out *float32, ostride int, in *float32, istride int, taps *int, ntaps int, w *float32, c int, bias *float32, flags uint, lo float32, hi float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix pixels of a depthwise convolution; see the asmgen command.", name))

	npix, outp, inp, cbytes, flags, wp, is := R8, R9, R10, R11, R12, R13, R14
	Load(Param("npix"), npix)
	Load(Param("w"), wp)
	Load(Param("out"), outp)
	Load(Param("in"), inp)
	Load(Param("c"), cbytes)
	SHLQ(Imm(2), cbytes)
	Load(Param("flags"), flags)
	Load(Param("istride"), is)
	SHLQ(Imm(2), is)
	lo, hi := s.vec(s.regs-2), s.vec(s.regs-1)
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)

	for _, np := range []int{4, 1} {
		grp := fmt.Sprintf("%s_p%d", name, np)
		Label(grp)
		CMPQ(npix, U32(np))
		JL(LabelRef(grp + "_end"))
		cb := RAX
		XORQ(cb, cb)
		for _, nv := range []int{2, 1} {
			depthwiseBlock(s, name, grp, np, nv, outp, inp, cbytes, flags, wp, is, cb, lo, hi)
		}
		// Next np pixels.
		shift := map[int]uint64{1: 0, 4: 2}[np]
		Load(Param("ostride"), RBX)
		SHLQ(Imm(2+shift), RBX)
		ADDQ(RBX, outp)
		MOVQ(is, RBX)
		if shift > 0 {
			SHLQ(Imm(shift), RBX)
		}
		ADDQ(RBX, inp)
		SUBQ(U32(np), npix)
		JMP(LabelRef(grp))
		Label(grp + "_end")
	}
	VZEROUPPER()
	RET()
}

// depthwiseBlock emits the loop over channel blocks of nv vectors for np
// pixels: accumulators acc[p*nv+v], weights in the registers after them.
func depthwiseBlock(s isa, name, grp string, np, nv int, outp, inp, cbytes, flags, wp, is, cb GPPhysical, lo, hi VecPhysical) {
	blk := fmt.Sprintf("%s_v%d", grp, nv)
	width := nv * s.vbytes
	acc := func(p, v int) VecPhysical { return s.vec(p*nv + v) }
	wv := func(v int) VecPhysical { return s.vec(np*nv + v) }
	Label(blk)
	MOVQ(cbytes, RBX)
	SUBQ(cb, RBX)
	CMPQ(RBX, U32(width))
	JL(LabelRef(blk + "_next"))

	TESTQ(U32(tBias), flags)
	JZ(LabelRef(blk + "_zero"))
	Load(Param("bias"), RSI)
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: RSI, Index: cb, Scale: 1, Disp: v * s.vbytes}, acc(0, v))
		for p := 1; p < np; p++ {
			s.mov(acc(0, v), acc(p, v))
		}
	}
	JMP(LabelRef(blk + "_taps"))
	Label(blk + "_zero")
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			s.zero(acc(p, v))
		}
	}
	Label(blk + "_taps")
	// RDI walks the taps table, RCX counts the taps left; RDX is the tap's
	// input for pixel 0, RBX for pixel 1 (pixels 2 and 3 are one and two
	// strides further), RSI the tap's weights.
	Load(Param("taps"), RDI)
	Load(Param("ntaps"), RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef(blk + "_store"))
	Label(blk + "_tap")
	MOVQ(Mem{Base: RDI}, RDX)
	ADDQ(inp, RDX)
	ADDQ(cb, RDX)
	MOVQ(Mem{Base: RDI, Disp: 8}, RSI)
	ADDQ(wp, RSI)
	ADDQ(cb, RSI)
	if np > 1 {
		LEAQ(Mem{Base: RDX, Index: is, Scale: 1}, RBX)
	}
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: RSI, Disp: v * s.vbytes}, wv(v))
	}
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			var m Mem
			switch p {
			case 0:
				m = Mem{Base: RDX}
			case 1:
				m = Mem{Base: RBX}
			case 2:
				m = Mem{Base: RDX, Index: is, Scale: 2}
			case 3:
				m = Mem{Base: RBX, Index: is, Scale: 2}
			}
			m.Disp += v * s.vbytes
			VFMADD231PS(m, wv(v), acc(p, v))
		}
	}
	ADDQ(U32(16), RDI)
	DECQ(RCX)
	JNZ(LabelRef(blk + "_tap"))

	Label(blk + "_store")
	TESTQ(U32(tClamp), flags)
	JZ(LabelRef(blk + "_noclamp"))
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			VMAXPS(acc(p, v), lo, acc(p, v))
			VMINPS(acc(p, v), hi, acc(p, v))
		}
	}
	Label(blk + "_noclamp")
	// RDX is pixel 0's output, RBX pixel 1's, RSI the output stride.
	LEAQ(Mem{Base: outp, Index: cb, Scale: 1}, RDX)
	Load(Param("ostride"), RSI)
	SHLQ(Imm(2), RSI)
	if np > 1 {
		LEAQ(Mem{Base: RDX, Index: RSI, Scale: 1}, RBX)
	}
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			var m Mem
			switch p {
			case 0:
				m = Mem{Base: RDX}
			case 1:
				m = Mem{Base: RBX}
			case 2:
				m = Mem{Base: RDX, Index: RSI, Scale: 2}
			case 3:
				m = Mem{Base: RBX, Index: RSI, Scale: 2}
			}
			m.Disp += v * s.vbytes
			VMOVUPS(acc(p, v), m)
		}
	}
	ADDQ(U32(width), cb)
	JMP(LabelRef(blk))
	Label(blk + "_next")
}

// mov copies vector register a to b.
func (s isa) mov(a, b VecPhysical) {
	if s.masked {
		VMOVUPS(a, b)
	} else {
		VMOVAPS(a, b)
	}
}

// zero clears vector register v.
func (s isa) zero(v VecPhysical) {
	if s.masked {
		VPXORD(v, v, v)
	} else {
		VXORPS(v, v, v)
	}
}

// dwRowShapes are the (pixels, vectors) blocks of the row kernels: eight
// accumulators either way, the independent FMA chains that hide the FMA
// latency (4 cycles at 2 per cycle). Eight pixels of one vector load the
// fewest inputs per FMA; four pixels of two vectors use whole cache lines
// per channel block, which matters when the pixel stride is a multiple of
// 512 bytes (128, 256, 512 channels): the lines of all the pixels a block
// touches then share a few L1 sets, and with one vector per block a line
// is evicted before the next block reads its other half, so every line
// comes twice from L2.
var dwRowShapes = [][2]int{{8, 1}, {4, 2}}

// dwRowSizes are the kernel widths and strides that get a row kernel; the
// rest (and dilated columns) go through the taps table of depthwise.
var dwRowSizes = [][2]int{{3, 1}, {3, 2}, {5, 1}, {5, 2}, {7, 1}, {7, 2}}

// depthwiseRow writes the row kernel of ISA s for kernel width kw and stride
// st: npix (a multiple of np) consecutive output pixels of one output row,
// channels [0, cvb/4), for kernel rows [0, nkh). Pixel p's output is at
// out + p*ostride floats; the input column j (of kernel row 0) is at
// in + (col0 + j)*c floats, and pixel p reads columns p*st .. p*st+kw-1;
// kernel row r is rowb bytes after row 0 in the input and wrowb bytes
// after it in w (which is at weight column 0 of the first kernel row, and
// laid out as PackDepthwise does, so weight column k is k*c floats on).
// Bias and clamp are applied as flags say, like depthwise.
//
// Why a row kernel: depthwise walks a taps table (two scalar loads and
// pointer arithmetic per tap) and reads each input vector once per pixel
// that uses it; with the kernel width and stride fixed here, each kernel
// row loads its kw weight vectors into registers and each input column
// once, to feed every pixel that reads it (kw of them at stride 1), so
// there are fewer loads than FMAs and no per-tap overhead. All 16 vector
// registers serve: eight accumulators, up to seven weights, one input.
//
// np pixels of nv vectors go at once (see dwRowShapes); with two
// vectors, the kernel row is gone through once per vector, each time with
// the kw weights of that vector.
//
// The Mask variant computes one group of np pixels (npix = np) at the
// border of the image: it skips input column j unless bit j of mask is
// set, as if the columns outside the image were zeros. That keeps border
// pixels on eight accumulator chains instead of one pixel per call.
//
// The AVX-512 kernels are the same code on zmm registers (the first 16 of
// the 32; eight accumulators already hide the FMA latency), 16 channels a
// vector.
func depthwiseRow(s isa, kw, st, np, nv int, masked bool) {
	name := fmt.Sprintf("depthwiseRow%sK%dS%dP%d", s.name[len("sgemm"):], kw, st, np)
	if masked {
		name += "Mask"
	}
	TEXT(name, NOSPLIT, "func(npix int, out *float32, ostride int, in *float32, col0 int, rowb int, nkh int, w *float32, wrowb int, c int, cvb int, bias *float32, flags uint, lo float32, hi float32, mask uint32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes pixels of one row of a %d-wide, stride-%d depthwise convolution; see the asmgen command.", name, kw, st))

	ncols := (np-1)*st + kw
	outp, inp, cb, cs, cs3 := R9, R10, R11, R12, R13
	r, wk, cnt := RSI, RDI, RCX
	// Input column j is at bases[j/5] plus (j%5)*cs.
	bases := []GPPhysical{r, RAX, RBX, RDX, R14, R15}[:(ncols+4)/5]
	acc := func(p, v int) VecPhysical { return s.vec(p*nv + v) }
	wv := func(k int) VecPhysical { return s.vec(np*nv + k) }
	x := s.vec(15)
	col := func(base GPPhysical, i int) Mem { return colAddr(base, cs, cs3, i) }

	Load(Param("out"), outp)
	Load(Param("c"), cs)
	SHLQ(Imm(2), cs)
	LEAQ(Mem{Base: cs, Index: cs, Scale: 2}, cs3)
	Load(Param("in"), inp)
	Load(Param("col0"), RAX)
	IMULQ(cs, RAX)
	ADDQ(RAX, inp)

	Label(name + "_grp")
	CMPQ(param("npix"), U8(0))
	JE(LabelRef(name + "_end"))
	XORQ(cb, cb)

	Label(name + "_blk")
	CMPQ(cb, param("cvb"))
	JGE(LabelRef(name + "_nextgrp"))
	TESTQ(U32(tBias), param("flags"))
	JZ(LabelRef(name + "_zero"))
	Load(Param("bias"), RAX)
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: RAX, Index: cb, Scale: 1, Disp: v * s.vbytes}, acc(0, v))
		for p := 1; p < np; p++ {
			VMOVAPS(acc(0, v), acc(p, v))
		}
	}
	JMP(LabelRef(name + "_rows"))
	Label(name + "_zero")
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			s.zero(acc(p, v))
		}
	}
	Label(name + "_rows")
	Load(Param("w"), wk)
	ADDQ(cb, wk)
	LEAQ(Mem{Base: inp, Index: cb, Scale: 1}, r)
	Load(Param("nkh"), cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef(name + "_store"))

	Label(name + "_kh")
	for i := 1; i < len(bases); i++ {
		LEAQ(Mem{Base: bases[i-1], Index: cs, Scale: 4}, bases[i])
		LEAQ(Mem{Base: bases[i], Index: cs, Scale: 1}, bases[i])
	}
	// Weight column k is at wk or, from 5 on, at R8, plus (k%5)*cs.
	if kw > 5 {
		LEAQ(Mem{Base: wk, Index: cs, Scale: 4}, R8)
		LEAQ(Mem{Base: R8, Index: cs, Scale: 1}, R8)
	}
	for v := 0; v < nv; v++ {
		for k := 0; k < kw; k++ {
			base := wk
			if k >= 5 {
				base = R8
			}
			m := col(base, k%5)
			m.Disp = v * s.vbytes
			VMOVUPS(m, wv(k))
		}
		for j := 0; j < ncols; j++ {
			skip := fmt.Sprintf("%s_skip%d_%d", name, v, j)
			if masked {
				TESTL(U32(1<<j), param("mask"))
				JZ(LabelRef(skip))
			}
			m := col(bases[j/5], j%5)
			m.Disp = v * s.vbytes
			VMOVUPS(m, x)
			for p := 0; p < np; p++ {
				if k := j - p*st; k >= 0 && k < kw {
					VFMADD231PS(x, wv(k), acc(p, v))
				}
			}
			if masked {
				Label(skip)
			}
		}
	}
	ADDQ(param("rowb"), r)
	ADDQ(param("wrowb"), wk)
	DECQ(cnt)
	JNZ(LabelRef(name + "_kh"))

	Label(name + "_store")
	TESTQ(U32(tClamp), param("flags"))
	JZ(LabelRef(name + "_noclamp"))
	lo, hi := wv(0), wv(1)
	VBROADCASTSS(param("lo"), lo)
	VBROADCASTSS(param("hi"), hi)
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			VMAXPS(acc(p, v), lo, acc(p, v))
			VMINPS(acc(p, v), hi, acc(p, v))
		}
	}
	Label(name + "_noclamp")
	// Pixel p's output is at RSI or RDX (pixels 4..7) plus (p%4)*ostride.
	LEAQ(Mem{Base: outp, Index: cb, Scale: 1}, RSI)
	Load(Param("ostride"), RAX)
	SHLQ(Imm(2), RAX)
	LEAQ(Mem{Base: RAX, Index: RAX, Scale: 2}, RBX)
	LEAQ(Mem{Base: RSI, Index: RAX, Scale: 4}, RDX)
	for p := 0; p < np; p++ {
		for v := 0; v < nv; v++ {
			m := Mem{Base: RSI, Disp: v * s.vbytes}
			if p >= 4 {
				m.Base = RDX
			}
			switch p % 4 {
			case 1:
				m.Index, m.Scale = RAX, 1
			case 2:
				m.Index, m.Scale = RAX, 2
			case 3:
				m.Index, m.Scale = RBX, 1
			}
			VMOVUPS(acc(p, v), m)
		}
	}
	ADDQ(U32(nv*s.vbytes), cb)
	JMP(LabelRef(name + "_blk"))

	Label(name + "_nextgrp")
	Load(Param("ostride"), RAX)
	IMUL3Q(Imm(uint64(4*np)), RAX, RAX)
	ADDQ(RAX, outp)
	IMUL3Q(Imm(uint64(np*st)), cs, RAX)
	ADDQ(RAX, inp)
	SUBQ(U32(np), param("npix")) // the pixels left count down in place, freeing R8
	JMP(LabelRef(name + "_grp"))

	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// colAddr addresses column i (0 to 4) of a group of five from base, with
// cs one column's stride and cs3 three: the row kernels' input and weight
// columns.
func colAddr(base, cs, cs3 GPPhysical, i int) Mem {
	m := Mem{Base: base}
	switch i {
	case 1:
		m.Index, m.Scale = cs, 1
	case 2:
		m.Index, m.Scale = cs, 2
	case 3:
		m.Index, m.Scale = cs3, 1
	case 4:
		m.Index, m.Scale = cs, 4
	}
	return m
}
