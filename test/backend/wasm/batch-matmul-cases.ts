// The checks of the wasm SIMD matMuls (src/backend/wasm/batch-matmul.ts), batched and single, shared by the
// single-threaded and the threaded build's test files (each file is its own process: the build is chosen when
// the backend starts). References: a float64 product of the same float32 inputs (error bound of float32
// summation), and the package's own kernel (its scalar loop for batched products, XNNPACK for single ones),
// which ours must equal bitwise (each sums in the order of the one it replaces).
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { useBackend } from "../../../src/backend";
import { matmul } from "../../../src/nn/functional";
import { fastBatchMatMulCalls, kitDenseMatMulCalls, setKitDenseMatMul } from "../../../src/backend/wasm/batch-matmul";
import { activeWasmBackend, heapBuffer } from "../../../src/backend/wasm/internals";
import { installWasmKernels, replacedBatchMatMul } from "../../../src/backend/wasm/kernels";
import { Generator } from "../../../src/utils/random";

const rng = new Generator(7);

function randomTensor(shape: number[]): tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(Float32Array.from(rng.normalArray(size)), shape, "float32");
}

/** A @ B in float64 with broadcasting of the leading dims and optional transposes, plus sum |a||b| per element. */
function reference(a: tf.Tensor, b: tf.Tensor, ta = false, tb = false): { shape: number[]; value: Float64Array; scale: Float64Array; k: number } {
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const [m, k] = ta ? [ca, ra] : [ra, ca];
  const n = tb ? rb : cb;
  const leadA = a.shape.slice(0, -2);
  const leadB = b.shape.slice(0, -2);
  const rank = Math.max(leadA.length, leadB.length);
  const padA = [...Array(rank - leadA.length).fill(1), ...leadA] as number[];
  const padB = [...Array(rank - leadB.length).fill(1), ...leadB] as number[];
  const lead = padA.map((d, i) => Math.max(d, padB[i]!));
  const batch = lead.reduce((p, d) => p * d, 1);
  const av = a.dataSync();
  const bv = b.dataSync();
  const value = new Float64Array(batch * m * n);
  const scale = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    let pa = 0;
    let pb = 0;
    let rest = p;
    for (let d = rank - 1, sa = 1, sb = 1; d >= 0; d--) {
      const idx = rest % lead[d]!;
      rest = Math.floor(rest / lead[d]!);
      pa += (padA[d] === 1 ? 0 : idx) * sa;
      pb += (padB[d] === 1 ? 0 : idx) * sb;
      sa *= padA[d]!;
      sb *= padB[d]!;
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let t = 0;
        for (let q = 0; q < k; q++) {
          const x = av[pa * m * k + (ta ? q * m + i : i * k + q)]!;
          const y = bv[pb * k * n + (tb ? j * k + q : q * n + j)]!;
          s += x * y;
          t += Math.abs(x * y);
        }
        value[p * m * n + i * n + j] = s;
        scale[p * m * n + i * n + j] = t;
      }
    }
  }
  return { shape: [...(rank === 0 ? [] : lead), m, n], value, scale, k };
}

/** |ours - exact| within the float32 summation bound: (k + 1) unit roundoffs of sum |a||b| (k products and adds). */
function expectNearReference(label: string, c: tf.Tensor, ref: ReturnType<typeof reference>): void {
  expect(c.shape, label).toEqual(ref.shape);
  const cv = c.dataSync();
  const u = 2 ** -24;
  for (let i = 0; i < cv.length; i++) {
    const err = Math.abs(cv[i]! - ref.value[i]!);
    if (!(err <= (ref.k + 1) * u * ref.scale[i]! + 1e-37)) {
      throw new Error(`${label}: element ${i} is ${cv[i]}, float64 reference ${ref.value[i]} (bound ${(ref.k + 1) * u * ref.scale[i]!})`);
    }
  }
}

/** The package's kernel run on the same inputs (the one the override replaced). */
function packageProduct(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const stock = replacedBatchMatMul();
  if (stock === undefined) throw new Error("the BatchMatMul override is not installed");
  const info = stock.kernelFunc({ inputs: { a, b }, backend: tf.backend(), attrs: { transposeA, transposeB } }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

function expectBitwise(label: string, ours: tf.Tensor, theirs: tf.Tensor): void {
  expect(ours.shape, label).toEqual(theirs.shape);
  const x = new Uint32Array(ours.dataSync().buffer.slice(0));
  const y = new Uint32Array(theirs.dataSync().buffer.slice(0));
  let first = -1;
  for (let i = 0; i < x.length && first < 0; i++) if (x[i] !== y[i]) first = i;
  expect(first, `${label}: first differing element`).toBe(-1);
}

type Route = "batched" | "dense" | "package";

/** One product through tf.matMul: the route taken, near the float64 reference, bitwise the package's. */
function check(aShape: number[], bShape: number[], fast: boolean | Route, ta = false, tb = false): void {
  const route: Route = fast === true ? "batched" : fast === false ? "package" : fast;
  const label = `[${aShape}] @ [${bShape}]${ta ? " transposeA" : ""}${tb ? " transposeB" : ""}`;
  const a = randomTensor(aShape);
  const b = randomTensor(bShape);
  const calls = [fastBatchMatMulCalls(), kitDenseMatMulCalls()];
  const c = tf.matMul(a, b, ta, tb);
  expect([fastBatchMatMulCalls() - calls[0]!, kitDenseMatMulCalls() - calls[1]!], `${label}: [batched, dense] SIMD kernel calls`).toEqual([
    route === "batched" ? 1 : 0,
    route === "dense" ? 1 : 0,
  ]);
  expectNearReference(label, c, reference(a, b, ta, tb));
  const theirs = packageProduct(a, b, ta, tb);
  expectBitwise(label, c, theirs);
  tf.dispose([a, b, c, theirs]);
}

export function batchMatMulSuite(threads: 1 | 2): void {
  describe(`wasm SIMD BatchMatMul, KIT_WASM_THREADS=${threads}`, () => {
    beforeAll(async () => {
      process.env.KIT_WASM_THREADS = String(threads);
      // These kernels are bitwise XNNPACK's; the native GEMM (the default where it is built) is not.
      process.env.KIT_GEMM = "wasm";
      await useBackend("wasm");
      installWasmKernels();
    });

    it("runs on the build asked for and replaces the package's kernel", () => {
      expect(heapBuffer(activeWasmBackend()!).shared, "threaded build <=> shared memory").toBe(threads > 1);
      const stock = replacedBatchMatMul();
      expect(stock).toBeDefined();
      expect(tf.getKernel("BatchMatMul", "wasm")!.kernelFunc).not.toBe(stock!.kernelFunc);
      installWasmKernels();
      expect(replacedBatchMatMul(), "installing twice keeps the package's kernel as the one replaced").toBe(stock);
    });

    it("attention's products (BERT-Tiny and -Mini shapes) and their flag-free gradients", () => {
      check([8, 2, 65, 64], [8, 2, 64, 65], true);
      check([8, 4, 65, 65], [8, 4, 65, 64], true);
      check([8, 4, 65, 64], [8, 4, 64, 65], true);
      check([32, 65, 64], [32, 64, 65], true);
    });

    it("every M, N, K from 1 to 9, and 33, 65, 127 (tile edges)", () => {
      for (let m = 1; m <= 9; m++) for (let n = 1; n <= 9; n++) for (let k = 1; k <= 9; k++) check([2, m, k], [2, k, n], true);
      for (const m of [1, 33, 65, 127]) for (const n of [5, 33, 65, 127]) for (const k of [1, 33, 65, 127]) check([2, m, k], [2, k, n], true);
      check([2, 3, 2, 7, 5], [2, 3, 2, 5, 11], true);
    });

    it("delegates batch 1, 2-D, broadcasting, transposes and empty products to the package's kernel", () => {
      const previous = setKitDenseMatMul(false);
      onTestFinished(() => void setKitDenseMatMul(previous));
      check([1, 33, 17], [1, 17, 9], false);
      check([33, 17], [17, 9], false);
      // (TF.js 4.22 broadcasts only when one side's batch is 1: [2,1,..] @ [1,3,..] gives a 3-matrix result.)
      check([2, 3, 5, 4], [1, 1, 4, 6], false);
      check([3, 5, 4], [4, 6], false);
      check([1, 5, 4], [3, 4, 6], false);
      check([3, 5, 4], [3, 6, 4], false, false, true);
      check([3, 4, 5], [3, 4, 6], false, true, false);
      check([3, 4, 5], [3, 6, 4], false, true, true);
      check([3, 0, 4], [3, 4, 6], false);
      check([3, 5, 0], [3, 0, 6], false);
    });

    it("src/backend turns the single-product kernel on for one thread only (XNNPACK splits GEMMs across threads)", () => {
      const wasOn = setKitDenseMatMul(false);
      expect(wasOn).toBe(threads === 1);
      setKitDenseMatMul(wasOn);
    });

    describe("single products (2-D and batch 1) on our kernel, bitwise XNNPACK's", () => {
      let previous = false;
      beforeAll(() => {
        previous = setKitDenseMatMul(true);
        return () => void setKitDenseMatMul(previous);
      });

      it("BERT-Mini's dense layers, forward and flag-free gradients (520 tokens)", () => {
        for (const [m, k, n] of [[520, 256, 256], [520, 256, 1024], [520, 1024, 256], [256, 520, 1024], [1024, 520, 256], [256, 520, 256], [8, 256, 2]]) {
          check([m!, k!], [k!, n!], "dense");
        }
        check([1, 65, 128], [1, 128, 512], "dense");
      });

      it("every M, N, K from 1 to 9, and panel edges (N 63, 64, 65, 129, 200)", () => {
        for (let m = 1; m <= 9; m++) for (let n = 1; n <= 9; n++) for (let k = 1; k <= 9; k++) check([m, k], [k, n], "dense");
        for (const m of [1, 5, 33]) for (const n of [63, 64, 65, 129, 200]) for (const k of [1, 7, 300]) check([m, k], [k, n], "dense");
      });

      it("still delegates flags, broadcasting, int32 and empty products", () => {
        check([5, 4], [6, 4], false, false, true);
        check([4, 5], [4, 6], false, true, false);
        check([3, 5, 4], [4, 6], false);
        check([0, 4], [4, 6], false);
        // (Not [5, 0] @ [0, 6]: XNNPACK returns whatever the output's memory held, where torch gives zeros.)
        const a = tf.tensor2d([1, 2, 3, 4], [2, 2], "int32");
        const calls = kitDenseMatMulCalls();
        expect(() => tf.matMul(a, a), "the package refuses int32, as without our kernel").toThrow(/float32/);
        expect(kitDenseMatMulCalls()).toBe(calls);
        a.dispose();
      });
    });

    it("delegates int32 (the package's kernel decides: it refuses, and so does the override)", () => {
      const a = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], "int32");
      const b = tf.tensor3d([1, 0, 0, 1, 2, 0, 0, 2], [2, 2, 2], "int32");
      const calls = fastBatchMatMulCalls();
      let ours: unknown;
      let theirs: unknown;
      try {
        ours = Array.from(tf.matMul(a, b).dataSync());
      } catch (e) {
        ours = (e as Error).message;
      }
      try {
        theirs = Array.from(packageProduct(a, b).dataSync());
      } catch (e) {
        theirs = (e as Error).message;
      }
      expect(ours).toEqual(theirs);
      expect(fastBatchMatMulCalls()).toBe(calls);
      tf.dispose([a, b]);
    });

    it("gradients through src/nn/functional's matmul: dA = dy @ B^T, dB = A^T @ dy (float64 reference)", () => {
      const a = randomTensor([2, 3, 9, 7]);
      const b = randomTensor([2, 3, 7, 10]);
      const dy = randomTensor([2, 3, 9, 10]);
      const calls = fastBatchMatMulCalls();
      const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => matmul(x, y))([a, b], dy);
      expect(fastBatchMatMulCalls() - calls, "forward + two gradient products").toBe(3);
      const bT = tf.transpose(b, [0, 1, 3, 2]);
      const aT = tf.transpose(a, [0, 1, 3, 2]);
      expectNearReference("dA", da!, reference(dy, bT));
      expectNearReference("dB", db!, reference(aT, dy));
      tf.dispose([a, b, dy, da!, db!, aT, bT]);
    });

    it("stays right after the wasm heap grows (the memory's buffer is replaced) and leaks no tensor", () => {
      const a = randomTensor([4, 65, 64]);
      const b = randomTensor([4, 64, 65]);
      const before = tf.memory().numTensors;
      tf.matMul(a, b).dispose();
      const size = heapBuffer(activeWasmBackend()!).byteLength;
      // 256 MiB more than the heap holds: malloc must grow the memory.
      const big = tf.zeros([size / 4 + 64 * 2 ** 20]);
      expect(heapBuffer(activeWasmBackend()!).byteLength).toBeGreaterThan(size);
      const c = tf.matMul(a, b);
      expectNearReference("after growth", c, reference(a, b));
      tf.dispose([big, c]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([a, b]);
    });
  });
}
