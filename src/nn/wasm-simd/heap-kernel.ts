// Loads the kit's WebAssembly SIMD kernels (assembly/*.ts, compiled by build.ts) INTO the wasm backend's own
// heap: each instance imports the emscripten module's WebAssembly.Memory and is handed byte offsets of
// tensors, so nothing is copied. Shared by every kernel (src/nn/batch-matmul.ts, src/optim/fused-adamw.ts).
import * as tf from "@tensorflow/tfjs-core";
import fs from "node:fs";

interface WasmModuleLike {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
  /** The C++ side's tensor registry (ids -> memory), which the package's kernels look tensors up in. */
  tfjs?: { registerTensor?(id: number, size: number, memoryOffset: number): void; disposeData?(id: number): void };
}

/** What the kernels use of tfjs-backend-wasm 4.22's BackendWasm (not exported as a type by the package). */
export interface WasmBackendLike {
  wasm: WasmModuleLike;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; shape: number[] } | undefined };
  dataIdNextNumber?: number;
  makeOutput(shape: number[], dtype: "float32"): { dataId: object; shape: number[]; dtype: "float32" };
  refCount(dataId: object): number;
}

/** The kernels with a binary pair in this folder (`<name>.wasm`, `<name>.shared.wasm`). */
export type HeapKernelName = "batch-matmul" | "adamw";

const compiled = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, Map<HeapKernelName, WebAssembly.Exports>>();

/**
 * The emscripten module's memory: the threaded build keeps it as `wasmMemory` (it creates and imports it),
 * the single-threaded build exports it (`asm.memory`).
 */
export function heapMemory(backend: WasmBackendLike): WebAssembly.Memory {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error(
      "src/nn/wasm-simd/heap-kernel.ts: the wasm backend's module exposes no WebAssembly.Memory (looked for wasmMemory " +
        "and asm.memory, where @tensorflow/tfjs-backend-wasm 4.22 keeps it). With another version of the package, find " +
        "where its emscripten module keeps the memory and update heapMemory(), or install 4.22.",
    );
  }
  return memory;
}

/**
 * The exports of kernel `name` instantiated on `memory` (once per memory). An imported memory's `shared` flag
 * must match the memory it is given, hence the binary for plain memory (single-threaded build) or shared
 * memory (threaded build).
 */
export function heapKernel(name: HeapKernelName, memory: WebAssembly.Memory): WebAssembly.Exports {
  let byName = instances.get(memory);
  if (byName === undefined) {
    byName = new Map();
    instances.set(memory, byName);
  }
  let exports = byName.get(name);
  if (exports === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const file = shared ? `${name}.shared.wasm` : `${name}.wasm`;
    let module = compiled.get(file);
    if (module === undefined) {
      module = new WebAssembly.Module(fs.readFileSync(new URL(`./${file}`, import.meta.url)));
      compiled.set(file, module);
    }
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    byName.set(name, exports);
  }
  return exports;
}

/** Byte offset of a tensor's data in the heap. */
export function heapOffset(backend: WasmBackendLike, dataId: object): number {
  return backend.dataIdMap.get(dataId)!.memoryOffset;
}

/**
 * The whole heap as floats, made from the memory at each call: the heap grows (and in the threaded build may
 * grow from another thread), which replaces its buffer, so a view must never be kept across operations.
 */
export function heapFloats(backend: WasmBackendLike): Float32Array {
  return new Float32Array(heapMemory(backend).buffer);
}

/** Whether renewHeapId() can work with this version of the package. */
export function heapIdsRenewable(backend: WasmBackendLike): boolean {
  const tfjs = backend.wasm.tfjs;
  return typeof tfjs?.registerTensor === "function" && typeof tfjs.disposeData === "function" && typeof backend.dataIdNextNumber === "number";
}

/**
 * Say that a tensor's bytes were rewritten in place. The package caches what it derives from a tensor's
 * contents under the tensor's numeric id until that id is disposed: its 2-D matMul packs B into an XNNPACK
 * operator once per id (batch_mat_mul_impl.cc), so a weight rewritten in place would keep multiplying with its
 * old values (the next backward's dx = dy @ W). The tensor gets a new id at the same memory, as `move` gives
 * a new tensor one, and disposing the old id drops those caches (the memory is not freed: the JS side frees it).
 */
export function renewHeapId(backend: WasmBackendLike, dataId: object): void {
  const entry = backend.dataIdMap.get(dataId);
  if (entry === undefined || !heapIdsRenewable(backend)) {
    throw new Error(
      "src/nn/wasm-simd/heap-kernel.ts: cannot renew the id of a tensor written in place (" +
        (entry === undefined ? "the tensor is not on the wasm backend" : "wasm.tfjs.registerTensor/disposeData or dataIdNextNumber missing") +
        "); @tensorflow/tfjs-backend-wasm 4.22 has them: install it, or stop writing tensors in place.",
    );
  }
  const tfjs = backend.wasm.tfjs!;
  tfjs.disposeData!(entry.id);
  entry.id = backend.dataIdNextNumber!++;
  tfjs.registerTensor!(entry.id, entry.shape.reduce((a, b) => a * b, 1), entry.memoryOffset);
}

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
  if (tf.getBackend() !== "wasm" || t.dtype !== "float32") return null;
  const backend = tf.backend() as unknown as WasmBackendLike;
  if (backend.dataIdMap.get(t.dataId) === undefined) return null;
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
      renewHeapId(tf.backend() as unknown as WasmBackendLike, t.dataId);
    },
  };
}

/**
 * Whether a float32 tensor's wasm heap buffer may be written in place: it alone holds the buffer (reference
 * count 1: no other tensor sees it change) and its id can be renewed afterwards (see renewHeapId).
 */
export function ownsHeapBuffer(t: tf.Tensor): boolean {
  if (tf.getBackend() !== "wasm" || t.dtype !== "float32") return false;
  const backend = tf.backend() as unknown as WasmBackendLike;
  return backend.dataIdMap.get(t.dataId) !== undefined && backend.refCount(t.dataId) === 1 && heapIdsRenewable(backend);
}
