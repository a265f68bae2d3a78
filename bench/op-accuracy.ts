// The float32 accuracy of the stock kernels a BERT training step uses, on whatever backend KIT_BACKEND selects:
// each op on seeded inputs against the same op in float64 on the very float32 inputs, as the largest error in
// units of float32 precision (|ours - f64| / (2^-24 · scale), scale = |f64| for element-wise ops, the sum of
// |terms| for reductions and products). Why: webgpu (Dawn on llvmpipe) lands a few Adam-moved biases beyond
// §6's float64 clause where wasm and cpu do not (bench/NOTES.md); this says which kernels differ.
// Usage: KIT_BACKEND=webgpu npx tsx bench/op-accuracy.ts [--package-math]   (a table, one op a line)
// --package-math: on webgpu, the package's own exp/log/tanh instead of src/backend/webgpu/accurate-math.ts.
import * as tf from "@tensorflow/tfjs-core";
import { selectDevice } from "../src/backend";
import { setAccurateMath } from "../src/backend/webgpu/accurate-math";
import { Generator } from "../src/utils";

await selectDevice({ quiet: true });
if (process.argv.includes("--package-math")) setAccurateMath([]);
const gen = new Generator(1234);
const EPS32 = 2 ** -24;

function uniform(n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * gen.random();
  return out;
}

type Row = { op: string; maxUlp: number; meanUlp: number; worstAt: string };
const rows: Row[] = [];

/** Errors in float32 units against scale[i] (|f64| or the sum of |terms|). */
function record(op: string, ours: Float32Array, truth: Float64Array, scale: Float64Array, inputs: (i: number) => string): void {
  let max = 0;
  let sum = 0;
  let at = 0;
  for (let i = 0; i < truth.length; i++) {
    const s = Math.max(scale[i]!, 1e-30);
    const e = Math.abs(ours[i]! - truth[i]!) / (EPS32 * s);
    sum += e;
    if (e > max) [max, at] = [e, i];
  }
  rows.push({ op, maxUlp: max, meanUlp: sum / truth.length, worstAt: `${inputs(at)} -> ours ${ours[at]} vs ${truth[at]}` });
}

async function unary(op: string, f: (x: tf.Tensor) => tf.Tensor, g: (x: number) => number, lo: number, hi: number, n = 1 << 16): Promise<void> {
  const x = uniform(n, lo, hi);
  const t = tf.tensor1d(x);
  const y = f(t);
  const ours = (await y.data()) as Float32Array;
  tf.dispose([t, y]);
  const truth = Float64Array.from(x, g);
  record(op, ours, truth, truth.map(Math.abs), (i) => `x=${x[i]}`);
}

async function binary(op: string, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, g: (a: number, b: number) => number, a: Float32Array, b: Float32Array): Promise<void> {
  const [ta, tb] = [tf.tensor1d(a), tf.tensor1d(b)];
  const y = f(ta, tb);
  const ours = (await y.data()) as Float32Array;
  tf.dispose([ta, tb, y]);
  const truth = Float64Array.from(a, (v, i) => g(v, b[i]!));
  record(op, ours, truth, truth.map(Math.abs), (i) => `a=${a[i]}, b=${b[i]}`);
}

/** C = A·B with A [m, k], B [k, n], against float64 sums; scale: the sum of |a·b| terms. */
async function matMul(m: number, k: number, n: number, transposeB: boolean): Promise<void> {
  const a = uniform(m * k, -1, 1);
  const b = uniform(k * n, -1, 1);
  const ta = tf.tensor2d(a, [m, k]);
  const tb = tf.tensor2d(b, transposeB ? [n, k] : [k, n]);
  const y = tf.matMul(ta, tb, false, transposeB);
  const ours = (await y.data()) as Float32Array;
  tf.dispose([ta, tb, y]);
  const truth = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const term = a[i * k + p]! * (transposeB ? b[j * k + p]! : b[p * n + j]!);
        s += term;
        abs += Math.abs(term);
      }
      truth[i * n + j] = s;
      scale[i * n + j] = abs;
    }
  }
  record(`matMul [${m},${k}]x[${k},${n}]${transposeB ? " (B transposed)" : ""}`, ours, truth, scale, (i) => `row ${Math.floor(i / n)}, col ${i % n}`);
}

/** Sum over the first axis of [rows, cols] (a bias gradient: the tokens' upstream gradients summed). */
async function sumRows(rowsN: number, cols: number): Promise<void> {
  const x = uniform(rowsN * cols, -1, 1);
  const t = tf.tensor2d(x, [rowsN, cols]);
  const y = tf.sum(t, 0);
  const ours = (await y.data()) as Float32Array;
  tf.dispose([t, y]);
  const truth = new Float64Array(cols);
  const scale = new Float64Array(cols);
  for (let r = 0; r < rowsN; r++) {
    for (let c = 0; c < cols; c++) {
      truth[c] += x[r * cols + c]!;
      scale[c] += Math.abs(x[r * cols + c]!);
    }
  }
  record(`sum over axis 0 of [${rowsN},${cols}]`, ours, truth, scale, (i) => `col ${i}`);
}

/** Softmax over rows of length n; scale |f64|. */
async function softmax(rowsN: number, n: number): Promise<void> {
  const x = uniform(rowsN * n, -8, 8);
  const t = tf.tensor2d(x, [rowsN, n]);
  const y = tf.softmax(t);
  const ours = (await y.data()) as Float32Array;
  tf.dispose([t, y]);
  const truth = new Float64Array(rowsN * n);
  for (let r = 0; r < rowsN; r++) {
    let max = -Infinity;
    for (let c = 0; c < n; c++) max = Math.max(max, x[r * n + c]!);
    let z = 0;
    for (let c = 0; c < n; c++) z += Math.exp(x[r * n + c]! - max);
    for (let c = 0; c < n; c++) truth[r * n + c] = Math.exp(x[r * n + c]! - max) / z;
  }
  record(`softmax over rows of ${n}`, ours, truth, truth.map(Math.abs), (i) => `row ${Math.floor(i / n)}`);
}

await unary("exp", tf.exp, Math.exp, -10, 2);
await unary("exp (|x| < 1)", tf.exp, Math.exp, -1, 1);
await unary("log", tf.log, Math.log, 1e-3, 10);
await unary("sqrt", tf.sqrt, Math.sqrt, 1e-4, 10);
await unary("rsqrt", tf.rsqrt, (v) => 1 / Math.sqrt(v), 1e-4, 10);
await unary("reciprocal", tf.reciprocal, (v) => 1 / v, 0.5, 10);
await unary("tanh", tf.tanh, Math.tanh, -5, 5);
await unary("tanh (|x| < 1e-3)", tf.tanh, Math.tanh, -1e-3, 1e-3);
await unary("exp (x < -30)", tf.exp, Math.exp, -87, -30);
await unary("log (near 1)", tf.log, Math.log, 0.999, 1.001);
await unary("square", tf.square, (v) => v * v, -5, 5);
const n = 1 << 16;
await binary("div", tf.div, (a, b) => a / b, uniform(n, -1, 1), uniform(n, 0.5, 10));
await binary("mul", tf.mul, (a, b) => a * b, uniform(n, -1, 1), uniform(n, -10, 10));
await binary("add", tf.add, (a, b) => a + b, uniform(n, -1, 1), uniform(n, -1, 1));
await matMul(64, 128, 128, false);
await matMul(64, 128, 128, true);
await matMul(64, 512, 128, false);
await matMul(128, 64, 128, false);
await sumRows(64, 128);
await sumRows(520, 128);
await softmax(256, 64);

console.log(`backend ${tf.getBackend()}${process.argv.includes("--package-math") ? " (package math)" : ""}`);
for (const r of rows) console.log(`${r.op.padEnd(38)} max ${r.maxUlp.toFixed(2).padStart(8)}  mean ${r.meanUlp.toFixed(3).padStart(7)}  (worst: ${r.worstAt})`);
