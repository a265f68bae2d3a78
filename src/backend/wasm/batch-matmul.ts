// The wasm backend's matMuls, on our WebAssembly SIMD kernels (assembly/batch-matmul.ts). They run in the
// backend's own heap: they import the emscripten module's WebAssembly.Memory and read/write tensors at their
// heap offsets. Each sums in the order of the package kernel it replaces, so results are bitwise the same:
// - batched products (batch > 1): tfjs-backend-wasm 4.22 sends them to a scalar loop (0.6-2 GFLOP/s; only
//   batch 1 reaches XNNPACK), and attention does nothing but batched products. Always ours.
// - single products (2-D, or batch 1): the package's XNNPACK packs B; ours goes through B in column panels
//   that stay in the core's own cache. Alone, the two run at the same speed; with two processes training
//   side by side (the launcher's data parallelism), which share the rest of the memory system, a BERT-Mini
//   step is faster on ours (bench/NOTES.md, "Our own dense matMul"). Ours is single-threaded, and
//   XNNPACK splits a GEMM across the backend's threads: src/backend turns ours on for one thread only.
import * as tf from "@tensorflow/tfjs-core";
import { heapMemory, heapOffset, heapOutput, type WasmBackendLike } from "./internals";
import { heapKernel } from "./simd/kernels";

type KernelFunc = tf.KernelConfig["kernelFunc"];

type BatchMatMulExport = (a: number, b: number, c: number, batch: number, m: number, k: number, n: number) => void;
type MatMulExport = (a: number, b: number, c: number, m: number, k: number, n: number) => void;

let fastCalls = 0;
let denseCalls = 0;
let kitDense = false;

/** How many batched products the SIMD kernel has computed in this process (the others went to the package's kernel). */
export function fastBatchMatMulCalls(): number {
  return fastCalls;
}

/** How many single (2-D or batch-1) products our kernel has computed in this process. */
export function kitDenseMatMulCalls(): number {
  return denseCalls;
}

/**
 * Single float32 products on our kernel (true) or the package's XNNPACK (false, the default), for the whole
 * process (as setFusedAdamW for AdamW); returns the previous setting. The results are bitwise the same; only
 * the speed differs (see the top of this file).
 */
export function setKitDenseMatMul(on: boolean): boolean {
  const previous = kitDense;
  kitDense = on;
  return previous;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The BatchMatMul kernel: our SIMD kernels for float32 products with no transpose flag and the same leading
 * (batch) dims on both sides, batch > 1, or batch 1 when setKitDenseMatMul is on; everything else goes to
 * `original` (XNNPACK, broadcasting, flags, other dtypes and errors exactly as the package handles them).
 */
export function batchMatMulKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const rank = a.shape.length;
    if (transposeA || transposeB || a.dtype !== "float32" || b.dtype !== "float32" || rank < 2 || b.shape.length !== rank) {
      return original(args);
    }
    const lead = a.shape.slice(0, -2);
    const batch = lead.reduce((p, d) => p * d, 1);
    const [m, k] = a.shape.slice(-2) as [number, number];
    const [kb, n] = b.shape.slice(-2) as [number, number];
    const ours = batch > 1 || (batch === 1 && kitDense);
    if (!ours || k !== kb || m === 0 || n === 0 || k === 0 || !sameShape(lead, b.shape.slice(0, -2))) return original(args);

    const backend = args.backend as unknown as WasmBackendLike;
    const kernels = heapKernel("batch-matmul", heapMemory(backend));
    const out = heapOutput(backend, [...lead, m, n]);
    const offset = (t: tf.TensorInfo): number => heapOffset(backend, t.dataId);
    if (batch > 1) {
      (kernels.batchMatMul as BatchMatMulExport)(offset(a), offset(b), offset(out), batch, m, k, n);
      fastCalls++;
    } else {
      (kernels.matMul as MatMulExport)(offset(a), offset(b), offset(out), m, k, n);
      denseCalls++;
    }
    return out;
  };
}
