#!/usr/bin/env python3
"""Build small models of com.microsoft's quantized operators, with the outputs
ONNX Runtime computes for them, for engine's TestQContribMatchesONNXRuntime.

These operators are ONNX Runtime's own and their documentation leaves the
rounding open, so what a quantized model gives is what ONNX Runtime's kernels
compute: cnnc's engines must give the same codes. Each case is one model of
one operator and code type: inputs of 8-bit codes that take every value of
the type (the first data set holds every code at least once, the others
seeded random codes), and several nodes of the operator on them, each with
its own scales, zero points and attributes and each a model output. The
parameters are those where roundings part: ties (power-of-two scales, equal
input and output scales with an odd zero point), saturation at both ends,
scale ratios far from 1, zero points at the ends of the range, omitted zero
points; the pools cover padding with and without count_include_pad,
ceil_mode, auto_pad and a kernel as large as the image (which ONNX Runtime
computes as a global pool). SIGMOID_APPROX and the last GLOBALPOOL rows were
found by searching for parameters where ONNX Runtime's arithmetic gives
another code than the exact function (the logistic approximation) or a
multiplier rounded once (the global pool, with a data set made to hit the
sum that shows it). The *_runtime cases take their scales and zero points as
model inputs, which cnnc compiles into a table computed in each pass; the
sigmoid_qdq cases are DequantizeLinear -> Sigmoid -> QuantizeLinear.

Usage (ONNX Runtime for Node 1.30.0 and Python's onnx and numpy):

  NODE_PATH=$HOME/.cache/cnnc-onnxruntime-node/node_modules \\
      /usr/bin/python3 scripts/qcontrib_testdata.py testdata/qcontrib

It rewrites every case directory under the output directory; the models and
data sets are a few kilobytes each.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MS = "com.microsoft"

NP = {"u8": np.uint8, "i8": np.int8}
ELEM = {"u8": TensorProto.UINT8, "i8": TensorProto.INT8}
ORT_TYPE = {np.dtype(np.uint8): "uint8", np.dtype(np.int8): "int8", np.dtype(np.float32): "float32"}
ORT_DTYPE = {"float32": "<f4", "uint8": "u1", "int8": "i1", "int32": "<i4"}


def ort_run(model_path, runs):
    """Runs the model under ONNX Runtime (scripts/ort_run.js, every graph
    optimization on); runs is a list of {name: array}. Returns, per run,
    the outputs in the model's order."""
    with tempfile.TemporaryDirectory() as d:
        spec = []
        for r, feeds in enumerate(runs):
            entry = []
            for k, (name, a) in enumerate(feeds.items()):
                f = f"in_{r}_{k}.bin"
                a.tofile(os.path.join(d, f))
                entry.append({"name": name, "dims": list(a.shape), "file": f, "type": ORT_TYPE[a.dtype]})
            spec.append(entry)
        with open(os.path.join(d, "inputs.json"), "w") as f:
            json.dump(spec, f)
        subprocess.run(["node", os.path.join(HERE, "ort_run.js"), model_path, d], check=True)
        with open(os.path.join(d, "outputs.json")) as f:
            info = json.load(f)
        return [[np.fromfile(os.path.join(d, f"out_{r}_{k}.bin"), dtype=ORT_DTYPE[o["type"]]).reshape(o["dims"])
                 for k, o in enumerate(info)] for r in range(len(runs))]


class Case:
    """One model: graph inputs of codes, and nodes each making one output."""

    def __init__(self, name, code):
        self.name, self.code = name, code
        self.inputs, self.nodes, self.inits, self.outputs = [], [], [], []
        self.n = 0

    def input(self, name, shape, elem=None):
        self.inputs.append(helper.make_tensor_value_info(name, elem or ELEM[self.code], shape))
        return name

    def const(self, value, elem):
        self.n += 1
        name = f"c{self.n}"
        if elem == TensorProto.FLOAT:
            a = np.array(value, dtype=np.float32)
        else:
            a = np.array(value, dtype=NP[self.code])
        self.inits.append(numpy_helper.from_array(a, name))
        return name

    def scale(self, s):
        return self.const(s, TensorProto.FLOAT)

    def zero(self, z):
        return "" if z is None else self.const(z, ELEM[self.code])

    def node(self, op, inputs, **attrs):
        """Adds a com.microsoft node whose output is the next model output.
        An omitted zero point stays as an empty name, even last: ONNX
        Runtime's lookup-table kernels read every input slot."""
        out = f"y{len(self.outputs)}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{op}_{len(self.outputs)}", domain=MS, **attrs))
        self.outputs.append(out)

    def qdq(self, op, x, xs, xz, ys, yz):
        """Adds DequantizeLinear -> op -> QuantizeLinear (ONNX's own
        operators, a QDQ model's group) whose output is the next model
        output."""
        k = len(self.outputs)
        out = f"y{k}"
        self.nodes += [helper.make_node("DequantizeLinear", [x, xs, xz], [f"d{k}"], name=f"dq{k}"),
                       helper.make_node(op, [f"d{k}"], [f"f{k}"], name=f"{op}_{k}"),
                       helper.make_node("QuantizeLinear", [f"f{k}", ys, yz], [out], name=f"q{k}")]
        self.outputs.append(out)

    def model(self, shapes=None):
        outs = [helper.make_tensor_value_info(o, ELEM[self.code], None if shapes is None else list(shapes[i]))
                for i, o in enumerate(self.outputs)]
        g = helper.make_graph(self.nodes, self.name, self.inputs, outs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(MS, 1)],
                              producer_name="cnnc scripts/qcontrib_testdata.py")
        m.ir_version = 7
        return m


def every_code(code, n, rng):
    """n codes of the type holding each of its 256 values at least once
    (n >= 256), in a seeded order."""
    lo = -128 if code == "i8" else 0
    a = np.concatenate([np.arange(lo, lo + 256), rng.integers(lo, lo + 256, n - 256)])
    return rng.permutation(a).astype(NP[code])


def random_codes(code, n, rng):
    lo = -128 if code == "i8" else 0
    return rng.integers(lo, lo + 256, n).astype(NP[code])


def zp(code, z):
    """A uint8 zero point, or the int8 one that sits at the same place in
    the range (z - 128); None stays omitted."""
    if z is None or code == "u8":
        return z
    return z - 128


# (x_scale, x_zero, y_scale, y_zero), zero points as uint8 codes (zp maps
# them for int8), None for an omitted zero point.
SIGMOID_PARAMS = [
    (0.05, 128, 1 / 256, 0),
    (0.1, 0, 1 / 255, 0),
    (0.0625, 100, 1 / 256, 0),  # power-of-two scales: exact ties
    (0.03125, 128, 1 / 512, 128),  # the upper half saturates
    (1 / 3, 77, 0.002, 10),
    (2.0, 128, 1 / 256, 0),  # most inputs past MLAS's clamp at +-18
    (1e-3, 255, 1e-4, 0),
    (0.07, 3, 0.0039, 255),
    (0.2, 128, 0.5, 1),  # two output codes
    (0.04, None, 0.003, None),
    (0.0123, 131, 0.00196, 3),
    (5e-5, 128, 2e-6, 5),
    (0.16, 128, 1e-9, 0),  # the tail below MLAS's clamp at -18
]

# Parameters where one table entry of ONNX Runtime's approximation of the
# logistic function (MLAS's, within a few ulp of the exact function) is a
# step away from the exactly rounded function's; found by a search over
# random scales and zero points.
SIGMOID_APPROX = [
    (0.0087454645, 247, 0.0044057565, 61),
    (0.021998582, 159, 0.00065971527, 39),
    (0.25060794, 17, 0.00036437658, 54),
    (0.06441169, 88, 0.000515901, 112),
    (0.5602064, 36, 0.0026823245, 77),
    (0.006047724, 209, 0.0019998995, 1),
    (0.042060208, 126, 0.0024495742, 82),
    (0.109603375, 183, 0.0016027167, 85),
]

# (alpha or None for the default 0.01, x_scale, x_zero, y_scale, y_zero)
LEAKY_PARAMS = [
    (None, 0.05, 128, 0.05, 128),
    (0.1, 0.1, 100, 0.02, 200),
    (0.5, 0.0625, 128, 0.03125, 128),  # ties
    (0.2, 0.03, 128, 0.03, 127),
    (1.3, 0.02, 60, 0.05, 30),
    (-0.7, 0.05, 128, 0.04, 0),
    (0.0, 0.1, 128, 0.05, 0),
    (0.3333, 1 / 3, 77, 0.01, 250),
    (0.25, 0.5, 255, 1 / 16, 255),
    (0.01, 0.002, None, 0.001, None),
    (3.0, 0.01, 200, 1e-3, 128),  # saturation at both ends
]


def activation_cases(code, rng):
    cases = []
    for op, params in [("QLinearSigmoid", SIGMOID_PARAMS + SIGMOID_APPROX), ("QLinearLeakyRelu", LEAKY_PARAMS)]:
        c = Case(f"{op[7:].lower()}_{code}", code)
        x = c.input("x", [1, 256])
        for p in params:
            attrs = {}
            if op == "QLinearLeakyRelu":
                alpha, p = p[0], p[1:]
                if alpha is not None:
                    attrs["alpha"] = alpha
            xs, xz, ys, yz = p
            c.node(op, [x, c.scale(xs), c.zero(zp(code, xz)), c.scale(ys), c.zero(zp(code, yz))], **attrs)
        sets = [{"x": every_code(code, 256, rng).reshape(1, 256)}]
        cases.append((c, sets))

        if op == "QLinearSigmoid":
            # The same in a QDQ model: ONNX Runtime fuses the group into
            # QLinearSigmoid or runs its float Sigmoid, the same
            # approximation, between the conversions.
            c = Case(f"sigmoid_qdq_{code}", code)
            x = c.input("x", [1, 256])
            for xs, xz, ys, yz in SIGMOID_PARAMS[:4] + SIGMOID_APPROX:
                c.qdq("Sigmoid", x, c.scale(xs), c.zero(zp(code, xz)), c.scale(ys), c.zero(zp(code, yz)))
            cases.append((c, [{"x": every_code(code, 256, rng).reshape(1, 256)}]))

        # Scales and zero points as model inputs: one data set each.
        c = Case(f"{op[7:].lower()}_{code}_runtime", code)
        x = c.input("x", [1, 256])
        params = [c.input(n, [], e) for n, e in [("xs", TensorProto.FLOAT), ("xz", None), ("ys", TensorProto.FLOAT), ("yz", None)]]
        attrs = {"alpha": 0.3} if op == "QLinearLeakyRelu" else {}
        c.node(op, [x] + params, **attrs)
        sets = []
        for p in SIGMOID_PARAMS[:3] + SIGMOID_APPROX[:3] if op == "QLinearSigmoid" else [q[1:] for q in LEAKY_PARAMS[:6]]:
            xs, xz, ys, yz = p
            sets.append({"x": every_code(code, 256, rng).reshape(1, 256),
                         "xs": np.array(xs, np.float32), "xz": np.array(zp(code, xz), NP[code]),
                         "ys": np.array(ys, np.float32), "yz": np.array(zp(code, yz), NP[code])})
        cases.append((c, sets))
    return cases


# (attributes, x_scale, x_zero, y_scale, y_zero) on a [1, 4, 10, 10] input.
AVGPOOL = [
    (dict(kernel_shape=[2, 2], strides=[2, 2]), 0.05, 128, 0.05, 127),  # sums of 4 over 4: ties, odd zero point
    (dict(kernel_shape=[2, 2], strides=[2, 2]), 0.05, 128, 0.1, 128),
    (dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1]), 0.1, 128, 0.07, 130),
    (dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1), 0.1, 128, 0.07, 130),
    (dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1), 0.02, 100, 0.02, 101),
    (dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), 0.0625, 128, 0.0625, 3),
    (dict(kernel_shape=[2, 3], strides=[1, 2], pads=[0, 1, 1, 0]), 1 / 3, 77, 0.01, 0),
    (dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"), 0.05, 0, 0.05, 1),
    (dict(kernel_shape=[2, 2], auto_pad="SAME_LOWER", count_include_pad=1), 0.03125, 128, 0.0625, 129),
    (dict(kernel_shape=[10, 10]), 0.05, 128, 0.05, 127),  # the whole image: ONNX Runtime's global pool
    (dict(kernel_shape=[10, 10]), 0.02, 3, 0.001, 128),
    (dict(kernel_shape=[10, 10], pads=[1, 1, 1, 1]), 0.05, 128, 0.05, 127),
    (dict(kernel_shape=[5, 5], strides=[3, 3]), 10.0, 128, 0.01, 128),  # saturation at both ends
    (dict(kernel_shape=[2, 2], strides=[1, 1]), 0.0078125, 0, 0.00390625, 1),
    (dict(kernel_shape=[4, 1], strides=[3, 1], pads=[2, 0, 2, 0], count_include_pad=1), 1e-3, 255, 1e-1, 0),
]

# (x_scale, x_zero, y_scale, y_zero) on a [1, 4, 10, 10] input (index 0)
# and a [1, 64, 2, 2] one (index 1).
GLOBALPOOL = [
    (0, 0.05, 128, 0.05, 127),
    (0, 0.02, 100, 0.005, 3),
    (0, 1 / 3, 77, 0.01, 200),
    (0, 0.1, 0, 0.1, 0),
    (1, 0.05, 128, 0.05, 127),  # sums of 4 over 4: ties
    (1, 0.05, 128, 0.05, 128),
    (1, 0.1, 0, 0.025, 1),
    (1, 0.0625, 255, 0.015625, 255),
    (1, 2.0, 128, 0.05, 128),  # saturation at both ends
    # Where a multiplier xs/(ys*n) rounded once to float32 and ONNX
    # Runtime's, rounded after each operation, part: one sum S of each
    # (the last data set has a channel of x with each).
    (0, 0.0186579, 124, 0.012183559, 60),
    (0, 0.016867697, 211, 0.008044229, 160),
    (0, 0.22222303, 129, 0.020230593, 94),
]
# The sums S = sum (x - x_zero) that GLOBALPOOL's last three need, the
# channels of the last data set.
GLOBALPOOL_SUMS = [(12309, 124), (1693, 211), (-1693, 211), (1097, 129)]


def pool_cases(code, rng):
    cases = []
    c = Case(f"averagepool_{code}", code)
    x = c.input("x", [1, 4, 10, 10])
    for attrs, xs, xz, ys, yz in AVGPOOL:
        c.node("QLinearAveragePool", [x, c.scale(xs), c.zero(zp(code, xz)), c.scale(ys), c.zero(zp(code, yz))], **attrs)
    sets = [{"x": every_code(code, 400, rng).reshape(1, 4, 10, 10)}]
    sets += [{"x": random_codes(code, 400, rng).reshape(1, 4, 10, 10)} for _ in range(2)]
    cases.append((c, sets))

    c = Case(f"globalaveragepool_{code}", code)
    xin = [c.input("x", [1, 4, 10, 10]), c.input("x2", [1, 64, 2, 2])]
    for i, xs, xz, ys, yz in GLOBALPOOL:
        c.node("QLinearGlobalAveragePool", [xin[i], c.scale(xs), c.zero(zp(code, xz)), c.scale(ys), c.zero(zp(code, yz))])
    sets = [{"x": every_code(code, 400, rng).reshape(1, 4, 10, 10), "x2": every_code(code, 256, rng).reshape(1, 64, 2, 2)}]
    sets += [{"x": random_codes(code, 400, rng).reshape(1, 4, 10, 10), "x2": random_codes(code, 256, rng).reshape(1, 64, 2, 2)}]
    crafted = np.concatenate([rng.permutation(codes_summing_to(s + 100 * z, 100)) for s, z in GLOBALPOOL_SUMS])
    if code == "i8":
        crafted -= 128
    sets += [{"x": crafted.astype(NP[code]).reshape(1, 4, 10, 10), "x2": random_codes(code, 256, rng).reshape(1, 64, 2, 2)}]
    cases.append((c, sets))
    return cases


def codes_summing_to(total, n):
    """n uint8 codes that sum to total, as even as can be."""
    base, extra = divmod(total, n)
    return np.array([base + 1] * extra + [base] * (n - extra), dtype=np.int64)


def concat_case(code, rng):
    c = Case(f"concat_{code}", code)
    a, b, d = c.input("a", [1, 4, 8, 8]), c.input("b", [1, 2, 8, 8]), c.input("c", [1, 1, 8, 8])

    def part(x, s, z):
        return [x, c.scale(s), c.zero(zp(code, z))]

    # (axis, y_scale, y_zero, [(input, x_scale, x_zero)])
    for axis, ys, yz, parts in [
        (1, 0.1, 128, [(a, 0.05, 128), (b, 0.1, 128), (d, 0.3, 50)]),  # b is copied
        (1, 0.125, 127, [(a, 0.0625, 128), (d, 0.0625, 0), (b, 0.25, 255)]),  # ties
        (-1, 0.0625, 0, [(a, 0.03125, 128), (a, 0.09, 3)]),
        (2, 0.02, 255, [(b, 0.01, 0), (b, 1.0, 128), (b, 0.02, 255)]),  # saturation
        (0, 1 / 3, 77, [(d, 0.1, 128), (d, 1 / 7, 13)]),
    ]:
        ins = [c.scale(ys), c.zero(zp(code, yz))]
        for x, s, z in parts:
            ins += part(x, s, z)
        c.node("QLinearConcat", ins, axis=axis)
    sets = [{"a": every_code(code, 256, rng).reshape(1, 4, 8, 8), "b": random_codes(code, 128, rng).reshape(1, 2, 8, 8),
             "c": random_codes(code, 64, rng).reshape(1, 1, 8, 8)}]
    return [(c, sets)]


# (a_scale, a_zero, b_scale, b_zero, c_scale, c_zero, A input, B input):
# a and b are [1, 4, 16, 16], t is [16] (repeating along the leading axes),
# s is [1].
ADD = [
    (0.05, 128, 0.05, 128, 0.1, 128, "a", "b"),
    (0.0625, 128, 0.0625, 128, 0.125, 127, "a", "b"),  # ties
    (0.02, 0, 0.3, 255, 0.05, 10, "a", "b"),
    (1 / 3, 77, 0.01, 200, 0.5, 3, "a", "b"),
    (0.001, 128, 0.002, 128, 0.0001, 128, "a", "b"),  # saturation at both ends
    (0.05, 100, 0.07, 30, 0.09, 60, "a", "t"),
    (0.0625, 128, 0.0625, 128, 0.125, 127, "a", "s"),
    (0.05, 100, 0.07, 30, 0.09, 61, "s", "b"),
    (0.05, 100, 0.07, 30, 0.09, 61, "t", "b"),
]
MUL = [
    (0.05, 128, 0.05, 128, 0.2, 128, "a", "b"),
    (0.25, 128, 0.5, 128, 0.125, 127, "a", "b"),  # ties
    (0.02, 0, 0.3, 255, 0.5, 10, "a", "b"),
    (1 / 3, 77, 0.01, 200, 0.05, 3, "a", "b"),
    (0.1, 128, 0.1, 128, 0.001, 128, "a", "b"),  # saturation at both ends
    (0.05, 100, 0.07, 30, 0.09, 60, "a", "t"),
    (0.0625, 128, 0.0625, 128, 0.125, 127, "a", "s"),
    (0.05, 100, 0.07, 30, 0.09, 61, "s", "b"),
    (0.05, 100, 0.07, 30, 0.09, 61, "t", "b"),
]


def binary_cases(code, rng):
    cases = []
    for op, params in [("QLinearAdd", ADD), ("QLinearMul", MUL)]:
        c = Case(f"{op[7:].lower()}_{code}", code)
        ins = {"a": c.input("a", [1, 4, 16, 16]), "b": c.input("b", [1, 4, 16, 16]),
               "t": c.input("t", [16]), "s": c.input("s", [1])}
        for sa, za, sb, zb, sc, zc, a, b in params:
            c.node(op, [ins[a], c.scale(sa), c.zero(zp(code, za)), ins[b], c.scale(sb), c.zero(zp(code, zb)),
                        c.scale(sc), c.zero(zp(code, zc))])
        sets = [{"a": every_code(code, 1024, rng).reshape(1, 4, 16, 16), "b": every_code(code, 1024, rng).reshape(1, 4, 16, 16),
                 "t": random_codes(code, 16, rng), "s": random_codes(code, 1, rng)}]
        cases.append((c, sets))
    return cases


def main(out_dir):
    rng = np.random.default_rng(30)
    cases = []
    for code in ["u8", "i8"]:
        cases += activation_cases(code, rng) + pool_cases(code, rng) + concat_case(code, rng) + binary_cases(code, rng)
    os.makedirs(out_dir, exist_ok=True)
    for c, sets in cases:
        d = os.path.join(out_dir, c.name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        path = os.path.join(d, "model.onnx")
        onnx.save(c.model(), path)
        outs = ort_run(os.path.abspath(path), sets)
        # The output shapes ONNX Runtime computed, into the model.
        m = c.model([o.shape for o in outs[0]])
        onnx.checker.check_model(m)
        onnx.save(m, path)
        names = [i.name for i in m.graph.input]
        for i, (feeds, ys) in enumerate(zip(sets, outs)):
            ds = os.path.join(d, f"test_data_set_{i}")
            os.makedirs(ds)
            for k, name in enumerate(names):
                with open(os.path.join(ds, f"input_{k}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(feeds[name], name).SerializeToString())
            for k, y in enumerate(ys):
                with open(os.path.join(ds, f"output_{k}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(y, c.outputs[k]).SerializeToString())
        print(f"{d}: {len(c.nodes)} nodes, {len(sets)} data sets")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "testdata/qcontrib")
