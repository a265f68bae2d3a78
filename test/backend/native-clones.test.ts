// The native kernels' AVX2 copies (GCC target_clones, chosen at load time on a CPU with AVX2) against a second
// build of the baseline copies alone (KIT_NATIVE_BASELINE_ONLY=1): bit for bit the same on every kernel and on the
// two-process exchange's pair sum, so a run gives the same numbers on CPUs with and without AVX2 (the build
// forbids fused multiply-adds, and every loop adds in a fixed order; native/vector-clones.h). The dropout masks'
// alea draws run in scalar uint64 code.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NativeElementwise } from "../../src/backend/wasm/native-elementwise";
import { Generator } from "../../src/utils/random";
import { nativeKernels } from "../helpers/native-kernels";

type Kernels = NativeElementwise & { vectorLoops(): string };
const ROOT = resolve(import.meta.dirname, "../..");
const built = nativeKernels !== null;
const cpuHasAvx2 = process.platform === "linux" && process.arch === "x64" && /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8"));

const ROWS = 67;
const COLS = 389; // 48 lanes of 8 and a tail of 5
const N = ROWS * COLS;

/** Inputs at fixed offsets of one heap: x (N(0, 3) and GELU's hard values), dy, w, b; the outputs after them. */
function heapWithInputs(): Float32Array {
  const heap = new Float32Array(12 * N + 4 * COLS);
  const gen = new Generator("test/native-clones");
  heap.set(gen.normalArray(N, 0, 3), 0);
  heap.set([0, -0, 1e-3, -1e-3, 3, -3, 6, -6, 10, -10, 1e4, -1e4, -87, -88, 1e-38, -1e-38], 0);
  heap.set(gen.normalArray(N), N);
  heap.set(gen.normalArray(COLS, 1, 0.1), 2 * N);
  heap.set(gen.normalArray(COLS, 0, 0.1), 2 * N + COLS);
  return heap;
}

/** Every kernel's outputs from one addon, as raw bits. */
function outputs(k: Kernels): Uint32Array {
  const heap = heapWithInputs();
  const B = 4; // bytes per float
  const [x, dy, w, b] = [0, N, 2 * N, 2 * N + COLS].map((f) => f * B) as [number, number, number, number];
  const out = (i: number): number => (2 * N + 2 * COLS + i * N) * B; // room for N floats each
  k.gelu(heap, x, out(0), N);
  k.geluGrad(heap, dy, x, out(1), N);
  k.layerNorm(heap, x, w, b, out(2), out(3), out(4), ROWS, COLS, 1e-12);
  k.layerNormGrad(heap, dy, out(3), out(4), w, out(5), out(6), out(6) + COLS * B, ROWS, COLS);
  k.softmax(heap, x, out(7), ROWS, COLS);
  k.softmaxGrad(heap, dy, out(7), out(8), ROWS, COLS);
  k.sumRows(heap, dy, out(9), ROWS, COLS);
  return new Uint32Array(heap.buffer.slice(out(0), out(10)));
}

describe.runIf(built)("the native kernels' AVX2 copies and their baseline copies", () => {
  const dir = mkdtempSync(join(tmpdir(), "kit-native-baseline-"));
  let baseline: Kernels;
  beforeAll(() => {
    const file = join(dir, "baseline.node");
    const said = execFileSync(process.execPath, [join(ROOT, "scripts", "build-native.mjs")], {
      env: { ...process.env, KIT_NATIVE_OUT: file, KIT_NATIVE_BASELINE_ONLY: "1" },
      encoding: "utf8",
    });
    expect(said).toContain("built the native GEMM");
    baseline = createRequire(import.meta.url)(file) as Kernels;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the usual build runs the AVX2 copies on this CPU when it has AVX2; the second build, the baseline", () => {
    const usual = nativeKernels as Kernels;
    expect(baseline.vectorLoops()).toBe("baseline");
    if (process.platform === "linux" && process.arch === "x64") expect(usual.vectorLoops()).toBe(cpuHasAvx2 ? "avx2" : "baseline");
  });

  it("GELU, LayerNorm, softmax, their gradients and the bias sums: the same bits", () => {
    const usual = outputs(nativeKernels as Kernels);
    const base = outputs(baseline);
    let differ = 0;
    for (let i = 0; i < usual.length; i++) if (usual[i] !== base[i]) differ++;
    expect(differ, `${differ} of ${usual.length} values differ`).toBe(0);
    // The comparison is not empty: the outputs are numbers, not the zeros the heap started with.
    expect(new Float32Array(usual.buffer).filter((v) => v !== 0).length).toBeGreaterThan(usual.length / 2);
  });

  it("the two-process exchange's pair sum (native/shared-memory.c): the same bits, sum and mean", () => {
    const gen = new Generator("test/native-clones-pair");
    const a = gen.normalArray(N, 0, 3);
    const b = gen.normalArray(N, 0, 1e-3);
    type PairSum = { sumPair(a: Float32Array, b: Float32Array, scale: number, out: Float32Array, copy: Float32Array | null): void };
    for (const scale of [1, 0.5]) {
      const [usual, base] = [nativeKernels as unknown as PairSum, baseline as unknown as PairSum].map((k) => {
        const out = new Float32Array(N);
        k.sumPair(a, b, scale, out, null);
        return new Uint32Array(out.buffer);
      });
      expect(usual).toEqual(base);
      expect(new Float32Array(usual!.buffer).some((v, i) => v !== a[i])).toBe(true);
    }
  });
});
