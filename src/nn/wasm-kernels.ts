// TF.js saves every tensor a gradient needs with `clone`, i.e. the Identity kernel. On cpu and webgl, Identity
// shares the buffer (reference count +1); on wasm (tfjs-backend-wasm 4.22) it COPIES it. So during
// backward() each activation a gradient reads, and every weight a dense layer reads, was duplicated: a
// third of a training step's memory and ~200 copy kernels a step. Tensors are immutable and the wasm
// backend reference-counts buffers (its Reshape shares them the same way), so sharing is safe.
import * as tf from "@tensorflow/tfjs-core";

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
