// The native sum over rows (native/column-sum.c through src/backend/wasm/native-elementwise.ts), the dense layers'
// bias gradient on the wasm backend: against the exact sum (float64 of float32 values, exact to 2^-53 here),
// within one float32 rounding of it, never less accurate than TF.js's Sum it replaces; the composite when off.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { KIT_SUM_ROWS, nativeElementwiseCalls, setNativeElementwise, useBackend } from "../../src/backend";
import { linear } from "../../src/nn";
import { Generator } from "../../src/utils/random";
import { nativeKernels } from "../helpers/native-kernels";

const built = nativeKernels !== null;
const U = 2 ** -24;

/** Column sums in double, and each column's sum of magnitudes (what bounds the double sum's own error). */
function exactSums(x: Float32Array, rows: number, cols: number): { sum: Float64Array; abs: Float64Array } {
  const sum = new Float64Array(cols);
  const abs = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      sum[j]! += x[r * cols + j]!;
      abs[j]! += Math.abs(x[r * cols + j]!);
    }
  }
  return { sum, abs };
}

/** Rows of N(0, 1) values, a column that cancels to ~0 (+v then -v, plus 1e-6) and a column of large values. */
function inputs(rows: number, cols: number): Float32Array {
  const x = new Generator("test/native-column-sum").normalArray(rows * cols);
  for (let r = 0; r < rows; r++) {
    x[r * cols] = Math.fround((r % 2 === 0 ? 1 : -1) * 1e3 * (1 + Math.floor(r / 2)) + 1e-6);
    x[r * cols + 1] = Math.fround(x[r * cols + 1]! * 1e6);
  }
  return x;
}

describe.runIf(built)("native sum over rows (the bias gradient)", () => {
  beforeAll(async () => {
    await useBackend("wasm");
    setNativeElementwise(true);
  });

  for (const [rows, cols] of [[520, 384], [33, 7], [1, 5], [0, 3]] as const) {
    it(`[${rows}, ${cols}]: within one float32 rounding of the exact sum, and no further from it than tf.sum`, () => {
      const x = inputs(rows, cols);
      const { sum, abs } = exactSums(x, rows, cols);
      const t = tf.tensor2d(x, [rows, cols]);
      const before = nativeElementwiseCalls().sumRows;
      const ours = (tf.engine().runKernel(KIT_SUM_ROWS, { x: t }) as tf.Tensor).dataSync();
      expect(nativeElementwiseCalls().sumRows).toBe(before + 1);
      const stock = tf.sum(t, 0).dataSync();
      let oursWorst = 0;
      let stockWorst = 0;
      for (let j = 0; j < cols; j++) {
        // The double accumulation errs by at most rows * 2^-53 * sum|x|; the cast to float32 by u |sum|.
        const bound = U * Math.abs(sum[j]!) + rows * 2 ** -53 * abs[j]! + 1e-45;
        expect(Math.abs(ours[j]! - sum[j]!), `column ${j}`).toBeLessThanOrEqual(bound);
        oursWorst = Math.max(oursWorst, Math.abs(ours[j]! - sum[j]!));
        stockWorst = Math.max(stockWorst, Math.abs(stock[j]! - sum[j]!));
      }
      expect(oursWorst).toBeLessThanOrEqual(stockWorst);
      tf.dispose(t);
    });
  }

  it("the column that cancels: exact where TF.js's float32 sum is not", () => {
    const x = inputs(520, 3);
    const { sum } = exactSums(x, 520, 3);
    const t = tf.tensor2d(x, [520, 3]);
    const ours = (tf.engine().runKernel(KIT_SUM_ROWS, { x: t }) as tf.Tensor).dataSync();
    expect(ours[0]).toBe(Math.fround(sum[0]!));
    tf.dispose(t);
  });

  it("refuses a tensor that is not 2-D, naming the kernel", () => {
    const t = tf.zeros([2, 3, 4]);
    expect(() => tf.engine().runKernel(KIT_SUM_ROWS, { x: t })).toThrow(/KitSumRows: expected a 2-D tensor/);
    tf.dispose(t);
  });

  it("a dense layer's bias gradient runs it, and TF.js's Sum when the native kernels are off; no tensor left", () => {
    const gen = new Generator("test/native-column-sum/linear");
    const x = tf.tensor2d(gen.normalArray(40 * 8), [40, 8]);
    const w = tf.tensor2d(gen.normalArray(6 * 8), [6, 8]);
    const b = tf.zeros([6]);
    const grads = (): Float32Array => {
      const g = tf.grads((bb: tf.Tensor) => tf.sum(tf.mul(linear(x, w, bb), tf.range(0, 240).reshape([40, 6]))));
      const [db] = g([b]);
      const out = db!.dataSync() as Float32Array;
      tf.dispose(db);
      return out;
    };
    const count = tf.memory().numTensors;
    const before = nativeElementwiseCalls().sumRows;
    const native = grads();
    expect(nativeElementwiseCalls().sumRows).toBe(before + 1);
    setNativeElementwise(false);
    try {
      const stock = grads();
      expect(nativeElementwiseCalls().sumRows).toBe(before + 1);
      // dy[r, j] = 6 r + j, so db[j] = 6 (0 + ... + 39) + 40 j = 4680 + 40 j, exact in float32 on both paths.
      const want = [0, 1, 2, 3, 4, 5].map((j) => 4680 + 40 * j);
      expect(Array.from(native)).toEqual(want);
      expect(Array.from(stock)).toEqual(want);
    } finally {
      setNativeElementwise(true);
    }
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([x, w, b]);
  });
});
