'use strict';
// Golden values of Keras' Embedding(mask_zero=True) feeding recurrent layers,
// computed by TensorFlow.js's layers API (cpu backend, float32): SimpleRNN, LSTM,
// GRU, Bidirectional, a stack of two and an LSTM after a Dense (which passes the
// mask on), each on a post-padded and a pre-padded batch of token ids, with and
// without return_sequences. models/mask_test.go compares dlgen's interpreter, and
// codegen/testdata/maskzero's generated code, with it.
//
// Regenerate from the repository root with
//
//     NODE_PATH=bench/js/node_modules node testdata/keras/mask_golden.js > testdata/keras/mask_golden.json
//
// (`cd bench/js && npm ci --ignore-scripts` installs node_modules.)
//
// The conventions are testdata/keras/keras_golden.js's: weights and inputs from a
// seeded xorshift32 stream rounded to multiples of 1/64, Keras layouts (kernels
// (in, G·H), recurrent kernels (H, G·H), one bias (G·H), LSTM gates i, f, c, o, GRU
// gates z, r, h), the loss sum(y · r) with r random of y's shape, gradients by
// tf.variableGrads checked against central differences of tfjs' own forward pass.
// Weight keys are "<layer>.<weight>", and "<layer>.<forward|backward>.<weight>" in a
// Bidirectional. Inputs are "ids" (N, T) and "r".
//
// Where tfjs is not Keras (TensorFlow 2):
// - GRU: tfjs has reset_after=False only (Keras 2's default is True); the GRU cases
//   are reset_after=False, dlgen's nn.ResetBefore.
// - LSTM and GRU: tfjs' default recurrent activation is hard_sigmoid; the cases set
//   sigmoid, Keras 2's.
// - Bidirectional with return_sequences: Keras' wrapper sets zero_output_for_mask on
//   both halves then (keras/layers/wrappers.py), so a masked step outputs zeros;
//   tfjs has no zero_output_for_mask and outputs the kept state there. Those cases
//   multiply tfjs' output by the mask, which is exactly that difference (the kept
//   steps' values are the same), inside the function whose gradients are taken.
//   Outside a Bidirectional (zero_output_for_mask=False, Keras' default) a masked
//   step outputs the state it kept, in both.

const tf = require('@tensorflow/tfjs');

function stream(name) {
  let s = 2463534242;
  for (const ch of name) s = (Math.imul(s ^ ch.charCodeAt(0), 16777619) >>> 0) || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function values(next, n, a) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round((2 * next() - 1) * a * 64) / 64;
  return out;
}

function size(shape) { return shape.reduce((p, d) => p * d, 1); }
function rec(t) { return { shape: t.shape, data: Array.from(t.dataSync()) }; }

function weightKey(layer, w) {
  const parts = w.originalName.split('/');
  const last = parts[parts.length - 1];
  if (parts.length > 2) return `${layer.name}.${parts[1].startsWith('forward') ? 'forward' : 'backward'}.${last}`;
  return `${layer.name}.${last}`;
}

function randomize(next, model) {
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(layer.weights.map((w, i) => {
      const bias = weightKey(layer, w).endsWith('.bias');
      return tf.tensor(values(next, size(ws[i].shape), bias ? 0.25 : 0.5), ws[i].shape);
    }));
  }
}

function weightsOf(model) {
  const out = {};
  for (const layer of model.layers) for (const w of layer.weights) out[weightKey(layer, w)] = rec(w.read());
  return out;
}

function checkGrads(vars, keys, g, lossNow) {
  const h = 1 / 1024;
  for (let i = 0; i < vars.length; i++) {
    const v = vars[i], orig = v.dataSync().slice(), want = g[keys[i]].data;
    const scale = Math.max(...want.map(Math.abs), 1e-3);
    for (let j = 0; j < orig.length; j++) {
      const at = (d) => { const w = orig.slice(); w[j] += d; v.assign(tf.tensor(w, v.shape)); return lossNow(); };
      const fd = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(orig, v.shape));
      if (Math.abs(fd - want[j]) > 1e-2 * scale) {
        throw new Error(`tfjs' gradient of ${keys[i]}[${j}] is ${want[j]}, a central difference of its own forward ${fd}`);
      }
    }
  }
}

// Token ids, 0 padding: every row of a post-padded batch has its words first, of a
// pre-padded one last; one row is unpadded, and the pre-padded batch has a row of
// padding only (its states stay zero).
const batches = {
  post: [[3, 1, 4, 0, 0], [5, 2, 0, 0, 0], [6, 2, 3, 1, 5], [4, 0, 0, 0, 0]],
  pre: [[0, 0, 3, 1, 4], [0, 0, 0, 5, 2], [6, 2, 3, 1, 5], [0, 0, 0, 0, 0]],
};
const VOCAB = 7, DIM = 3, UNITS = 4;

function rnnLayer(kind, opts) {
  const base = { units: UNITS, ...opts };
  if (kind === 'lstm') return tf.layers.lstm({ recurrentActivation: 'sigmoid', ...base });
  if (kind === 'gru') return tf.layers.gru({ recurrentActivation: 'sigmoid', ...base });
  return tf.layers.simpleRNN(base);
}

const cases = [];

// maskCase records one model: build returns the layers after the Embedding; zero
// says the output is a Bidirectional's sequences (masked steps zeroed, see above).
function maskCase(name, pad, build, zero) {
  const next = stream(name);
  const model = tf.sequential();
  model.add(tf.layers.embedding({ name: 'embed', inputDim: VOCAB, outputDim: DIM, maskZero: true, inputShape: [5] }));
  for (const l of build()) model.add(l);
  randomize(next, model);
  const rows = batches[pad];
  const ids = tf.tensor(rows.flat(), [rows.length, 5]);
  const mask = tf.tensor(rows.flat().map((v) => (v === 0 ? 0 : 1)), [rows.length, 5, 1]);
  const forward = () => {
    const y = model.apply(ids);
    return zero ? tf.mul(y, mask) : y;
  };
  const y = forward();
  const r = tf.tensor(values(next, size(y.shape), 1), y.shape);
  const lossOf = () => tf.sum(tf.mul(forward(), r));
  const vars = [], keys = [];
  for (const layer of model.layers) {
    for (const w of layer.trainableWeights) { vars.push(w.read()); keys.push(weightKey(layer, w)); }
  }
  const { value, grads } = tf.variableGrads(lossOf, vars);
  const g = {};
  keys.forEach((k, i) => { g[k] = rec(grads[vars[i].name]); });
  checkGrads(vars, keys, g, () => lossOf().dataSync()[0]);
  // The padding id 0 is read at masked steps only: its embedding row gets nothing.
  if (g['embed.embeddings'].data.slice(0, DIM).some((v) => v !== 0)) throw new Error(`${name}: row 0 has a gradient`);
  cases.push({
    name, desc: `${pad}_padded`, batch: rows.length, loss_kind: 'sum_y_r',
    inputs: { ids: rec(ids), r: rec(r) }, weights: weightsOf(model),
    outputs: { y: rec(y) }, loss: value.dataSync()[0], grads: g,
  });
}

for (const kind of ['simplernn', 'lstm', 'gru']) {
  for (const pad of ['post', 'pre']) {
    for (const seqs of [false, true]) {
      maskCase(`${kind}${seqs ? '_sequences' : ''}_${pad}`, pad, () => [rnnLayer(kind, { name: 'rnn', returnSequences: seqs })], false);
    }
  }
}
for (const pad of ['post', 'pre']) {
  for (const seqs of [false, true]) {
    maskCase(`bilstm${seqs ? '_sequences' : ''}_${pad}`, pad,
      () => [tf.layers.bidirectional({ name: 'bi', layer: rnnLayer('lstm', { returnSequences: seqs }), mergeMode: 'concat' })], seqs);
  }
}
maskCase('bigru_sum_sequences_pre', 'pre',
  () => [tf.layers.bidirectional({ name: 'bi', layer: rnnLayer('gru', { returnSequences: true }), mergeMode: 'sum' })], true);
for (const pad of ['post', 'pre']) {
  maskCase(`lstm_gru_stacked_${pad}`, pad,
    () => [rnnLayer('lstm', { name: 'rnn', returnSequences: true }), rnnLayer('gru', { name: 'rnn2' })], false);
}

// Dense passes the mask on (Keras' supports_masking) to the LSTM after it.
for (const pad of ['post', 'pre']) {
  maskCase(`dense_lstm_${pad}`, pad,
    () => [tf.layers.dense({ name: 'fc', units: 4, activation: 'tanh' }), rnnLayer('lstm', { name: 'rnn' })], false);
}

process.stdout.write(JSON.stringify({ generator: 'testdata/keras/mask_golden.js', tfjs: tf.version.tfjs, cases }) + '\n');
