// The wasm backend's BatchMatMul (where tf.matMul lands) and _FusedMatMul (tf.fused.matMul) on the native
// GEMM (native-gemm.ts), reading and writing the tensors in the wasm heap: any transpose flags, batched
// products with one side broadcast, bias and the activations the package fuses. What it does not cover
// (other dtypes, general batch broadcasting, empty matrices, prelu, a bias that is not [n]) goes to the
// kernel it replaced, which also raises the package's errors.
import * as tf from "@tensorflow/tfjs-core";
import { heapFloats, heapOffset, heapOutput, type WasmBackendLike } from "./internals";
import { markKitBatchMatMul } from "./kernels";
import { setFastTransposedMatMul } from "../matmul-capability";
import type { NativeGemm } from "./native-gemm";

type KernelFunc = tf.KernelConfig["kernelFunc"];

// tfjs-backend-wasm 4.22's FusableActivation numbers (kernels/types.ts); prelu (3) stays with the package.
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 4, sigmoid: 5, elu: 6 };

interface Product {
  outShape: number[];
  m: number;
  n: number;
  k: number;
  batch: number;
  strideA: number;
  strideB: number;
}

/** The product's geometry, or null when the native kernel leaves it to the package. */
function plan(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): Product | null {
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return null;
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const [kb, n] = transposeB ? [cb, rb] : [rb, cb];
  if (k !== kb || m === 0 || n === 0 || k === 0) return null;
  const leadA = a.shape.slice(0, -2);
  const leadB = b.shape.slice(0, -2);
  let lead: number[];
  try {
    lead = tf.broadcast_util.assertAndGetBroadcastShape(leadA, leadB);
  } catch {
    return null;
  }
  const batch = lead.reduce((p, d) => p * d, 1);
  const batchA = leadA.reduce((p, d) => p * d, 1);
  const batchB = leadB.reduce((p, d) => p * d, 1);
  // One matrix per output matrix, or one for all of them (stride 0); other broadcasts go to the package.
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1) || batch === 0) return null;
  return { outShape: [...lead, m, n], m, n, k, batch, strideA: batchA === 1 ? 0 : m * k, strideB: batchB === 1 ? 0 : k * n };
}

let nativeCalls = 0;

/** How many products the native GEMM has computed in this process. */
export function nativeGemmCalls(): number {
  return nativeCalls;
}

function run(
  gemm: NativeGemm,
  backend: WasmBackendLike,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  p: Product,
): tf.TensorInfo {
  const out = heapOutput(backend, p.outShape);
  // After heapOutput: it may grow the heap.
  const heap = heapFloats(backend);
  const lda = a.shape[a.shape.length - 1]!;
  const ldb = b.shape[b.shape.length - 1]!;
  gemm.sgemmStridedBatch(
    heap,
    transposeA,
    transposeB,
    p.m,
    p.n,
    p.k,
    1,
    heapOffset(backend, a.dataId),
    lda,
    p.strideA,
    heapOffset(backend, b.dataId),
    ldb,
    p.strideB,
    0,
    heapOffset(backend, out.dataId),
    p.n,
    p.m * p.n,
    p.batch,
  );
  nativeCalls++;
  return out;
}

function batchMatMulKernel(gemm: NativeGemm, below: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = plan(a, b, transposeA, transposeB);
    if (p === null) return below(args);
    return run(gemm, args.backend as unknown as WasmBackendLike, a, b, transposeA, transposeB, p);
  };
}

function fusedMatMulKernel(gemm: NativeGemm, below: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation: string;
      leakyreluAlpha?: number;
    };
    const code = ACTIVATIONS[activation];
    const p = plan(a!, b!, transposeA, transposeB);
    if (p === null || code === undefined || preluActivationWeights != null || (bias != null && (bias.shape.length !== 1 || bias.shape[0] !== p.n))) {
      return below(args);
    }
    if (bias != null && bias.dtype !== "float32") return below(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = run(gemm, backend, a!, b!, transposeA, transposeB, p);
    if (bias != null || code !== 0) {
      const biasByte = bias != null ? heapOffset(backend, bias.dataId) : -1;
      gemm.biasActivation(heapFloats(backend), heapOffset(backend, out.dataId), p.batch * p.m, p.n, biasByte, code, leakyreluAlpha ?? 0);
    }
    return out;
  };
}

interface Swap {
  below: tf.KernelConfig;
  native: tf.KernelConfig;
}

const swaps = new Map<string, Swap>();
const nativeFuncs = new WeakSet<KernelFunc>();
let nativeOn = false;
let installedGemm: NativeGemm | null = null;

function register(config: tf.KernelConfig): void {
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/**
 * Put the native kernels over the wasm backend's current BatchMatMul and _FusedMatMul (call after
 * installWasmKernels(): the replaced ones become the fallback), with `threads` BLAS threads. Idempotent.
 */
export function installNativeGemm(gemm: NativeGemm, threads: number): void {
  gemm.setNumThreads(threads);
  installedGemm = gemm;
  for (const [name, make] of [
    ["BatchMatMul", batchMatMulKernel],
    ["_FusedMatMul", fusedMatMulKernel],
  ] as const) {
    const current = tf.getKernel(name, "wasm");
    if (current === undefined) continue;
    if (nativeFuncs.has(current.kernelFunc)) continue;
    const kernelFunc = make(gemm, current.kernelFunc);
    nativeFuncs.add(kernelFunc);
    if (name === "BatchMatMul") markKitBatchMatMul(kernelFunc);
    // The package's setupFunc binds its C function, which the fallback still calls.
    const native = { ...current, kernelFunc };
    swaps.set(name, { below: current, native });
    register(native);
  }
  nativeOn = true;
  setFastTransposedMatMul(() => nativeOn && tf.getBackend() === "wasm");
}

/**
 * Switch between the native kernels (true) and the ones they replaced (false) in this process, e.g. to time
 * both in one run; returns the previous setting. Needs installNativeGemm() first for true.
 */
export function setNativeGemm(on: boolean): boolean {
  const previous = nativeOn;
  if (on && swaps.size === 0) throw new Error("setNativeGemm(true): the native GEMM is not installed (installNativeGemm)");
  for (const swap of swaps.values()) register(on ? swap.native : swap.below);
  nativeOn = on;
  return previous;
}

/** Whether the wasm backend's products run on the native GEMM now. */
export function nativeGemmActive(): boolean {
  return nativeOn;
}

/** The installed addon (null when the wasm GEMM runs). */
export function installedNativeGemm(): NativeGemm | null {
  return nativeOn ? installedGemm : null;
}
