package onnx

import (
	"errors"
	"strings"
	"testing"

	pb "github.com/cnnc/cnnc/frontend/onnx/onnxpb"
	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/ir/eval"
)

// TestErrorMessages pins the exact text of the errors users see most.
func TestErrorMessages(t *testing.T) {
	noGraph, _ := (&pb.ModelProto{IrVersion: 8}).Marshal()
	cases := []struct {
		name  string
		data  []byte
		opts  Options
		want  string
		unsup bool // errors.Is(err, ErrUnsupported)
	}{
		{
			name: "unsupported ops listed together",
			data: x2(13).
				node("SpaceToDepth", []string{"x"}, []string{"a"}).named("up1").
				node("Relu", []string{"a"}, []string{"b"}).
				node("SpaceToDepth", []string{"b"}, []string{"c"}).named("up2").
				node("Inverse", []string{"c"}, []string{"d"}).
				node("HardSwish", []string{"d"}, []string{"e"}).named("hs").
				output("e").bytes(),
			want:  `model uses 3 unsupported operators: HardSwish (ai.onnx, opset 13) [supported at opsets 14 to 25] in node "hs"; Inverse (ai.onnx, opset 13) in node "Inverse_3"; SpaceToDepth (ai.onnx, opset 13) in nodes "up1", "up2"`,
			unsup: true,
		},
		{
			name: "foreign domain",
			data: func() []byte {
				m := x2(13).node("FusedConv", []string{"x"}, []string{"y"}).output("y")
				m.m.Graph.Node[0].Domain = "com.microsoft"
				m.m.OpsetImport = append(m.m.OpsetImport, &pb.OperatorSetIdProto{Domain: "com.microsoft", Version: 1})
				return m.bytes()
			}(),
			want:  `model uses an unsupported operator: FusedConv (com.microsoft, opset 1) [of the com.microsoft domain cnnc imports only DequantizeLinear, QGemm, QLinearAdd, QLinearAveragePool, QLinearConcat, QLinearConv, QLinearGlobalAveragePool, QLinearLeakyRelu, QLinearMul, QLinearSigmoid, QuantizeLinear] in node "FusedConv_0"`,
			unsup: true,
		},
		{
			name: "unknown domain",
			data: func() []byte {
				m := x2(13).node("Normalizer", []string{"x"}, []string{"y"}).output("y")
				m.m.Graph.Node[0].Domain = "ai.onnx.ml"
				m.m.OpsetImport = append(m.m.OpsetImport, &pb.OperatorSetIdProto{Domain: "ai.onnx.ml", Version: 1})
				return m.bytes()
			}(),
			want:  `model uses an unsupported operator: Normalizer (ai.onnx.ml, opset 1) [only the ai.onnx or com.microsoft domains are supported] in node "Normalizer_0"`,
			unsup: true,
		},
		{
			name: "com.microsoft op without its opset",
			data: func() []byte {
				m := x2(13).node("QLinearSigmoid", []string{"x"}, []string{"y"}).output("y")
				m.m.Graph.Node[0].Domain = "com.microsoft"
				return m.bytes()
			}(),
			want:  `model uses an unsupported operator: QLinearSigmoid (com.microsoft, opset 0) [the model imports no com.microsoft opset] in node "QLinearSigmoid_0"`,
			unsup: true,
		},
		{
			name: "unknown dim names --dim",
			data: newModel(13).input("x", tFloat, "N", 3, "height", 8).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(),
			want: `symbolic dimensions are unknown: "x" dimension 2 ("height"); cnnc needs static shapes except the batch dimension: bind them with -dim height=VALUE`,
		},
		{
			name: "every unknown dim named at once",
			data: newModel(13).input("x", tFloat, "N", 3, "height", "width").input("z", tFloat, "N", "depth").
				node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(),
			want: `symbolic dimensions are unknown: "x" dimension 2 ("height"), "x" dimension 3 ("width"), "z" dimension 1 ("depth"); cnnc needs static shapes except the batch dimension: bind them with -dim height=VALUE -dim width=VALUE -dim depth=VALUE`,
		},
		{
			name: "-dim for a dimension the model lacks",
			data: newModel(13).input("x", tFloat, "N", 3, "height", 8).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(),
			opts: Options{Dims: map[string]int{"heigth": 4}},
			want: `-dim heigth: the model's inputs have no dimension of that name; they declare N, height`,
		},
		{
			name: "-dim for a model without symbolic dims",
			data: x2(13).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(),
			opts: Options{Dims: map[string]int{"N": 3}},
			want: `-dim N: the model's inputs have no symbolic dimensions`,
		},
		{
			name: "unnamed unknown dim",
			data: newModel(13).input("x", tFloat, 1, nil).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(),
			want: `graph input "x": dimension 1 is unknown and unnamed; cnnc needs static shapes except the batch dimension (name the dimension in the model to fix it with --dim NAME=VALUE)`,
		},
		{
			name: "bad tensor data",
			data: func() []byte {
				m := x2(13).node("Add", []string{"x", "w"}, []string{"y"}).output("y")
				m.m.Graph.Initializer = append(m.m.Graph.Initializer, &pb.TensorProto{Name: "w", Dims: []int64{6}, DataType: int32(tFloat), RawData: make([]byte, 20)})
				return m.bytes()
			}(),
			want: `initializer: tensor "w" of type FLOAT and shape [6] holds 20 bytes of raw data (4 per element), want 6`,
		},
		{
			name: "typed data count",
			data: func() []byte {
				m := x2(13).node("Add", []string{"x", "w"}, []string{"y"}).output("y")
				m.m.Graph.Initializer = append(m.m.Graph.Initializer, &pb.TensorProto{Name: "w", Dims: []int64{6}, DataType: int32(tFloat), FloatData: []float32{1, 2}})
				return m.bytes()
			}(),
			want: `initializer: tensor "w" of type FLOAT and shape [6] holds 2 float_data values, want 6`,
		},
		{
			name: "external data",
			data: func() []byte {
				m := x2(13).node("Add", []string{"x", "w"}, []string{"y"}).output("y")
				m.m.Graph.Initializer = append(m.m.Graph.Initializer, &pb.TensorProto{Name: "w", Dims: []int64{6}, DataType: int32(tFloat),
					DataLocation: pb.TensorProto_EXTERNAL, ExternalData: []*pb.StringStringEntryProto{{Key: "location", Value: "w.bin"}}})
				return m.bytes()
			}(),
			want:  `initializer: external data not supported: tensor "w" is stored in external file "w.bin"; re-save the model with its data embedded`,
			unsup: true,
		},
		{
			name: "absurd dims",
			data: func() []byte {
				m := x2(13).node("Add", []string{"x", "w"}, []string{"y"}).output("y")
				m.m.Graph.Initializer = append(m.m.Graph.Initializer, &pb.TensorProto{Name: "w", Dims: []int64{1 << 20, 1 << 20}, DataType: int32(tFloat)})
				return m.bytes()
			}(),
			want: `initializer: tensor "w": shape [1048576 1048576] has more than 2^31 elements`,
		},
		{
			name:  "unsupported dtype",
			data:  newModel(13).input("x", pb.TensorProto_BFLOAT16, 2).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(),
			want:  `graph input "x": element type BFLOAT16 is not supported`,
			unsup: true,
		},
		{
			name: "duplicate value",
			data: x2(13).node("Relu", []string{"x"}, []string{"y"}).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(),
			want: `node "Relu_1" (Relu, opset 13): value "y" is defined more than once`,
		},
		{
			name: "dangling input",
			data: x2(13).node("Add", []string{"x", "nowhere"}, []string{"y"}).output("y").bytes(),
			want: `node "Add_0" (Add, opset 13): input 1 "nowhere" is not a graph input, an initializer or an output of an earlier node`,
		},
		{
			name: "missing graph",
			data: noGraph,
			want: "not an ONNX model: it decodes as a protobuf ModelProto but holds no graph; ",
		},
		{
			name: "garbage",
			data: []byte("this is not a protobuf"),
			want: "not an ONNX model (decoding the protobuf ModelProto: proto: ",
		},
		{
			name: "shape error names the node",
			data: newModel(13).input("x", tFloat, 1, 3, 8, 8).init("w", f32(ir.Shape{4, 2, 3, 3})).
				node("Conv", []string{"x", "w"}, []string{"y"}).named("Conv_3").output("y").bytes(),
			want: `node "Conv_3" (Conv, opset 13): Conv: weights expect 2 input channels (2 per group x 1 groups), input has 3 (input shapes [1,3,8,8], [4,2,3,3])`,
		},
		{
			name: "declared output mismatch",
			data: func() []byte {
				m := x2(13).node("Relu", []string{"x"}, []string{"y"})
				m.m.Graph.Output = append(m.m.Graph.Output, valueInfo("y", tFloat, 2, 7))
				return m.bytes()
			}(),
			want: `graph output "y": dimension 1 is declared 7 but computes f32[2,6]`,
		},
		{
			name: "bad binding",
			data: x2(13).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes(),
			opts: Options{Constants: map[string]*ir.Tensor{"z": f32(ir.Shape{1})}},
			want: `cannot bind "z" to a constant: the model has no graph input of that name`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Import(c.data, c.opts)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if got := err.Error(); !strings.HasPrefix(got, c.want) {
				t.Errorf("error\n  %s\nwant\n  %s", got, c.want)
			}
			if errors.Is(err, ErrUnsupported) != c.unsup {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v", !c.unsup, c.unsup)
			}
		})
	}
}

func TestNodeErrorWraps(t *testing.T) {
	_, err := x2(13).input("s", tInt64, 2).node("Reshape", []string{"x", "s"}, []string{"y"}).output("y").load(t, Options{})
	var ne *NodeError
	var rte *RunTimeInputError
	if !errors.As(err, &ne) || !errors.As(err, &rte) {
		t.Fatalf("error %v is not a *NodeError wrapping a *RunTimeInputError", err)
	}
	if ne.Node != "Reshape_0" || ne.OpType != "Reshape" || ne.Opset != 13 {
		t.Errorf("NodeError = %+v", ne)
	}
	if len(rte.GraphInputs) != 1 || rte.GraphInputs[0] != "s" || rte.Batch {
		t.Errorf("RunTimeInputError = %+v", rte)
	}
	// Binding the input makes the model importable.
	g, err := x2(13).input("s", tInt64, 2).node("Reshape", []string{"x", "s"}, []string{"y"}).output("y").
		load(t, Options{Constants: map[string]*ir.Tensor{"s": i64(3, 4)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" || ops(g) != "Reshape{Shape=[3 4]}: f32[3,4]" {
		t.Errorf("bound import:\n%s", g)
	}
}

func TestNamesAndLayers(t *testing.T) {
	g := x4(13).init("w", f32(ir.Shape{3, 3, 1, 1})).
		node("Conv", []string{"x", "w"}, []string{"c"}).
		node("Relu", []string{"c"}, []string{"r"}).named("act").
		node("Relu", []string{"r"}, []string{"r2"}).named("act").
		output("r2").mustLoad(t)
	want := [][3]string{{"Conv_0", "Conv", "c"}, {"act", "Relu", "r"}, {"act_2", "Relu", "r2"}}
	if len(g.Nodes) != len(want) {
		t.Fatalf("%d nodes, want %d:\n%s", len(g.Nodes), len(want), g)
	}
	for i, n := range g.Nodes {
		if n.Name != want[i][0] || n.Layer != want[i][0] || n.LayerType != want[i][1] || n.Outputs[0].Name != want[i][2] {
			t.Errorf("node %d: name %q layer %q type %q output %q; want %v", i, n.Name, n.Layer, n.LayerType, n.Outputs[0].Name, want[i])
		}
	}
}

func TestInitializersAreConstants(t *testing.T) {
	// IR version 3 lists initializers among the inputs too.
	m := x2(8).init("b", f32(ir.Shape{6})).input("b", tFloat, 6).node("Add", []string{"x", "b"}, []string{"y"}).output("y")
	m.m.IrVersion = 3
	g := m.mustLoad(t)
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" {
		t.Errorf("inputs = %v, want just x", g.Inputs)
	}
	if b := g.Nodes[0].Inputs[1]; !b.IsConst() || b.Name != "b" {
		t.Errorf("initializer input is %+v", b)
	}
}

func TestFoldingRemovesNodes(t *testing.T) {
	// A constant branch folds away; a node nobody reads is removed.
	g := x2(13).init("c", f32(ir.Shape{6}, 1, 2, 3, 4, 5, 6)).
		node("Neg", []string{"c"}, []string{"n"}).
		node("Exp", []string{"x"}, []string{"dead"}).
		node("Add", []string{"x", "n"}, []string{"y"}).output("y").mustLoad(t)
	if ops(g) != "Add{}: f32[2,6]" {
		t.Fatalf("graph:\n%s", g)
	}
	c := g.Nodes[0].Inputs[1]
	if !c.IsConst() || c.Name != "n" || c.Const.Floats[5] != -6 {
		t.Errorf("folded constant = %+v", c)
	}
}

func TestFoldRoundsToType(t *testing.T) {
	g := newModel(13).input("x", tFloat, 1).init("a", f32(ir.Shape{1}, 0.1)).init("b", f32(ir.Shape{1}, 0.2)).
		node("Add", []string{"a", "b"}, []string{"c"}).node("Add", []string{"x", "c"}, []string{"y"}).output("y").mustLoad(t)
	got := g.Nodes[0].Inputs[1].Const.Floats[0]
	if want := float64(float32(float64(float32(0.1)) + float64(float32(0.2)))); got != want {
		t.Errorf("folded 0.1+0.2 = %v, want the float32 %v", got, want)
	}
}

// TestSymbolicBatchFlatten imports PyTorch's flatten pattern with a
// symbolic batch: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
func TestSymbolicBatchFlatten(t *testing.T) {
	m := newModel(13).input("x", tFloat, "batch", 3, 2, 2).
		node("Shape", []string{"x"}, []string{"s"}).
		node("Constant", nil, []string{"zero"}, aTensor("value", ir.NewIntTensor(ir.Int64, ir.Shape{}, []int64{0}))).
		node("Gather", []string{"s", "zero"}, []string{"n"}, aInt("axis", 0)).
		node("Constant", nil, []string{"ax"}, aInts("value_ints", 0)).
		node("Unsqueeze", []string{"n", "ax"}, []string{"n1"}).
		node("Constant", nil, []string{"m1"}, aInts("value_ints", -1)).
		node("Concat", []string{"n1", "m1"}, []string{"shape"}, aInt("axis", 0)).
		node("Reshape", []string{"x", "shape"}, []string{"y"}).
		output("y")
	g := m.mustLoad(t)
	if g.BatchName != "batch" {
		t.Errorf("BatchName = %q", g.BatchName)
	}
	if got, want := ops(g), "Reshape{Shape=[-2 -1]}: f32[N,12]"; got != want {
		t.Fatalf("imported %s, want %s\n%s", got, want, g)
	}
	x := f32(ir.Shape{2, 3, 2, 2})
	for i := range x.Floats {
		x.Floats[i] = float64(i)
	}
	out, err := eval.Run(g, []*ir.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	if !out[0].Shape.Equal(ir.Shape{2, 12}) || out[0].Floats[23] != 23 {
		t.Errorf("eval gave %v", out[0].Shape)
	}

	// Fixing the batch through Options.Dims makes everything static.
	g, err = m.load(t, Options{Dims: map[string]int{"batch": 4}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ops(g), "Reshape{Shape=[4 -1]}: f32[4,12]"; got != want {
		t.Errorf("with --dim batch=4: %s, want %s", got, want)
	}
}

// TestSymbolicShapeArithmetic covers the affine forms: Shape(x)[1:] is a
// constant even with a symbolic batch, N*C stays symbolic, and a shape
// that merges the batch is a run-time shape.
func TestSymbolicShapeArithmetic(t *testing.T) {
	base := func() *testModel {
		return newModel(13).input("x", tFloat, "N", 3, 4).
			node("Shape", []string{"x"}, []string{"s"}).
			node("Constant", nil, []string{"i1"}, aInts("value_ints", 1)).
			node("Constant", nil, []string{"i0"}, aInts("value_ints", 0)).
			node("Constant", nil, []string{"e"}, aInts("value_ints", 1<<40))
	}
	// Static part: Slice(Shape(x), 1, end) = [3, 4]; Reshape by [0, 4, 3]
	// with a batch-symbolic leading element taken from the shape.
	g := base().
		node("Slice", []string{"s", "i1", "e"}, []string{"hw"}).
		node("Slice", []string{"s", "i0", "i1"}, []string{"n"}).
		node("Constant", nil, []string{"two"}, aInts("value_ints", 2)).
		node("Mul", []string{"hw", "two"}, []string{"hw2"}).
		node("Div", []string{"hw2", "two"}, []string{"hw3"}).
		node("Concat", []string{"n", "hw3"}, []string{"shape"}, aInt("axis", 0)).
		node("Reshape", []string{"x", "shape"}, []string{"y"}).output("y").mustLoad(t)
	if got, want := ops(g), "Reshape{Shape=[-2 3 4]}: f32[N,3,4]"; got != want {
		t.Errorf("got %s, want %s\n%s", got, want, g)
	}
	// Merging the batch into another dimension is not expressible.
	_, err := base().
		node("Slice", []string{"s", "i0", "i1"}, []string{"n"}).
		node("Constant", nil, []string{"three"}, aInts("value_ints", 3)).
		node("Mul", []string{"n", "three"}, []string{"n3"}).
		node("Constant", nil, []string{"four"}, aInts("value_ints", 4)).
		node("Concat", []string{"n3", "four"}, []string{"shape"}, aInt("axis", 0)).
		node("Reshape", []string{"x", "shape"}, []string{"y"}).output("y").load(t, Options{})
	var rte *RunTimeInputError
	if !errors.As(err, &rte) || !rte.Batch || !strings.Contains(err.Error(), `shape computed at run time is not supported (input "shape" is [3*N 4]; it depends on the symbolic batch size`) {
		t.Errorf("error = %v, want a batch-dependent run-time shape", err)
	}
	// A shape that needs a constant from the batch fails clearly.
	_, err = base().node("ConstantOfShape", []string{"s"}, []string{"z"}).output("z").load(t, Options{})
	if !errors.As(err, &rte) || !rte.Batch {
		t.Errorf("ConstantOfShape(Shape(x)) error = %v", err)
	}
}

func TestBatchDims(t *testing.T) {
	for _, c := range []struct {
		name string
		dim0 any
		opts Options
		want ir.Shape
		bn   string
	}{
		{"dim_param", "N", Options{}, ir.Shape{ir.Batch, 3}, "N"},
		{"unknown", nil, Options{}, ir.Shape{ir.Batch, 3}, ""},
		{"minus_one", -1, Options{}, ir.Shape{ir.Batch, 3}, ""},
		{"zero_is_empty", 0, Options{}, ir.Shape{0, 3}, ""},
		{"fixed", "N", Options{Dims: map[string]int{"N": 5}}, ir.Shape{5, 3}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := newModel(13).input("x", tFloat, c.dim0, 3).node("Relu", []string{"x"}, []string{"y"}).output("y").load(t, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !g.Inputs[0].Shape.Equal(c.want) || g.BatchName != c.bn || !g.Outputs[0].Shape.Equal(c.want) {
				t.Errorf("input %v batch %q, output %v; want %v %q", g.Inputs[0].Shape, g.BatchName, g.Outputs[0].Shape, c.want, c.bn)
			}
		})
	}
	// A name fixed by Options.Dims applies wherever it appears.
	g, err := newModel(13).input("x", tFloat, "N", "C").input("y", tFloat, "N", "C").
		node("Add", []string{"x", "y"}, []string{"z"}).output("z").load(t, Options{Dims: map[string]int{"C": 7}})
	if err != nil {
		t.Fatal(err)
	}
	if !g.Outputs[0].Shape.Equal(ir.Shape{ir.Batch, 7}) {
		t.Errorf("output %v", g.Outputs[0].Type)
	}
	_, err = newModel(13).input("x", tFloat, "N", 3).input("y", tFloat, "M", 3).
		node("Add", []string{"x", "y"}, []string{"z"}).output("z").load(t, Options{})
	if err == nil || !strings.Contains(err.Error(), `different symbolic batch dimensions "N" and "M"`) {
		t.Errorf("two batch names: %v", err)
	}
}

func TestOpsetImport(t *testing.T) {
	// IR versions before 3 have no opset_import and mean opset 1.
	m := newModel(1).node("Relu", []string{"x"}, []string{"y"}).input("x", tFloat, 2).output("y")
	m.m.OpsetImport, m.m.IrVersion = nil, 2
	if _, err := m.load(t, Options{}); err != nil {
		t.Errorf("IR version 2 without opset_import: %v", err)
	}
	m.m.IrVersion = 7
	_, err := m.load(t, Options{})
	if err == nil || !strings.Contains(err.Error(), "the model imports no ai.onnx opset") {
		t.Errorf("no opset_import: %v", err)
	}
	// "ai.onnx" is the default domain spelled out.
	m.m.OpsetImport = []*pb.OperatorSetIdProto{{Domain: "ai.onnx", Version: 13}}
	m.m.Graph.Node[0].Domain = "ai.onnx"
	if _, err := m.load(t, Options{}); err != nil {
		t.Errorf("ai.onnx domain: %v", err)
	}
	m.m.OpsetImport = []*pb.OperatorSetIdProto{{Version: 26}}
	_, err = m.load(t, Options{})
	if err == nil || !strings.Contains(err.Error(), "Relu (ai.onnx, opset 26) [supported at opsets 1 to 25]") {
		t.Errorf("opset 26: %v", err)
	}
}

// TestDecoderTolerance checks that fields unknown to our schema are
// skipped and that repeated scalars decode both packed and unpacked.
func TestDecoderTolerance(t *testing.T) {
	data := x2(13).node("Relu", []string{"x"}, []string{"y"}).output("y").bytes()
	// Field 20 (training_info in newer ONNX) as a length-delimited blob,
	// and field 103 as a varint, appended at the top level.
	data = appendVarint(data, 20<<3|2)
	data = append(data, 3, 1, 2, 3)
	data = appendVarint(data, 103<<3|0)
	data = append(data, 42)
	if _, err := Import(data, Options{}); err != nil {
		t.Errorf("unknown fields: %v", err)
	}

	// A TensorProto with dims written unpacked (one tag per element) and
	// int64_data packed.
	var tp []byte
	tp = append(tp, 1<<3|0, 2, 1<<3|0, 3) // dims 2, 3 unpacked
	tp = append(tp, 2<<3|0, 7)            // data_type INT64
	tp = append(tp, 7<<3|2, 6, 1, 2, 3, 4, 5, 6)
	tp = append(tp, 8<<3|2, 1, 'z')
	name, v, err := ReadTensor(tp)
	if err != nil {
		t.Fatal(err)
	}
	if name != "z" || !v.Shape.Equal(ir.Shape{2, 3}) || v.Ints[5] != 6 {
		t.Errorf("decoded %q %v %v", name, v.Shape, v.Ints)
	}
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
