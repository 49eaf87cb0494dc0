package codegen

import "github.com/cnnc/cnnc/ir"

func init() {
	act(func(a *ir.Gelu) (string, float64, float64) {
		if a.Tanh {
			return "ActGeluTanh", 0, 0
		}
		return "ActGelu", 0, 0
	})
}
