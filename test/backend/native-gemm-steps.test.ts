// Training on both GEMMs of the wasm backend (KIT_GEMM=native|wasm), each run in a child process since the
// GEMM is chosen when the backend starts: both train, agree to float32 rounding, the native one is bitwise
// reproducible for the same seed and thread count, and no step leaks a tensor.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadNativeGemm } from "../../src/backend/wasm/native-gemm";
import type { NativeElementwiseCalls } from "../../src/backend/wasm/native-elementwise";
import { PACKAGE_ROOT } from "../helpers/shared";

interface Steps {
  gemm: string;
  threads: number;
  nativeCalls: number;
  elementwise: NativeElementwiseCalls;
  wasmLayerNorm: { layerNorm: number; layerNormGrad: number };
  losses: number[];
  tensors: number[];
  digest: string;
}

function run(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ["--import", "tsx", join("test", "backend", "fixtures", "gemm-steps.ts")], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, KIT_BACKEND: "wasm", ...env },
    encoding: "utf8",
    timeout: 90_000,
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

function steps(env: Record<string, string>): Steps {
  const child = run(env);
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as Steps;
}

const native = loadNativeGemm();

describe.runIf("gemm" in native)("KIT_GEMM on the wasm backend, native GEMM built", () => {
  it("both GEMMs train a few steps to the same losses (float32 rounding apart), without leaking tensors", () => {
    const wasm = steps({ KIT_GEMM: "wasm", KIT_WASM_THREADS: "1" });
    const blas = steps({ KIT_GEMM: "native", KIT_WASM_THREADS: "1" });
    expect(wasm.gemm).toBe("the wasm backend's own");
    expect(wasm.nativeCalls).toBe(0);
    // KIT_GEMM=wasm turns every native kernel off, GELU, LayerNorm, softmax, bias sums and dropout masks included.
    expect(wasm.elementwise).toEqual({ gelu: 0, geluGrad: 0, layerNorm: 0, layerNormGrad: 0, softmax: 0, softmaxGrad: 0, sumRows: 0, masks: 0 });
    // LayerNorm then runs on the kit's WebAssembly kernel (assembly/layer-norm.ts), not TF.js's composite.
    expect(wasm.wasmLayerNorm.layerNorm).toBeGreaterThan(0);
    expect(wasm.wasmLayerNorm.layerNormGrad).toBe(wasm.wasmLayerNorm.layerNorm);
    expect(blas.wasmLayerNorm).toEqual({ layerNorm: 0, layerNormGrad: 0 });
    expect(blas.gemm).toMatch(/^(OpenBLAS|Accelerate)/);
    expect(blas.gemm).toMatch(/1 thread\)$|^Accelerate/);
    expect(blas.nativeCalls).toBeGreaterThan(0);
    expect(blas.elementwise.gelu).toBeGreaterThan(0);
    expect(blas.elementwise.geluGrad).toBe(blas.elementwise.gelu);
    expect(blas.elementwise.layerNorm).toBeGreaterThan(0);
    expect(blas.elementwise.layerNormGrad).toBe(blas.elementwise.layerNorm);
    expect(blas.elementwise.softmax).toBeGreaterThan(0);
    expect(blas.elementwise.softmaxGrad).toBe(blas.elementwise.softmax);
    expect(blas.elementwise.masks).toBeGreaterThan(0);
    expect(blas.elementwise.sumRows).toBeGreaterThan(0);
    for (const r of [wasm, blas]) {
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect(r.tensors[2], "tf.memory().numTensors after step 3 vs step 1").toBe(r.tensors[0]);
    }
    // Seeded dropout (bitwise the same masks) and init are the same: only the GEMM's, GELU's, LayerNorm's and softmax's rounding differ
    // (about 1e-7 relative per product or value).
    for (let i = 0; i < 3; i++) expect(Math.abs(blas.losses[i]! - wasm.losses[i]!), `loss ${i}`).toBeLessThan(1e-4);
  }, 240_000);

  it("KIT_ELEMENTWISE=js with the native GEMM: TF.js's GELU and softmax, the kit's WebAssembly LayerNorm and JS masks, no leak", () => {
    const js = steps({ KIT_GEMM: "native", KIT_ELEMENTWISE: "js", KIT_WASM_THREADS: "1" });
    const blas = steps({ KIT_GEMM: "native", KIT_WASM_THREADS: "1" });
    expect(js.nativeCalls).toBeGreaterThan(0);
    expect(js.elementwise).toEqual({ gelu: 0, geluGrad: 0, layerNorm: 0, layerNormGrad: 0, softmax: 0, softmaxGrad: 0, sumRows: 0, masks: 0 });
    expect(js.wasmLayerNorm.layerNorm).toBeGreaterThan(0);
    expect(js.tensors[2], "tf.memory().numTensors after step 3 vs step 1").toBe(js.tensors[0]);
    // The same masks drawn in JS; only the element-wise kernels' rounding differs.
    for (let i = 0; i < 3; i++) expect(Math.abs(js.losses[i]! - blas.losses[i]!), `loss ${i}`).toBeLessThan(1e-4);
  }, 240_000);

  it("the native GEMM gives bitwise the same run for the same seed and thread count", () => {
    const first = steps({ KIT_GEMM: "native", KIT_WASM_THREADS: "2" });
    const second = steps({ KIT_GEMM: "native", KIT_WASM_THREADS: "2" });
    expect(first.gemm).toMatch(/2 threads\)$|^Accelerate/);
    expect(second.digest).toBe(first.digest);
  }, 240_000);
});

describe.runIf(!("gemm" in native))("KIT_GEMM on the wasm backend, native GEMM absent", () => {
  it("KIT_GEMM=native says why and how to get it; unset, the wasm GEMM runs", () => {
    const forced = run({ KIT_GEMM: "native" });
    expect(forced.status).not.toBe(0);
    expect(forced.stderr).toMatch(/KIT_GEMM=native: the native GEMM is not available .*apt-get install libopenblas-dev/);
    const unset = steps({});
    expect(unset.gemm).toBe("the wasm backend's own");
    expect(unset.wasmLayerNorm.layerNorm).toBeGreaterThan(0);
  }, 240_000);
});

describe("KIT_GEMM", () => {
  it("refuses an unknown value, naming the variable, the value and the choices", () => {
    const child = run({ KIT_GEMM: "blas" });
    expect(child.status).not.toBe(0);
    expect(child.stderr).toMatch(/KIT_GEMM=blas: expected "native" .* or "wasm"/);
  }, 120_000);
});
