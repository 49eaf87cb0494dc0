// Package onnxpb holds Go types for the subset of the ONNX protobuf schema
// that cnnc reads, generated from onnx.proto by protoc with gogo/protobuf's
// protoc-gen-gogofaster v1.3.2 (fast, reflection-free marshalling code that
// skips unknown fields).
//
// To regenerate after editing onnx.proto:
//
//	go install github.com/gogo/protobuf/protoc-gen-gogofaster@v1.3.2
//	go generate ./frontend/onnx/onnxpb
package onnxpb

//go:generate protoc --gogofaster_out=paths=source_relative:. onnx.proto
