// The LayerNorm kernels of the wasm backend, the native addon's (native/layer-norm.c through
// src/backend/wasm/native-elementwise.ts) and the kit's WebAssembly one (assembly/layer-norm.ts through
// src/backend/wasm/layer-norm.ts, which runs where the addon's is off or absent), each against a float64
// LayerNorm written here in plain JS doubles, with bounds derived from the float32 roundings the kernels make
// (below); bitwise against each other; against the composite of TF.js ops they replace (no less accurate);
// and their refusal of bad input.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD, nativeElementwiseCalls, setNativeElementwise, useBackend, wasmLayerNormCalls } from "../../src/backend";
import { layerNorm } from "../../src/nn";
import { Generator } from "../../src/utils/random";
import { COLS, EPS, SHAPE, SLACK, U, inputs, reference, type Inputs, type Reference } from "../helpers/layer-norm-reference";
import { nativeKernels, withNative, worst } from "../helpers/native-kernels";

const built = nativeKernels !== null;

/** Forward and the gradients of sum(y * dy) through src/nn's layerNorm on the active backend. */
function run({ x, w, b, dy }: Inputs, eps: number): { y: Float32Array; dx: Float32Array; dw: Float32Array; db: Float32Array } {
  return tf.tidy(() => {
    const xt = tf.tensor(x, SHAPE);
    const wt = tf.tensor1d(w);
    const bt = tf.tensor1d(b);
    const dyt = tf.tensor(dy, SHAPE);
    const y = Float32Array.from(layerNorm(xt, wt, bt, eps).dataSync());
    const [dx, dw, db] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, c, d, eps), dyt)))([xt, wt, bt]);
    return { y, dx: Float32Array.from(dx!.dataSync()), dw: Float32Array.from(dw!.dataSync()), db: Float32Array.from(db!.dataSync()) };
  });
}

type Impl = "native" | "WebAssembly";

/** Forward and backward calls of one implementation so far. */
function callsOf(impl: Impl): { layerNorm: number; layerNormGrad: number } {
  const c = impl === "native" ? nativeElementwiseCalls() : wasmLayerNormCalls();
  return { layerNorm: c.layerNorm, layerNormGrad: c.layerNormGrad };
}

/** Run `f` on one implementation: the addon's kernels on, or off (the WebAssembly kernel then runs). */
function withImpl<T>(impl: Impl, f: () => T): T {
  return withNative(impl === "native", f);
}

/** Run `f` with no LayerNorm kernel registered on wasm: TF.js's composite (as on a backend without them). */
function withComposite<T>(f: () => T): T {
  return withNative(false, () => {
    const saved = [KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD].map((name) => tf.getKernel(name, "wasm")!);
    for (const config of saved) tf.unregisterKernel(config.kernelName, "wasm");
    try {
      return f();
    } finally {
      for (const config of saved) tf.registerKernel(config);
    }
  });
}

const IMPLS: Impl[] = built ? ["native", "WebAssembly"] : ["WebAssembly"];

for (const impl of IMPLS) {
  describe(`${impl} LayerNorm (wasm)`, () => {
    let data: Inputs;
    beforeAll(async () => {
      await useBackend("wasm");
      data = inputs(true);
    });

    for (const eps of [EPS, 1e-5]) {
      it(`eps ${eps}: y, dx, dw, db within the float32 rounding bounds of a float64 LayerNorm (one kernel each way)`, () => {
        const ref = reference(data, eps);
        const before = callsOf(impl);
        const got = withImpl(impl, () => run(data, eps));
        const after = callsOf(impl);
        expect(after.layerNorm - before.layerNorm, `${impl} forward calls (one for y, one under tf.grads)`).toBe(2);
        expect(after.layerNormGrad - before.layerNormGrad, `${impl} backward calls`).toBe(1);
        for (const [name, ours, want, bound] of [
          ["y", got.y, ref.y, ref.yBound],
          ["dx", got.dx, ref.dx, ref.dxBound],
          ["dw", got.dw, ref.dw, ref.dwBound],
          ["db", got.db, ref.db, ref.dbBound],
        ] as const) {
          const w = worst(ours, want, bound);
          console.log(`${impl} ${name} (eps ${eps}): worst ${w.ratio.toFixed(3)} of its bound, max|error| ${w.maxAbs.toExponential(2)}`);
          expect(w.ratio, `${name}[${w.index}]: ours ${ours[w.index]}, float64 ${want[w.index]}, bound ${bound[w.index]}`).toBeLessThanOrEqual(1);
        }
      });
    }

    it("the kernel's saved xhat and rstd are float64's rounded: within u of their magnitude", () => {
      const ref = reference(data, EPS);
      const { xhat, rstd } = withImpl(impl, () =>
        tf.tidy(() => {
          const outs = tf.engine().runKernel(KIT_LAYER_NORM, { x: tf.tensor(data.x, SHAPE), weight: tf.tensor1d(data.w), bias: tf.tensor1d(data.b) }, { eps: EPS }) as tf.Tensor[];
          expect(outs.map((t) => t.shape)).toEqual([SHAPE, SHAPE, [...SHAPE.slice(0, -1), 1]]);
          return { xhat: Float32Array.from(outs[1]!.dataSync()), rstd: Float32Array.from(outs[2]!.dataSync()) };
        }),
      );
      const w1 = worst(xhat, ref.xhat, ref.xhat.map((v) => SLACK * U * Math.abs(v)));
      const w2 = worst(rstd, ref.rstd, ref.rstd.map((v) => SLACK * U * v));
      expect(w1.ratio, `xhat[${w1.index}]`).toBeLessThanOrEqual(1);
      expect(w2.ratio, `rstd[${w2.index}]`).toBeLessThanOrEqual(1);
      // The constant row: variance 0 exactly, so xhat 0 and rstd 1/sqrt(eps) (float32 eps).
      expect(Array.from(xhat.subarray(5 * COLS, 6 * COLS)).every((v) => v === 0)).toBe(true);
      expect(rstd[5]).toBe(Math.fround(1 / Math.sqrt(Math.fround(EPS))));
    });

    // On well-conditioned rows (on the hard ones the composite errs by 4.7e-2 on y, which any kernel would beat).
    it("no less accurate than the composite of TF.js ops it replaces", () => {
      const easy = inputs(false);
      const ref = reference(easy, EPS);
      const before = [callsOf("native"), callsOf("WebAssembly")];
      const composite = withComposite(() => run(easy, EPS));
      expect([callsOf("native"), callsOf("WebAssembly")], "kernel calls while the composite runs").toEqual(before);
      const kernel = withImpl(impl, () => run(easy, EPS));
      for (const name of ["y", "dx", "dw", "db"] as const) {
        const bound = { y: ref.yBound, dx: ref.dxBound, dw: ref.dwBound, db: ref.dbBound }[name];
        const k = worst(kernel[name], ref[name], bound);
        const c = worst(composite[name], ref[name], bound);
        console.log(`${name}: max|error| ${impl} ${k.maxAbs.toExponential(2)}, composite ${c.maxAbs.toExponential(2)} (${c.ratio.toFixed(1)} of the kernel's bound)`);
        expect(k.maxAbs, `${name}: ${impl}'s largest error vs the composite's`).toBeLessThanOrEqual(c.maxAbs);
      }
    });

    it("refuses a weight that does not match the last axis, naming the kernel and the shapes", () => {
      const before = tf.memory().numTensors;
      withImpl(impl, () => {
        expect(() =>
          tf.tidy(() => tf.engine().runKernel(KIT_LAYER_NORM, { x: tf.zeros([4, 8]), weight: tf.ones([7]), bias: tf.zeros([8]) }, { eps: EPS })),
        ).toThrow(/KitLayerNorm: weight has shape \[7\], expected \[8\]/);
        expect(() =>
          tf.tidy(() =>
            tf.engine().runKernel(KIT_LAYER_NORM_GRAD, { dy: tf.zeros([4, 8]), xhat: tf.zeros([4, 8]), rstd: tf.zeros([3, 1]), weight: tf.ones([8]) }),
          ),
        ).toThrow(/KitLayerNormGrad: dy \[4,8\] and rstd \[3,1\] do not match xhat \[4,8\]/);
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe.runIf(built)("the native and WebAssembly LayerNorms together", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  // Both accumulate in double in the same order, the addon is built with -ffp-contract=off and wasm has no
  // fused multiply-add: every output is bitwise the same, whatever the row length's remainder mod 8.
  for (const cols of [COLS, 1, 7, 9, 33]) {
    it(`compute bitwise the same y, xhat, rstd, dx, dw, db (rows of ${cols})`, () => {
      const gen = new Generator(`test/layer-norm-bitwise/${cols}`);
      const shape = [13, cols];
      const x = gen.normalArray(13 * cols, 3, 2);
      const [w, b, dy] = [gen.normalArray(cols, 1, 0.1), gen.normalArray(cols, 0, 0.1), gen.normalArray(13 * cols)];
      const outputs = (impl: Impl): Float32Array[] =>
        withImpl(impl, () =>
          tf.tidy(() => {
            const [y, xhat, rstd] = tf.engine().runKernel(KIT_LAYER_NORM, { x: tf.tensor(x, shape), weight: tf.tensor1d(w), bias: tf.tensor1d(b) }, { eps: EPS }) as tf.Tensor[];
            const grads = tf.engine().runKernel(KIT_LAYER_NORM_GRAD, { dy: tf.tensor(dy, shape), xhat: xhat!, rstd: rstd!, weight: tf.tensor1d(w) }) as tf.Tensor[];
            return [y!, xhat!, rstd!, ...grads].map((t) => Float32Array.from(t.dataSync()));
          }),
        );
      const [native, wasm] = [outputs("native"), outputs("WebAssembly")];
      ["y", "xhat", "rstd", "dx", "dw", "db"].forEach((name, i) => {
        const differ = native[i]!.findIndex((v, j) => !Object.is(v, wasm[i]![j]));
        expect(differ, `${name}[${differ}]: native ${native[i]![differ]}, WebAssembly ${wasm[i]![differ]}`).toBe(-1);
      });
    });
  }

  it("the addon's kernel switched off between forward and backward: the WebAssembly gradient from the saved xhat and rstd", () => {
    const data = inputs(true);
    const ref = reference(data, EPS);
    const [nativeBefore, wasmBefore] = [callsOf("native"), callsOf("WebAssembly")];
    const grads = withNative(true, () =>
      tf.tidy(() => {
        const dyt = tf.tensor(data.dy, SHAPE);
        const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor): tf.Tensor => {
          const y = layerNorm(a, c, d, EPS);
          setNativeElementwise(false);
          return tf.sum(tf.mul(y, dyt));
        };
        const g = tf.grads(f)([tf.tensor(data.x, SHAPE), tf.tensor1d(data.w), tf.tensor1d(data.b)]);
        return g.map((t) => Float32Array.from(t.dataSync()));
      }),
    );
    const [nativeAfter, wasmAfter] = [callsOf("native"), callsOf("WebAssembly")];
    expect(nativeAfter.layerNorm - nativeBefore.layerNorm, "native forward calls").toBe(1);
    expect(nativeAfter.layerNormGrad - nativeBefore.layerNormGrad, "native backward calls").toBe(0);
    expect(wasmAfter.layerNormGrad - wasmBefore.layerNormGrad, "WebAssembly backward calls").toBe(1);
    for (const [name, ours, want, bound] of [
      ["dx", grads[0]!, ref.dx, ref.dxBound],
      ["dw", grads[1]!, ref.dw, ref.dwBound],
      ["db", grads[2]!, ref.db, ref.dbBound],
    ] as const) {
      const w = worst(ours, want, bound);
      expect(w.ratio, `${name}[${w.index}]`).toBeLessThanOrEqual(1);
    }
  });
});

type Output = "y" | "dx" | "dw" | "db";

/** DESIGN.md §6's rule (rtol 1e-5 forward, 1e-4 gradients; atol 1e-6 max|reference|) against the float64 LayerNorm. */
function expectRule(got: Partial<Record<Output, Float32Array>>, ref: Reference, names: Output[]): void {
  for (const name of names) {
    const rtol = name === "y" ? 1e-5 : 1e-4;
    const want = ref[name];
    const atol = 1e-6 * want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const ours = got[name]!;
    const w = worst(ours, want, want.map((v) => rtol * Math.abs(v) + atol));
    expect(w.ratio, `${name}[${w.index}]: ${ours[w.index]} vs float64 ${want[w.index]}`).toBeLessThanOrEqual(1);
  }
}

describe("LayerNorm without the kit's kernels", () => {
  // Well-conditioned rows only: on the hard rows (mean 300, spread 0.01) the composite's float32 mean costs
  // about 1e-3 relative, which is what the native kernel's double statistics are for.
  it("cpu: the composite, within §6's rules of the float64 LayerNorm", async () => {
    await useBackend("cpu");
    const data = inputs(false);
    const before = nativeElementwiseCalls();
    const got = run(data, EPS);
    expect(nativeElementwiseCalls()).toEqual(before);
    expectRule(got, reference(data, EPS), ["y", "dx", "dw", "db"]);
  });
});
