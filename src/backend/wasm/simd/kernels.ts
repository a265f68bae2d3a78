// Loads the kit's WebAssembly SIMD kernels (assembly/*.ts, compiled by build.ts into this folder) INTO the wasm
// backend's own heap: each instance imports the emscripten module's WebAssembly.Memory and is handed byte
// offsets of tensors, so nothing is copied. Shared by every kernel (../batch-matmul.ts, ../fused-adamw.ts, ../layer-norm.ts).
import fs from "node:fs";

/** The kernels with a binary pair in this folder (`<name>.wasm`, `<name>.shared.wasm`). */
export type HeapKernelName = "batch-matmul" | "adamw" | "layer-norm";

const compiled = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, Map<HeapKernelName, WebAssembly.Exports>>();

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
