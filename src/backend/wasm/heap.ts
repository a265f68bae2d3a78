// Backend-neutral reads and in-place writes of float32 tensors: straight in the wasm backend's heap when it is
// active (no copy, no allocation), through dataSync / a new tensor elsewhere (the callers' fallback).
import * as tf from "@tensorflow/tfjs-core";
import { activeWasmBackend, heapFloats, heapIdsRenewable, heapMemory, heapOffset, inHeap, renewHeapId } from "./internals";

/**
 * Copy a float32 tensor's values into target at offset. On wasm straight from the heap: dataSync would
 * allocate a fresh copy each time (for BERT-Base's 1.3 GB a step, most of the host-moments path's cost; for
 * data-parallel training, 13 MB of garbage a step per BERT-Mini rank). Elsewhere through dataSync.
 */
export function readFloatsInto(target: Float32Array, offset: number, t: tf.Tensor): void {
  target.set(heapView(t) ?? (t.dataSync() as Float32Array), offset);
}

/**
 * A float32 tensor's values as a view into the wasm heap, or null off wasm (or for another dtype). Use it at
 * once: the next TF.js operation may grow the heap, which replaces the buffer under the view.
 */
export function heapView(t: tf.Tensor): Float32Array | null {
  const backend = activeWasmBackend();
  if (backend === null || t.dtype !== "float32" || !inHeap(backend, t.dataId)) return null;
  const start = heapOffset(backend, t.dataId) / 4;
  return heapFloats(backend).subarray(start, start + t.size);
}

/**
 * Let `write` change a float32 tensor's values in place, then give it a new backend id (see renewHeapId). Only
 * on wasm and when the tensor alone holds its buffer; else returns false without calling `write`, and the
 * caller makes a new tensor instead. Saves a tensor allocation and a copy into the heap per write.
 */
export function overwriteInPlace(t: tf.Tensor, write: (values: Float32Array) => void): boolean {
  const writer = inPlaceWriter(t);
  if (writer === null) return false;
  write(writer.values);
  writer.commit();
  return true;
}

/** A tensor's heap values, to be written in place before `commit()`. */
export interface InPlaceWriter {
  readonly values: Float32Array;
  /** Say the values were written (renews the tensor's id); throws if the heap was replaced meanwhile. */
  commit(): void;
}

/**
 * overwriteInPlace for writes that happen later, while no TF.js operation runs (a gradient exchange writes
 * averages as the bytes arrive): the view now, `commit()` once written. Null where overwriteInPlace would
 * refuse.
 */
export function inPlaceWriter(t: tf.Tensor): InPlaceWriter | null {
  if (!ownsHeapBuffer(t)) return null;
  const values = heapView(t)!;
  return {
    values,
    commit: () => {
      // A grown plain (unshared) memory detaches the buffer under the view: the writes went nowhere.
      if (values.length !== t.size) {
        throw new Error(
          "a tensor was written in place while a TF.js operation grew the wasm heap, which lost the writes; run no " +
            "TF.js operation until the in-place write is committed (e.g. while Accelerator.syncGradients is pending).",
        );
      }
      renewHeapId(activeWasmBackend()!, t.dataId);
    },
  };
}

/**
 * Whether a float32 tensor's wasm heap buffer may be written in place: it alone holds the buffer (reference
 * count 1: no other tensor sees it change) and its id can be renewed afterwards (see renewHeapId).
 */
export function ownsHeapBuffer(t: tf.Tensor): boolean {
  const backend = activeWasmBackend();
  if (backend === null || t.dtype !== "float32") return false;
  return inHeap(backend, t.dataId) && backend.refCount(t.dataId) === 1 && heapIdsRenewable(backend);
}

/**
 * A function copying a float32 tensor into the variable's own buffer at an offset (in values), when that
 * buffer belongs to the variable alone (see ownsHeapBuffer: no tensor shares it, so no one sees it change; the
 * backend's caches keyed on the old contents are dropped by a new id); otherwise null.
 */
export function variableWriter(v: tf.Variable): ((offset: number, values: tf.Tensor) => void) | null {
  if (!ownsHeapBuffer(v)) return null;
  const backend = activeWasmBackend()!;
  const dst = heapOffset(backend, v.dataId) / 4;
  return (offset, values) => {
    const src = heapOffset(backend, values.dataId) / 4;
    heapFloats(backend).copyWithin(dst + offset, src, src + values.size);
    // Else the package's 2-D matMul keeps using the weights it packed before the write (see renewHeapId).
    renewHeapId(backend, v.dataId);
  };
}

/** The wasm heap's size in bytes (it only grows: this is its peak; the cap is 4 GiB), or undefined off wasm. */
export function wasmHeapBytes(): number | undefined {
  const backend = activeWasmBackend();
  return backend === null ? undefined : heapMemory(backend).buffer.byteLength;
}
