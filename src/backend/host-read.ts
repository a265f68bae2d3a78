// WebGPU in Node has no synchronous read (dataSync fails there): code that reads several tensors
// synchronously (a state dict, a gradient exchange) first brings them to the host with one await.
// tfjs-backend-webgpu keeps what an async read downloaded beside the GPU buffer, so dataSync() then
// returns it. On the CPU backends this does nothing: their reads stay the synchronous ones they were.
import * as tf from "@tensorflow/tfjs-core";

const ASYNC_ONLY_BACKENDS = new Set(["webgpu"]);

/** True when the current backend cannot read a tensor it computed synchronously. */
export function readsOnlyAsynchronously(): boolean {
  return ASYNC_ONLY_BACKENDS.has(tf.getBackend());
}

/** Make dataSync() work on these tensors (download them now where the backend only reads asynchronously). */
export async function readableOnHost(tensors: readonly tf.Tensor[]): Promise<void> {
  if (!readsOnlyAsynchronously()) return;
  await Promise.all(tensors.map((t) => t.data()));
}
