// A batched matMul for the wasm backend. tfjs-backend-wasm 4.22 sends every product with batch > 1 to a
// scalar loop (0.6-2 GFLOP/s; only batch 1 reaches XNNPACK), and attention does nothing but batched
// products. This kernel (assembly/batch-matmul.ts, WebAssembly SIMD) runs in the backend's own heap: it
// imports the emscripten module's WebAssembly.Memory and reads/writes tensors at their heap offsets.
// It sums in the package's order (see the source), so its results are bitwise those of the kernel it replaces.
import * as tf from "@tensorflow/tfjs-core";
import { heapKernel, heapMemory, heapOffset, type WasmBackendLike } from "./wasm-simd/heap-kernel";

type KernelFunc = tf.KernelConfig["kernelFunc"];

type BatchMatMulExport = (a: number, b: number, c: number, batch: number, m: number, k: number, n: number) => void;

let fastCalls = 0;

/** How many products the SIMD kernel has computed in this process (the others went to the package's kernel). */
export function fastBatchMatMulCalls(): number {
  return fastCalls;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The BatchMatMul kernel: the SIMD kernel for float32 products with no transpose flag and the same leading
 * (batch) dims on both sides, batch > 1; everything else goes to `original` (2-D and batch 1 to XNNPACK,
 * broadcasting, flags, other dtypes and errors exactly as the package handles them).
 */
export function batchMatMulKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const rank = a.shape.length;
    if (transposeA || transposeB || a.dtype !== "float32" || b.dtype !== "float32" || rank < 3 || b.shape.length !== rank) {
      return original(args);
    }
    const lead = a.shape.slice(0, -2);
    const batch = lead.reduce((p, d) => p * d, 1);
    const [m, k] = a.shape.slice(-2) as [number, number];
    const [kb, n] = b.shape.slice(-2) as [number, number];
    if (batch < 2 || k !== kb || m === 0 || n === 0 || k === 0 || !sameShape(lead, b.shape.slice(0, -2))) return original(args);

    const backend = args.backend as unknown as WasmBackendLike;
    const run = heapKernel("batch-matmul", heapMemory(backend)).batchMatMul as BatchMatMulExport;
    const out = backend.makeOutput([...lead, m, n], "float32");
    const offset = (t: tf.TensorInfo): number => heapOffset(backend, t.dataId);
    run(offset(a), offset(b), offset(out), batch, m, k, n);
    fastCalls++;
    return out;
  };
}
