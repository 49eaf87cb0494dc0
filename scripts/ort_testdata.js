#!/usr/bin/env node
// ort_testdata.js makes ONNX test data sets whose expected outputs are ONNX
// Runtime's, so that `cnnc check` compares cnnc with ONNX Runtime on any
// model (scripts/int8-vs-ort.sh uses it for quantized models).
//
//   node ort_testdata.js noise MODEL N SEED OUT.npy
//       N items of standard-normal noise shaped like MODEL's first input
//       (a symbolic first dimension becomes N), as a float32 .npy file
//   node ort_testdata.js run MODEL IN.npy OUTDIR
//       runs MODEL once per item of IN.npy (float32, items along the first
//       dimension) and writes OUTDIR/test_data_set_I/input_0.pb and
//       output_K.pb (TensorProto) for each item I
//
// onnxruntime-node is found through ORT_MODULE or require's search
// (NODE_PATH). The session runs on one thread with every graph
// optimization on: for a QDQ model, ONNX Runtime's integer kernels.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(process.env.ORT_MODULE || 'onnxruntime-node');

const opts = {graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1};

// The ONNX TensorProto element types this script reads or writes.
const elemTypes = {float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7};

function varint(n) {
  const out = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

function field(num, wire, payload) {
  return Buffer.concat([varint((num << 3) | wire), payload]);
}

function bytesField(num, b) {
  return field(num, 2, Buffer.concat([varint(b.length), b]));
}

// tensorProto encodes dims (1), data_type (2), name (8) and raw_data (9).
function tensorProto(name, dims, type, data) {
  const t = elemTypes[type];
  if (!t) throw new Error(`output ${name}: element type ${type} is not handled`);
  const parts = dims.map((d) => field(1, 0, varint(d)));
  parts.push(field(2, 0, varint(t)));
  parts.push(bytesField(8, Buffer.from(name, 'utf8')));
  parts.push(bytesField(9, Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  return Buffer.concat(parts);
}

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const at = major === 1 ? 10 : 12;
  const header = b.toString('latin1', at, at + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${file}: want little-endian float32 in C order, header ${header.trim()}`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const off = at + hlen;
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
  return {shape, data};
}

function writeNpy(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const h = Buffer.alloc(10);
  h.write('\x93NUMPY', 0, 'latin1');
  h[6] = 1;
  h[7] = 0;
  h.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

// A small seeded generator (mulberry32) and Box-Muller, so that the same
// seed gives the same noise on every machine.
function normals(n, seed) {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u())), a = 2 * Math.PI * u();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

async function inputShape(model) {
  const s = await ort.InferenceSession.create(model, opts);
  const meta = s.inputMetadata ? s.inputMetadata[0] : null;
  if (!meta || !meta.shape) throw new Error(`${model}: this onnxruntime-node does not report input shapes`);
  return {session: s, name: s.inputNames[0], shape: meta.shape};
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'noise' && args.length === 4) {
    const [model, nArg, seedArg, out] = args;
    const n = Number(nArg);
    const {shape} = await inputShape(model);
    const dims = shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : NaN));
    if (dims.some((d) => !Number.isInteger(d))) throw new Error(`${model}: input shape ${JSON.stringify(shape)} has symbolic dimensions past the first`);
    const per = dims.slice(1).reduce((a, b) => a * b, 1) * dims[0];
    writeNpy(out, [n * dims[0], ...dims.slice(1)], normals(n * per, Number(seedArg)));
    return;
  }
  if (mode === 'run' && args.length === 3) {
    const [model, npy, outDir] = args;
    const {session, name, shape} = await inputShape(model);
    const x = readNpy(npy);
    const item = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : 1;
    const per = x.shape.slice(1).reduce((a, b) => a * b, 1) * item;
    const dims = [item, ...x.shape.slice(1)];
    for (let i = 0; i * per < x.data.length; i++) {
      const data = x.data.slice(i * per, (i + 1) * per);
      const r = await session.run({[name]: new ort.Tensor('float32', data, dims)});
      const dir = path.join(outDir, `test_data_set_${i}`);
      fs.mkdirSync(dir, {recursive: true});
      fs.writeFileSync(path.join(dir, 'input_0.pb'), tensorProto(name, dims, 'float32', data));
      session.outputNames.forEach((o, k) => {
        const t = r[o];
        fs.writeFileSync(path.join(dir, `output_${k}.pb`), tensorProto(o, t.dims, t.type, t.data));
      });
    }
    return;
  }
  console.error('usage: node ort_testdata.js noise MODEL N SEED OUT.npy | run MODEL IN.npy OUTDIR');
  process.exit(2);
}

main().catch((e) => {
  console.error(`ort_testdata: ${e.message}`);
  process.exit(1);
});
