package onnx

import (
	"github.com/cnnc/cnnc/ir"
)

// window reads the sliding-window attributes shared by convolution and
// pooling: kernel_shape, strides, pads, dilations and auto_pad. Absent
// ones stay nil; the IR's shape rule fills the defaults.
func window(a *attrs, dilations bool) ir.Window {
	w := ir.Window{
		Kernel:  a.ints("kernel_shape", 1, maxDim),
		Strides: a.ints("strides", 1, maxDim),
		Pads:    a.ints("pads", 0, maxDim),
		AutoPad: autoPad(a),
	}
	if dilations {
		w.Dilations = a.ints("dilations", 1, maxDim)
	}
	if w.AutoPad != ir.PadExplicit {
		// The spec forbids explicit pads with auto_pad; exporters that
		// write both mean auto_pad, which the shape rule applies.
		w.Pads = nil
	}
	return w
}

// autoPad parses the auto_pad attribute.
func autoPad(a *attrs) ir.AutoPad {
	switch s := a.string("auto_pad", "NOTSET"); s {
	case "NOTSET", "":
		return ir.PadExplicit
	case "VALID":
		return ir.PadValid
	case "SAME_UPPER":
		return ir.PadSameUpper
	case "SAME_LOWER":
		return ir.PadSameLower
	default:
		a.fail("auto_pad %q is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", s)
		return ir.PadExplicit
	}
}
