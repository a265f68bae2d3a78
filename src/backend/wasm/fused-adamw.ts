// The fused AdamW kernel's binding (assembly/adamw.ts, WebAssembly SIMD in the wasm backend's own heap): one
// pass over the parameter, its gradient and both moments, written IN PLACE. src/optim/fused-adamw.ts decides
// the scalars and why the results are bitwise the op sequence's; this file only decides whether the four
// arrays can be handed to the kernel and does the in-place bookkeeping.
import type * as tf from "@tensorflow/tfjs-core";
import { activeWasmBackend, heapMemory, heapOffset, renewHeapId } from "./internals";
import { ownsHeapBuffer } from "./heap";
import { heapKernel } from "./simd/kernels";

/** The kernel's two exports: adamw.ts's update and adamw-legacy.ts's. */
export type FusedAdamWVariant = "torch" | "legacy";

type Heap = number;
/** Both exports: the four arrays' byte offsets, their length, then the variant's float32 scalars. */
type KernelExport = (p: Heap, g: Heap, m: Heap, v: Heap, n: number, ...scalars: number[]) => void;

const EXPORTS: Record<FusedAdamWVariant, string> = { torch: "adamwTorch", legacy: "adamwLegacy" };

/**
 * One AdamW update of `param`, `expAvg` and `expAvgSq` in place from `grad`, on the fused kernel; `scalars` are
 * the variant's scalars in the kernel's order, already rounded to float32. False (nothing done) when it cannot
 * run: not on wasm, another dtype or size, or a written buffer shared with another tensor (reference count
 * above 1: someone would see it change). Then the caller runs the op sequence.
 */
export function fusedAdamWStep(
  variant: FusedAdamWVariant,
  param: tf.Variable,
  grad: tf.Tensor,
  expAvg: tf.Tensor,
  expAvgSq: tf.Tensor,
  scalars: readonly number[],
): boolean {
  const backend = activeWasmBackend();
  if (backend === null) return false;
  const all = [param, grad, expAvg, expAvgSq];
  if (param.size === 0 || all.some((t) => t.dtype !== "float32" || t.size !== param.size)) return false;
  // Written in place: the variable must be the buffer's only holder. The gradient is only read; a count of
  // 0 means it is not in this backend (disposed, or on another backend): the op sequence says so properly.
  if ([param, expAvg, expAvgSq].some((t) => !ownsHeapBuffer(t)) || backend.refCount(grad.dataId) < 1) return false;
  if (new Set(all.map((t) => t.dataId)).size !== all.length) return false;
  const exports = heapKernel("adamw", heapMemory(backend));
  (exports[EXPORTS[variant]] as KernelExport)(
    heapOffset(backend, param.dataId),
    heapOffset(backend, grad.dataId),
    heapOffset(backend, expAvg.dataId),
    heapOffset(backend, expAvgSq.dataId),
    param.size,
    ...scalars,
  );
  // New backend ids, so nothing the package cached from the old values is reused (see renewHeapId).
  for (const t of [param, expAvg, expAvgSq]) renewHeapId(backend, t.dataId);
  return true;
}
