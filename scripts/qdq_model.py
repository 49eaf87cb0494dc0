#!/usr/bin/env python3
"""Build a small quantized (QDQ) CNN and ONNX Runtime's outputs for it.

cnnc's quantized path is checked against ONNX Runtime with it: the model has
every pattern the qdq pass turns into integer ops (convolutions with a fused
Relu, a depthwise one, a concatenation, a residual Add, x*sigmoid(x), max,
average and global average pools, a Flatten and a Gemm).

Steps, with torch 1.13 and onnx 1.12 (Debian's python3) and onnxruntime-node
(ONNX Runtime's Python quantizer is not needed):

  1. export a float CNN (seeded weights) to ONNX, opset 13;
  2. calibrate: run it under ONNX Runtime on seeded random images with every
     intermediate tensor as an output, and keep each tensor's range;
  3. write the QDQ model as ONNX Runtime's quantizer would: every activation
     tensor through QuantizeLinear -> DequantizeLinear (uint8, asymmetric,
     per tensor; a MaxPool's and a Flatten's output share their input's
     parameters; a Conv followed by a Relu is quantized after the Relu),
     weights as DequantizeLinear of int8 constants (symmetric, 7 bits, see
     WMAX, per output channel, axis 0), biases as DequantizeLinear of int32
     constants with scale input_scale * weight_scale;
  4. run the QDQ model under ONNX Runtime (its QDQ transformer makes
     QLinearConv & co. and runs its integer kernels) on three seeded
     random images and store inputs and outputs as test_data_set_0..2;
  5. save the graph ONNX Runtime runs, the same model in QOperator form
     (QLinearConv, com.microsoft QLinearConcat, QLinearAdd, QLinearSigmoid,
     QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool, QGemm), as
     model_qoperator.onnx beside it: the same data sets check it.

Usage:
  NODE_PATH=/tmp/ortbench/node_modules /usr/bin/python3 scripts/qdq_model.py testdata/qdq_cnn

then `cnnc check -steps 1 testdata/qdq_cnn/model.onnx` (also -engine go, and
model_qoperator.onnx).
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = (1, 3, 32, 32)

# Weights use 7 bits ([-63, 63]), as ONNX Runtime's quantizer does with
# reduce_range: its uint8 x int8 kernel for AVX2 without VNNI (this
# project's machines) adds pairs of products in int16 (VPMADDUBSW), which
# saturates for full-range weights and then gives results far from the
# model's (cnnc's kernels widen the weights and sum exactly).
WMAX = 63


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2a = nn.Conv2d(16, 16, 3, padding=1)
        self.conv2b = nn.Conv2d(16, 16, 1)
        self.dw = nn.Conv2d(32, 32, 3, padding=1, groups=32)
        self.pw = nn.Conv2d(32, 32, 1)
        self.conv3 = nn.Conv2d(32, 32, 3, stride=2, padding=1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)
        x = torch.cat([F.relu(self.conv2a(x)), self.conv2b(x)], 1)
        x = x + F.relu(self.pw(F.relu(self.dw(x))))
        x = x * torch.sigmoid(x)
        x = F.avg_pool2d(x, 2)
        x = F.relu(self.conv3(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def ort_run(model_path, runs, optimized=None):
    """Runs the model under ONNX Runtime; runs is a list of {name: array}.
    With optimized, ONNX Runtime also saves the graph it runs there."""
    with tempfile.TemporaryDirectory() as d:
        spec = []
        for r, feeds in enumerate(runs):
            entry = []
            for k, (name, a) in enumerate(feeds.items()):
                f = f"in_{r}_{k}.bin"
                a.astype("<f4").tofile(os.path.join(d, f))
                entry.append({"name": name, "dims": list(a.shape), "file": f})
            spec.append(entry)
        with open(os.path.join(d, "inputs.json"), "w") as f:
            json.dump(spec, f)
        subprocess.run(["node", os.path.join(HERE, "ort_run.js"), model_path, d] + ([optimized] if optimized else []), check=True)
        with open(os.path.join(d, "outputs.json")) as f:
            info = json.load(f)
        types = {"float32": "<f4", "uint8": "u1", "int8": "i1", "int32": "<i4", "int64": "<i8"}
        res = []
        for r in range(len(runs)):
            res.append({o["name"]: np.fromfile(os.path.join(d, f"out_{r}_{k}.bin"), dtype=types[o["type"]]).reshape(o["dims"])
                        for k, o in enumerate(info)})
        return res


def act_params(lo, hi):
    """uint8 asymmetric parameters of a range (extended to include 0)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    zero = int(np.clip(np.rint(-lo / scale), 0, 255))
    return scale, zero


def main(out_dir):
    torch.manual_seed(7)
    net = Net().eval()
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = os.path.join(tmp, "fp32.onnx")
        torch.onnx.export(net, torch.rand(SHAPE), fp32, opset_version=13, input_names=["input"], output_names=["logits"],
                          do_constant_folding=True)
        m = onnx.shape_inference.infer_shapes(onnx.load(fp32))
        g = m.graph
        inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}

        # 2. Calibration: every tensor's range over seeded images.
        calib = onnx.ModelProto()
        calib.CopyFrom(m)
        known = {o.name for o in calib.graph.output}
        for vi in calib.graph.value_info:
            if vi.name not in known:
                calib.graph.output.append(vi)
        calib_path = os.path.join(tmp, "calib.onnx")
        onnx.save(calib, calib_path)
        rng = np.random.default_rng(1)
        runs = [{"input": rng.random(SHAPE, dtype=np.float32)} for _ in range(16)]
        outs = ort_run(calib_path, runs)
        ranges = {"input": (0.0, 1.0)}
        for name in outs[0]:
            ranges[name] = (min(float(o[name].min()) for o in outs), max(float(o[name].max()) for o in outs))

    floats = {vi.name for vi in list(g.value_info) + list(g.input) if vi.type.tensor_type.elem_type == TensorProto.FLOAT}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    producer = {o: n for n in g.node for o in n.output}

    # Which parameters each activation tensor gets: a MaxPool's or a
    # Flatten's output shares its input's.
    params = {}

    def param_of(t):
        if t not in params:
            p = producer.get(t)
            if p is not None and p.op_type in ("MaxPool", "Flatten"):
                params[t] = param_of(p.input[0])
            else:
                params[t] = act_params(*ranges[t])
        return params[t]

    nodes, new_inits = [], []
    quantized = {}  # tensor -> its DequantizeLinear output

    def const(name, array):
        new_inits.append(numpy_helper.from_array(array, name))
        return name

    def qdq(t):
        if t in quantized:
            return quantized[t]
        s, z = param_of(t)
        sn, zn = const(t + "_scale", np.array(s, np.float32)), const(t + "_zero", np.array(z, np.uint8))
        nodes.append(helper.make_node("QuantizeLinear", [t, sn, zn], [t + "_q"], name=t + "_Q"))
        nodes.append(helper.make_node("DequantizeLinear", [t + "_q", sn, zn], [t + "_dq"], name=t + "_DQ"))
        quantized[t] = t + "_dq"
        return quantized[t]

    def weight(name, w, x_scale, bias):
        """Per-output-channel int8 weights and the int32 bias."""
        amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        ws = np.where(amax > 0, amax / WMAX, 1.0).astype(np.float32)
        codes = np.clip(np.rint(w / ws.reshape((-1,) + (1,) * (w.ndim - 1))), -WMAX, WMAX).astype(np.int8)
        wn = const(name + "_int8", codes)
        wsn = const(name + "_scale", ws)
        wzn = const(name + "_zero", np.zeros(len(ws), np.int8))
        nodes.append(helper.make_node("DequantizeLinear", [wn, wsn, wzn], [name + "_dq"], name=name + "_DQ", axis=0))
        bs = (np.float32(x_scale) * ws).astype(np.float32)
        bcodes = np.rint(bias / bs).astype(np.int32)
        bn, bsn = const(name + "_bias_int32", bcodes), const(name + "_bias_scale", bs)
        nodes.append(helper.make_node("DequantizeLinear", [bn, bsn], [name + "_bias_dq"], name=name + "_bias_DQ", axis=0))
        return name + "_dq", name + "_bias_dq"

    outputs = {o.name for o in g.output}
    for n in g.node:
        ins = list(n.input)
        if n.op_type in ("Conv", "Gemm"):
            x = qdq(ins[0])
            w, b = weight(ins[1], inits[ins[1]], param_of(ins[0])[0], inits[ins[2]])
            ins = [x, w, b]
        elif n.op_type == "Relu" and producer.get(ins[0]) is not None and producer[ins[0]].op_type == "Conv":
            pass  # Conv -> Relu: quantized after the Relu only, as ONNX Runtime's quantizer does
        else:
            ins = [qdq(i) if i in floats and i not in inits else i for i in ins]
        out = n.output[0]
        renamed = out in outputs
        if renamed:
            n.output[0] = out + "_float"
            ranges[out + "_float"] = ranges.get(out, ranges.get(out + "_float"))
        nn_ = helper.make_node(n.op_type, ins, list(n.output), name=n.name or out)
        nn_.attribute.extend(n.attribute)
        nodes.append(nn_)
        if n.op_type == "Constant":
            continue
        if renamed:
            # The model output: quantized, then dequantized to its name.
            t = out + "_float"
            params[t] = act_params(*ranges[out])
            s, z = params[t]
            sn, zn = const(out + "_scale", np.array(s, np.float32)), const(out + "_zero", np.array(z, np.uint8))
            nodes.append(helper.make_node("QuantizeLinear", [t, sn, zn], [out + "_q"], name=out + "_Q"))
            nodes.append(helper.make_node("DequantizeLinear", [out + "_q", sn, zn], [out], name=out + "_DQ"))

    # Besides the logits, the model outputs one feature map twice: its
    # uint8 codes and their dequantized values.
    feat = "/Mul_output_0"
    extra = [helper.make_tensor_value_info(feat + "_q", TensorProto.UINT8, [1, 32, 16, 16]),
             helper.make_tensor_value_info(feat + "_dq", TensorProto.FLOAT, [1, 32, 16, 16])]
    qg = helper.make_graph(nodes, "qdq_cnn", list(g.input), list(g.output) + extra, new_inits)
    qm = helper.make_model(qg, opset_imports=[helper.make_opsetid("", 13)], producer_name="cnnc scripts/qdq_model.py")
    qm.ir_version = 7
    onnx.checker.check_model(qm)
    path = os.path.join(out_dir, "model.onnx")
    onnx.save(qm, path)

    # 4. ONNX Runtime's outputs on seeded images.
    rng = np.random.default_rng(2)
    xs = [rng.random(SHAPE, dtype=np.float32) for _ in range(3)]
    ys = ort_run(os.path.abspath(path), [{"input": x} for x in xs], os.path.abspath(os.path.join(out_dir, "model_qoperator.onnx")))
    names = [o.name for o in qg.output]
    for i, (x, y) in enumerate(zip(xs, ys)):
        ds = os.path.join(out_dir, f"test_data_set_{i}")
        os.makedirs(ds, exist_ok=True)
        with open(os.path.join(ds, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, "input").SerializeToString())
        for k, name in enumerate(names):
            with open(os.path.join(ds, f"output_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(y[name], name).SerializeToString())
        with torch.no_grad():
            ref = net(torch.from_numpy(x)).numpy()
        print(f"data set {i}: ONNX Runtime logits {y['logits'].ravel()[:3]}..., float model {ref.ravel()[:3]}..., "
              f"max |quantized - float| {np.abs(y['logits'] - ref).max():.4f}")
    print(f"wrote {path}: {len(qm.graph.node)} nodes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "testdata/qdq_cnn")
