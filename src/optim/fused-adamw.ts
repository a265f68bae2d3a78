// AdamW's update as ONE pass over memory on the wasm backend. The TF.js op sequence of adamw.ts /
// adamw-legacy.ts runs ~12 element-wise kernels per parameter, each a full pass over parameter-sized arrays
// and most allocating a parameter-sized temporary: ~45 ms of a ~100 ms BERT-Tiny step. The kernel
// (assembly/adamw.ts, WebAssembly SIMD in the backend's own heap) does the same float32 operations in the
// same order on each element (no fused multiply-add), with the same float32-rounded scalars, so its
// results are bitwise those of the op sequence (test/optim/fused-adamw-*.test.ts); it just never
// materialises the intermediates. It writes the parameter and the moments IN PLACE, which is done only when
// nothing else can see it: wasm keeps tensor data only in its heap (no JS-side copy to go stale), the three
// buffers written belong to their variables alone (reference count 1), and they get new backend ids, which
// drops what the package cached from their old values (XNNPACK's packed matMul weights, see renewHeapId).
// Otherwise the caller runs the op sequence.
import * as tf from "@tensorflow/tfjs-core";
import { heapKernel, heapMemory, heapOffset, ownsHeapBuffer, renewHeapId, type WasmBackendLike } from "../nn/wasm-simd/heap-kernel";
import type { AdamParamState } from "./optimizer";

/** adamw.ts's scalars, as float64 values (each rounded to float32 here, as tf.scalar(x, "float32") does). */
export interface TorchAdamWScalars {
  /** 1 - lr*wd */
  decay: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  biasCorrection2Sqrt: number;
  eps: number;
  /** -lr/bc1 */
  negStepSize: number;
}

/** adamw-legacy.ts's scalars, as float64 values. */
export interface LegacyAdamWScalars {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  eps: number;
  negStepSize: number;
  /** Whether the decay line runs (wd > 0). */
  decays: boolean;
  /** -lr*wd */
  negLrWd: number;
}

type Heap = number;
/** Both exports: the four arrays' byte offsets, their length, then the variant's float32 scalars. */
type KernelExport = (p: Heap, g: Heap, m: Heap, v: Heap, n: number, ...scalars: number[]) => void;

let enabled = true;
let calls = 0;

/** How many parameter updates the fused kernel has done in this process. */
export function fusedAdamWCalls(): number {
  return calls;
}

/**
 * Turn the fused path off (or back on) for the whole process; returns the previous setting. For tests and
 * benchmarks comparing it with the op sequence it replaces; training never needs it off.
 */
export function setFusedAdamW(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

interface HeapOperands {
  backend: WasmBackendLike;
  exports: WebAssembly.Exports;
  p: Heap;
  g: Heap;
  m: Heap;
  v: Heap;
  n: number;
}

/** The four arrays' heap offsets when the fused kernel may update them in place, else null. */
function heapOperands(param: tf.Variable, grad: tf.Tensor, state: AdamParamState): HeapOperands | null {
  if (!enabled || tf.getBackend() !== "wasm") return null;
  const { expAvg, expAvgSq } = state;
  const all = [param, grad, expAvg, expAvgSq];
  if (param.size === 0 || all.some((t) => t.dtype !== "float32" || t.size !== param.size)) return null;
  const backend = tf.backend() as unknown as WasmBackendLike;
  // Written in place: the variable must be the buffer's only holder. The gradient is only read; a count of
  // 0 means it is not in this backend (disposed, or on another backend): the op sequence says so properly.
  if ([param, expAvg, expAvgSq].some((t) => !ownsHeapBuffer(t)) || backend.refCount(grad.dataId) < 1) return null;
  if (new Set(all.map((t) => t.dataId)).size !== all.length) return null;
  return {
    backend,
    exports: heapKernel("adamw", heapMemory(backend)),
    p: heapOffset(backend, param.dataId),
    g: heapOffset(backend, grad.dataId),
    m: heapOffset(backend, expAvg.dataId),
    v: heapOffset(backend, expAvgSq.dataId),
    n: param.size,
  };
}

/** After an in-place update: new backend ids, so nothing the package cached from the old values is reused. */
function written(at: HeapOperands, param: tf.Variable, state: AdamParamState): void {
  for (const t of [param, state.expAvg, state.expAvgSq]) renewHeapId(at.backend, t.dataId);
  calls++;
}

const f32 = Math.fround;

/** adamw.ts's update in one pass, in place; false (nothing done) when it cannot run, see heapOperands. */
export function fusedTorchAdamW(param: tf.Variable, grad: tf.Tensor, state: AdamParamState, s: TorchAdamWScalars): boolean {
  const at = heapOperands(param, grad, state);
  if (at === null) return false;
  (at.exports.adamwTorch as KernelExport)(
    at.p, at.g, at.m, at.v, at.n,
    f32(s.decay), f32(s.beta1), f32(s.oneMinusBeta1), f32(s.beta2), f32(s.oneMinusBeta2),
    f32(s.biasCorrection2Sqrt), f32(s.eps), f32(s.negStepSize),
  );
  written(at, param, state);
  return true;
}

/** adamw-legacy.ts's update in one pass, in place; false (nothing done) when it cannot run. */
export function fusedLegacyAdamW(param: tf.Variable, grad: tf.Tensor, state: AdamParamState, s: LegacyAdamWScalars): boolean {
  const at = heapOperands(param, grad, state);
  if (at === null) return false;
  (at.exports.adamwLegacy as KernelExport)(
    at.p, at.g, at.m, at.v, at.n,
    f32(s.beta1), f32(s.oneMinusBeta1), f32(s.beta2), f32(s.oneMinusBeta2),
    f32(s.eps), f32(s.negStepSize), s.decays ? 1 : 0, f32(s.negLrWd),
  );
  written(at, param, state);
  return true;
}
