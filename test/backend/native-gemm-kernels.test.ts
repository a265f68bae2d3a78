// The native GEMM's kernels (src/backend/wasm/gemm-kernels.ts) against a float64 product of the same float32
// inputs, within the float32 summation bound: every transpose combination, batched and broadcast products,
// the fused bias and activations, odd sizes; and what they leave to the package's kernels.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { fastTransposedMatMul, nativeGemmActive, nativeGemmCalls, setNativeGemm, useBackend } from "../../src/backend";
import { loadNativeGemm } from "../../src/backend/wasm/native-gemm";
import { Generator } from "../../src/utils/random";

const rng = new Generator(11);
const u = 2 ** -24;

function randomTensor(shape: number[]): tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(Float32Array.from(rng.normalArray(size)), shape, "float32");
}

type Activation = "linear" | "relu" | "relu6" | "leakyrelu" | "sigmoid" | "elu";

const ACT: Record<Activation, (x: number, alpha: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  leakyrelu: (x, alpha) => (x < 0 ? alpha * x : x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
};

/**
 * act(op(A) @ op(B) + bias) in float64, A and B of rank 3 with batch equal or 1 (broadcast), and the bound on a
 * float32 result: (k + 2) unit roundoffs of sum |a||b| + |bias| (each activation here is 1-Lipschitz or less),
 * plus 4 unit roundoffs of the result for the activation's own rounding (exp in sigmoid, elu).
 */
function expectNear(label: string, c: tf.Tensor, a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean, bias: tf.Tensor | null, act: Activation, alpha = 0): void {
  const [ba, ra, ca] = a.shape as [number, number, number];
  const [bb, rb, cb] = b.shape as [number, number, number];
  const [m, k] = ta ? [ca, ra] : [ra, ca];
  const n = tb ? rb : cb;
  const batch = Math.max(ba, bb);
  expect(c.shape, label).toEqual([batch, m, n]);
  const av = a.dataSync();
  const bv = b.dataSync();
  const biasv = bias?.dataSync();
  const cv = c.dataSync();
  for (let p = 0; p < batch; p++) {
    const pa = ba === 1 ? 0 : p;
    const pb = bb === 1 ? 0 : p;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = biasv ? biasv[j]! : 0;
        let t = Math.abs(s);
        for (let q = 0; q < k; q++) {
          const x = av[pa * m * k + (ta ? q * m + i : i * k + q)]!;
          const y = bv[pb * k * n + (tb ? j * k + q : q * n + j)]!;
          s += x * y;
          t += Math.abs(x * y);
        }
        const want = ACT[act](s, alpha);
        const got = cv[p * m * n + i * n + j]!;
        const bound = (k + 2) * u * t + 4 * u * Math.abs(want) + 1e-37;
        if (!(Math.abs(got - want) <= bound)) {
          throw new Error(`${label}: element [${p},${i},${j}] is ${got}, float64 reference ${want} (bound ${bound})`);
        }
      }
    }
  }
}

function shapes(batchA: number, batchB: number, m: number, k: number, n: number, ta: boolean, tb: boolean): [number[], number[]] {
  return [ta ? [batchA, k, m] : [batchA, m, k], tb ? [batchB, n, k] : [batchB, k, n]];
}

const FLAGS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

/** One tf.matMul on the native kernel (one native call), near the float64 reference. */
function checkMatMul(batchA: number, batchB: number, m: number, k: number, n: number, ta: boolean, tb: boolean): void {
  const [as, bs] = shapes(batchA, batchB, m, k, n, ta, tb);
  const a = randomTensor(as);
  const b = randomTensor(bs);
  const calls = nativeGemmCalls();
  const c = tf.matMul(a, b, ta, tb);
  const label = `[${as}] @ [${bs}] transposeA=${ta} transposeB=${tb}`;
  expect(nativeGemmCalls() - calls, `${label}: native calls`).toBe(1);
  expectNear(label, c, a, b, ta, tb, null, "linear");
  tf.dispose([a, b, c]);
}

const native = loadNativeGemm();

describe.runIf("gemm" in native)("native GEMM kernels on the wasm backend", () => {
  beforeAll(async () => {
    delete process.env.KIT_GEMM;
    await useBackend("wasm");
  });

  it("is on by default where built, and makes the transpose flags the fast path", () => {
    expect(nativeGemmActive()).toBe(true);
    expect(fastTransposedMatMul()).toBe(true);
  });

  it("every transpose combination, every M, N, K from 1 to 9, batched", () => {
    for (const [ta, tb] of FLAGS) {
      for (let m = 1; m <= 9; m++) for (let n = 1; n <= 9; n++) for (let k = 1; k <= 9; k++) checkMatMul(2, 2, m, k, n, ta, tb);
    }
  });

  it("BERT's dense and attention shapes with each flag, single and batched, and broadcast batches", () => {
    for (const [ta, tb] of FLAGS) {
      checkMatMul(1, 1, 520, 128, 512, ta, tb);
      checkMatMul(1, 1, 128, 520, 384, ta, tb);
      checkMatMul(48, 48, 65, 32, 65, ta, tb);
      checkMatMul(3, 1, 33, 17, 9, ta, tb);
      checkMatMul(1, 4, 5, 64, 7, ta, tb);
    }
    // Through the rank-4 path of tf.matMul (core reshapes to rank 3) and a 2-D right side.
    const a = randomTensor([2, 3, 5, 4]);
    const b = randomTensor([4, 6]);
    const calls = nativeGemmCalls();
    const c = tf.matMul(a, b);
    expect(nativeGemmCalls() - calls).toBe(1);
    expectNear("[2,3,5,4] @ [4,6]", tf.reshape(c, [6, 5, 6]), tf.reshape(a, [6, 5, 4]), tf.reshape(b, [1, 4, 6]), false, false, null, "linear");
  });

  it("fused bias and every activation the package fuses (prelu aside), with each flag", () => {
    for (const act of ["linear", "relu", "relu6", "leakyrelu", "sigmoid", "elu"] as const) {
      for (const [ta, tb] of FLAGS) {
        for (const [m, k, n] of [[1, 1, 1], [7, 5, 3], [9, 8, 2], [65, 64, 33]] as const) {
          for (const withBias of [true, false]) {
            const [as, bs] = shapes(2, 2, m, k, n, ta, tb);
            const a = tf.mul(randomTensor(as), 3);
            const b = randomTensor(bs);
            const bias = withBias ? randomTensor([n]) : null;
            const calls = nativeGemmCalls();
            const c = tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: bias ?? undefined, activation: act, leakyreluAlpha: 0.2 });
            const label = `fused ${act}${withBias ? " + bias" : ""} [${as}] @ [${bs}] ${ta} ${tb}`;
            expect(nativeGemmCalls() - calls, label).toBe(1);
            expectNear(label, c, a as tf.Tensor, b, ta, tb, bias, act, 0.2);
            tf.dispose([a, b, c, ...(bias ? [bias] : [])]);
          }
        }
      }
    }
  });

  it("leaves empty products, prelu, a bias that is not [n], int32 and general broadcasting to the package, as it answers", () => {
    const cases: Array<() => tf.Tensor> = [
      () => tf.matMul(tf.zeros([3, 0, 4]), randomTensor([3, 4, 6])),
      () => tf.matMul(randomTensor([3, 5, 4]), tf.zeros([3, 4, 0])),
      () => tf.matMul(tf.zeros([3, 5, 0]), tf.zeros([3, 0, 6])),
      () => tf.fused.matMul({ a: randomTensor([4, 5]), b: randomTensor([5, 3]), activation: "prelu", preluActivationWeights: randomTensor([3]) }),
      () => tf.fused.matMul({ a: randomTensor([4, 5]), b: randomTensor([5, 3]), bias: randomTensor([1]) }),
    ];
    for (const [i, make] of cases.entries()) {
      const calls = nativeGemmCalls();
      const ours = make();
      expect(nativeGemmCalls() - calls, `case ${i}: native calls`).toBe(0);
      expect(ours.shape.length, `case ${i}`).toBeGreaterThan(1);
      ours.dispose();
    }
    const int = tf.tensor2d([1, 2, 3, 4], [2, 2], "int32");
    expect(() => tf.matMul(int, int), "the package refuses int32").toThrow(/float32/);
    int.dispose();
  });

  it("switches back to the replaced kernels and on again in-process (the bench times both)", () => {
    const a = randomTensor([1, 9, 7]);
    const b = randomTensor([1, 7, 5]);
    expect(setNativeGemm(false)).toBe(true);
    expect(fastTransposedMatMul()).toBe(false);
    let calls = nativeGemmCalls();
    const wasm = tf.matMul(a, b);
    expect(nativeGemmCalls()).toBe(calls);
    expect(setNativeGemm(true)).toBe(false);
    calls = nativeGemmCalls();
    const blas = tf.matMul(a, b);
    expect(nativeGemmCalls()).toBe(calls + 1);
    expectNear("wasm GEMM", wasm, a, b, false, false, null, "linear");
    expectNear("native GEMM", blas, a, b, false, false, null, "linear");
    tf.dispose([a, b, wasm, blas]);
  });
});
