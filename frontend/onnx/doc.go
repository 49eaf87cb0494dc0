// Package onnx imports ONNX models into cnnc's IR.
//
// Import decodes a serialized ModelProto, checks that every operator is
// one cnnc supports at the model's opset (reporting all that are not in one
// error), turns initializers and Constant nodes into IR constants, and
// imports each node through the importer registered for its op type (one
// file per op, named as in package ir). Shape inference runs node by node as
// the graph is built, so the returned graph is fully typed, and a node whose
// inputs are all constants is evaluated at once (constant folding): the
// shape subgraphs that exporters such as torch.onnx emit collapse into the
// constant attributes of the typed IR ops (Reshape.Shape, Pad.Pads, ...).
//
// # Symbolic batch
//
// The batch dimension may stay symbolic (ir.Batch). Shape(x) of a value with
// a symbolic batch is then not a constant, but the folder still tracks it: a
// small symbolic integer tensor is attached to each shape-computation value
// whose every element is an affine form k*N + c of the batch size N.
// Gather, Slice, Concat, Unsqueeze, Squeeze, Reshape, Cast and integer
// Add/Sub/Mul/Div propagate it; an element with k = 0 is an ordinary
// constant, so Shape(x)[1] folds to a number even when N is unknown. When a
// Reshape receives such a shape, the element N (k = 1, c = 0) in position 0
// becomes ir.ReshapeBatch; anything else that mentions N is rejected as a
// shape computed at run time. This covers PyTorch's flatten pattern
// (Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape) without a
// general symbolic-shape engine, which cnnc does not need: its shapes are
// static except the batch.
//
// # Why the package decodes the protobuf itself
//
// The project's dependency list names github.com/owulveryck/onnx-go, and
// its protobuf decoding is what cnnc would have used. It is not used
// because its public API does not expose what an importer needs: the
// generated ModelProto types live in an internal package (so they cannot
// be named from outside), opset_import and dim_param (the opset each domain
// is at, the name of a symbolic dimension) are not reachable through its
// exported API, and its import path builds a gorgonia computation graph,
// which is a backend cnnc does not want to depend on. Instead, onnxpb holds
// our own minimal proto3 schema with the ONNX field numbers, compiled with
// gogo/protobuf (the library onnx-go itself uses underneath); see
// onnxpb/onnx.proto and README.md.
//
// # Test data
//
// ReadTensor, WriteTensor and LoadTestDataSet read and write the ONNX
// backend-test layout (input_K.pb and output_K.pb files holding serialized
// TensorProtos), which cnnc check and the conformance test use.
package onnx
