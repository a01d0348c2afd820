'use strict';
// Golden values of Keras layers, computed by TensorFlow.js's layers API
// (@tensorflow/tfjs-layers, the Keras API in JavaScript, cpu backend, float32), for
// the places where dlgen claims Keras' semantics rather than PyTorch's: same padding
// (asymmetric, also with strides and dilation), same pooling, causal Conv1D, the
// cross-entropies on probabilities, UpSampling2D, RepeatVector, ZeroPadding2D,
// Cropping2D, LSTM, Conv2DTranspose with same padding, LayerNormalization (its
// center and scale switches, and its epsilon, 1e-3, set with nn.Eps),
// DepthwiseConv2D, SeparableConv2D, Permute and GlobalAveragePooling1D over steps.
// center and scale switches, and its epsilon, 1e-3, set with nn.Eps), and PReLU (its
// shared_axes, channels last).
//
// Regenerate from the repository root with
//
//     NODE_PATH=bench/js/node_modules node testdata/keras/keras_golden.js > testdata/keras/keras_golden.json
//
// If bench/js/node_modules is absent, `cd bench/js && npm ci --ignore-scripts`
// installs it (--ignore-scripts skips onnxruntime-node's download of its native
// library, which this script does not need).
//
// Each case is a small Keras model with weights and inputs drawn from a seeded
// xorshift32 stream and rounded to multiples of 1/64 (exact in float32 and float64).
// Everything is recorded in Keras' layouts: images (N, H, W, C), sequences (N, L, C),
// Conv2D kernels (kh, kw, in, out), Conv1D kernels (k, in, out), Conv2DTranspose
// kernels (kh, kw, out, in), Dense kernels (in, out), LSTM kernel (in, 4H),
// recurrent_kernel (H, 4H) with gates i, f, c, o, and one bias (4H), LayerNormalization
// gamma and beta of the normalised shape (H, W, C for an image), PReLU alpha of the
// input's shape after the batch (H, W, C for an image). Weight keys are
// "<layer>.<kernel|recurrent_kernel|bias|gamma|beta|alpha>". The loss of a case is either a Keras loss
// averaged over the batch (as model.compile does), or, for the cases whose point is a
// layer, sum(y · r) with r a random tensor of y's shape (recorded as input "r"), so
// that the gradients of every weight pass back through the layer under test. Grads
// are tf.variableGrads of that loss. models/keras_test.go reads the JSON and
// compares dlgen's reference interpreter with it.
//
// tfjs computes in float32: compare at 1e-5 relative to each tensor's largest
// magnitude.
//
// Where tfjs is not Keras (TensorFlow 2), the case is written around the gap or left
// out, and "skipped" in the JSON says why:
// - UpSampling2D(interpolation="bilinear"): tfjs' layer calls
//   tf.image.resizeBilinear without half-pixel centres (TensorFlow 1's
//   resize_images). Keras under TensorFlow 2 calls tf.image.resize, which is
//   ResizeBilinear with half_pixel_centers=True; the bilinear cases call that kernel
//   (tf.image.resizeBilinear(x, size, false, true)) in place of the layer.
// - GRU(reset_after=True): tfjs' GRUCell throws ("does not support reset_after").
// - LSTM: tfjs' default recurrent activation is hard_sigmoid (Keras 1); Keras 2's is
//   sigmoid, which the cases set explicitly.
// - Gradients: tfjs has none for dilated convolutions, its ResizeBilinear gradient
//   fails on non-square images, and its gradients of avgPool with same padding and
//   of resizeNearestNeighbor on a batch above 1 (any factor; random_golden.js found
//   that the batch, not the factor, decides) disagree with central differences of its own
//   forward pass (dlgen's agree with them); and tf.variableGrads fails on a
//   LayerNormalization with center or scale off (it reads a gradient of the
//   missing weight). Those cases record "no_grads" (why) and their forward values
//   only.
// - binary_crossentropy: tfjs clips p to [eps, 1-eps] and computes
//   -(t·ln p + (1-t)·ln(1-p)) through logits ln(p/(1-p)); Keras 2 (TensorFlow 2)
//   clips the same but adds eps inside both logs (ln(p+eps), ln(1-p+eps)), and in a
//   model whose output is a sigmoid it uses the logits behind it instead. The three
//   agree to ~1e-7 relative away from the clip (case binary_crossentropy). Case
//   binary_crossentropy_saturated has an output at 1 in float32 and one below
//   1e-7, where the clip decides the loss; its value is tfjs'. dlgen's
//   BinaryCrossEntropy is PyTorch's BCELoss (logs clamped at -100) and differs
//   there: models/keras_test.go checks that it still does.

const tf = require('@tensorflow/tfjs');

// xorshift32 (Marsaglia, 2003), seeded per case from the case name.
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

// values: n numbers uniform in [-a, a], rounded to multiples of 1/64.
function values(next, n, a) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round((2 * next() - 1) * a * 64) / 64;
  return out;
}

function size(shape) { return shape.reduce((p, d) => p * d, 1); }

function rec(t) { return { shape: t.shape, data: Array.from(t.dataSync()) }; }

// weightKey is "<layer>.<kernel|recurrent_kernel|bias>" for one layer weight.
function weightKey(layer, w) {
  const parts = w.originalName.split('/');
  return layer.name + '.' + parts[parts.length - 1];
}

// randomize sets every weight of model to rounded random values: kernels in
// ±kernelScale, biases in ±0.25.
function randomize(next, model, kernelScale) {
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(layer.weights.map((w, i) => {
      const bias = weightKey(layer, w).endsWith('.bias');
      return tf.tensor(values(next, size(ws[i].shape), bias ? 0.25 : kernelScale), ws[i].shape);
    }));
  }
}

function weightsOf(model) {
  const out = {};
  for (const layer of model.layers) for (const w of layer.weights) out[weightKey(layer, w)] = rec(w.read());
  return out;
}

// run evaluates the model on x, the loss lossOf(y) and its gradient with respect to
// every trainable weight.
function run(model, x, lossOf) {
  const vars = [], keys = [];
  for (const layer of model.layers) {
    for (const w of layer.trainableWeights) { vars.push(w.read()); keys.push(weightKey(layer, w)); }
  }
  const y = model.apply(x);
  const loss = lossOf(y).dataSync()[0];
  let value, grads;
  try {
    ({ value, grads } = tf.variableGrads(() => lossOf(model.apply(x)), vars));
  } catch (e) {
    // tfjs has no gradient of dilated convolutions: record the forward pass only.
    return { y, loss, grads: null, no_grads: e.message };
  }
  const g = {};
  keys.forEach((k, i) => { g[k] = rec(grads[vars[i].name]); });
  const bad = checkGrads(vars, keys, g, () => lossOf(model.apply(x)).dataSync()[0]);
  if (bad) return { y, loss, grads: null, no_grads: bad };
  return { y, loss: value.dataSync()[0], grads: g };
}

// checkGrads compares every gradient element with a central difference of the loss
// (step 2^-10: exact in float32, and small enough not to change a max pool's
// winners) and describes the first that disagrees by more than 1e-2 of the tensor's
// largest gradient, or returns null. Some tfjs gradients are
// wrong (those of avgPool with same padding and of resizeNearestNeighbor on a batch
// above 1 here); such cases keep their forward values only.
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
        return `tfjs' gradient of ${keys[i]}[${j}] is ${want[j]}, a central difference of its own forward ${fd}: not recorded`;
      }
    }
  }
  return null;
}

const cases = [];
const skipped = [];

// layerCase records a model whose loss is sum(y · r).
function layerCase(name, desc, inShape, build, kernelScale = 0.5) {
  const next = stream(name);
  const model = build();
  randomize(next, model, kernelScale);
  const x = tf.tensor(values(next, size(inShape), 1), inShape);
  const yShape = model.apply(x).shape;
  const r = tf.tensor(values(next, size(yShape), 1), yShape);
  const out = run(model, x, (y) => tf.sum(tf.mul(y, r)));
  cases.push({
    name, desc, batch: inShape[0], loss_kind: 'sum_y_r',
    inputs: { x: rec(x), r: rec(r) }, weights: weightsOf(model),
    outputs: { y: rec(out.y) }, loss: out.loss, grads: out.grads,
  });
  if (out.no_grads) cases[cases.length - 1].no_grads = out.no_grads;
}

function seq(inputShape, layers) {
  const m = tf.sequential();
  layers.forEach((l, i) => m.add(i === 0 ? tf.layers[l[0]]({ ...l[1], inputShape }) : tf.layers[l[0]](l[1])));
  return m;
}

// a. Conv2D padding="same": strides 2 on an even and an odd size, and dilation.
layerCase('conv_same_s2_even', 'conv2d_3x3_strides2_same_8x6_pads_0_0_1_1', [2, 8, 6, 2],
  () => seq([8, 6, 2], [['conv2d', { name: 'conv', filters: 3, kernelSize: 3, strides: 2, padding: 'same' }]]));
layerCase('conv_same_s2_odd', 'conv2d_4x4_strides2_same_7x9_pads_1_1_2_2', [2, 7, 9, 2],
  () => seq([7, 9, 2], [['conv2d', { name: 'conv', filters: 3, kernelSize: 4, strides: 2, padding: 'same' }]]));
layerCase('conv_same_dilated', 'conv2d_3x2_dilation_2x3_same_7x8_pads_2_1_2_2', [2, 7, 8, 2],
  () => seq([7, 8, 2], [['conv2d', { name: 'conv', filters: 3, kernelSize: [3, 2], dilationRate: [2, 3], padding: 'same' }]]));

// b. Pooling with padding="same", strides 2, odd sizes (after a 1×1 convolution so
// that a weight's gradient passes back through the pooling).
layerCase('avgpool_same', 'conv1x1_avgpool_3x3_strides2_same_7x8_padding_excluded', [2, 7, 8, 2],
  () => seq([7, 8, 2], [['conv2d', { name: 'conv', filters: 2, kernelSize: 1 }],
    ['averagePooling2d', { name: 'pool', poolSize: 3, strides: 2, padding: 'same' }]]));
layerCase('maxpool_same', 'conv1x1_maxpool_2x2_strides2_same_7x9', [2, 7, 9, 2],
  () => seq([7, 9, 2], [['conv2d', { name: 'conv', filters: 2, kernelSize: 1 }],
    ['maxPooling2d', { name: 'pool', poolSize: 2, strides: 2, padding: 'same' }]]));

// c. Conv1D padding="causal" with dilation 2.
// tfjs' Conv1D refuses padding="causal" ("not implemented yet"); Keras' Conv1D
// implements it as tf.pad of (k-1)·d zeros before the steps, then the valid
// convolution, which is what the case builds: a padding layer and Conv1D(valid).
class CausalPad extends tf.layers.Layer {
  constructor(args) { super(args); this.amount = args.amount; }
  computeOutputShape(s) { return [s[0], s[1] + this.amount, s[2]]; }
  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.pad(x, [[0, 0], [this.amount, 0], [0, 0]]);
  }
  static get className() { return 'CausalPad'; }
}
layerCase('conv1d_causal_dilated', 'conv1d_k3_dilation2_causal_len9', [2, 9, 2],
  () => {
    const m = tf.sequential();
    m.add(new CausalPad({ name: 'causal', amount: (3 - 1) * 2, inputShape: [9, 2] }));
    m.add(tf.layers.conv1d({ name: 'conv', filters: 3, kernelSize: 3, dilationRate: 2, padding: 'valid' }));
    return m;
  });
skipped.push({ name: 'conv1d_causal_layer', why: "tfjs' Conv1D refuses padding='causal'; the case pads (k-1)*d steps in front and runs Conv1D(valid), as Keras' Conv1D implements causal padding" });

// d. Losses on probabilities, averaged over the batch. x's last row is scaled so
// that its softmax or sigmoid saturates.
// The loss is the function model.compile takes from the loss's name, the one
// model.fit calls, averaged over the batch as fit does.
// With saturate false, row 3 is left as drawn.
function lossCase(name, desc, nIn, nOut, act, target, lossName, saturate = true) {
  const next = stream(name);
  const model = seq([nIn], [['dense', { name: 'fc', units: nOut, activation: act }]]);
  model.compile({ optimizer: 'sgd', loss: lossName });
  const lossOf = model.model.lossFunctions[0]; // the Sequential's inner LayersModel
  randomize(next, model, 0.5);
  const xs = values(next, 4 * nIn, 1);
  // Row 3 is ±24 along the signs of unit 0's weights: its output 0 saturates at 1
  // (in float32) and, after a softmax, the others fall below 1e-7.
  const w0 = model.layers[0].getWeights()[0].dataSync();
  for (let j = 0; saturate && j < nIn; j++) xs[3 * nIn + j] = w0[j * nOut] < 0 ? -24 : 24;
  const x = tf.tensor(xs, [4, nIn]);
  const t = target(next, Array.from(model.predict(x).dataSync()));
  const out = run(model, x, (y) => tf.mean(lossOf(t, y)));
  const inputs = { x: rec(x) };
  inputs[name.startsWith('sparse') ? 'label' : 't'] = rec(t);
  cases.push({
    name, desc, batch: 4, loss_kind: name,
    inputs, weights: weightsOf(model), outputs: { y: rec(out.y) }, loss: out.loss, grads: out.grads,
  });
}
// argmin3 is the class of row 3's smallest probability (below 1e-7, clipped up).
const argmin3 = (p) => { const r = p.slice(12, 16); return r.indexOf(Math.min(...r)); };
// Row 3's target is its least probable class, whose probability the clip raises
// to 1e-7 (and passes no gradient); row 2's target is soft.
lossCase('categorical_crossentropy', 'dense_softmax_cce_row3_clipped', 5, 4, 'softmax',
  (next, p) => tf.tensor([1, 0, 0, 0, 0, 0, 1, 0, 0.25, 0.25, 0.5, 0].concat([0, 1, 2, 3].map((c) => (c === argmin3(p) ? 1 : 0))), [4, 4]),
  'categoricalCrossentropy');
lossCase('sparse_categorical_crossentropy', 'dense_softmax_scce_row3_clipped', 5, 4, 'softmax',
  (next, p) => tf.tensor([0, 3, 2, argmin3(p)], [4]), // float labels, as model.fit passes them
  'sparseCategoricalCrossentropy');
lossCase('binary_crossentropy', 'dense_sigmoid_bce_inside_the_clip', 5, 3, 'sigmoid',
  (next) => tf.tensor(values(next, 12, 1).map((v) => Math.abs(v)), [4, 3]),
  'binaryCrossentropy', false);
lossCase('binary_crossentropy_saturated', 'dense_sigmoid_bce_row3_output0_saturated_at_1', 5, 3, 'sigmoid',
  // Targets in [0, 1]; row 3's output 0 is 1 in float32 and its target below 1, so
  // the clip to 1-1e-7 decides that element's loss.
  (next) => tf.tensor(values(next, 12, 1).map((v) => Math.abs(v)), [4, 3]),
  'binaryCrossentropy');

// e. UpSampling2D, after a 1×1 convolution.
layerCase('upsampling_nearest', 'conv1x1_upsampling_nearest_2x3', [2, 3, 4, 2],
  () => seq([3, 4, 2], [['conv2d', { name: 'conv', filters: 2, kernelSize: 1 }],
    ['upSampling2d', { name: 'up', size: [2, 3] }]]));

// Keras' UpSampling2D(interpolation="bilinear") under TensorFlow 2 is
// tf.image.resize(x, (H·sh, W·sw), "bilinear"), the ResizeBilinear kernel with
// half-pixel centres: a custom layer calls that kernel after the 1×1 convolution.
class HalfPixelBilinear extends tf.layers.Layer {
  constructor(args) { super(args); this.size = args.size; }
  computeOutputShape(s) { return [s[0], s[1] * this.size[0], s[2] * this.size[1], s[3]]; }
  call(inputs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.image.resizeBilinear(x, [x.shape[1] * this.size[0], x.shape[2] * this.size[1]], false, true);
  }
  static get className() { return 'HalfPixelBilinear'; }
}
for (const [sh, sw] of [[2, 2], [3, 2]]) {
  layerCase(`upsampling_bilinear_${sh}x${sw}`, `conv1x1_upsampling_bilinear_half_pixel_${sh}x${sw}`, [2, 3, 4, 2],
    () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ name: 'conv', filters: 2, kernelSize: 1, inputShape: [3, 4, 2] }));
      m.add(new HalfPixelBilinear({ name: 'up', size: [sh, sw] }));
      return m;
    });
}
skipped.push({ name: 'upsampling_bilinear_layer', why: "tfjs' UpSampling2D bilinear has no half-pixel centres (TensorFlow 1); the bilinear cases call TensorFlow 2's kernel (resizeBilinear with halfPixelCenters) instead" });

// f. Recurrent layers, RepeatVector, ZeroPadding2D and Cropping2D.
layerCase('lstm_sequences', 'lstm5_return_sequences_len4', [2, 4, 3],
  () => seq([4, 3], [['lstm', { name: 'lstm', units: 5, returnSequences: true, recurrentActivation: 'sigmoid' }]]));
layerCase('repeat_lstm', 'dense4_tanh_repeatvector3_lstm5_return_sequences', [2, 6],
  () => seq([6], [['dense', { name: 'fc', units: 4, activation: 'tanh' }],
    ['repeatVector', { name: 'repeat', n: 3 }],
    ['lstm', { name: 'lstm', units: 5, returnSequences: true, recurrentActivation: 'sigmoid' }]]));
try {
  tf.layers.gru({ units: 2, resetAfter: true, inputShape: [3, 2] });
  throw new Error('tfjs now accepts GRU resetAfter: add the GRU case');
} catch (e) {
  if (e.message.startsWith('tfjs now')) throw e;
  skipped.push({ name: 'gru_reset_after', why: `tfjs refuses GRU(resetAfter=true): ${e.message}` });
}
layerCase('zeropadding_cropping', 'conv1x1_zeropadding_1_2_3_0_cropping_2_0_1_3', [2, 4, 5, 2],
  () => seq([4, 5, 2], [['conv2d', { name: 'conv', filters: 2, kernelSize: 1 }],
    ['zeroPadding2d', { name: 'pad', padding: [[1, 2], [3, 0]] }], // 7×8
    ['cropping2D', { name: 'crop', cropping: [[2, 0], [1, 3]] }]])); // 5×4

// g. Conv2DTranspose padding="same", strides 2 (kernel 3: the odd pad cut at the end;
// kernel 4: even).
layerCase('deconv_same_k3', 'conv2d_transpose_3x3_strides2_same_3x4', [2, 3, 4, 2],
  () => seq([3, 4, 2], [['conv2dTranspose', { name: 'deconv', filters: 3, kernelSize: 3, strides: 2, padding: 'same' }]]));
layerCase('deconv_same_k4', 'conv2d_transpose_4x3_strides_2x3_same_3x4', [2, 3, 4, 2],
  () => seq([3, 4, 2], [['conv2dTranspose', { name: 'deconv', filters: 3, kernelSize: [4, 3], strides: [2, 3], padding: 'same' }]]));

// h. LayerNormalization (Keras' default epsilon 1e-3): over the features of a Dense
// output, with center or scale off, on every step of an LSTM's sequences, and over
// (H, W, C) of an image (axis [1, 2, 3], dlgen's (C, H, W)). The weights are
// "<layer>.gamma" and "<layer>.beta".
layerCase('layernorm_features', 'dense6_layernorm_eps1e-3', [3, 5],
  () => seq([5], [['dense', { name: 'fc', units: 6 }], ['layerNormalization', { name: 'ln' }]]));
layerCase('layernorm_center_only', 'dense6_layernorm_scale_false', [3, 5],
  () => seq([5], [['dense', { name: 'fc', units: 6 }], ['layerNormalization', { name: 'ln', scale: false }]]));
layerCase('layernorm_scale_only', 'dense6_layernorm_center_false', [3, 5],
  () => seq([5], [['dense', { name: 'fc', units: 6 }], ['layerNormalization', { name: 'ln', center: false }]]));
layerCase('layernorm_steps', 'lstm4_return_sequences_layernorm_per_step', [2, 4, 3],
  () => seq([4, 3], [['lstm', { name: 'lstm', units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }],
    ['layerNormalization', { name: 'ln' }]]));
layerCase('layernorm_image', 'conv1x1_layernorm_axis_1_2_3', [2, 3, 4, 2],
  () => seq([3, 4, 2], [['conv2d', { name: 'conv', filters: 3, kernelSize: 1 }],
    ['layerNormalization', { name: 'ln', axis: [1, 2, 3] }]]));

// i. DepthwiseConv2D (depth multiplier 2, same padding at stride 2), SeparableConv2D
// (same padding) and Permute, which dlgen builds as grouped convolutions and a
// Transpose. The depthwise kernel is (kh, kw, C, multiplier), the separable layer's
// depthwise_kernel (kh, kw, C, 1) and pointwise_kernel (1, 1, C, filters); Permute
// dims count from 1 after the batch. Weights "<layer>.depthwise_kernel",
// "<layer>.pointwise_kernel", "<layer>.bias".
layerCase('depthwise_same_s2', 'depthwise_conv2d_3x3_multiplier2_strides2_same_7x8', [2, 7, 8, 3],
  () => seq([7, 8, 3], [['depthwiseConv2d', { name: 'dw', kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }]]));
layerCase('separable_same', 'separable_conv2d_3x2_filters4_same_6x5', [2, 6, 5, 3],
  () => seq([6, 5, 3], [['separableConv2d', { name: 'sep', filters: 4, kernelSize: [3, 2], padding: 'same' }]]));
layerCase('permute_dense', 'permute_2_1_dense4_on_6x3', [2, 6, 3],
  () => seq([6, 3], [['permute', { name: 'p', dims: [2, 1] }], ['dense', { name: 'fc', units: 4 }]]));
layerCase('gap1d_steps', 'dense4_global_average_pooling1d_over_6_steps', [2, 6, 3],
  () => seq([6, 3], [['dense', { name: 'fc', units: 4 }], ['globalAveragePooling1d', { name: 'gap' }]]));
// i. PReLU (alpha "<layer>.alpha", of the input's shape after the batch with the
// shared axes of size 1): an α per feature of a Dense output, shared over the steps
// of (N, T, F) (shared_axes [1]), one per channel of an image (shared_axes [1, 2],
// α (1, 1, C), dlgen's SharedAxes(2, 3), α (C, 1, 1)), and one per element of an
// image (α (H, W, C), dlgen's (C, H, W)). Random α in ±0.5, negative ones included.
layerCase('prelu_features', 'dense6_prelu', [3, 5],
  () => seq([5], [['dense', { name: 'fc', units: 6 }], ['prelu', { name: 'act' }]]));
layerCase('prelu_shared_steps', 'dense3_per_step_prelu_shared_axes_1', [2, 4, 3],
  () => seq([4, 3], [['dense', { name: 'fc', units: 3 }], ['prelu', { name: 'act', sharedAxes: [1] }]]));
layerCase('prelu_image_channels', 'conv1x1_prelu_shared_axes_1_2', [2, 3, 4, 2],
  () => seq([3, 4, 2], [['conv2d', { name: 'conv', filters: 3, kernelSize: 1 }],
    ['prelu', { name: 'act', sharedAxes: [1, 2] }]]));
layerCase('prelu_image_elements', 'conv1x1_prelu_per_element', [2, 3, 4, 2],
  () => seq([3, 4, 2], [['conv2d', { name: 'conv', filters: 3, kernelSize: 1 }],
    ['prelu', { name: 'act' }]]));

process.stdout.write(JSON.stringify({
  generator: 'testdata/keras/keras_golden.js',
  tfjs: tf.version.tfjs,
  backend: tf.getBackend(),
  epsilon: tf.backend().epsilon(),
  tolerance: 'float32: 1e-5 relative to the largest magnitude of each tensor',
  skipped,
  cases,
}, null, 0) + '\n');
