'use strict';
// onnxruntime-node's MatMul alone (MLAS sgemm), for rt/GEMM.md's comparison of dlgen's GEMM
// with onnxruntime on this machine (bench/matmul.sh runs it). The ONNX model is one MatMul
// built in code with onnx-proto, like ort.js does for W1-W4, in two variants:
//   ort         A (m×k) and B (k×n) are both inputs: every call packs B, as rt.Gemm does;
//   ort-constB  B is an initializer: onnxruntime pre-packs it once at session creation,
//               the case of a layer's weights at inference.
//
// usage: node matmul.js --threads 1 [--repeats 5] [--minMs 200] [--spin 0]
//                      [--shapes 256x256x256,64x784x128] [--variants ort,ort-constB]
// Shapes are m×k×n. Prints one JSON line per shape and variant: per repeat the mean wall
// ms per call of a block of calls lasting >= minMs, and the process CPU time per call in
// that block (process.cpuUsage: every thread of the process, user + system), so a
// cpu-GFLOP/s can be given like rt's BenchmarkGemm does on a shared machine.

const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');

const F32 = onnx.TensorProto.DataType.FLOAT;

// model returns the ONNX bytes of Y = A·B with A m×k and B k×n; B is an initializer
// holding bData when bData is given, else a second input.
function model(m, k, n, bData) {
  const vi = (name, dims) => ({ name, type: { tensorType: { elemType: F32, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const input = [vi('A', [m, k])];
  const initializer = [];
  if (bData) {
    initializer.push({ name: 'B', dims: [k, n], dataType: F32, rawData: new Uint8Array(bData.buffer, bData.byteOffset, bData.byteLength) });
  } else {
    input.push(vi('B', [k, n]));
  }
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'dlgen-bench',
    graph: { name: 'matmul', node: [{ opType: 'MatMul', input: ['A', 'B'], output: ['Y'], name: 'mm' }], initializer, input, output: [vi('Y', [m, n])] },
  })).finish();
}

// uniform fills n floats from U(-1, 1) with mulberry32 (the generator of common.js);
// the values only need to be ordinary numbers (no denormals, no zeros).
function uniform(seed, n) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = 2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1;
  }
  return out;
}

// check compares 256 entries of Y against float64 dot products and returns the largest
// error relative to Σ|a·b| (a float32 dot product of length k stays below ~k·2⁻²⁴ of it):
// a timing of something that does not compute A·B must not end up in the table.
function check(y, a, b, m, k, n) {
  let worst = 0;
  for (let t = 0; t < 256; t++) {
    const i = (t * 7919) % m;
    const j = (t * 104729) % n;
    let s = 0;
    let abs = 0;
    for (let p = 0; p < k; p++) {
      s += a[i * k + p] * b[p * n + j];
      abs += Math.abs(a[i * k + p] * b[p * n + j]);
    }
    worst = Math.max(worst, Math.abs(y[i * n + j] - s) / abs);
  }
  return worst;
}

// measure is common.js's measure (warm-up, then `repeats` blocks of >= minMs) that also
// records the process CPU time of each block.
async function measure(fn, repeats, minMs) {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const w0 = now();
  for (let i = 0; i < 3 || now() - w0 < 100; i++) await fn();
  const ms = [];
  const cpuMs = [];
  for (let r = 0; r < repeats; r++) {
    let calls = 0;
    const c0 = process.cpuUsage();
    const t0 = now();
    let t = t0;
    while (calls === 0 || t - t0 < minMs) { await fn(); calls++; t = now(); }
    const c = process.cpuUsage(c0);
    ms.push((t - t0) / calls);
    cpuMs.push((c.user + c.system) / 1e3 / calls);
  }
  return { ms, cpuMs };
}

function args(argv) {
  const a = { threads: '1', repeats: '5', minMs: '200', shapes: '256x256x256,512x512x512,1024x1024x1024,64x784x128', variants: 'ort,ort-constB' };
  for (let i = 0; i < argv.length; i += 2) a[argv[i].replace(/^--/, '')] = argv[i + 1];
  return {
    threads: +a.threads, repeats: +a.repeats, minMs: +a.minMs, spin: a.spin,
    shapes: a.shapes.split(',').map((s) => s.split('x').map(Number)), variants: a.variants.split(','),
  };
}

async function main() {
  const a = args(process.argv.slice(2));
  const version = ort.env.versions ? ort.env.versions.common : '?';
  for (const [m, k, n] of a.shapes) {
    const A = uniform(1, m * k);
    const B = uniform(2, k * n);
    for (const variant of a.variants) {
      const rec = { engine: variant, version, threads: a.threads, spin: a.spin === undefined ? 'default' : a.spin, m, k, n };
      try {
        const sess = await ort.InferenceSession.create(model(m, k, n, variant === 'ort-constB' ? B : null), {
          executionProviders: ['cpu'], intraOpNumThreads: a.threads, interOpNumThreads: 1,
          executionMode: 'sequential', graphOptimizationLevel: 'all',
          // --spin 0: idle intra-op threads sleep instead of busy-waiting (as ort.js).
          ...(a.spin === undefined ? {} : { extra: { session: { intra_op: { allow_spinning: String(a.spin) } } } }),
        });
        const feeds = { A: new ort.Tensor('float32', A, [m, k]) };
        if (variant === 'ort') feeds.B = new ort.Tensor('float32', B, [k, n]);
        Object.assign(rec, await measure(() => sess.run(feeds), a.repeats, a.minMs));
        const out = await sess.run(feeds);
        rec.maxRelErr = check(out.Y.data, A, B, m, k, n);
        if (!(rec.maxRelErr < 1e-5)) throw new Error(`wrong product: relative error ${rec.maxRelErr}`);
        await sess.release();
      } catch (e) {
        rec.error = String((e && e.message) || e).split('\n')[0].slice(0, 160);
      }
      process.stdout.write(JSON.stringify(rec) + '\n');
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
