// The ONE module that touches @tensorflow/tfjs-backend-wasm's private internals: its BackendWasm's tensor table
// (dataIdMap, dataIdNextNumber), output allocation (makeOutput), the emscripten module behind it (memory,
// wasm.tfjs.* registry, PThread pool) and the threaded build's unexported scripts (wasm-out/). They were read from 4.22.0, which package.json pins exactly: another
// version may move any of them, and only this file then needs updating.
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import path from "node:path";
import type { Worker } from "node:worker_threads";

interface WasmModuleLike {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
  /** The C++ side's tensor registry (ids -> memory), which the package's kernels look tensors up in. */
  tfjs?: { registerTensor?(id: number, size: number, memoryOffset: number): void; disposeData?(id: number): void };
  /** emscripten's worker pool (threaded build only). */
  PThread?: { unusedWorkers: Worker[]; runningWorkers: Worker[] };
}

/** What the kit uses of tfjs-backend-wasm 4.22's BackendWasm (not exported as a type by the package). */
export interface WasmBackendLike {
  wasm: WasmModuleLike;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; shape: number[] } | undefined };
  dataIdNextNumber?: number;
  makeOutput(shape: number[], dtype: "float32"): { dataId: object; shape: number[]; dtype: "float32" };
  refCount(dataId: object): number;
}

/** The active backend as the wasm backend, or null when another backend is active. */
export function activeWasmBackend(): WasmBackendLike | null {
  return tf.getBackend() === "wasm" ? (tf.backend() as unknown as WasmBackendLike) : null;
}

/**
 * The emscripten module's memory: the threaded build keeps it as `wasmMemory` (it creates and imports it),
 * the single-threaded build exports it (`asm.memory`).
 */
export function heapMemory(backend: WasmBackendLike): WebAssembly.Memory {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error(
      "src/backend/wasm/internals.ts: the wasm backend's module exposes no WebAssembly.Memory (looked for wasmMemory " +
        "and asm.memory, where @tensorflow/tfjs-backend-wasm 4.22 keeps it). With another version of the package, find " +
        "where its emscripten module keeps the memory and update heapMemory(), or install 4.22.0 (package.json pins it).",
    );
  }
  return memory;
}

/** Whether a tensor's data lives in this backend's heap (false once disposed, or on another backend). */
export function inHeap(backend: WasmBackendLike, dataId: object): boolean {
  return backend.dataIdMap.get(dataId) !== undefined;
}

/** Byte offset of a tensor's data in the heap. */
export function heapOffset(backend: WasmBackendLike, dataId: object): number {
  return backend.dataIdMap.get(dataId)!.memoryOffset;
}

/** A new float32 tensor's storage in the heap, for a kernel to write its result into. */
export function heapOutput(backend: WasmBackendLike, shape: number[]): { dataId: object; shape: number[]; dtype: "float32" } {
  return backend.makeOutput(shape, "float32");
}

let heapCache: { buffer: ArrayBufferLike; floats: Float32Array } | null = null;

/**
 * The whole heap as floats. The heap grows (and in the threaded build may grow from another thread), which
 * replaces its buffer: the view is remade whenever the buffer changed, so call this after anything that may
 * allocate (heapOutput) and never keep the view across operations.
 */
export function heapFloats(backend: WasmBackendLike): Float32Array {
  const buffer = heapMemory(backend).buffer;
  if (heapCache === null || heapCache.buffer !== buffer) heapCache = { buffer, floats: new Float32Array(buffer) };
  return heapCache.floats;
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
      "src/backend/wasm/internals.ts: cannot renew the id of a tensor written in place (" +
        (entry === undefined ? "the tensor is not on the wasm backend" : "wasm.tfjs.registerTensor/disposeData or dataIdNextNumber missing") +
        "); @tensorflow/tfjs-backend-wasm 4.22.0 has them: install it, or stop writing tensors in place.",
    );
  }
  const tfjs = backend.wasm.tfjs!;
  tfjs.disposeData!(entry.id);
  entry.id = backend.dataIdNextNumber!++;
  tfjs.registerTensor!(entry.id, entry.shape.reduce((a, b) => a * b, 1), entry.memoryOffset);
}

/** The backend's numeric id of a tensor (the C++ side's key; tests check it changes on an in-place write). */
export function heapId(backend: WasmBackendLike, dataId: object): number {
  return backend.dataIdMap.get(dataId)!.id;
}

/** The threaded build's pool workers (none in the single-threaded build). */
export function pthreadWorkers(): Worker[] {
  const module = (tf.backend() as unknown as Partial<WasmBackendLike>).wasm;
  return [...(module?.PThread?.unusedWorkers ?? []), ...(module?.PThread?.runningWorkers ?? [])];
}

/**
 * The threaded build's emscripten factory (its source text) and its pthread worker script, which the package
 * keeps in wasm-out/ without exporting them; src/backend/wasm-threads.ts rewrites the worker to load from a file.
 */
export function threadedBuildScripts(): { factorySource: string; workerContents: string } {
  const require = createRequire(import.meta.url);
  const outDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js"));
  const factory = require(path.join(outDir, "tfjs-backend-wasm-threaded-simd.js")) as { toString(): string };
  const { wasmWorkerContents } = require(path.join(outDir, "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
  return { factorySource: factory.toString(), workerContents: wasmWorkerContents };
}

/** Whether the wasm backend's memory is shared (the threaded build's), and its size in bytes. */
export function heapBuffer(backend: WasmBackendLike): { shared: boolean; byteLength: number } {
  const buffer = heapMemory(backend).buffer;
  return { shared: buffer instanceof SharedArrayBuffer, byteLength: buffer.byteLength };
}
