'use strict';
// TensorFlow.js 4.22 on W1-W4: inference at batch 1 and the workload batch, and the
// training step (forward, backward, SGD lr 0.01) at the workload batch, on the pure-JS
// 'cpu' backend or the 'wasm' backend (XNNPACK; single-threaded under Node, so
// --threads only labels the result). Models are tf.sequential in NHWC with the seeded
// Keras-layout weights of common.js.
//
// usage: node tfjs.js --backend cpu|wasm --threads 1 [--repeats 5] [--minMs 200] [--only W1]

const tf = require('@tensorflow/tfjs');
const C = require('./common');

function build(w) {
  const L = tf.layers;
  const m = tf.sequential();
  const relu = 'relu';
  if (w === 'W1') {
    m.add(L.dense({ inputShape: [784], units: 128, activation: relu }));
    m.add(L.dense({ units: 10 }));
  } else if (w === 'W2') {
    m.add(L.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: relu }));
    m.add(L.maxPooling2d({ poolSize: 2 }));
    m.add(L.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: relu }));
    m.add(L.maxPooling2d({ poolSize: 2 }));
    m.add(L.flatten());
    m.add(L.dense({ units: 120, activation: relu }));
    m.add(L.dense({ units: 84, activation: relu }));
    m.add(L.dense({ units: 10 }));
  } else if (w === 'W3') {
    // sigmoid gates (TF.js defaults to hardSigmoid) so it is the LSTM of torch and ONNX.
    m.add(L.lstm({ inputShape: [C.SEQ, C.FEAT], units: C.HIDDEN, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }));
    m.add(L.dense({ units: 10 }));
  } else {
    const conv = (o) => L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: relu, ...o });
    m.add(conv({ inputShape: [28, 28, 1] }));
    m.add(L.maxPooling2d({ poolSize: 2 }));
    m.add(conv());
    m.add(L.maxPooling2d({ poolSize: 2 }));
    m.add(conv());
    m.add(L.upSampling2d({ size: [2, 2] }));
    m.add(conv());
    m.add(L.upSampling2d({ size: [2, 2] }));
    m.add(L.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid' }));
  }
  const ws = C.weights(w);
  m.setWeights(ws.map((t) => tf.tensor(t.data, t.shape, 'float32')));
  return m;
}

async function main() {
  const a = C.args(process.argv.slice(2));
  const backend = a.backend || 'cpu';
  const base = { engine: 'tfjs-' + backend, version: tf.version.tfjs, threads: a.threads };
  let initErr = null;
  try {
    if (backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend(backend)) || tf.getBackend() !== backend) throw new Error('backend ' + backend + ' did not initialise');
    await tf.ready();
    tf.env().set('PROD', true);
  } catch (e) {
    initErr = C.errText(e);
  }
  for (const w of a.only) {
    const d = C.data(w);
    const B = C.BATCH[w];
    for (const c of a.cases) {
      const rec = { ...base, workload: w, case: c };
      if (initErr) { C.emit({ ...rec, error: initErr }); continue; }
      const model = build(w);
      const n = c === 'infer_b1' ? 1 : B;
      const x = tf.tensor(d.x.slice(0, n * (d.x.length / B)), [n, ...d.xShape.slice(1)]);
      try {
        if (c === 'train_bN') {
          const y = w === 'W4' ? tf.tensor(d.target, d.xShape) : tf.oneHot(tf.tensor1d(d.labels, 'int32'), 10).toFloat();
          const opt = tf.train.sgd(0.01);
          const loss = () => {
            const out = model.apply(x, { training: true });
            return w === 'W4' ? tf.metrics.binaryCrossentropy(y, out).mean() : tf.losses.softmaxCrossEntropy(y, out);
          };
          let first = null;
          const step = () => {
            const l = opt.minimize(loss, true);
            const v = l.dataSync()[0];
            if (first === null) first = v;
            l.dispose();
          };
          rec.ms = await C.measure(step, { repeats: a.repeats, minMs: a.minMs });
          rec.loss_first = first;
          opt.dispose();
          y.dispose();
        } else {
          const f = () => tf.tidy(() => {
            const o = model.predict(x);
            return w === 'W4' ? o : tf.softmax(o);
          });
          rec.ms = await C.measure(() => { const o = f(); o.dataSync(); o.dispose(); }, { repeats: a.repeats, minMs: a.minMs });
          const o = f();
          rec.checksum = C.checksum(o.dataSync());
          o.dispose();
        }
      } catch (e) {
        rec.error = C.errText(e);
      }
      x.dispose();
      model.dispose();
      C.emit(rec);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
