// The native softmax (native/softmax.c through src/backend/wasm/native-elementwise.ts) against a float64 softmax
// written here in plain JS doubles, with bounds derived from the roundings the kernel makes (below); against
// TF.js's softmax it replaces (no less accurate); TF.js's softmax when the kernels are off.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { KIT_SOFTMAX_GRAD, nativeElementwiseCalls, setNativeElementwise, useBackend } from "../../src/backend";
import { softmax } from "../../src/nn";
import { Generator } from "../../src/utils/random";
import { nativeKernels, withNative, worst } from "../helpers/native-kernels";

const built = nativeKernels !== null;

const U = 2 ** -24; // float32's unit roundoff
const SLACK = 1.001; // second-order terms of the bounds
// The largest relative error of the kernel's exp (exp-non-positive.h) over every float32 in [-87.3, 0] against
// exp in double: 1.364 u (a scan of all 1.12e9 of them, 2026-12-04; at x = -59.95).
const EXP_ERR = 1.4 * U;
const FLOAT32_LOWEST = -3.4028234663852886e38; // BERT's additive attention mask
const COLS = 65; // MiniLM's sequence length: 8 lanes and a tail of 1
const SHAPE = [2, 12, 16, COLS];

/**
 * Attention-like scores (3 N(0, 1)); with `hard`, also the last 20 keys of batch 1 masked (float32's lowest added,
 * as BertModel does), rows spread over +-1000 (exp underflows for most), a constant row and a row with one key left.
 */
function inputs(hard: boolean): { x: Float32Array; dy: Float32Array } {
  const gen = new Generator("test/native-softmax");
  const n = SHAPE.reduce((a, b) => a * b, 1);
  const x = gen.normalArray(n, 0, 3);
  const dy = gen.normalArray(n);
  if (hard) {
    const rows = n / COLS;
    for (let r = rows / 2; r < rows; r++) for (let j = COLS - 20; j < COLS; j++) x[r * COLS + j] = Math.fround(x[r * COLS + j]! + FLOAT32_LOWEST);
    for (let j = 0; j < COLS; j++) {
      x[1 * COLS + j] = Math.fround(x[1 * COLS + j]! * 300);
      x[2 * COLS + j] = 0.25;
      x[3 * COLS + j] = j === 7 ? 1 : FLOAT32_LOWEST;
    }
  }
  return { x, dy };
}

interface Reference {
  y: Float64Array;
  dx: Float64Array;
  yBound: Float64Array;
  dxBound: Float64Array;
}

/**
 * Softmax and its gradient in float64, with the bound each value of the kernel must keep, to first order in u:
 * per element the relative error h of exp(fl(x - max)) is u |x - max| (the subtraction) + EXP_ERR, or 1 where
 * x - max < -87.3 (the kernel's exp gives 0 there); the double sum carries sum_k y_k h_k; y = fl(e / sum) adds u:
 * |y - y64| <= B = y64 (h + sum_k y_k h_k + u). Backward dx = fl(y_f (dy - s)) with s = sum dy y_f in double from
 * the float y_f: B |dy - s| + y64 sum_k |dy_k| B_k + u |dx|. Plus 1e-12 of the terms for the double arithmetic
 * and 2e-38 absolute for the exps cut to 0.
 */
function reference(x: Float32Array, dy: Float32Array): Reference {
  const n = x.length;
  const r: Reference = { y: new Float64Array(n), dx: new Float64Array(n), yBound: new Float64Array(n), dxBound: new Float64Array(n) };
  const h = new Float64Array(COLS);
  for (let at = 0; at < n; at += COLS) {
    let max = -Infinity;
    for (let j = 0; j < COLS; j++) max = Math.max(max, x[at + j]!);
    let sum = 0;
    for (let j = 0; j < COLS; j++) sum += Math.exp(x[at + j]! - max);
    let spread = 0;
    for (let j = 0; j < COLS; j++) {
      const d = x[at + j]! - max;
      const y = Math.exp(d) / sum;
      r.y[at + j] = y;
      h[j] = Math.fround(d) < -87.3 ? 1 : U * Math.abs(d) + EXP_ERR;
      spread += y * h[j]!;
    }
    let s = 0;
    let sAbs = 0;
    for (let j = 0; j < COLS; j++) {
      const y = r.y[at + j]!;
      r.yBound[at + j] = SLACK * y * (h[j]! + spread + U) + 2e-38;
      s += dy[at + j]! * y;
      sAbs += Math.abs(dy[at + j]! * y);
    }
    let carried = 0;
    for (let j = 0; j < COLS; j++) carried += Math.abs(dy[at + j]!) * r.yBound[at + j]!;
    for (let j = 0; j < COLS; j++) {
      const y = r.y[at + j]!;
      const dx = y * (dy[at + j]! - s);
      r.dx[at + j] = dx;
      r.dxBound[at + j] =
        SLACK * (r.yBound[at + j]! * Math.abs(dy[at + j]! - s) + y * carried + U * Math.abs(dx)) + 1e-12 * y * (Math.abs(dy[at + j]!) + sAbs) + 2e-38;
    }
  }
  return r;
}

function run(x: Float32Array, dy: Float32Array): { y: Float32Array; dx: Float32Array } {
  return tf.tidy(() => {
    const xt = tf.tensor(x, SHAPE);
    const dyt = tf.tensor(dy, SHAPE);
    const y = Float32Array.from(softmax(xt).dataSync());
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(softmax(a), dyt)))(xt);
    return { y, dx: Float32Array.from(dx.dataSync()) };
  });
}

describe.runIf(built)("native softmax (wasm)", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it("y and dx within the rounding bounds of a float64 softmax, masked keys exactly 0 (one kernel each way)", () => {
    const { x, dy } = inputs(true);
    const ref = reference(x, dy);
    const before = nativeElementwiseCalls();
    const got = withNative(true, () => run(x, dy));
    const after = nativeElementwiseCalls();
    expect(after.softmax - before.softmax, "native forward calls (one for y, one under tf.grad)").toBe(2);
    expect(after.softmaxGrad - before.softmaxGrad, "native backward calls").toBe(1);
    for (const [name, ours, want, bound] of [
      ["y", got.y, ref.y, ref.yBound],
      ["dx", got.dx, ref.dx, ref.dxBound],
    ] as const) {
      const w = worst(ours, want, bound);
      console.log(`native ${name}: worst ${w.ratio.toFixed(3)} of its bound, max|error| ${w.maxAbs.toExponential(2)}`);
      expect(w.ratio, `${name}[${w.index}]: ours ${ours[w.index]}, float64 ${want[w.index]}, bound ${bound[w.index]}`).toBeLessThanOrEqual(1);
    }
    const masked = (SHAPE[0]! * SHAPE[1]! * SHAPE[2]!) / 2;
    expect(got.y[masked * COLS + COLS - 1], "a masked key's probability").toBe(0);
    expect(got.y[3 * COLS + 7], "the one key left").toBe(1);
    expect(got.y[2 * COLS], "a constant row").toBe(Math.fround(1 / COLS));
  });

  it("no less accurate than TF.js's softmax and gradient, which run when the kernels are off", () => {
    const { x, dy } = inputs(false);
    const ref = reference(x, dy);
    const before = nativeElementwiseCalls();
    const stock = withNative(false, () => run(x, dy));
    const stockDirect = tf.tidy(() => Float32Array.from(tf.softmax(tf.tensor(x, SHAPE), -1).dataSync()));
    const after = nativeElementwiseCalls();
    expect(after.softmax + after.softmaxGrad, "native calls with the kernels off").toBe(before.softmax + before.softmaxGrad);
    expect(Buffer.from(stock.y.buffer).equals(Buffer.from(stockDirect.buffer)), "off: src/nn's softmax is tf.softmax").toBe(true);
    const native = withNative(true, () => run(x, dy));
    for (const name of ["y", "dx"] as const) {
      const bound = name === "y" ? ref.yBound : ref.dxBound;
      const n = worst(native[name], ref[name], bound);
      const s = worst(stock[name], ref[name], bound);
      console.log(`${name}: max|error| native ${n.maxAbs.toExponential(2)}, TF.js ${s.maxAbs.toExponential(2)} (${s.ratio.toFixed(2)} of the native bound)`);
      expect(n.maxAbs, `${name}: native's largest error vs TF.js's`).toBeLessThanOrEqual(s.maxAbs);
    }
  });

  it("a kernel switched off between forward and backward: TF.js ops from the saved y", () => {
    const { x, dy } = inputs(false);
    const ref = reference(x, dy);
    const before = nativeElementwiseCalls();
    const dx = withNative(true, () =>
      tf.tidy(() => {
        const dyt = tf.tensor(dy, SHAPE);
        const g = tf.grad((a: tf.Tensor) => {
          const y = softmax(a);
          setNativeElementwise(false);
          return tf.sum(tf.mul(y, dyt));
        })(tf.tensor(x, SHAPE));
        return Float32Array.from(g.dataSync());
      }),
    );
    const after = nativeElementwiseCalls();
    expect(after.softmax - before.softmax).toBe(1);
    expect(after.softmaxGrad - before.softmaxGrad).toBe(0);
    // float32 sums: §6's gradient rule (rtol 1e-4, atol 1e-6 max|dx|) against float64.
    const atol = 1e-6 * ref.dx.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const w = worst(dx, ref.dx, ref.dx.map((v) => 1e-4 * Math.abs(v) + atol));
    expect(w.ratio, `dx[${w.index}]`).toBeLessThanOrEqual(1);
  });

  it("refuses a gradient whose size does not match, naming the kernel and the shapes", () => {
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => tf.engine().runKernel(KIT_SOFTMAX_GRAD, { dy: tf.zeros([4, 8]), y: tf.zeros([4, 7]) }))).toThrow(
      /KitSoftmaxGrad: dy \[4,8\] and y \[4,7\] differ in size/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
