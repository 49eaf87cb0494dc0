package codegen

import "github.com/cnnc/cnnc/ir"

func init() {
	act(func(*ir.Silu) (string, float64, float64) { return "ActSilu", 0, 0 })
}
