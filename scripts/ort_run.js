#!/usr/bin/env node
// ort_run.js runs an ONNX model under onnxruntime-node (CPU execution
// provider, graph optimizations on: ONNX Runtime's QDQ transformer runs a
// QDQ model's integer kernels) on raw inputs and writes raw outputs, for
// scripts/qdq_model.py.
//
// Usage: NODE_PATH=/path/to/node_modules node ort_run.js MODEL DIR [OPTIMIZED]
//
// DIR holds inputs.json, a list of {"name", "dims", "file"} naming
// little-endian float32 files, or files of the entry's "type" (uint8, int8,
// int32) when it has one (one list per run: [[...], [...]] runs the model
// once per entry). For run r and output k it writes DIR/out_r_k.bin
// (float32, or the output's own type) and DIR/outputs.json with each
// output's name, dims and type. With OPTIMIZED (and graph optimization
// level "extended", which applies the QDQ transformer but none of the
// layout changes of "all") it also saves the graph ONNX Runtime runs: the
// QOperator form of a QDQ model (QLinearConv, com.microsoft QLinearAdd,
// QGemm, ...).
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

// The typed arrays of the input types inputs.json may name.
const arrays = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array };

async function main() {
  const [model, dir, optimized] = process.argv.slice(2);
  if (!model || !dir) {
    console.error('usage: node ort_run.js MODEL DIR');
    process.exit(2);
  }
  const opts = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 };
  if (optimized) {
    await ort.InferenceSession.create(model, { ...opts, graphOptimizationLevel: 'extended', optimizedModelFilePath: optimized });
  }
  const session = await ort.InferenceSession.create(model, opts);
  let runs = JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json'), 'utf8'));
  if (!Array.isArray(runs[0])) runs = [runs];
  const info = [];
  for (let r = 0; r < runs.length; r++) {
    const feeds = {};
    for (const inp of runs[r]) {
      const buf = fs.readFileSync(path.join(dir, inp.file));
      const type = inp.type || 'float32';
      const Arr = arrays[type];
      if (!Arr) throw new Error(`input ${inp.name}: type ${type} is not handled`);
      // A copy, aligned for the typed array whatever the file buffer's offset.
      const data = new Arr(new Uint8Array(buf).buffer);
      feeds[inp.name] = new ort.Tensor(type, data, inp.dims);
    }
    const out = await session.run(feeds);
    session.outputNames.forEach((name, k) => {
      const t = out[name];
      fs.writeFileSync(path.join(dir, `out_${r}_${k}.bin`), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      if (r === 0) info.push({ name, dims: t.dims, type: t.type });
    });
  }
  fs.writeFileSync(path.join(dir, 'outputs.json'), JSON.stringify(info));
}

main().catch((e) => { console.error(e); process.exit(1); });
