'use strict';
// onnxruntime-node inference on W1-W4. The ONNX models (opset 13, NCHW, fixed batch) are
// built here in code with onnx-proto from the seeded weights of common.js, one per batch
// size, and end in Softmax (W1-W3) or Sigmoid (W4) like dlgen's Predict.
//
// usage: node ort.js --threads 1 [--repeats 5] [--minMs 200] [--only W1,W2]
// prints one JSON line per case (see common.js emit).

const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');
const C = require('./common');

const F32 = onnx.TensorProto.DataType.FLOAT;

class Graph {
  constructor() { this.nodes = []; this.inits = []; this.k = 0; }
  init(dims, data, dtype = F32) {
    const name = 'p' + this.k++;
    const raw = dtype === F32 ? data : BigInt64Array.from(data.map(BigInt));
    this.inits.push({ name, dims, dataType: dtype, rawData: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) });
    return name;
  }
  op(type, inputs, attrs = {}) {
    const out = 't' + this.k++;
    const attribute = Object.entries(attrs).map(([name, v]) => (Array.isArray(v)
      ? { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v }
      : typeof v === 'string' ? { name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(v) }
        : { name, type: onnx.AttributeProto.AttributeType.INT, i: v }));
    this.nodes.push({ opType: type, input: inputs, output: [out], name: out, attribute });
    return out;
  }
  // dense: Keras kernel [in,out] is Gemm's B as is.
  dense(x, [w, b]) { return this.op('Gemm', [x, this.init(w.shape, w.data), this.init(b.shape, b.data)]); }
  // conv: Keras [kh,kw,cin,cout] -> ONNX OIHW.
  conv(x, [w, b], pad) {
    const [kh, kw, ci, co] = w.shape;
    const oihw = new Float32Array(w.data.length);
    for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++)
      oihw[((o * ci + i) * kh + y) * kw + z] = w.data[((y * kw + z) * ci + i) * co + o];
    return this.op('Conv', [x, this.init([co, ci, kh, kw], oihw), this.init(b.shape, b.data)],
      { kernel_shape: [kh, kw], pads: [pad, pad, pad, pad] });
  }
  pool(x) { return this.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }); }
  relu(x) { return this.op('Relu', [x]); }
  bytes(inDims, out, outDims) {
    const vi = (name, dims) => ({ name, type: { tensorType: { elemType: F32, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
    return onnx.ModelProto.encode(onnx.ModelProto.create({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'dlgen-bench',
      graph: { name: 'g', node: this.nodes, initializer: this.inits, input: [vi('x', inDims)], output: [vi(out, outDims)] },
    })).finish();
  }
}

// model(w, B) returns the ONNX bytes of workload w at batch B.
function model(w, B) {
  const p = C.weights(w);
  const g = new Graph();
  if (w === 'W1') {
    const y = g.op('Softmax', [g.dense(g.relu(g.dense('x', p.slice(0, 2))), p.slice(2, 4))], { axis: -1 });
    return g.bytes([B, 784], y, [B, 10]);
  }
  if (w === 'W2') {
    let h = g.pool(g.relu(g.conv('x', p.slice(0, 2), 2)));
    h = g.pool(g.relu(g.conv(h, p.slice(2, 4), 0)));
    h = g.op('Flatten', [h], { axis: 1 });
    // Keras flattens [5,5,16] (HWC) rows; ONNX flattens CHW: permute fc1's input rows.
    const [w1, b1] = p.slice(4, 6);
    const rows = new Float32Array(w1.data.length);
    for (let c = 0; c < 16; c++) for (let s = 0; s < 25; s++)
      rows.set(w1.data.subarray((s * 16 + c) * 120, (s * 16 + c + 1) * 120), (c * 25 + s) * 120);
    h = g.relu(g.dense(h, [{ shape: [400, 120], data: rows }, b1]));
    h = g.relu(g.dense(h, p.slice(6, 8)));
    const y = g.op('Softmax', [g.dense(h, p.slice(8, 10))], { axis: -1 });
    return g.bytes([B, 1, 28, 28], y, [B, 10]);
  }
  if (w === 'W3') {
    // ONNX LSTM wants [seq, batch, feat], W [1,4H,in] in gate order i,o,f,c, and Wb+Rb.
    const H = C.HIDDEN;
    const [k, rk, bias] = p;
    const order = [0, 3, 1, 2]; // ONNX gate g takes Keras gate order[g]
    const rowsOf = (m, n) => {
      const out = new Float32Array(4 * H * n);
      for (let gt = 0; gt < 4; gt++) for (let j = 0; j < H; j++) for (let i = 0; i < n; i++)
        out[(gt * H + j) * n + i] = m.data[i * 4 * H + order[gt] * H + j];
      return out;
    };
    const bb = new Float32Array(8 * H);
    for (let gt = 0; gt < 4; gt++) bb.set(bias.data.subarray(order[gt] * H, (order[gt] + 1) * H), gt * H);
    const xt = g.op('Transpose', ['x'], { perm: [1, 0, 2] });
    const lstm = 't' + g.k++;
    const hLast = 't' + g.k++;
    g.nodes.push({
      opType: 'LSTM', name: lstm, output: [lstm, hLast],
      input: [xt, g.init([1, 4 * H, C.FEAT], rowsOf(k, C.FEAT)), g.init([1, 4 * H, H], rowsOf(rk, H)), g.init([1, 8 * H], bb)],
      attribute: [{ name: 'hidden_size', type: onnx.AttributeProto.AttributeType.INT, i: H }],
    });
    const h = g.op('Squeeze', [hLast, g.init([1], [0], onnx.TensorProto.DataType.INT64)]);
    const y = g.op('Softmax', [g.dense(h, p.slice(3, 5))], { axis: -1 });
    return g.bytes([B, C.SEQ, C.FEAT], y, [B, 10]);
  }
  if (w === 'W4') {
    const up = (x) => g.op('Resize', [x, '', g.init([4], Float32Array.from([1, 1, 2, 2]))],
      { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    let h = g.pool(g.relu(g.conv('x', p.slice(0, 2), 1)));
    h = g.pool(g.relu(g.conv(h, p.slice(2, 4), 1)));
    h = up(g.relu(g.conv(h, p.slice(4, 6), 1)));
    h = up(g.relu(g.conv(h, p.slice(6, 8), 1)));
    const y = g.op('Sigmoid', [g.conv(h, p.slice(8, 10), 1)]);
    return g.bytes([B, 1, 28, 28], y, [B, 1, 28, 28]);
  }
  throw new Error('unknown workload ' + w);
}

function input(w, B) {
  const d = C.data(w);
  const per = d.x.length / C.BATCH[w];
  const dims = w === 'W1' ? [B, 784] : w === 'W3' ? [B, C.SEQ, C.FEAT] : [B, 1, 28, 28];
  return new ort.Tensor('float32', d.x.slice(0, B * per), dims);
}

async function main() {
  const a = C.args(process.argv.slice(2));
  const base = { engine: 'onnxruntime', version: ort.env.versions ? ort.env.versions.common : '?', threads: a.threads };
  for (const w of a.only) {
    for (const c of a.cases) {
      const rec = { ...base, workload: w, case: c };
      if (c === 'train_bN') { C.emit({ ...rec, error: 'no training (inference runtime)' }); continue; }
      const B = c === 'infer_b1' ? 1 : C.BATCH[w];
      try {
        const sess = await ort.InferenceSession.create(model(w, B), {
          executionProviders: ['cpu'], intraOpNumThreads: a.threads, interOpNumThreads: 1,
          executionMode: 'sequential', graphOptimizationLevel: 'all',
          // --spin 0 stops idle intra-op threads from busy-waiting (run.sh passes it
          // when the machine is shared; see bench/README.md).
          ...(a.spin === undefined ? {} : { extra: { session: { intra_op: { allow_spinning: String(a.spin) } } } }),
        });
        const feeds = { x: input(w, B) };
        rec.ms = await C.measure(() => sess.run(feeds), { repeats: a.repeats, minMs: a.minMs });
        const out = await sess.run(feeds);
        rec.checksum = C.checksum(out[sess.outputNames[0]].data);
        await sess.release();
      } catch (e) {
        rec.error = C.errText(e);
      }
      C.emit(rec);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
