// tfjs-backend-webgpu on a Dawn adapter in Node. The package registers itself only where navigator.gpu exists
// when it is imported, and then asks for an adapter without featureLevel "compatibility" (so never finds
// llvmpipe's): we register the backend ourselves on the adapter findAdapter() chose.
import * as tf from "@tensorflow/tfjs-core";
import { installAccurateMath } from "./accurate-math";
import { installWebgpuLayerNorm } from "./layer-norm";
import { adapterLine, probeDawn, type FoundAdapter } from "./adapter";

type TensorData = { values: unknown; dtype: string };
type WebgpuBackendInternals = {
  tensorMap: { get(dataId: object): TensorData | undefined };
  uploadToGPU(dataId: object): void;
  readSync(dataId: object): unknown;
};

let probed: Promise<FoundAdapter | string> | null = null;

/** The adapter Dawn offers here, or why there is none (cached: Dawn is asked once per process). */
export function probeWebgpu(): Promise<FoundAdapter | string> {
  probed ??= probeDawn();
  return probed;
}

/** The backend line's description of the adapter in use, or null before activateWebgpu succeeded. */
let activeLine: string | null = null;
export function webgpuAdapterLine(): string | null {
  return activeLine;
}

/** Register tfjs-backend-webgpu on Dawn's adapter and make it TF.js's backend; null on success, else why not. */
export async function activateWebgpu(): Promise<string | null> {
  const found = await probeWebgpu();
  if (typeof found === "string") return found;
  if (!tf.findBackendFactory("webgpu")) {
    const { WebGPUBackend } = (await import("@tensorflow/tfjs-backend-webgpu")) as unknown as {
      WebGPUBackend: new (device: unknown, adapterInfo: unknown) => tf.KernelBackend;
    };
    const { adapter } = found;
    const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
    // WebGPUBackend's constructor checks navigator.gpu; Node 20 has no navigator, Node 21+ one without gpu.
    if (nav) Object.defineProperty(nav, "gpu", { value: { requestAdapter: async () => adapter }, configurable: true });
    else (globalThis as { navigator?: object }).navigator = { gpu: { requestAdapter: async () => adapter } };
    tf.registerBackend("webgpu", async () => {
      const device = await adapter.requestDevice({ requiredLimits: deviceLimits(adapter) });
      const backend = new WebGPUBackend(device, adapter.info);
      keepIntegersOnHost(backend as unknown as WebgpuBackendInternals);
      installAccurateMath(backend);
      return backend;
    });
  }
  if (!(await tf.setBackend("webgpu"))) return "tfjs-backend-webgpu could not initialise on Dawn's adapter";
  installWebgpuLayerNorm();
  activeLine = adapterLine(found.description);
  return null;
}

/** The limits tfjs-backend-webgpu raises from the defaults when it requests its own device. */
function deviceLimits(adapter: { limits: object }): Record<string, number> {
  const l = adapter.limits as Record<string, number | undefined>;
  const names = ["maxComputeWorkgroupStorageSize", "maxComputeWorkgroupsPerDimension", "maxStorageBufferBindingSize", "maxBufferSize", "maxComputeWorkgroupSizeX", "maxComputeInvocationsPerWorkgroup"];
  return Object.fromEntries(names.filter((n) => typeof l[n] === "number").map((n) => [n, l[n]!]));
}

/**
 * WebGPU has no synchronous read, and tfjs-backend-webgpu's workaround (an OffscreenCanvas) does not exist in
 * Node. Integer tensors (token ids, labels: small, and made on the host) keep their host copy when uploaded,
 * so the embedding gradient can still read its ids synchronously; a synchronous read of anything computed
 * on the GPU fails with the fix instead of a ReferenceError about OffscreenCanvas.
 */
function keepIntegersOnHost(backend: WebgpuBackendInternals): void {
  const upload = backend.uploadToGPU.bind(backend);
  backend.uploadToGPU = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    const hostValues = data && data.dtype === "int32" ? data.values : null;
    upload(dataId);
    if (data && hostValues) data.values = hostValues;
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    if (data && data.values == null && data.dtype !== "string" && data.dtype !== "complex64") {
      throw new Error(
        "webgpu backend: a synchronous read (dataSync, arraySync, backward's loss) of a tensor computed on the GPU; " +
          "WebGPU in Node only reads asynchronously. Use `await tensor.data()` / `await backwardAsync(...)`, or another backend (KIT_BACKEND=wasm).",
      );
    }
    return readSync(dataId);
  };
}
