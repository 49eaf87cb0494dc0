// ort.js runs ONNX models under ONNX Runtime for Node (onnxruntime-node,
// found through ORT_MODULE or require's search), for quantize's tests.
// Inputs are files of little-endian float32 values; one line of JSON is
// written to stdout.
//
//   node ort.js accuracy MODEL X.f32 LABELS.u8 C H W BATCH
//       top-1 accuracy over the labelled items of X, BATCH items per run
//   node ort.js compare FLOAT QDQ X.f32 C H W BATCH [LEVEL LEVEL]
//       both models on the items of X: output differences, top-1 agreement;
//       each model's graph optimization level is 'all' unless given
//       ('disabled' runs a QDQ model as the float ops the format defines,
//       'all' on the integer kernels its optimizer fuses them into)
//   node ort.js ops MODEL
//       the op types of the graph ONNX Runtime optimized the model into
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require(process.env.ORT_MODULE || 'onnxruntime-node');

const opts = {graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1};

function floats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

async function outputs(s, x, per, shape, batch, each) {
  const n = x.length / per;
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    const t = new ort.Tensor('float32', x.slice(i * per, (i + k) * per), [k, ...shape]);
    const r = await s.run({[s.inputNames[0]]: t});
    each(i, k, r[s.outputNames[0]].data);
  }
}

function argmax(a, at, len) {
  let b = 0;
  for (let c = 1; c < len; c++) if (a[at + c] > a[at + b]) b = c;
  return b;
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'accuracy') {
    const [model, xf, yf, C, H, W, B] = args;
    const s = await ort.InferenceSession.create(model, opts);
    const x = floats(xf), y = fs.readFileSync(yf), per = C * H * W;
    let correct = 0;
    await outputs(s, x, per, [+C, +H, +W], +B, (i, k, o) => {
      const classes = o.length / k;
      for (let j = 0; j < k; j++) if (argmax(o, j * classes, classes) === y[i + j]) correct++;
    });
    console.log(JSON.stringify({correct, total: y.length}));
  } else if (mode === 'compare') {
    const [fm, qm, xf, C, H, W, B, la = 'all', lb = 'all'] = args;
    const a = await ort.InferenceSession.create(fm, {...opts, graphOptimizationLevel: la});
    const q = await ort.InferenceSession.create(qm, {...opts, graphOptimizationLevel: lb});
    const x = floats(xf), per = C * H * W, shape = [+C, +H, +W];
    const ref = [];
    await outputs(a, x, per, shape, +B, (i, k, o) => ref.push(Float32Array.from(o)));
    let maxAbs = 0, maxRef = 0, num = 0, den = 0, agree = 0, items = 0, r = 0;
    await outputs(q, x, per, shape, +B, (i, k, o) => {
      const f = ref[r++], classes = o.length / k;
      for (let j = 0; j < o.length; j++) {
        const d = o[j] - f[j];
        maxAbs = Math.max(maxAbs, Math.abs(d)); maxRef = Math.max(maxRef, Math.abs(f[j]));
        num += d * d; den += f[j] * f[j];
      }
      for (let j = 0; j < k; j++) if (argmax(o, j * classes, classes) === argmax(f, j * classes, classes)) agree++;
      items += k;
    });
    console.log(JSON.stringify({items, agree, maxAbsDiff: maxAbs, maxAbsFloat: maxRef, relL2: Math.sqrt(num / den)}));
  } else if (mode === 'ops') {
    const [model] = args;
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-ort-')), 'optimized.onnx');
    // The optimized model is written as ONNX; its node op types are read
    // back by a scan for the op_type field (4) of NodeProto, which is
    // enough for counting and needs no protobuf library.
    await ort.InferenceSession.create(model, {...opts, optimizedModelFilePath: out, logSeverityLevel: 3});
    const data = fs.readFileSync(out);
    fs.rmSync(path.dirname(out), {recursive: true});
    console.log(JSON.stringify({bytes: data.length, ops: opTypes(data)}));
  } else {
    throw new Error('usage: node ort.js accuracy|compare|ops ...');
  }
}

// opTypes counts the op types of a serialized ModelProto: graph (7) ->
// node (1) -> op_type (4), walking the protobuf wire format.
function opTypes(buf) {
  const counts = {};
  const varint = (b, p) => { let v = 0, m = 1, c; do { c = b[p++]; v += (c & 0x7f) * m; m *= 128; } while (c & 0x80); return [v, p]; };
  const fields = (b, start, end, fn) => {
    let p = start;
    while (p < end) {
      let key; [key, p] = varint(b, p);
      const f = Math.floor(key / 8), wt = key & 7;
      if (wt === 0) { [, p] = varint(b, p); } else if (wt === 1) { p += 8; } else if (wt === 5) { p += 4; } else if (wt === 2) {
        let len; [len, p] = varint(b, p); fn(f, p, p + len); p += len;
      } else throw new Error('wire type ' + wt);
    }
  };
  fields(buf, 0, buf.length, (f, s, e) => {
    if (f !== 7) return;
    fields(buf, s, e, (g, s2, e2) => {
      if (g !== 1) return;
      fields(buf, s2, e2, (h, s3, e3) => { if (h === 4) { const op = buf.toString('utf8', s3, e3); counts[op] = (counts[op] || 0) + 1; } });
    });
  });
  return counts;
}

main().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });
