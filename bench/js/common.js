'use strict';
// The four benchmark workloads (shared/WORKLOADS.md) for the JavaScript peers: seeded
// weights and inputs, the timing loop shared by ort.js and tfjs.js, and result output.
//
// Weights and inputs are drawn from mulberry32 streams exactly as bench/go/wl and
// bench/torch/bench.py draw them (same seeds, same order, same float64 arithmetic
// rounded to float32), so every engine computes the same function on the same numbers.
// Weights are kept here in Keras layout (dense [in,out], conv [kh,kw,cin,cout], LSTM
// kernel [in,4H] with gates i,f,c,o and one bias), which is what TF.js takes;
// ort.js converts them to ONNX layout.

const SEED_WEIGHTS = { W1: 101, W2: 202, W3: 303, W4: 404 };
const SEED_DATA = { W1: 11, W2: 22, W3: 33, W4: 44 };
const BATCH = { W1: 64, W2: 64, W3: 16, W4: 32 };
const SEQ = 32, FEAT = 32, HIDDEN = 64;

// mulberry32 (Tommy Ettinger's 32-bit generator): its state is a Weyl sequence, so the
// Python and Go ports can reproduce it bit for bit.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(next, n, lo, hi) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

// Glorot/Xavier uniform limit sqrt(6/(fan_in+fan_out)), biases U(-0.05, 0.05).
function glorot(next, shape, fanIn, fanOut) {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  return { shape, data: uniform(next, shape.reduce((a, b) => a * b, 1), -lim, lim) };
}
const biasT = (next, n) => ({ shape: [n], data: uniform(next, n, -0.05, 0.05) });
const denseW = (next, i, o) => [glorot(next, [i, o], i, o), biasT(next, o)];
const convW = (next, k, ci, co) => [glorot(next, [k, k, ci, co], k * k * ci, k * k * co), biasT(next, co)];

// weights(w) returns the parameter list in Keras layout and order.
function weights(w) {
  const r = rng(SEED_WEIGHTS[w]);
  if (w === 'W1') return [...denseW(r, 784, 128), ...denseW(r, 128, 10)];
  if (w === 'W2') {
    return [...convW(r, 5, 1, 6), ...convW(r, 5, 6, 16), ...denseW(r, 400, 120), ...denseW(r, 120, 84),
      ...denseW(r, 84, 10)];
  }
  if (w === 'W3') {
    return [glorot(r, [FEAT, 4 * HIDDEN], FEAT, 4 * HIDDEN), glorot(r, [HIDDEN, 4 * HIDDEN], HIDDEN, 4 * HIDDEN),
      biasT(r, 4 * HIDDEN), ...denseW(r, HIDDEN, 10)];
  }
  if (w === 'W4') {
    return [...convW(r, 3, 1, 32), ...convW(r, 3, 32, 32), ...convW(r, 3, 32, 32), ...convW(r, 3, 32, 32),
      ...convW(r, 3, 32, 1)];
  }
  throw new Error('unknown workload ' + w);
}

// data(w) returns the batch: x (NHWC, or [batch, seq, feat] for W3; with one channel NHWC
// and NCHW hold the same numbers), class labels for W1-W3, the clean target for W4.
function data(w) {
  const r = rng(SEED_DATA[w]);
  const B = BATCH[w];
  const labels = () => Int32Array.from({ length: B }, () => Math.floor(r() * 10));
  if (w === 'W1') return { x: uniform(r, B * 784, 0, 1), xShape: [B, 784], labels: labels() };
  if (w === 'W2') return { x: uniform(r, B * 784, 0, 1), xShape: [B, 28, 28, 1], labels: labels() };
  if (w === 'W3') return { x: uniform(r, B * SEQ * FEAT, -1, 1), xShape: [B, SEQ, FEAT], labels: labels() };
  if (w === 'W4') {
    const clean = uniform(r, B * 784, 0, 1);
    const noisy = new Float32Array(clean.length);
    for (let i = 0; i < clean.length; i++) {
      // Irwin-Hall(4) scaled to unit variance: a cheap, exactly reproducible normal.
      const g = (r() + r() + r() + r() - 2) * 1.7320508;
      noisy[i] = Math.min(1, Math.max(0, clean[i] + 0.5 * g));
    }
    return { x: noisy, xShape: [B, 28, 28, 1], target: clean };
  }
  throw new Error('unknown workload ' + w);
}

// measure: warm-up calls (at least `warmup` and `warmupMs`), then `repeats` timed blocks;
// each block runs fn until `minMs` have passed and yields the mean ms per call. This is
// what `go test -bench -count R -benchtime T` does, so all engines are timed alike.
async function measure(fn, { repeats = 5, minMs = 200, warmup = 3, warmupMs = 100 } = {}) {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const w0 = now();
  await fn();
  // A call slower than half a second is warm after one call (it is the multi-second
  // tfjs-cpu training steps); more warm-up would only make the run long.
  if (now() - w0 < 500) for (let i = 1; i < warmup || now() - w0 < warmupMs; i++) await fn();
  const out = [];
  for (let r = 0; r < repeats; r++) {
    let n = 0;
    const t0 = now();
    let t = t0;
    while (n === 0 || t - t0 < minMs) { await fn(); n++; t = now(); }
    out.push((t - t0) / n);
  }
  return out;
}

function args(argv) {
  const a = { threads: 1, repeats: 5, minMs: 200, only: 'W1,W2,W3,W4' };
  for (let i = 0; i < argv.length; i += 2) a[argv[i].replace(/^--/, '')] = argv[i + 1];
  return {
    threads: +a.threads, repeats: +a.repeats, minMs: +a.minMs, only: a.only.split(','),
    backend: a.backend, spin: a.spin, cases: (a.cases || 'infer_b1,infer_bN,train_bN').split(','),
  };
}

// emit prints one result as a JSON line on stdout (bench/report.py reads these).
function emit(rec) {
  process.stdout.write(JSON.stringify(rec) + '\n');
}

// checksum weights each output by its position, so engines that computed different
// numbers (or the same numbers in another order) disagree; report.py compares them.
function checksum(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * (1 + (i % 13));
  return s;
}

const errText = (e) => String((e && e.message) || e).split('\n')[0].slice(0, 160);

module.exports = { BATCH, SEQ, FEAT, HIDDEN, weights, data, measure, args, emit, errText, checksum };
