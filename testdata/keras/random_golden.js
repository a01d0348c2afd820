'use strict';
// Randomized golden values of Keras models, computed by TensorFlow.js's layers API
// (@tensorflow/tfjs-layers, the Keras API in JavaScript, cpu backend, float32).
// keras_golden.js holds hand-picked cases; this script draws ~150 small models of the
// layers whose semantics dlgen takes from Keras (README "Writing a model"), with
// random kernel sizes (non-square, 1-5), strides per axis (1-3), same, valid and
// causal padding, dilation, odd input sizes (1, 3, 5, 7, 9, 17, 28), pool sizes and
// strides (Keras' default stride is the pool size), transposed convolutions,
// UpSampling (nearest and bilinear), ZeroPadding and Cropping, RepeatVector, the
// recurrent layers and Bidirectional, Dense, LayerNormalization over the features
// (random gamma, beta and epsilon), Flatten, the activations, and the
// Keras losses (binary, categorical and sparse categorical cross-entropy on
// probabilities, MSE, MAE, Huber), or sum(y·r) when the point is the layers.
//
// Regenerate from the repository root with
//
//     NODE_PATH=bench/js/node_modules node testdata/keras/random_golden.js > testdata/keras/random_golden.json
//
// (`cd bench/js && npm ci --ignore-scripts` first if bench/js/node_modules is absent).
// Two optional arguments, a count and a seed suffix (`... random_golden.js 1000 b`),
// draw other cases for hunting bugs; DLGEN_KERAS_RANDOM=<file> makes the Go test
// read such a file instead of the committed one.
// Everything is deterministic: the configurations come from one xorshift32 stream,
// the weights and inputs of each case from a stream seeded by its name, rounded to
// multiples of 1/64 (exact in float32 and float64).
//
// Each case records its configuration in Keras' terms ("config": the family, the
// input shape without the batch in Keras' layout, the layers with their arguments,
// and the loss), the inputs, weights, outputs (Keras' layouts, as keras_golden.js:
// images NHWC, Conv1D sequences NLC, kernels HWIO), the loss and the gradient of
// the loss with respect to every weight (tf.variableGrads). models/keras_random_test.go
// rebuilds each configuration with package nn, converts the layouts and compares
// dlgen's reference interpreter at 1e-5 relative to each tensor's largest value.
//
// Families: "image" (NHWC models of Conv2D, Conv2DTranspose, pooling, UpSampling2D,
// ZeroPadding2D, Cropping2D, activations, then possibly a Flatten or global pool
// and Dense layers), "signal" (NLC models of Conv1D, pooling, UpSampling1D,
// ZeroPadding1D, Cropping1D, Conv1DTranspose, ...), "seq" (Dense, RepeatVector,
// LSTM, SimpleRNN, GRU and Bidirectional on (N, T, F), some with their initial
// states as extra inputs s0, s1, ..., Keras' initial_state) and "vector" (Dense
// stacks). Some layers are drawn without a bias (use_bias=False) or with Keras'
// default arguments ("defaults"), which dlgen's layer is then called without.
// Families are not mixed because dlgen's Conv1D reads (N, C, L) and its recurrent
// layers (N, T, F), and Dense on an image or a Conv1D sequence acts on a different
// axis in the two layouts (W or L in dlgen, the channels in Keras).
//
// Where tfjs is not Keras (TensorFlow 2), the generator works around the gap:
// - UpSampling2D(interpolation="bilinear"): tfjs' layer has no half-pixel centres
//   (TensorFlow 1); the cases call tf.image.resizeBilinear(x, size, false, true),
//   the kernel Keras under TensorFlow 2 calls (see keras_golden.js).
// - Conv1D(padding="causal"): tfjs refuses it; the cases pad (k-1)·d steps in front
//   and run Conv1D(padding="valid"), which is how Keras implements it.
// - tfjs has no ZeroPadding1D, Cropping1D or UpSampling1D layers: small custom
//   layers do what Keras' do (tf.pad of the steps, a slice of the steps, each step
//   repeated `size` times as K.repeat_elements).
// - GRU: tfjs' GRU is Keras' reset_after=False (one bias of 3·units, gates z, r, h;
//   the reset gate applied before the recurrent kernel), which is dlgen's
//   GRU(nn.ResetBefore); Keras 2's default reset_after=True is dlgen's default GRU
//   and cannot be built in tfjs (keras_golden.js records that). The recurrent
//   activation of LSTM and GRU is always given (mostly sigmoid, Keras 2's default;
//   tfjs' default is hard_sigmoid, Keras 1's, which dlgen does not have).
// - Gradients: tfjs has none for dilated convolutions; its gradient of average
//   pooling whose windows reach into same padding divides by the whole window (the
//   forward pass, as Keras', by the part inside the input); its ResizeBilinear
//   gradient ignores the half-pixel centres (and fails on non-square images); its
//   ResizeNearestNeighbor gradient is wrong for batches above 1 (checked against
//   exact differences of the linear forward pass); its gradient of a maximum sends
//   the whole gradient to each of equal maxima (TensorFlow's MaxPool gradient
//   picks one, its reduce_max splits; for tied copies of one value, as after
//   ZeroPadding and a bias, both equal dlgen's first maximum), so a case whose max
//   pooling sees a tie in a window is not given gradients. Such cases record their
//   forward values and loss only. Every recorded gradient is checked against central
//   differences of tfjs' own forward pass at up to 24 elements per weight; a case
//   whose gradients are missing or disagree records "no_grads" (why) and its
//   forward values and loss only.
// - Float32 against float64: tfjs' values carry float32 rounding, which a draw can
//   amplify beyond the comparison's 1e-5 (a gradient that cancels over the batch or
//   the steps, an output that is a small difference of large terms, a near tie of a
//   max). Each draw is therefore run again with every weight and input multiplied
//   by 1 ± 2^-17; if a recorded value moves by more than 1e-4 of its tensor's
//   largest magnitude, the values are drawn again (draw k from the stream
//   "<name><config>#k"), and a configuration unstable in 6 draws is left out
//   ("dropped_unstable" lists them). So is a draw whose gradient over the batch
//   cancels (below 1e-2 of the sum of the examples' contributions), which
//   perturbing the inputs need not show (see cancelling), a draw whose sum(y·r)
//   is below 0.05 of Σ|y·r|, and a draw whose cross-entropy is below 0.05 (every
//   row confident and right: -ln p of a float32 p near 1 is good to ~6e-8/(1-p)
//   relative). A Dense after a Flatten reads at
//   most 256 values, whose float32 dot products stay within the tolerance.
// - Ties: the gradient of |x| at 0 is -1 in tfjs (step(x) with -1 for x ≤ 0) and 0
//   in TensorFlow and dlgen; with values rounded to multiples of 1/64 an output can
//   equal its target exactly, so the targets of mean_absolute_error are offset by
//   2^-13.
// - binary_crossentropy: dlgen's is PyTorch's BCELoss (logs clamped at -100, a
//   documented choice, docs/decisions.md "Binary cross-entropy at the clamp"),
//   which parts from Keras' clip to [1e-7, 1-1e-7] only where a sigmoid output is
//   within 1e-7 of 0 or 1 (keras_golden.js has such a case); draws with a sigmoid
//   output within 1e-6 of 0 or 1 under this loss are dropped ("dropped_near_clip").
// - The categorical cross-entropies on probabilities are Keras' in dlgen, clip
//   included: one in three of their heads has its kernel scaled by 16 so that the
//   softmax saturates and the clip decides (desc "_saturated"). Keras 2, tfjs and
//   dlgen order clip and renormalisation differently (Keras 2's sparse form clips,
//   then renormalises through log-softmax of ln p; tfjs clips, renormalises, clips;
//   dlgen renormalises, then clips): losses differ by ~C·1e-7 relative to a clipped
//   row's -ln(1e-7), below the comparison's 1e-5, and gradients by float32
//   rounding, which the draws' floor on gradients keeps out.
// - Conv1DTranspose: tfjs has only the 2-D layer; the cases run it on the sequence
//   reshaped to an image of height 1 (kernel (1, k, out, in) recorded as it is),
//   as tf.nn.conv1d_transpose, which Keras' Conv1DTranspose calls, does.

const tf = require('@tensorflow/tfjs');

// xorshift32 (Marsaglia, 2003), seeded from a name.
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
// rec records a tensor; 9 significant digits identify a float32 value.
function rec(t) { return { shape: t.shape, data: Array.from(t.dataSync(), (v) => Number(v.toPrecision(9))) }; }

// The configuration stream.
let cfgNext = stream('random_golden');
const cfg = () => cfgNext();
const int = (lo, hi) => lo + Math.floor(cfg() * (hi - lo + 1)); // in [lo, hi]
const pick = (xs) => xs[Math.floor(cfg() * xs.length)];
const chance = (p) => cfg() < p;

const SIZES = [1, 3, 5, 7, 9, 17, 28];
// Activations with the same definition in tfjs, Keras and dlgen (nn.Act). softmax is
// only drawn where the last axis is the same in both layouts.
// Names are dlgen's; tfAct gives tfjs' ("gelu_tanh" is tfjs' gelu_new, the tanh
// approximation, Keras' gelu(approximate=True)). tfjs' hardSigmoid is Keras 2's
// 0.2·x + 0.5 clipped, not the relu6(x + 3)/6 of Keras 3, PyTorch and dlgen: not drawn.
const ACTS = ['linear', 'relu', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'gelu', 'gelu_tanh', 'swish', 'relu6'];
const tfAct = (a) => ({ gelu_tanh: 'gelu_new', log_softmax: 'logSoftmax' }[a] || a);

// ---- custom layers for what tfjs' layers lack (see the header) ----
class CausalPad extends tf.layers.Layer {
  constructor(args) { super(args); this.amount = args.amount; }
  computeOutputShape(s) { return [s[0], s[1] + this.amount, s[2]]; }
  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.pad(x, [[0, 0], [this.amount, 0], [0, 0]]);
  }
  static get className() { return 'CausalPad'; }
}
class ZeroPad1D extends tf.layers.Layer {
  constructor(args) { super(args); this.pad = args.pad; }
  computeOutputShape(s) { return [s[0], s[1] + this.pad[0] + this.pad[1], s[2]]; }
  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.pad(x, [[0, 0], this.pad, [0, 0]]);
  }
  static get className() { return 'ZeroPad1D'; }
}
class Crop1D extends tf.layers.Layer {
  constructor(args) { super(args); this.crop = args.crop; }
  computeOutputShape(s) { return [s[0], s[1] - this.crop[0] - this.crop[1], s[2]]; }
  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.slice(x, [0, this.crop[0], 0], [x.shape[0], x.shape[1] - this.crop[0] - this.crop[1], x.shape[2]]);
  }
  static get className() { return 'Crop1D'; }
}
class UpSample1D extends tf.layers.Layer {
  constructor(args) { super(args); this.size = args.size; }
  computeOutputShape(s) { return [s[0], s[1] * this.size, s[2]]; }
  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const [n, l, c] = x.shape;
    return tf.reshape(tf.tile(tf.expandDims(x, 2), [1, 1, this.size, 1]), [n, l * this.size, c]);
  }
  static get className() { return 'UpSample1D'; }
}
class HalfPixelBilinear extends tf.layers.Layer {
  constructor(args) { super(args); this.size = args.size; }
  computeOutputShape(s) { return [s[0], s[1] * this.size[0], s[2] * this.size[1], s[3]]; }
  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.image.resizeBilinear(x, [x.shape[1] * this.size[0], x.shape[2] * this.size[1]], false, true);
  }
  static get className() { return 'HalfPixelBilinear'; }
}

// ---- output sizes, as Keras computes them ----
function convOut(n, k, s, d, pad) {
  const span = (k - 1) * d + 1;
  if (pad === 'same') return Math.ceil(n / s);
  if (pad === 'causal') return Math.floor((n - 1) / s) + 1;
  return n >= span ? Math.floor((n - span) / s) + 1 : 0;
}
function deconvOut(n, k, s, pad) { return pad === 'same' ? n * s : n * s + Math.max(k - s, 0); }
function poolOut(n, p, s, pad) { return pad === 'same' ? Math.ceil(n / s) : (n >= p ? Math.floor((n - p) / s) + 1 : 0); }

// defaults marks a layer drawn with Keras' default arguments (UpSampling 2,
// ZeroPadding 1, Cropping2D nothing, Cropping1D 1, values filled in): tfjs' built-in
// layers are then called without them and dlgen's too, so that the defaults are
// compared as well.
function defaults(l, def) { if (def) l.defaults = true; return l; }

// pads reports whether a pooling window of p with stride s, giving out of n,
// reaches into padding.
function pads(n, out, p, s) { return (out - 1) * s + p > n; }

// badGrad marks a layer whose tfjs gradient is wrong: average pooling whose
// windows reach into same padding (tfjs' AvgPoolGrad divides by the whole window,
// while its forward pass, as Keras', divides by the part inside the input), and
// bilinear upsampling (see the header). The mark is not in the JSON; the case
// records its forward values only.
function badGrad(l) { Object.defineProperty(l, 'badGrad', { value: true, enumerable: false }); }

// maxTie runs a Sequential layer by layer on x and names the first max pooling
// layer (global or not) one of whose windows has its maximum at two or more
// places, or returns null. tfjs' gradient then sends the whole gradient to each of
// them (the sum of tied copies, as after ZeroPadding and a bias, counts twice);
// TensorFlow's MaxPool gradient picks one and its reduce_max splits the gradient,
// which for copies of one value both come to dlgen's first maximum.
function maxTie(model, config, x) {
  const pools = new Map(config.layers.filter((l) => /max_pool/.test(l.type)).map((l) => [l.name, l]));
  if (pools.size === 0) return null;
  let h = x;
  for (const layer of model.layers) {
    const l = pools.get(layer.name);
    if (l && windowsTie(l, h)) return l.name;
    h = layer.apply(h);
  }
  return null;
}

// windowsTie reports whether a window of pooling layer l on h (NHWC or NLC) has its
// maximum, other than 0, twice. Windows are Keras': the pool size, strides, and for same padding
// floor(total/2) before (pads never win).
function windowsTie(l, h) {
  const shape = h.shape, data = h.dataSync();
  const two = shape.length === 4;
  const [n, c] = [shape[0], shape[shape.length - 1]];
  const dims = two ? [shape[1], shape[2]] : [shape[1], 1];
  let pool, strides, before;
  if (l.type.startsWith('global')) {
    pool = dims; strides = dims; before = [0, 0];
  } else {
    pool = two ? l.pool : [l.pool, 1];
    strides = l.strides ? (two ? l.strides : [l.strides, 1]) : pool;
    before = [0, 1].map((a) => {
      if (l.padding !== 'same') return 0;
      const out = Math.ceil(dims[a] / strides[a]);
      return Math.floor(Math.max((out - 1) * strides[a] + pool[a] - dims[a], 0) / 2);
    });
  }
  const outs = [0, 1].map((a) => (l.padding === 'same' && !l.type.startsWith('global') ? Math.ceil(dims[a] / strides[a])
    : Math.floor((dims[a] - pool[a]) / strides[a]) + 1));
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < outs[0]; i++) {
        for (let j = 0; j < outs[1]; j++) {
          let best = -Infinity, count = 0;
          for (let u = 0; u < pool[0]; u++) {
            for (let v = 0; v < pool[1]; v++) {
              const r = i * strides[0] - before[0] + u, q = j * strides[1] - before[1] + v;
              if (r < 0 || r >= dims[0] || q < 0 || q >= dims[1]) continue;
              const val = data[((b * dims[0] + r) * dims[1] + q) * c + ch];
              if (val > best) { best = val; count = 1; } else if (val === best) count++;
            }
          }
          // Tied zeros (a relu's, the padding's) pass no gradient to a weight.
          if (count > 1 && best !== 0) return true;
        }
      }
    }
  }
  return false;
}

// ---- random layers; each returns [layer config, output shape] or null ----
function actName() { return pick(ACTS); }

function imageLayer(shape, i) {
  const [h, w, c] = shape;
  const name = `l${i}`;
  const kind = pick(['conv2d', 'conv2d', 'conv2d', 'conv2d_transpose', 'max_pool2d', 'avg_pool2d',
    'upsampling2d', 'zero_padding2d', 'cropping2d', 'activation']);
  switch (kind) {
    case 'conv2d': {
      const k = [int(1, 5), int(1, 5)];
      let s = [int(1, 3), int(1, 3)], d = [1, 1];
      if (chance(0.3)) { s = [1, 1]; d = [int(1, 3), int(1, 3)]; }
      const padding = pick(['same', 'valid']);
      const out = [convOut(h, k[0], s[0], d[0], padding), convOut(w, k[1], s[1], d[1], padding), int(1, 4)];
      if (out[0] < 1 || out[1] < 1) return null;
      return [bias({ type: kind, name, filters: out[2], kernel: k, strides: s, dilation: d, padding, activation: actName() }), out];
    }
    case 'conv2d_transpose': {
      const k = [int(1, 5), int(1, 5)], s = [int(1, 3), int(1, 3)], padding = pick(['same', 'valid']);
      const out = [deconvOut(h, k[0], s[0], padding), deconvOut(w, k[1], s[1], padding), int(1, 4)];
      if (out[0] * out[1] > 400) return null;
      return [bias({ type: kind, name, filters: out[2], kernel: k, strides: s, padding, activation: actName() }), out];
    }
    case 'max_pool2d': case 'avg_pool2d': {
      const p = [int(1, 4), int(1, 4)];
      const s = chance(0.5) ? null : [int(1, 3), int(1, 3)];
      const ss = s || p, padding = pick(['same', 'valid']);
      const out = [poolOut(h, p[0], ss[0], padding), poolOut(w, p[1], ss[1], padding), c];
      if (out[0] < 1 || out[1] < 1) return null;
      const l = { type: kind, name, pool: p, strides: s, padding };
      if (kind === 'avg_pool2d' && (pads(h, out[0], p[0], ss[0]) || pads(w, out[1], p[1], ss[1]))) badGrad(l);
      return [l, out];
    }
    case 'upsampling2d': {
      const def = chance(0.2);
      const sz = def ? [2, 2] : [int(1, 3), int(1, 3)];
      const out = [h * sz[0], w * sz[1], c];
      if (out[0] * out[1] > 400) return null;
      const l = defaults({ type: kind, name, size: sz, interpolation: def ? 'nearest' : pick(['nearest', 'bilinear']) }, def);
      if (l.interpolation === 'bilinear') badGrad(l);
      return [l, out];
    }
    case 'zero_padding2d': {
      const def = chance(0.2);
      const p = def ? [[1, 1], [1, 1]] : [[int(0, 2), int(0, 2)], [int(0, 2), int(0, 2)]];
      return [defaults({ type: kind, name, padding: p }, def), [h + p[0][0] + p[0][1], w + p[1][0] + p[1][1], c]];
    }
    case 'cropping2d': {
      const def = chance(0.2);
      const cr = def ? [[0, 0], [0, 0]] : [[int(0, 2), int(0, 2)], [int(0, 2), int(0, 2)]];
      const out = [h - cr[0][0] - cr[0][1], w - cr[1][0] - cr[1][1], c];
      if (out[0] < 1 || out[1] < 1) return null;
      return [defaults({ type: kind, name, cropping: cr }, def), out];
    }
    case 'activation': return [activationLayer(name, false), shape];
  }
  return null;
}

function signalLayer(shape, i) {
  const [l, c] = shape;
  const name = `l${i}`;
  const kind = pick(['conv1d', 'conv1d', 'conv1d', 'conv1d_transpose', 'max_pool1d', 'avg_pool1d', 'upsampling1d',
    'zero_padding1d', 'cropping1d', 'activation']);
  switch (kind) {
    case 'conv1d_transpose': {
      const k = int(1, 5), s = int(1, 3), padding = pick(['same', 'valid']);
      const out = [deconvOut(l, k, s, padding), int(1, 4)];
      if (out[0] > 60) return null;
      return [bias({ type: kind, name, filters: out[1], kernel: k, strides: s, padding, activation: actName() }), out];
    }
    case 'conv1d': {
      const k = int(1, 5);
      let s = int(1, 3), d = 1;
      if (chance(0.35)) { s = 1; d = int(1, 3); }
      const padding = pick(['same', 'valid', 'causal']);
      const out = [convOut(l, k, s, d, padding), int(1, 4)];
      if (out[0] < 1) return null;
      return [bias({ type: kind, name, filters: out[1], kernel: k, strides: s, dilation: d, padding, activation: actName() }), out];
    }
    case 'max_pool1d': case 'avg_pool1d': {
      const p = int(1, 4), s = chance(0.5) ? null : int(1, 3), padding = pick(['same', 'valid']);
      const out = [poolOut(l, p, s || p, padding), c];
      if (out[0] < 1) return null;
      const layer = { type: kind, name, pool: p, strides: s, padding };
      if (kind === 'avg_pool1d' && pads(l, out[0], p, s || p)) badGrad(layer);
      return [layer, out];
    }
    case 'upsampling1d': {
      const def = chance(0.2);
      const sz = def ? 2 : int(1, 3);
      if (l * sz > 60) return null;
      return [defaults({ type: kind, name, size: sz }, def), [l * sz, c]];
    }
    case 'zero_padding1d': {
      const def = chance(0.2);
      const p = def ? [1, 1] : [int(0, 2), int(0, 2)];
      return [defaults({ type: kind, name, padding: p }, def), [l + p[0] + p[1], c]];
    }
    case 'cropping1d': {
      const def = chance(0.2);
      const cr = def ? [1, 1] : [int(0, 2), int(0, 2)];
      if (l - cr[0] - cr[1] < 1) return null;
      return [defaults({ type: kind, name, cropping: cr }, def), [l - cr[0] - cr[1], c]];
    }
    case 'activation': return [activationLayer(name, false), shape];
  }
  return null;
}

// bias leaves out the bias of one layer in seven (use_bias=False, nn.NoBias).
function bias(l) { if (chance(1 / 7)) l.use_bias = false; return l; }

// activationLayer is an Activation layer, or LeakyReLU with a random slope.
function activationLayer(name, softmaxOK) {
  if (chance(0.2)) return { type: 'leaky_relu', name, alpha: pick([0.01, 0.1, 0.2, 0.3]) };
  const acts = softmaxOK ? ACTS.concat(['softmax', 'log_softmax']) : ACTS;
  return { type: 'activation', name, activation: pick(acts) };
}

// layerNorm is a LayerNormalization over the last axis (features, as dlgen's
// default), with Keras' epsilon or another. center and scale stay on: tfjs'
// variableGrads fails without them (keras_golden.js covers them forward).
function layerNorm(name) {
  return { type: 'layer_normalization', name, epsilon: pick([1e-3, 1e-3, 1e-5, 0.1]) };
}

function rnnLayer(name, returnSequences) {
  const type = pick(['lstm', 'simple_rnn', 'gru']);
  const l = { type, name, units: int(1, 5), return_sequences: returnSequences };
  // Keras' defaults (tanh, and sigmoid for the gates) most of the time.
  l.activation = chance(0.6) ? 'tanh' : pick(['relu', 'sigmoid', 'linear', 'tanh']);
  if (type !== 'simple_rnn') l.recurrent_activation = chance(0.7) ? 'sigmoid' : pick(['tanh', 'relu', 'linear']);
  return bias(l);
}

// ---- random configurations ----
// head appends Dense layers to a rank-2 (or per-step rank-3) tensor of `feat`
// features and picks a loss that fits the last activation.
function head(layers, i, lossKinds) {
  const loss = pick(lossKinds);
  const nDense = int(1, 2);
  for (let j = 0; j < nDense; j++) {
    const last = j === nDense - 1;
    let act = actName();
    let units = int(1, 5);
    const l = bias({ type: 'dense', name: `l${i++}`, units, activation: act });
    if (last && (loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy')) {
      l.activation = 'softmax';
      l.units = int(2, 5);
      // One in three has its kernel scaled by 16, so that the softmax saturates
      // and Keras' clip to [1e-7, 1-1e-7] decides losses and gradients.
      if (chance(1 / 3)) Object.defineProperty(l, 'saturate', { value: true, enumerable: false });
    }
    if (last && loss === 'binary_crossentropy') l.activation = 'sigmoid';
    layers.push(l);
  }
  return loss;
}

function lossSpec(kind) {
  if (kind === 'huber') return { kind, delta: pick([0.5, 1, 2]) };
  return { kind };
}

const OTHER = ['sum_y_r', 'mean_squared_error', 'mean_absolute_error', 'huber'];
const ALL = OTHER.concat(['binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy']);

function imageConfig() {
  const input = [pick(SIZES), pick(SIZES), int(1, 3)];
  const layers = [];
  let shape = input, i = 0;
  const n = int(1, 3);
  for (let tries = 0; layers.length < n && tries < 50; tries++) {
    const r = imageLayer(shape, i);
    if (!r) continue;
    layers.push(r[0]); shape = r[1]; i++;
  }
  let loss;
  if (chance(0.1)) {
    // binary_crossentropy on every pixel of a sigmoid image
    layers.push({ type: 'activation', name: `l${i++}`, activation: 'sigmoid' });
    loss = 'binary_crossentropy';
  } else if (chance(0.45)) {
    loss = pick(OTHER);
  } else {
    const g = pick(['flatten', 'flatten', 'global_avg_pool2d', 'global_max_pool2d']);
    if (g === 'flatten' && size(shape) > 256) return null;
    layers.push({ type: g, name: `l${i++}` });
    loss = head(layers, i, ALL);
  }
  return { family: 'image', input, layers, loss: lossSpec(loss) };
}

function signalConfig() {
  const input = [pick(SIZES), int(1, 3)];
  const layers = [];
  let shape = input, i = 0;
  const n = int(1, 4);
  for (let tries = 0; layers.length < n && tries < 50; tries++) {
    const r = signalLayer(shape, i);
    if (!r) continue;
    layers.push(r[0]); shape = r[1]; i++;
  }
  let loss;
  if (chance(0.1)) {
    layers.push({ type: 'activation', name: `l${i++}`, activation: 'sigmoid' });
    loss = 'binary_crossentropy';
  } else if (chance(0.45)) {
    loss = pick(OTHER);
  } else {
    const g = pick(['flatten', 'global_avg_pool1d', 'global_max_pool1d']);
    if (g === 'flatten' && size(shape) > 256) return null;
    layers.push({ type: g, name: `l${i++}` });
    loss = head(layers, i, ALL);
  }
  return { family: 'signal', input, layers, loss: lossSpec(loss) };
}

function seqConfig() {
  const layers = [];
  let i = 0, input, rank3;
  if (chance(0.3)) {
    // A vector, a Dense, then RepeatVector: a decoder's start.
    input = [int(1, 5)];
    layers.push(bias({ type: 'dense', name: `l${i++}`, units: int(1, 4), activation: actName() }));
    layers.push({ type: 'repeat_vector', name: `l${i++}`, n: pick([1, 3, 5, 7]) });
  } else {
    input = [pick([1, 3, 5, 7, 9]), int(1, 4)];
  }
  rank3 = true;
  const n = int(1, 3);
  for (let j = 0; j < n; j++) {
    const r = cfg();
    const name = `l${i++}`;
    if (!rank3) {
      // After a recurrent layer that returned its last state: a Dense, then again a
      // RepeatVector to go on.
      layers.push({ type: 'dense', name, units: int(1, 4), activation: actName() });
      layers.push({ type: 'repeat_vector', name: `l${i++}`, n: pick([1, 2, 4]) });
      rank3 = true;
    } else if (r < 0.55) {
      layers.push(rnnLayer(name, chance(0.6)));
      rank3 = layers[layers.length - 1].return_sequences;
      if (chance(0.3)) layers[layers.length - 1].initial_state = true;
    } else if (r < 0.75) {
      layers.push({ type: 'bidirectional', name, merge: pick(['concat', 'sum', 'mul', 'ave']), layer: rnnLayer(name + '_rnn', chance(0.6)) });
      rank3 = layers[layers.length - 1].layer.return_sequences;
      if (chance(0.3)) layers[layers.length - 1].initial_state = true;
    } else if (r < 0.8) {
      layers.push({ type: 'dense', name, units: int(1, 4), activation: actName() });
    } else if (r < 0.93) {
      layers.push(layerNorm(name));
    } else {
      layers.push(activationLayer(name, true));
    }
  }
  const loss = chance(0.4) ? pick(OTHER) : head(layers, i, ALL);
  return { family: 'seq', input, layers, loss: lossSpec(loss) };
}

function vectorConfig() {
  const input = [int(1, 6)];
  const layers = [];
  let i = 0;
  const n = int(0, 2);
  for (let j = 0; j < n; j++) {
    if (chance(0.25)) layers.push(activationLayer(`l${i++}`, true));
    else if (chance(0.4)) layers.push(layerNorm(`l${i++}`));
    else layers.push({ type: 'dense', name: `l${i++}`, units: int(1, 5), activation: actName() });
  }
  const loss = head(layers, i, ALL);
  return { family: 'vector', input, layers, loss: lossSpec(loss) };
}

// ---- building the tfjs model ----
function addLayer(m, l, first) {
  const extra = first ? { inputShape: first } : {};
  const add = (layer) => { m.add(layer); delete extra.inputShape; };
  switch (l.type) {
    case 'conv2d':
      return add(tf.layers.conv2d({ ...extra, name: l.name, filters: l.filters, kernelSize: l.kernel, strides: l.strides, dilationRate: l.dilation, padding: l.padding, activation: tfAct(l.activation), useBias: l.use_bias !== false }));
    case 'conv2d_transpose':
      return add(tf.layers.conv2dTranspose({ ...extra, name: l.name, filters: l.filters, kernelSize: l.kernel, strides: l.strides, padding: l.padding, activation: tfAct(l.activation), useBias: l.use_bias !== false }));
    case 'max_pool2d': case 'avg_pool2d': {
      const a = { ...extra, name: l.name, poolSize: l.pool, padding: l.padding };
      if (l.strides) a.strides = l.strides;
      return add(l.type === 'max_pool2d' ? tf.layers.maxPooling2d(a) : tf.layers.averagePooling2d(a));
    }
    case 'upsampling2d':
      if (l.interpolation === 'bilinear') return add(new HalfPixelBilinear({ ...extra, name: l.name, size: l.size }));
      if (l.defaults) return add(tf.layers.upSampling2d({ ...extra, name: l.name }));
      return add(tf.layers.upSampling2d({ ...extra, name: l.name, size: l.size }));
    case 'zero_padding2d':
      if (l.defaults) return add(tf.layers.zeroPadding2d({ ...extra, name: l.name }));
      return add(tf.layers.zeroPadding2d({ ...extra, name: l.name, padding: l.padding }));
    case 'cropping2d': return add(tf.layers.cropping2D({ ...extra, name: l.name, cropping: l.cropping }));
    case 'global_avg_pool2d': return add(tf.layers.globalAveragePooling2d({ ...extra, name: l.name }));
    case 'global_max_pool2d': return add(tf.layers.globalMaxPooling2d({ ...extra, name: l.name }));
    case 'conv1d': {
      let padding = l.padding;
      if (padding === 'causal') {
        add(new CausalPad({ ...extra, name: l.name + '_causal', amount: (l.kernel - 1) * l.dilation }));
        padding = 'valid';
      }
      return add(tf.layers.conv1d({ ...extra, name: l.name, filters: l.filters, kernelSize: l.kernel, strides: l.strides, dilationRate: l.dilation, padding, activation: tfAct(l.activation), useBias: l.use_bias !== false }));
    }
    case 'max_pool1d': case 'avg_pool1d': {
      const a = { ...extra, name: l.name, poolSize: l.pool, padding: l.padding };
      if (l.strides) a.strides = l.strides;
      return add(l.type === 'max_pool1d' ? tf.layers.maxPooling1d(a) : tf.layers.averagePooling1d(a));
    }
    case 'conv1d_transpose': {
      // Keras' Conv1DTranspose is the 2-D transposed convolution of the sequence as
      // an image of height 1 (tf.nn.conv1d_transpose); tfjs has only the 2-D layer.
      const [len, ch] = first || m.outputs[0].shape.slice(1);
      add(tf.layers.reshape({ ...extra, name: l.name + '_2d', targetShape: [1, len, ch] }));
      add(tf.layers.conv2dTranspose({ name: l.name, filters: l.filters, kernelSize: [1, l.kernel], strides: [1, l.strides], padding: l.padding, activation: tfAct(l.activation), useBias: l.use_bias !== false }));
      return add(tf.layers.reshape({ name: l.name + '_1d', targetShape: [deconvOut(len, l.kernel, l.strides, l.padding), l.filters] }));
    }
    case 'upsampling1d': return add(new UpSample1D({ ...extra, name: l.name, size: l.size }));
    case 'zero_padding1d': return add(new ZeroPad1D({ ...extra, name: l.name, pad: l.padding }));
    case 'cropping1d': return add(new Crop1D({ ...extra, name: l.name, crop: l.cropping }));
    case 'global_avg_pool1d': return add(tf.layers.globalAveragePooling1d({ ...extra, name: l.name }));
    case 'global_max_pool1d': return add(tf.layers.globalMaxPooling1d({ ...extra, name: l.name }));
    case 'flatten': return add(tf.layers.flatten({ ...extra, name: l.name }));
    case 'dense': return add(tf.layers.dense({ ...extra, name: l.name, units: l.units, activation: tfAct(l.activation), useBias: l.use_bias !== false }));
    case 'activation': return add(tf.layers.activation({ ...extra, name: l.name, activation: tfAct(l.activation) }));
    case 'leaky_relu': return add(tf.layers.leakyReLU({ ...extra, name: l.name, alpha: l.alpha }));
    case 'repeat_vector': return add(tf.layers.repeatVector({ ...extra, name: l.name, n: l.n }));
    case 'layer_normalization': return add(tf.layers.layerNormalization({ ...extra, name: l.name, axis: -1, epsilon: l.epsilon }));
    case 'lstm': case 'simple_rnn': case 'gru': return add(rnn(l, extra));
    case 'bidirectional':
      return add(tf.layers.bidirectional({ ...extra, name: l.name, layer: rnn(l.layer, {}), mergeMode: l.merge }));
  }
  throw new Error(`unknown layer ${l.type}`);
}

function rnn(l, extra) {
  const a = { ...extra, name: l.name, units: l.units, returnSequences: l.return_sequences, activation: l.activation, useBias: l.use_bias !== false };
  if (l.type === 'lstm') return tf.layers.lstm({ ...a, recurrentActivation: l.recurrent_activation });
  if (l.type === 'gru') return tf.layers.gru({ ...a, recurrentActivation: l.recurrent_activation });
  return tf.layers.simpleRNN(a);
}

// stateUnits lists the sizes of the initial states a recurrent layer config takes
// (h for SimpleRNN and GRU, h and c for LSTM; a Bidirectional's forward states then
// its backward ones, as Keras' initial_state).
function stateUnits(l) {
  const r = l.layer || l;
  const one = Array(r.type === 'lstm' ? 2 : 1).fill(r.units);
  return l.layer ? one.concat(one) : one;
}

// build makes the tfjs model of a configuration: a Sequential or, where a recurrent
// layer takes its initial states from inputs ("initial_state"), the layers run in
// turn on [x, s0, s1, ...] (states (N, units) in order). tfjs' functional models
// cannot re-run an RNN node that was given initial states, so the latter is a
// plain object with the layers and apply.
function build(config) {
  if (!config.layers.some((l) => l.initial_state)) {
    const model = tf.sequential();
    config.layers.forEach((l, i) => addLayer(model, l, i === 0 ? config.input : null));
    return model;
  }
  const layers = [], plan = [];
  for (const l of config.layers) {
    const made = [];
    addLayer({ add: (layer) => made.push(layer) }, l, null);
    made.forEach((layer, k) => plan.push({ layer, states: l.initial_state && k === made.length - 1 ? stateUnits(l).length : 0 }));
    layers.push(...made);
  }
  const apply = (x) => {
    const xs = Array.isArray(x) ? x : [x];
    let h = xs[0], next = 1;
    for (const p of plan) {
      if (p.states) {
        h = p.layer.apply(h, { initialState: xs.slice(next, next + p.states) });
        next += p.states;
      } else {
        h = p.layer.apply(h);
      }
    }
    return h;
  };
  // Build the weights.
  const units = config.layers.filter((l) => l.initial_state).flatMap(stateUnits);
  apply([tf.zeros([1, ...config.input]), ...units.map((u) => tf.zeros([1, u]))]);
  return { layers, apply, dispose() {} };
}

// weightKey names one weight "<layer>.<kernel|recurrent_kernel|bias>", and inside a
// Bidirectional "<layer>.<forward|backward>.<...>".
function weightKey(layer, w) {
  const parts = w.originalName.split('/');
  const last = parts[parts.length - 1];
  if (layer.getClassName() === 'Bidirectional') {
    const dir = parts.some((p) => p.startsWith('backward_')) ? 'backward' : 'forward';
    return `${layer.name}.${dir}.${last}`;
  }
  return `${layer.name}.${last}`;
}

function randomize(next, model, saturate) {
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(layer.weights.map((w, i) => {
      const bias = weightKey(layer, w).endsWith('.bias');
      const v = values(next, size(ws[i].shape), bias ? 0.25 : 0.5);
      if (!bias && saturate.has(layer.name)) for (let j = 0; j < v.length; j++) v[j] *= 16;
      return tf.tensor(v, ws[i].shape);
    }));
  }
}

function weightsOf(model) {
  const out = {};
  for (const layer of model.layers) for (const w of layer.weights) out[weightKey(layer, w)] = rec(w.read());
  return out;
}

// checkGrads compares up to 24 elements of every gradient (evenly spread) with
// central differences of tfjs' own forward pass (step 2^-10) and describes the
// first that disagrees by more than 1e-2 of the tensor's largest gradient plus the
// rounding noise of a float32 difference quotient (8 ulps of the loss over the
// step), or returns null. The check is there to catch gradients that are wrong
// (tfjs' max reductions send the whole gradient to each of equal maxima, for
// instance), not to measure small ones.
function checkGrads(vars, keys, g, lossNow, loss) {
  const h = 1 / 1024;
  const noise = 8 * 1.1920929e-7 * Math.max(Math.abs(loss), 1) / h;
  for (let i = 0; i < vars.length; i++) {
    const v = vars[i], orig = v.dataSync().slice(), want = g[keys[i]].data;
    const scale = Math.max(...want.map(Math.abs)) * 1e-2 + noise;
    const n = orig.length, m = Math.min(n, 24);
    for (let q = 0; q < m; q++) {
      const j = Math.floor(q * n / m);
      const at = (d) => { const w = orig.slice(); w[j] += d; v.assign(tf.tensor(w, v.shape)); return lossNow(); };
      const fd = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(orig, v.shape));
      if (!(Math.abs(fd - want[j]) <= scale)) {
        return `tfjs' gradient of ${keys[i]}[${j}] is ${want[j]}, a central difference of its own forward ${fd}: not recorded`;
      }
    }
  }
  return null;
}

function lossFn(spec) {
  switch (spec.kind) {
    case 'sum_y_r': return (y, t) => tf.sum(tf.mul(y, t));
    case 'huber': return (y, t) => tf.losses.huberLoss(t, y, undefined, spec.delta);
  }
  const names = {
    mean_squared_error: 'meanSquaredError', mean_absolute_error: 'meanAbsoluteError',
    binary_crossentropy: 'binaryCrossentropy', categorical_crossentropy: 'categoricalCrossentropy',
    sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  };
  // The function model.compile takes from the loss's name (the one fit calls),
  // averaged over the batch (and the steps) as fit does. It does not depend on the
  // model, so a one-layer model is compiled to get it.
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
  m.compile({ optimizer: 'sgd', loss: names[spec.kind] });
  const f = m.model.lossFunctions[0]; // the Sequential's inner LayersModel
  return (y, t) => tf.mean(f(t, y));
}

// target draws the second argument of the loss for outputs y.
function target(next, spec, y) {
  const shape = y.shape;
  switch (spec.kind) {
    case 'binary_crossentropy':
      return tf.tensor(values(next, size(shape), 1).map(Math.abs), shape);
    case 'categorical_crossentropy': {
      // Soft targets: rounded positive weights over the classes (one-hot half the
      // time), each row summing to at most 1 as Keras does not require it to be 1.
      const c = shape[shape.length - 1], rows = size(shape) / c;
      const out = new Float32Array(size(shape));
      for (let r = 0; r < rows; r++) {
        if (next() < 0.5) { out[r * c + Math.floor(next() * c)] = 1; continue; }
        const ws = values(next, c, 1).map((v) => Math.abs(v) + 1 / 64);
        const sum = ws.reduce((a, b) => a + b, 0);
        for (let k = 0; k < c; k++) out[r * c + k] = Math.round(ws[k] / sum * 64) / 64;
      }
      return tf.tensor(out, shape);
    }
    case 'sparse_categorical_crossentropy': {
      const c = shape[shape.length - 1], ls = shape.slice(0, -1);
      return tf.tensor(Array.from({ length: size(ls) }, () => Math.floor(next() * c)), ls);
    }
  }
  if (spec.kind === 'mean_absolute_error') {
    // Odd multiples of 2^-13: never exactly equal to an output (see the header).
    return tf.tensor(values(next, size(shape), 1).map((v) => v + 1 / 8192), shape);
  }
  return tf.tensor(values(next, size(shape), 1), shape);
}

function desc(c) {
  const parts = [`${c.family}${c.input.join('x')}`];
  for (const l of c.layers) {
    let s = l.type;
    if (l.kernel !== undefined) s += `k${[].concat(l.kernel).join('x')}`;
    if (l.pool !== undefined) s += `p${[].concat(l.pool).join('x')}`;
    if (l.strides) s += `s${[].concat(l.strides).join('x')}`;
    if (l.dilation !== undefined && [].concat(l.dilation).some((d) => d > 1)) s += `d${[].concat(l.dilation).join('x')}`;
    if (l.padding !== undefined) s += typeof l.padding === 'string' ? l.padding : `p${[].concat(...[].concat(l.padding)).join('')}`;
    if (l.cropping !== undefined) s += `c${[].concat(...[].concat(l.cropping)).join('')}`;
    if (l.size !== undefined) s += `x${[].concat(l.size).join('x')}${l.interpolation === 'bilinear' ? 'bilinear' : ''}`;
    if (l.defaults) s += 'default';
    if (l.initial_state) s += 'init';
    if (l.layer) s += `_${l.merge}_${l.layer.type}${l.layer.units}${l.layer.return_sequences ? 'seq' : ''}`;
    if (l.units !== undefined) s += `${l.units}${l.return_sequences ? 'seq' : ''}`;
    if (l.activation && l.activation !== 'linear' && !(l.units && l.activation === 'tanh' && l.return_sequences !== undefined)) s += `_${l.activation}`;
    if (l.alpha !== undefined) s += `${l.alpha}`;
    if (l.recurrent_activation && l.recurrent_activation !== 'sigmoid') s += `_rec${l.recurrent_activation}`;
    if (l.layer && l.layer.activation !== 'tanh') s += `_${l.layer.activation}`;
    if (l.layer && l.layer.recurrent_activation && l.layer.recurrent_activation !== 'sigmoid') s += `_rec${l.layer.recurrent_activation}`;
    if (l.use_bias === false || (l.layer && l.layer.use_bias === false)) s += '_nobias';
    if (l.saturate) s += '_saturated';
    parts.push(s);
  }
  parts.push(c.loss.kind + (c.loss.delta !== undefined ? c.loss.delta : ''));
  return parts.join('-');
}

// nearClip reports whether a sigmoid output under binary_crossentropy comes within
// 1e-6 of 0 or 1, where Keras' clip and dlgen's BCELoss (PyTorch's, a documented
// choice) part. (The categorical cross-entropies are Keras' in dlgen, clip
// included, and are drawn saturated on purpose.)
function nearClip(spec, y) {
  if (spec.kind !== 'binary_crossentropy') return false;
  return Array.from(y.dataSync()).some((p) => p < 1e-6 || p > 1 - 1e-6);
}

// withWeights puts a Conv2D or Conv1D with a 1×1 kernel (a Dense on sequences and
// vectors) in front of a model without weights, so that a weight's gradient passes back through its layers.
function withWeights(c) {
  if (c.layers.some((l) => ['conv2d', 'conv2d_transpose', 'conv1d', 'conv1d_transpose', 'dense', 'lstm', 'simple_rnn', 'gru', 'bidirectional'].includes(l.type))) return;
  if (c.family === 'seq' || c.family === 'vector') {
    c.layers.unshift({ type: 'dense', name: 'w', units: int(1, 3), activation: 'linear' });
    return;
  }
  const one = c.family === 'image' ? [1, 1] : 1;
  c.layers.unshift({ type: c.family === 'image' ? 'conv2d' : 'conv1d', name: 'w', filters: int(1, 3), kernel: one, strides: one, dilation: one, padding: 'valid', activation: 'linear' });
}

// evaluate runs the model on x: the output, the loss against t and, where tfjs
// has them, the gradients of every weight (keys as weightKey).
function evaluate(model, lossOf, vars, keys, x, t) {
  const y = model.apply(x);
  const loss = lossOf(y, t).dataSync()[0];
  try {
    const { grads: gs } = tf.variableGrads(() => lossOf(model.apply(x), t), vars);
    const grads = {};
    keys.forEach((k, i) => { grads[k] = rec(gs[vars[i].name]); });
    return { y, loss, grads };
  } catch (e) {
    return { y, loss, grads: null, noGrads: `tfjs has no gradient here: ${e.message}` };
  }
}

// unstable runs the model again with every weight and input multiplied by 1 ± 2^-17
// (random signs) and names the first recorded value that moves by more than 1e-4
// of its tensor's largest magnitude, or returns null. Float32 rounding perturbs
// every intermediate value by ~6e-8 relative, and a chain of operations adds up
// to ~10 times that; a value that amplifies relative perturbations more than
// ~13 times (a sum that cancels over the batch or the steps, a near tie of a max,
// a near kink) then has no float32 golden good to 1e-5, and the draw is redrawn.
// So is a draw with a gradient exactly zero everywhere (a sum of ±1/n that
// cancels exactly in float32 is ~1e-17 in float64; a dead layer tests nothing),
// unless every draw has one, and one with a gradient tensor whose largest value is
// below 1e-5 of max(|loss|, 1), where float32's rounding is all there is.
function unstable(model, lossOf, vars, keys, x, t, ref, next, zeroMatters) {
  const d = 1 / 131072;
  const jiggle = (a) => a.map((v) => v * (1 + (next() < 0.5 ? -d : d)));
  const saved = model.layers.map((l) => l.getWeights().map((w) => ({ data: w.dataSync().slice(), shape: w.shape })));
  model.layers.forEach((l, i) => { if (saved[i].length) l.setWeights(saved[i].map((w) => tf.tensor(jiggle(w.data), w.shape))); });
  const j = (v) => tf.tensor(jiggle(v.dataSync().slice()), v.shape);
  const xj = Array.isArray(x) ? x.map(j) : j(x);
  const got = evaluate(model, lossOf, vars, keys, xj, t);
  model.layers.forEach((l, i) => { if (saved[i].length) l.setWeights(saved[i].map((w) => tf.tensor(w.data, w.shape))); });
  const moved = (what, a, b) => {
    const scale = Math.max(...a.map(Math.abs));
    for (let j = 0; j < a.length; j++) if (!(Math.abs(a[j] - b[j]) <= 1e-4 * scale)) return `${what}[${j}] moves from ${a[j]} to ${b[j]}`;
    return null;
  };
  let why = moved('y', Array.from(ref.y.dataSync()), Array.from(got.y.dataSync())) || moved('loss', [ref.loss], [got.loss]);
  if (!why && ref.grads && got.grads) {
    for (const k of keys) { why = moved(`grad ${k}`, ref.grads[k].data, got.grads[k].data); if (why) break; }
  }
  if (!why && ref.grads && zeroMatters) {
    for (const k of keys) if (ref.grads[k].data.every((v) => v === 0)) { why = `the gradient of ${k} is 0`; break; }
  }
  if (!why && ref.grads) {
    // A gradient far below the loss is made of float32 rounding (a softmax whose
    // clipped label leaves 1 - Σp at 2^-24, say), not of the function.
    const floor = 1e-5 * Math.max(Math.abs(ref.loss), 1);
    for (const k of keys) {
      const m = Math.max(...ref.grads[k].data.map(Math.abs));
      if (m > 0 && m < floor) { why = `the gradient of ${k} is at most ${m}, below 1e-5 of the loss`; break; }
    }
  }
  return why;
}

// cancelling names a weight whose gradient over the batch is below 1e-2 of what
// the examples contribute to it one by one (the largest over the tensor of
// Σ_b |∂loss_b/∂w|, with example b's share of the loss computed with the other
// examples' outputs held at their values), or returns null. The float32 sum then
// loses more than 1e-5 of the result in rounding that perturbing the inputs does
// not show (the gradient of mean_absolute_error is ±1/n whatever the inputs, so
// two examples can cancel to a difference of tanh' values near 1).
function cancelling(model, lossOf, vars, keys, x, t, ref, batch) {
  if (!ref.grads || batch === 1) return null;
  const y = ref.y;
  const per = [];
  for (let b = 0; b < batch; b++) {
    const { grads: gs } = tf.variableGrads(() => {
      const yb = model.apply(x);
      const mask = tf.oneHot(tf.tensor1d([b], 'int32'), batch).reshape([batch, ...Array(yb.shape.length - 1).fill(1)]);
      return lossOf(tf.add(tf.mul(yb, mask), tf.mul(y, tf.sub(1, mask))), t);
    }, vars);
    per.push(vars.map((v) => gs[v.name].dataSync()));
  }
  for (let i = 0; i < vars.length; i++) {
    const g = ref.grads[keys[i]].data;
    let total = 0, largest = 0;
    for (let j = 0; j < g.length; j++) {
      let s = 0;
      for (const p of per) s += Math.abs(p[i][j]);
      total = Math.max(total, s);
      largest = Math.max(largest, Math.abs(g[j]));
    }
    if (largest < 1e-2 * total) return `${keys[i]}: the batch's gradient ${largest}, the examples' ${total}`;
  }
  return null;
}

// Command line: the number of cases (150) and a seed suffix ("" for the committed
// file), so that larger or other draws can be run while hunting bugs.
const N = Number(process.argv[2] || 150);
const SEED = process.argv[3] || '';
if (SEED) {
  const s2 = stream('random_golden' + SEED);
  for (let i = 0; i < 8; i++) s2();
  cfgNext = s2;
}

const cases = [];
const dropped = [];
const unstableDrops = [];
const makers = [imageConfig, imageConfig, imageConfig, signalConfig, signalConfig, seqConfig, seqConfig, vectorConfig];
for (let attempt = 0; cases.length < N; attempt++) {
  const config = pick(makers)();
  if (!config) continue;
  withWeights(config);
  const name = `r${String(cases.length).padStart(3, '0')}`;
  const model = build(config);
  const batch = pick([1, 2, 2, 3]);
  const lossOf = lossFn(config.loss);
  const vars = [], keys = [];
  for (const layer of model.layers) {
    for (const w of layer.trainableWeights) { vars.push(w.read()); keys.push(weightKey(layer, w)); }
  }
  // Values: from the case's stream, drawn again (up to 6 times) while the draw is
  // unstable in float32; a configuration stable in no draw is dropped.
  let x, t, ev, why, redraw;
  for (redraw = 0; redraw < 6; redraw++) {
    const next = stream(name + JSON.stringify(config) + (redraw ? `#${redraw}` : ''));
    randomize(next, model, new Set(config.layers.filter((l) => l.saturate).map((l) => l.name)));
    x = tf.tensor(values(next, batch * size(config.input), 1), [batch, ...config.input]);
    const units = config.layers.filter((l) => l.initial_state).flatMap(stateUnits);
    // Initial states, as inputs s0, s1, ... after x.
    if (units.length) x = [x, ...units.map((u) => tf.tensor(values(next, batch * u, 1), [batch, u]))];
    t = target(next, config.loss, model.apply(x));
    ev = evaluate(model, lossOf, vars, keys, x, t);
    why = unstable(model, lossOf, vars, keys, x, t, ev, next, redraw < 5) ||
      cancelling(model, lossOf, vars, keys, x, t, ev, batch);
    if (!why && config.loss.kind === 'sum_y_r') {
      // A float32 sum is good to ~1e-7·n of Σ|terms|, not of the sum.
      const terms = Array.from(tf.abs(tf.mul(ev.y, t)).dataSync()).reduce((a, b) => a + b, 0);
      if (Math.abs(ev.loss) < 0.05 * terms) why = `sum(y·r) = ${ev.loss} cancels (Σ|y·r| = ${terms})`;
    }
    if (!why && config.loss.kind.endsWith('crossentropy') && ev.loss < 0.05) {
      // Confident right answers: -ln p for p within ~1e-3 of 1, where float32's
      // p (resolution 6e-8) leaves the loss good to no better than ~1e-4.
      why = `the loss ${ev.loss} is -ln of probabilities too near 1 for float32`;
    }
    if (!why) break;
  }
  if (why) { unstableDrops.push(`${desc(config)}: ${why}`); model.dispose(); continue; }
  const { y, loss } = ev;
  let { grads, noGrads } = ev;
  const bad = config.layers.find((l) => l.badGrad || (l.type === 'upsampling2d' && batch > 1));
  if (grads && bad) {
    grads = null;
    noGrads = `${bad.name}: ${bad.type === 'upsampling2d' ? "tfjs' gradient of ResizeNearestNeighbor (batch above 1) or ResizeBilinear (half-pixel centres) is wrong"
      : "tfjs' gradient of average pooling into same padding divides by the whole window (its forward by the part inside)"}: not recorded`;
  }
  const tie = grads && maxTie(model, config, x);
  if (tie) {
    grads = null;
    noGrads = `${tie}: tfjs' gradient of a maximum goes whole to each of equal maxima (TensorFlow's MaxPool to one, its reduce_max splits it): not recorded`;
  }
  // The head's softmax and sigmoid must not come near the clip (see the header).
  if (nearClip(config.loss, y)) { dropped.push(desc(config)); model.dispose(); continue; }
  if (grads) {
    noGrads = checkGrads(vars, keys, grads, () => lossOf(model.apply(x), t).dataSync()[0], loss);
    if (noGrads) grads = null;
  }
  const inputs = Array.isArray(x) ? Object.fromEntries(x.map((v, k) => [k ? `s${k - 1}` : 'x', rec(v)])) : { x: rec(x) };
  inputs[{ sum_y_r: 'r', sparse_categorical_crossentropy: 'label' }[config.loss.kind] || 't'] = rec(t);
  const c = {
    name, desc: desc(config), config, batch, inputs, weights: weightsOf(model),
    outputs: { y: rec(y) }, loss, grads,
  };
  if (noGrads) c.no_grads = noGrads;
  if (redraw) c.draw = redraw;
  cases.push(c);
  model.dispose();
}

process.stdout.write(JSON.stringify({
  generator: 'testdata/keras/random_golden.js',
  tfjs: tf.version.tfjs,
  backend: tf.getBackend(),
  epsilon: tf.backend().epsilon(),
  tolerance: 'float32: 1e-5 relative to the largest magnitude of each tensor',
  dropped_near_clip: dropped,
  dropped_unstable: unstableDrops,
  cases,
}, null, 0) + '\n');
