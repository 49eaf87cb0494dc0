package onnx

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
)

// Data that is not an ONNX model says so, keeps the protobuf decoder's
// reason, and guesses what the data is, through every entry point that
// decodes a model.
func TestNotAModel(t *testing.T) {
	tensor, err := WriteTensor("input_0", f32(ir.Shape{1, 1, 2, 2}))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(x2(13).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes())
	zw.Close()
	noGraph, _ := (&pb.ModelProto{IrVersion: 8, ProducerName: "pytorch"}).Marshal()
	cases := []struct {
		name    string
		data    []byte
		decoder bool   // the message quotes the protobuf error
		want    string // the guess
	}{
		{"empty", nil, false, "the file is empty"},
		{"no graph", noGraph, false, "holds no graph"},
		{"tensor", tensor, true, `it decodes as an ONNX TensorProto "input_0" of type f32[1,1,2,2] (a test data set's input_0.pb`},
		{"html", []byte("<!DOCTYPE html>\n<html lang=\"en\"><head><title>model.onnx</title></head></html>\n"), true, "HTML"},
		{"lfs", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a21\nsize 26454\n"), true, "Git LFS pointer"},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00weights.npz"), true, "zip archive"},
		{"gzip", gz.Bytes(), true, "gzip"},
		{"npy", []byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), true, ".npy"},
		{"text", []byte("this is not a protobuf\n"), true, "it is text"},
	}
	entries := []struct {
		name string
		fn   func([]byte) error
	}{
		{"Import", func(d []byte) error { _, err := Import(d, Options{}); return err }},
		{"InputNames", func(d []byte) error { _, err := InputNames(d); return err }},
		{"BindDims", func(d []byte) error { _, err := BindDims(d, nil); return err }},
		{"ImportWithInputs", func(d []byte) error { _, _, err := ImportWithInputs(d, Options{}, nil); return err }},
	}
	for _, tc := range cases {
		for _, e := range entries {
			t.Run(tc.name+"/"+e.name, func(t *testing.T) {
				err := e.fn(tc.data)
				if err == nil {
					t.Fatal("no error")
				}
				msg := err.Error()
				if !errors.Is(err, ErrNotModel) || !strings.HasPrefix(msg, "not an ONNX model") {
					t.Errorf("error %q does not say the data is not an ONNX model", msg)
				}
				if quoted := strings.HasPrefix(msg, "not an ONNX model (decoding the protobuf ModelProto: proto: "); quoted != tc.decoder {
					t.Errorf("error %q: quotes the protobuf error %v, want %v", msg, quoted, tc.decoder)
				}
				if !strings.Contains(msg, tc.want) || !strings.HasSuffix(msg, "an ONNX model is a binary protobuf ModelProto, as torch.onnx.export and tf2onnx write") {
					t.Errorf("error %q lacks %q or the closing hint", msg, tc.want)
				}
			})
		}
	}
	// A real model is none of these.
	if _, err := Import(x2(13).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(), Options{}); errors.Is(err, ErrNotModel) {
		t.Errorf("a model: %v", err)
	}
}
