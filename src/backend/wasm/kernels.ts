// TF.js saves every tensor a gradient needs with `clone`, i.e. the Identity kernel. On cpu and webgl, Identity
// shares the buffer (reference count +1); on wasm (tfjs-backend-wasm 4.22) it COPIES it. So during
// backward() each activation a gradient reads, and every weight a dense layer reads, was duplicated: a
// third of a training step's memory and ~200 copy kernels a step. Tensors are immutable and the wasm
// backend reference-counts buffers (its Reshape shares them the same way), so sharing is safe.
import * as tf from "@tensorflow/tfjs-core";
import { batchMatMulKernel } from "./batch-matmul";

type KernelFunc = tf.KernelConfig["kernelFunc"];

interface RefCountingBackend {
  incRef(dataId: object): void;
}

const sharedIdentity: KernelFunc = ({ inputs, backend }) => {
  const x = (inputs as { x: tf.TensorInfo }).x;
  (backend as unknown as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * Make wasm's Identity share buffers. Idempotent and cheap; called by backward() because the wasm package is
 * imported lazily (src/backend) and registers its own Identity when it loads.
 */
export function shareIdentityOnWasm(): void {
  const current = tf.getKernel("Identity", "wasm");
  if (current === undefined || current.kernelFunc === sharedIdentity) return;
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc: sharedIdentity });
}

// Our BatchMatMul kernel functions, to recognise an installed one (each wraps the kernel it replaced).
const ours = new WeakSet<KernelFunc>();
let packageBatchMatMul: tf.KernelConfig | undefined;

/**
 * Say that `kernelFunc`, registered over ours by gemm-kernels.ts (the native GEMM), already includes ours (it
 * falls back to it), so that fastBatchMatMulOnWasm() does not wrap it again.
 */
export function markKitBatchMatMul(kernelFunc: KernelFunc): void {
  ours.add(kernelFunc);
}

/** The package's own BatchMatMul kernel that fastBatchMatMulOnWasm() replaced (tests and benches compare). */
export function replacedBatchMatMul(): tf.KernelConfig | undefined {
  return packageBatchMatMul;
}

/**
 * Route wasm's batched matMuls (batch > 1, no transpose flag, float32) to the SIMD kernel of
 * src/backend/wasm/batch-matmul.ts; every other product still goes to the package's kernel, saved here. Idempotent.
 */
export function fastBatchMatMulOnWasm(): void {
  const current = tf.getKernel("BatchMatMul", "wasm");
  if (current === undefined || ours.has(current.kernelFunc)) return;
  const kernelFunc = batchMatMulKernel(current.kernelFunc);
  ours.add(kernelFunc);
  packageBatchMatMul = current;
  tf.unregisterKernel("BatchMatMul", "wasm");
  // The package's setupFunc binds its C function; kept so a re-initialised backend still has it to delegate to.
  tf.registerKernel({ ...current, kernelFunc });
}

/**
 * Every wasm kernel override of the kit. Call it once the wasm backend is active (src/backend/device.ts
 * after tf.setBackend("wasm")); backward() calls it too. Does nothing when the wasm package is not loaded.
 */
export function installWasmKernels(): void {
  shareIdentityOnWasm();
  fastBatchMatMulOnWasm();
}
