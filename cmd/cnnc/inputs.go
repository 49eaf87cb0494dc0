package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register the decoders image.Decode uses
	_ "image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"codeberg.org/sbinet/npyio"

	"github.com/cnnc/cnnc/frontend/onnx"
	"github.com/cnnc/cnnc/ir"
)

// acceptedInputs names what -input takes, for error messages.
const acceptedInputs = ".pb TensorProto, .npy, .png, .jpg/.jpeg, or a directory of images"

// inputKind is what an input argument holds.
type inputKind int

const (
	tensorProtoInput inputKind = iota // a serialized ONNX TensorProto
	npyInput                          // a numpy .npy array
	imageInput                        // one PNG or JPEG file
	imageDirInput                     // a directory of PNG and JPEG files
)

// inputArg is one input argument, classified by its content.
type inputArg struct {
	path string
	kind inputKind
	// images are the image files of an imageInput (the file itself) or an
	// imageDirInput (the directory's images, sorted by name).
	images []string
}

func (a inputArg) isImage() bool { return a.kind == imageInput || a.kind == imageDirInput }

// Magic numbers. The content decides, not the extension: a PNG saved as
// .jpg, or a .pb that is really an image, is read as what it is.
var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xff, 0xd8, 0xff}
	npyMagic  = []byte("\x93NUMPY")
)

// sniff reads the start of a file and says whether it is an image or a
// .npy array; ok is false for anything else.
func sniff(path string) (kind inputKind, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, false, err
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, pngMagic), bytes.HasPrefix(head, jpegMagic):
		return imageInput, true, nil
	case bytes.HasPrefix(head, npyMagic):
		return npyInput, true, nil
	}
	return 0, false, nil
}

// classifyInput tells what an input argument is: an image, a .npy array,
// a TensorProto (a .pb file that is neither), or a directory of images.
func classifyInput(path string) (inputArg, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return inputArg{}, err
	}
	if fi.IsDir() {
		return classifyDir(path)
	}
	kind, ok, err := sniff(path)
	if err != nil {
		return inputArg{}, err
	}
	if ok {
		a := inputArg{path: path, kind: kind}
		if kind == imageInput {
			a.images = []string{path}
		}
		return a, nil
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".pb":
		return inputArg{path: path, kind: tensorProtoInput}, nil
	case ".png", ".jpg", ".jpeg", ".npy":
		what := "a PNG or JPEG image"
		if ext == ".npy" {
			what = "a numpy array (no \\x93NUMPY header)"
		}
		return inputArg{}, fmt.Errorf("%s: has a %s name but is not %s; want %s", path, ext, what, acceptedInputs)
	}
	return inputArg{}, fmt.Errorf("%s: unknown input format; want %s", path, acceptedInputs)
}

// classifyDir lists a directory's images, sorted by name (the batch
// order). Other files
// (a README, .DS_Store) and subdirectories are left out, so a folder of
// photos works as it is.
func classifyDir(dir string) (inputArg, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return inputArg{}, err
	}
	a := inputArg{path: dir, kind: imageDirInput}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				e = fs.FileInfoToDirEntry(fi) // a link to an image counts
			}
		}
		if !e.Type().IsRegular() {
			continue
		}
		kind, ok, err := sniff(p)
		if err != nil {
			return inputArg{}, err
		}
		if ok && kind == imageInput {
			a.images = append(a.images, p)
		}
	}
	if len(a.images) == 0 {
		return inputArg{}, fmt.Errorf("%s: the directory holds no PNG or JPEG images; want %s", dir, acceptedInputs)
	}
	return a, nil // in name order: os.ReadDir sorts its entries by name
}

// readTensorFile reads a .pb or .npy input.
func readTensorFile(a inputArg) (*ir.Tensor, error) {
	if a.kind == npyInput {
		t, err := readNPY(a.path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.path, err)
		}
		return t, nil
	}
	data, err := os.ReadFile(a.path)
	if err != nil {
		return nil, err
	}
	_, t, err := onnx.ReadTensor(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (want %s)", a.path, err, acceptedInputs)
	}
	return t, nil
}

// maxNPYHeader bounds the header of a .npy file; numpy writes a few
// hundred bytes, and a corrupt length must not become a huge allocation.
const maxNPYHeader = 1 << 20

// readNPY reads a numpy array: float32, float64, integers or bools, in C
// or Fortran order, either byte order. Floats become an ir.Float32 or
// Float64 tensor, integers Int64 (or Uint64), bools Bool.
func readNPY(path string) (t *ir.Tensor, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	hdrLen, err := checkNPYHeader(f)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	// npyio indexes into the header as it parses it; a malformed header it
	// does not expect must be an error here, not a crash of cnnc.
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("malformed .npy header: %v", r)
		}
	}()
	r, err := npyio.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("reading .npy: %w", err)
	}
	dims := make([]int64, len(r.Header.Descr.Shape))
	for i, d := range r.Header.Descr.Shape {
		dims[i] = int64(d)
	}
	shape, n, err := checkNPYShape(dims)
	if err != nil {
		return nil, err
	}
	dtype := strings.Trim(r.Header.Descr.Type, `'"`)
	size, dt, ok := npyType(dtype)
	if !ok {
		return nil, fmt.Errorf(".npy element type %q is not supported; want float32, float64, an integer type or bool", dtype)
	}
	// The data must be in the file: checked before allocating for it.
	if have := fi.Size() - hdrLen; int64(n)*int64(size) > have {
		return nil, fmt.Errorf(".npy header says shape %v of %s (%d bytes), the file holds %d bytes of data", shape, dtype, int64(n)*int64(size), have)
	}
	t = &ir.Tensor{DType: dt, Shape: shape}
	if err := readNPYData(r, t, strings.TrimLeft(dtype, "<>|="), n); err != nil {
		return nil, fmt.Errorf("reading .npy data: %w", err)
	}
	if r.Header.Descr.Fortran && len(shape) > 1 {
		fortranToC(t)
	}
	return t, nil
}

// checkNPYHeader validates the fixed part of a .npy header and returns
// the offset of the data.
func checkNPYHeader(f io.Reader) (int64, error) {
	var fixed [12]byte
	if _, err := io.ReadFull(f, fixed[:10]); err != nil {
		return 0, fmt.Errorf("truncated .npy header: %w", err)
	}
	if !bytes.HasPrefix(fixed[:], npyMagic) {
		return 0, errors.New("not a .npy file")
	}
	var hdrLen, start int64
	switch fixed[6] {
	case 1:
		hdrLen, start = int64(binary.LittleEndian.Uint16(fixed[8:10])), 10
	case 2, 3:
		if _, err := io.ReadFull(f, fixed[10:12]); err != nil {
			return 0, fmt.Errorf("truncated .npy header: %w", err)
		}
		hdrLen, start = int64(binary.LittleEndian.Uint32(fixed[8:12])), 12
	default:
		return 0, fmt.Errorf(".npy format version %d.%d is not supported", fixed[6], fixed[7])
	}
	if hdrLen > maxNPYHeader {
		return 0, fmt.Errorf(".npy header of %d bytes is implausibly long", hdrLen)
	}
	hdr := make([]byte, hdrLen)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return 0, fmt.Errorf("truncated .npy header: %w", err)
	}
	if !bytes.Contains(hdr, []byte("\n")) || !bytes.Contains(hdr, []byte("descr")) || !bytes.Contains(hdr, []byte("shape")) {
		return 0, errors.New("malformed .npy header (no descr, shape or final newline)")
	}
	return start + hdrLen, nil
}

// checkNPYShape refuses negative or absurd dimensions, with the same
// bound (2^31 elements) the ONNX reader applies.
func checkNPYShape(dims []int64) (ir.Shape, int, error) {
	s := make(ir.Shape, len(dims))
	n := 1
	for i, d := range dims {
		if d < 0 || d > 1<<31 {
			return nil, 0, fmt.Errorf(".npy dimension %d of %v is out of range", i, dims)
		}
		s[i] = int(d)
		if d != 0 && n > (1<<31)/int(d) {
			return nil, 0, fmt.Errorf(".npy shape %v has more than 2^31 elements", dims)
		}
		n *= int(d)
	}
	return s, n, nil
}

// npyType maps a numpy dtype string ('<f4') to its element size and IR type.
func npyType(dtype string) (size int, dt ir.DType, ok bool) {
	switch strings.TrimLeft(dtype, "<>|=") {
	case "f4":
		return 4, ir.Float32, true
	case "f8":
		return 8, ir.Float64, true
	case "i1":
		return 1, ir.Int8, true
	case "i2":
		return 2, ir.Int16, true
	case "i4":
		return 4, ir.Int32, true
	case "i8":
		return 8, ir.Int64, true
	case "u1":
		return 1, ir.Uint8, true
	case "u2":
		return 2, ir.Uint16, true
	case "u4":
		return 4, ir.Uint32, true
	case "u8":
		return 8, ir.Uint64, true
	case "b1":
		return 1, ir.Bool, true
	}
	return 0, ir.Invalid, false
}

// readNPYData reads n elements of type code into t.
func readNPYData(r *npyio.Reader, t *ir.Tensor, code string, n int) error {
	floats := func(v []float64) { t.Floats = v }
	ints := func(v []int64) { t.Ints = v }
	switch code {
	case "f4":
		return readAs[float32](r, n, floats, func(x float32) float64 { return float64(x) })
	case "f8":
		return readAs[float64](r, n, floats, func(x float64) float64 { return x })
	case "i1":
		return readAs[int8](r, n, ints, func(x int8) int64 { return int64(x) })
	case "i2":
		return readAs[int16](r, n, ints, func(x int16) int64 { return int64(x) })
	case "i4":
		return readAs[int32](r, n, ints, func(x int32) int64 { return int64(x) })
	case "i8":
		return readAs[int64](r, n, ints, func(x int64) int64 { return x })
	case "u1":
		return readAs[uint8](r, n, ints, func(x uint8) int64 { return int64(x) })
	case "u2":
		return readAs[uint16](r, n, ints, func(x uint16) int64 { return int64(x) })
	case "u4":
		return readAs[uint32](r, n, ints, func(x uint32) int64 { return int64(x) })
	case "u8":
		return readAs[uint64](r, n, ints, func(x uint64) int64 { return int64(x) })
	case "b1":
		return readAs[bool](r, n, ints, func(x bool) int64 {
			if x {
				return 1
			}
			return 0
		})
	}
	return fmt.Errorf("element type %q is not supported", code)
}

// readAs reads n elements of type E and stores them converted.
func readAs[E any, V any](r *npyio.Reader, n int, store func([]V), conv func(E) V) error {
	buf := make([]E, n)
	if n > 0 {
		if err := r.Read(&buf); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	out := make([]V, n)
	for i, x := range buf {
		out[i] = conv(x)
	}
	store(out)
	return nil
}

// fortranToC reorders a column-major tensor's elements to row-major.
func fortranToC(t *ir.Tensor) {
	shape := t.Shape
	n := shape.NumElements(1)
	// stride[d] of the column-major source: the first axis varies fastest.
	stride := make([]int, len(shape))
	s := 1
	for d := range shape {
		stride[d] = s
		s *= shape[d]
	}
	idx := make([]int, len(shape))
	perm := make([]int, n) // perm[c] is the source offset of C-order element c
	for c := 0; c < n; c++ {
		off := 0
		for d := range idx {
			off += idx[d] * stride[d]
		}
		perm[c] = off
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	if t.Floats != nil {
		src := t.Floats
		t.Floats = make([]float64, n)
		for c, o := range perm {
			t.Floats[c] = src[o]
		}
	}
	if t.Ints != nil {
		src := t.Ints
		t.Ints = make([]int64, n)
		for c, o := range perm {
			t.Ints[c] = src[o]
		}
	}
}

// toInputType converts a tensor read from a file to the element type of
// the model input it feeds: a float64 .npy for a float32 model, or an
// integer array (uint8 pixels) for a float input, with values unchanged
// (no scaling). Floats given to an integer input are left for
// engine.CheckInputs to refuse.
func toInputType(t *ir.Tensor, v *ir.Value) *ir.Tensor {
	if t == nil || t.DType == v.DType {
		return t
	}
	switch {
	case v.DType.IsFloat() && t.DType.IsFloat():
		c := &ir.Tensor{DType: v.DType, Shape: t.Shape, Floats: t.Floats}
		c.RoundToType()
		return c
	case v.DType.IsFloat() && t.Ints != nil:
		c := &ir.Tensor{DType: v.DType, Shape: t.Shape, Floats: make([]float64, len(t.Ints))}
		for i, x := range t.Ints {
			c.Floats[i] = float64(x)
		}
		c.RoundToType()
		return c
	case v.DType.IsInt() && t.Ints != nil:
		if t.DType == ir.Bool {
			return t
		}
		// Another integer width: keep the values; the evaluator's range
		// check refuses those the input's type cannot hold.
		return &ir.Tensor{DType: v.DType, Shape: t.Shape, Ints: t.Ints}
	}
	return t
}

// imageSize reads an image's header for its size, without decoding it.
func imageSize(path string) (w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	return cfg.Width, cfg.Height, nil
}

// decodeImage decodes a PNG or JPEG file.
func decodeImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
