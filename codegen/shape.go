package codegen

import "github.com/cnnc/cnnc/ir"

func init() {
	noEmitter[*ir.ShapeOf]("it yields an int64 tensor; the ONNX importer folds shape computations into constants, also with a symbolic batch")
}
