// The native GELU and dropout masks (native/elementwise.c, native/alea.c through
// src/backend/wasm/native-elementwise.ts): masks bitwise the JS ones with the generator going on exactly as
// after JS draws; GELU and its gradient against PyTorch (test/fixtures/gelu, written by
// bench/python/gelu_reference.py) by DESIGN.md §6, on the native kernels and on the composite; native and
// composite agreeing to float32 rounding; and training steps that leak no tensor with the native kernels on.
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { nativeElementwiseActive, nativeElementwiseCalls, setNativeElementwise, useBackend } from "../../src/backend";
import { nativeElementwiseWanted, nativeUniformMask } from "../../src/backend/wasm/native-elementwise";
import { gelu } from "../../src/nn";
import { Dropout } from "../../src/nn/dropout";
import { backward } from "../../src/nn/autograd";
import { Generator } from "../../src/utils/random";
import { readSafetensors } from "../../src/utils/safetensors";
import { syntheticBatch, workloadModel } from "../../bench/workload";
import { closeOrF64, closeReport, RTOL } from "../helpers/close";
import { gelu64 } from "../nn/float64-erf";
import { PACKAGE_ROOT } from "../helpers/shared";
import { nativeKernels, withNative } from "../helpers/native-kernels";

const built = nativeKernels !== null;

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe.runIf(built)("native dropout masks (wasm)", () => {
  beforeAll(async () => {
    await useBackend("wasm");
    expect(nativeElementwiseActive(), "useBackend('wasm') installs the native kernels when the addon has them").toBe(true);
  });

  const cases: [number | string, number, number][] = [
    [0, 1, 0.9],
    [42, 3, 0.9],
    [42, 1000, 0.5],
    ["7/dropout", 65537, 0.9],
    [1234, 798720, 0.999],
    [5, 4097, 1],
  ];
  for (const [seed, n, keep] of cases) {
    it(`seed ${JSON.stringify(seed)}, ${n} values, keep ${keep}: bitwise the JS mask, and the generator goes on as after JS draws`, () => {
      const js = new Generator(seed);
      const native = new Generator(seed);
      // Not from a fresh state: a few draws first, as a model's generator has made.
      for (let i = 0; i < 5; i++) expect(native.random()).toBe(js.random());
      const scale = 1 / keep;
      const want = js.uniformMask(n, keep, scale);
      const before = tf.memory().numTensors;
      const t = nativeUniformMask([n], keep, scale, native);
      expect(t, "nativeUniformMask returned null on wasm with the addon built").not.toBeNull();
      const got = t!.dataSync() as Float32Array;
      t!.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const gb = bits(got);
      const wb = bits(want);
      let firstDiff = -1;
      for (let i = 0; i < n && firstDiff < 0; i++) if (gb[i] !== wb[i]) firstDiff = i;
      expect(firstDiff, firstDiff < 0 ? "" : `first difference at ${firstDiff}: native ${got[firstDiff]} vs JS ${want[firstDiff]}`).toBe(-1);
      // Not a constant mask (the comparison above would pass vacuously for keep = 1 only).
      if (keep < 1 && n >= 1000) expect(new Set(got).size).toBe(2);
      expect(native.getState().alea).toEqual(js.getState().alea);
      for (let i = 0; i < 5; i++) expect(native.random()).toBe(js.random());
    });
  }

  it("Dropout gives bitwise the same output with native masks as with JS masks, and the same next draws", () => {
    const x = tf.tensor(new Generator(3).normalArray(8 * 65 * 384), [8, 65, 384]);
    const run = (on: boolean) =>
      withNative(on, () => {
        const source = { generator: new Generator("run/dropout") };
        const layer = new Dropout(0.1, source);
        layer.train();
        const before = nativeElementwiseCalls().masks;
        const y = layer.forward(x);
        const out = { y: y.dataSync() as Float32Array, masks: nativeElementwiseCalls().masks - before, next: source.generator.random() };
        y.dispose();
        return out;
      });
    const native = run(true);
    const js = run(false);
    expect(native.masks).toBe(1);
    expect(js.masks).toBe(0);
    expect(Buffer.compare(Buffer.from(bits(native.y).buffer), Buffer.from(bits(js.y).buffer))).toBe(0);
    expect(native.next).toBe(js.next);
    x.dispose();
  });

  it("refuses a state that is not alea's, naming it, and leaves the generator and the tensor count as they were", () => {
    const gen = new Generator(9);
    const bad = Generator.fromState({ seed: "9", alea: { c: 0.5, s0: 0.1, s1: 0.2, s2: 0.3 }, spareNormal: null });
    const before = tf.memory().numTensors;
    expect(() => nativeUniformMask([10], 0.9, 1 / 0.9, bad)).toThrow(/native alea: the state is not an alea state/);
    expect(tf.memory().numTensors).toBe(before);
    expect(bad.getState().alea).toEqual({ c: 0.5, s0: 0.1, s1: 0.2, s2: 0.3 });
    expect(gen.random()).toBe(new Generator(9).random());
  });
});

interface GeluFixture {
  x: Float32Array;
  dy: Float32Array;
  y32: Float32Array;
  dx32: Float32Array;
  y64: Float64Array;
  dx64: Float64Array;
}

async function fixture(): Promise<GeluFixture> {
  const { tensors } = await readSafetensors(join(PACKAGE_ROOT, "test", "fixtures", "gelu", "torch-gelu.safetensors"));
  const get = (name: string) => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`test/fixtures/gelu/torch-gelu.safetensors has no "${name}" (rerun bench/python/gelu_reference.py)`);
    return t.data;
  };
  return {
    x: get("x") as Float32Array,
    dy: get("dy") as Float32Array,
    y32: get("y32") as Float32Array,
    dx32: get("dx32") as Float32Array,
    y64: get("y64") as Float64Array,
    dx64: get("dx64") as Float64Array,
  };
}

function geluAndGrad(f: GeluFixture): { y: Float32Array; dx: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor1d(f.x);
    const dy = tf.tensor1d(f.dy);
    const y = gelu(x).dataSync() as Float32Array;
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), dy)))(x).dataSync() as Float32Array;
    return { y: Float32Array.from(y), dx: Float32Array.from(dx) };
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Number.isNaN(a[i]!) ? Infinity : Math.abs(a[i]! - b[i]!));
  return m;
}

const MODES = [
  { name: "wasm, native kernels", backend: "wasm", native: true },
  { name: "wasm, composite", backend: "wasm", native: false },
  { name: "cpu, composite", backend: "cpu", native: false },
] as const;

describe("GELU against PyTorch 2.13 (float32 and float64)", () => {
  let f: GeluFixture;
  beforeAll(async () => {
    f = await fixture();
  });

  for (const mode of MODES) {
    it.runIf(built || !mode.native)(`${mode.name}: forward and gradient close to torch's float32 (§6) and no less accurate against float64`, async () => {
      await useBackend(mode.backend);
      const counted = nativeElementwiseCalls();
      const { y, dx } =
        mode.backend === "wasm" && built ? withNative(mode.native, () => geluAndGrad(f)) : geluAndGrad(f);
      const calls = nativeElementwiseCalls();
      expect(calls.gelu - counted.gelu, "native GELU calls").toBe(mode.native ? 2 : 0);
      expect(calls.geluGrad - counted.geluGrad, "native GELU gradient calls").toBe(mode.native ? 1 : 0);
      const forward = closeReport(y, f.y32, RTOL.hidden);
      expect(forward.ok, `gelu(x): ${forward.message}`).toBe(true);
      const grad = closeOrF64(dx, f.dx32, f.dx64, maxAbsDiff(f.dx32, f.dx64), "grads");
      expect(grad.ok, `gelu'(x) dy: ${grad.message}`).toBe(true);
      expect(grad.clause, grad.message).toBe("rule");
      // §6's float64 clause as a floor for the forward pass too: no further from the truth than torch's float32.
      const atol = 1e-6 * f.y32.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const ours = maxAbsDiff(y, f.y64);
      const torch = maxAbsDiff(f.y32, f.y64);
      console.log(`${mode.name}: max|y - f64| ${ours.toExponential(2)} (torch float32 ${torch.toExponential(2)}), max|dx - f64| ${maxAbsDiff(dx, f.dx64).toExponential(2)} (torch ${maxAbsDiff(f.dx32, f.dx64).toExponential(2)})`);
      expect(ours).toBeLessThanOrEqual(2 * torch + atol);
      // The negative tail, where torch's float32 0.5 (1 + erf) cancels to 0 (gelu(-6) = -0) and even its
      // float64 loses digits (2% at x = -8): ours keeps 1e-5 relative against an erfc-based float64 GELU.
      for (const at of [-6, -8, -10]) {
        const i = Array.from(f.x).indexOf(at);
        expect(i, `x = ${at} in the fixture`).toBeGreaterThanOrEqual(0);
        expect(Math.abs(y[i]! - gelu64(at)) / Math.abs(gelu64(at)), `relative error of gelu(${at})`).toBeLessThanOrEqual(1e-5);
      }
    });
  }
});

describe.runIf(built)("native GELU against the composite (wasm)", () => {
  it("agree to float32 rounding: within 1e-6 relative plus 4 ulps of the terms that cancel", async () => {
    await useBackend("wasm");
    const f = await fixture();
    const native = withNative(true, () => geluAndGrad(f));
    const composite = withNative(false, () => geluAndGrad(f));
    const u = 2 ** -24;
    // y = x Phi(x): a few ulps of Phi scaled by |x|. dx = dy (Phi + x phi): the sum cancels near x = -0.75,
    // so the bound is on its terms (|Phi| <= 1, |x phi| <= |x| / sqrt(2 pi)), not on the result.
    let worstY = 0;
    let worstDx = 0;
    for (let i = 0; i < f.x.length; i++) {
      const x = Math.abs(f.x[i]!);
      const ey = Math.abs(native.y[i]! - composite.y[i]!) / (1e-6 * Math.abs(composite.y[i]!) + 4 * u * x + 1e-45);
      const edx = Math.abs(native.dx[i]! - composite.dx[i]!) / (1e-6 * Math.abs(composite.dx[i]!) + 4 * u * Math.abs(f.dy[i]!) * (1 + x) + 1e-45);
      worstY = Math.max(worstY, Number.isNaN(ey) ? Infinity : ey);
      worstDx = Math.max(worstDx, Number.isNaN(edx) ? Infinity : edx);
    }
    console.log(`native vs composite: worst forward ${worstY.toFixed(3)} of its bound, gradient ${worstDx.toFixed(3)}`);
    expect(worstY).toBeLessThanOrEqual(1);
    expect(worstDx).toBeLessThanOrEqual(1);
  });
});

describe.runIf(built)("training with the native kernels (wasm)", () => {
  it("three BERT-Tiny steps with dropout: the kernels (GELU, LayerNorm, softmax, masks) run, and tf.memory().numTensors stays flat", async () => {
    await useBackend("wasm");
    setNativeElementwise(true);
    const { model, params, optimizer } = workloadModel("tiny");
    const batch = syntheticBatch(0);
    const before = nativeElementwiseCalls();
    const counts: number[] = [];
    for (let step = 0; step < 3; step++) {
      const loss = backward(() => model.forward(batch).loss!, params);
      expect(Number.isFinite(loss)).toBe(true);
      optimizer.step();
      optimizer.zeroGrad();
      counts.push(tf.memory().numTensors);
    }
    const after = nativeElementwiseCalls();
    expect(after.gelu - before.gelu).toBeGreaterThan(0);
    expect(after.geluGrad - before.geluGrad).toBe(after.gelu - before.gelu);
    expect(after.masks - before.masks).toBeGreaterThan(0);
    // BERT-Tiny: 2 layers x 2 LayerNorms + the embeddings' = 5 a step, each differentiated once.
    expect(after.layerNorm - before.layerNorm).toBe(15);
    expect(after.layerNormGrad - before.layerNormGrad).toBe(15);
    // One attention softmax per layer.
    expect(after.softmax - before.softmax).toBe(6);
    expect(after.softmaxGrad - before.softmaxGrad).toBe(6);
    expect(counts[1], "tensors after step 2 vs step 1").toBe(counts[0]);
    expect(counts[2], "tensors after step 3 vs step 1").toBe(counts[0]);
  }, 120_000);
});

describe("KIT_ELEMENTWISE", () => {
  it("refuses an unknown value, naming the variable, the value and the choices", () => {
    expect(() => nativeElementwiseWanted({ KIT_ELEMENTWISE: "fast" })).toThrow(/KIT_ELEMENTWISE=fast: expected "native" .* or "js"/);
  });

  it("js turns the native GELU and masks off; unset, they follow KIT_GEMM", () => {
    expect(nativeElementwiseWanted({ KIT_ELEMENTWISE: "js" })).toEqual({ native: null, why: "KIT_ELEMENTWISE=js" });
    expect(nativeElementwiseWanted({ KIT_GEMM: "wasm" })).toEqual({ native: null, why: "KIT_GEMM=wasm" });
    expect(nativeElementwiseWanted({}).native !== null).toBe(built);
  });

  it.runIf(built)("native turns them on even with the wasm GEMM", () => {
    expect(nativeElementwiseWanted({ KIT_GEMM: "wasm", KIT_ELEMENTWISE: "native" }).native).not.toBeNull();
  });

  it.runIf(!built)("native without the addon says why and how to get it", () => {
    expect(() => nativeElementwiseWanted({ KIT_ELEMENTWISE: "native" })).toThrow(/KIT_ELEMENTWISE=native: .*not available .*apt-get install/);
  });
});
