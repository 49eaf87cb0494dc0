package onnx

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
)

// ErrNotModel is wrapped by the error every entry point that decodes a
// model returns when the data is not an ONNX model at all: empty, not a
// protobuf ModelProto, or one without a graph. Test it with errors.Is.
var ErrNotModel = errors.New("not an ONNX model")

// notModelError says the data is not an ONNX model, keeps the decoder's
// reason (the protobuf error) and adds a guess at what the data is, since
// the usual cause is the wrong file behind a .onnx name: a test data set's
// tensor, a web page saved by a download, a Git LFS pointer, an archive.
type notModelError struct {
	err  error  // why decoding failed
	what string // what the data looks like, or ""
}

func (e *notModelError) Error() string {
	msg := ErrNotModel.Error()
	if e.err != nil {
		msg += " (" + e.err.Error() + ")"
	}
	if e.what != "" {
		msg += ": " + e.what
	}
	return msg + "; an ONNX model is a binary protobuf ModelProto, as torch.onnx.export and tf2onnx write"
}

// Unwrap returns the decoder's error.
func (e *notModelError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrNotModel) true.
func (e *notModelError) Is(target error) bool { return target == ErrNotModel }

// decodeModel decodes a serialized ModelProto that must hold a graph.
func decodeModel(data []byte) (*pb.ModelProto, error) {
	if len(data) == 0 {
		return nil, &notModelError{what: "the file is empty (an interrupted download or export?)"}
	}
	var m pb.ModelProto
	if err := m.Unmarshal(data); err != nil {
		return nil, &notModelError{err: fmt.Errorf("decoding the protobuf ModelProto: %w", err), what: sniff(data)}
	}
	if m.Graph == nil {
		// Protobuf decoding is lenient (unknown fields are skipped), so
		// some other data decodes as a ModelProto without a graph.
		what := sniff(data)
		if what == "" {
			what = "it decodes as a protobuf ModelProto but holds no graph"
		}
		return nil, &notModelError{what: what}
	}
	return &m, nil
}

// sniff guesses what data is from its first bytes, for the error of a
// file that is not a model; "" when nothing fits.
func sniff(data []byte) string {
	head := data[:min(len(data), 512)]
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	lower := bytes.ToLower(trimmed)
	switch {
	case bytes.HasPrefix(head, []byte("version https://git-lfs.github.com/spec/")):
		return "it is a Git LFS pointer, not the file it stands for (run git lfs pull)"
	case bytes.HasPrefix(lower, []byte("<!doctype html")) || bytes.HasPrefix(lower, []byte("<html")) || bytes.HasPrefix(lower, []byte("<?xml")) || bytes.HasPrefix(lower, []byte("<head")):
		return "it is an HTML or XML page (a download that saved a web page instead of the file? on GitHub, download the raw file)"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return "it is a zip archive (a .npz of weights, a PyTorch .pt checkpoint or a zipped model? an .onnx file inside it must be extracted first)"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "it is gzip-compressed (decompress it first)"
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		return "it is a NumPy .npy array"
	case bytes.HasPrefix(head, []byte("\x89HDF\r\n\x1a\n")):
		return "it is an HDF5 file (a Keras .h5 model? tf2onnx converts Keras models to ONNX)"
	case bytes.HasPrefix(head, []byte{0x80}) && len(head) > 1 && head[1] >= 2 && head[1] <= 5:
		return "it looks like a Python pickle (a PyTorch checkpoint? torch.onnx.export writes an ONNX model)"
	}
	if name, t, err := ReadTensor(data); err == nil && t != nil && (len(t.Shape) > 0 || name != "") {
		if name != "" {
			name = fmt.Sprintf(" %q", name)
		}
		return fmt.Sprintf("it decodes as an ONNX TensorProto%s of type %v (a test data set's input_0.pb or output_0.pb?), not as a model", name, t.Type())
	}
	text := head
	for i := 0; i < utf8.UTFMax-1 && !utf8.Valid(text) && len(text) > 0; i++ {
		text = text[:len(text)-1] // a code point cut at the end of head
	}
	if utf8.Valid(text) && printable(text) {
		return "it is text, and an ONNX model is binary (a JSON or text dump of a model, or a script?)"
	}
	return ""
}

// printable reports whether b is mostly printable text.
func printable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	bad := 0
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			bad++
		}
	}
	return bad*20 < len(b)
}
