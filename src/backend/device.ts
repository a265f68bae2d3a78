// Which TF.js backend runs the kit (DESIGN.md §3): tensorflow-gpu > webgpu (a hardware adapter only) >
// tensorflow > wasm > cpu, each tried only when its package is installed. The native packages are optionalDependencies that fail to install offline,
// so they are imported dynamically and their absence is not an error unless KIT_BACKEND asks for them.
import * as tf from "@tensorflow/tfjs-core";
import "./tfjs-setup";
import { setKitDenseMatMul } from "./wasm/batch-matmul";
import { installWasmKernels } from "./wasm/kernels";
import { installWasmLayerNorm } from "./wasm/layer-norm";
import { installNativeGemm, setNativeGemm } from "./wasm/gemm-kernels";
import { describeNativeGemm, NATIVE_GEMM_HOW, nativeGemmWanted } from "./wasm/native-gemm";
import { installNativeElementwise, nativeElementwiseActive, nativeElementwiseWanted, setNativeElementwise } from "./wasm/native-elementwise";
import { setWasmBackend, wasmThreadsWanted } from "./wasm-threads";
import { activateWebgpu, webgpuAdapterLine } from "./webgpu/backend";
import { mayHaveHardwareAdapter, probeQuietly } from "./webgpu/quiet-probe";

export const BACKEND_NAMES = ["tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

const PACKAGE: Record<BackendName, string> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  webgpu: "webgpu",
  tensorflow: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: "@tensorflow/tfjs-backend-cpu",
};

/** The name TF.js registers the backend under (both native packages register "tensorflow"). */
const TF_BACKEND: Record<BackendName, string> = {
  "tensorflow-gpu": "tensorflow",
  webgpu: "webgpu",
  tensorflow: "tensorflow",
  wasm: "wasm",
  cpu: "cpu",
};

/** Where the model's tensors live, like torch.device. */
export class Device {
  constructor(
    readonly name: BackendName,
    /** TF.js backend name, as tf.getBackend() reports it. */
    readonly tfBackend: string,
  ) {}

  toString(): string {
    return this.name;
  }
}

export class BackendUnavailableError extends Error {
  constructor(requested: string, available: BackendName[], reasons: Map<BackendName, string>) {
    const why = [...reasons].map(([name, reason]) => `  - ${name} (${PACKAGE[name]}): ${reason}`).join("\n");
    super(
      `Backend "${requested}" is not available. Available here: ${available.join(", ") || "none"}.\n` +
        (why ? `Why the others are not:\n${why}\n` : "") +
        `Set KIT_BACKEND to one of ${available.join(" | ")}, or install the missing package ` +
        `(the native ones download libtensorflow at install time, which needs the internet).`,
    );
    this.name = "BackendUnavailableError";
  }
}

type WasmPackage = Parameters<typeof setWasmBackend>[0];

const failures = new Map<BackendName, string>();
let active: Device | null = null;
let wasmThreads = 1;
/** Which GEMM the wasm backend runs, for the backend line; `why` says once why it is not the native one. */
let wasmGemm: { label: string; why?: string } = { label: "" };
let whySaid = false;

/** The wasm backend's GEMM, e.g. "OpenBLAS 0.3.21 (Haswell, 2 threads)" or "the wasm backend's own". */
export function wasmGemmLabel(): string {
  return wasmGemm.label;
}

/** How many threads the wasm backend computes with (1 on the other backends' terms: not ours to size). */
export function wasmThreadsCount(): number {
  return wasmThreads;
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}

/** Import the backend's package and make it TF.js's backend; null on success, else why it failed. */
async function activate(name: BackendName): Promise<string | null> {
  if (failures.has(name)) return failures.get(name)!;
  // A wrong KIT_GEMM or KIT_ELEMENTWISE, or "native" without the addon, is the caller's error, not the
  // backend's absence.
  const native = name === "wasm" ? nativeGemmWanted() : null;
  const elementwise = name === "wasm" ? nativeElementwiseWanted() : null;
  let reason: string | null = null;
  if (name === "webgpu") {
    reason = await activateWebgpu();
    if (reason !== null) failures.set(name, reason);
    return reason;
  }
  try {
    // The emscripten glue of the wasm backend installs process handlers that rethrow every uncaught
    // error through its own (one-line, megabyte-long) source, burying the real message. Remove them.
    const before = {
      uncaughtException: process.listeners("uncaughtException"),
      unhandledRejection: process.listeners("unhandledRejection"),
    };
    const pkg = (await import(PACKAGE[name])) as { default?: WasmPackage } & Partial<WasmPackage>;
    const ok =
      name === "wasm"
        ? await setWasmBackend((pkg.default ?? pkg) as WasmPackage, wasmThreadsWanted())
        : await tf.setBackend(TF_BACKEND[name]);
    if (ok && name === "wasm") {
      wasmThreads = ((pkg.default ?? pkg) as WasmPackage).getThreadsCount();
      // Our faster kernels (batched matMul, buffer-sharing Identity) replace the package's from the start.
      installWasmKernels();
      // LayerNorm as one kernel each way, in WebAssembly; the addon's replaces it below when it is on.
      installWasmLayerNorm();
      // Single products too on one thread; on more, XNNPACK splits each GEMM across them (src/backend/wasm/batch-matmul.ts).
      setKitDenseMatMul(wasmThreads === 1);
      if (native?.gemm) {
        // BLAS threads follow the kit's thread setting (the launcher gives each process its share).
        installNativeGemm(native.gemm, wasmThreads);
        setNativeGemm(true);
        wasmGemm = { label: describeNativeGemm(native.gemm) };
      } else {
        setNativeGemm(false);
        wasmGemm = { label: "the wasm backend's own", why: native?.why };
      }
      // The same addon's GELU kernels and dropout masks (KIT_ELEMENTWISE; unset, as the GEMM).
      if (elementwise?.native) installNativeElementwise(elementwise.native);
      else setNativeElementwise(false);
    }
    await tf.ready();
    for (const listener of process.listeners("uncaughtException")) {
      if (!before.uncaughtException.includes(listener)) process.removeListener("uncaughtException", listener);
    }
    for (const listener of process.listeners("unhandledRejection")) {
      if (!before.unhandledRejection.includes(listener)) process.removeListener("unhandledRejection", listener);
    }
    if (!ok) reason = "the package loaded but TF.js could not initialise the backend";
    // The cpu backend prints a banner urging tfjs-node on its first tensor; selectDevice says what runs.
    else if (name === "cpu") (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  } catch (err) {
    reason = err instanceof Error ? err.message.split("\n")[0]! : String(err);
  }
  if (reason !== null) failures.set(name, reason);
  return reason;
}

async function availableAfterFailure(requested: string): Promise<never> {
  const available: BackendName[] = [];
  const current = tf.getBackend();
  for (const name of BACKEND_NAMES) {
    // webgpu: asked in a child process (Dawn's warnings stay there), not activated here.
    if (name === "webgpu" && !failures.has(name)) {
      const found = probeQuietly();
      if (typeof found === "string") failures.set(name, found);
      else available.push(name);
      continue;
    }
    if ((await activate(name)) === null) available.push(name);
  }
  // Probing switched backends: leave TF.js where it was.
  if (current) await tf.setBackend(current);
  throw new BackendUnavailableError(requested, available, failures);
}

/** Make `name` the TF.js backend (tests use this); throws naming what is available if it cannot. */
export async function useBackend(name: BackendName | string): Promise<Device> {
  if (!isBackendName(name)) return availableAfterFailure(name);
  if ((await activate(name)) !== null) return availableAfterFailure(name);
  active = new Device(name, TF_BACKEND[name]);
  return active;
}

/**
 * The course's `device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")`:
 * the fastest backend installed, or the one KIT_BACKEND forces. Prints one line saying which runs.
 */
export async function selectDevice(options: { quiet?: boolean } = {}): Promise<Device> {
  const forced = process.env.KIT_BACKEND?.trim();
  let device: Device | null = null;
  if (forced) {
    device = await useBackend(forced);
  } else {
    for (const name of BACKEND_NAMES) {
      if (name === "webgpu" && !isHardwareWebgpu()) continue;
      if ((await activate(name)) === null) {
        device = new Device(name, TF_BACKEND[name]);
        break;
      }
    }
    if (device === null) return availableAfterFailure("any");
    active = device;
  }
  if (!options.quiet) {
    const how = forced ? "forced by KIT_BACKEND" : "fastest installed; set KIT_BACKEND to change";
    const wasm = device.name === "wasm";
    const threads = wasm ? `, ${wasmThreads} thread${wasmThreads === 1 ? "" : "s"} (KIT_WASM_THREADS)` : "";
    let gemm = "";
    if (wasm && wasmGemm.why === undefined) gemm = ` + ${wasmGemm.label}`;
    if (wasm && nativeElementwiseActive()) gemm += " + native GELU/LayerNorm/softmax/dropout (KIT_ELEMENTWISE)";
    let note = "";
    if (wasm && wasmGemm.why !== undefined && !whySaid) {
      whySaid = true;
      note =
        wasmGemm.why === "KIT_GEMM=wasm"
          ? "; GEMM: the wasm backend's own (KIT_GEMM=wasm)"
          : `; GEMM: the wasm backend's own, as the native one is absent (${wasmGemm.why}); for the fast path: ${NATIVE_GEMM_HOW}`;
    }
    const adapter = device.name === "webgpu" ? `${webgpuAdapterLine()}; ` : "";
    console.log(`Using TF.js backend: ${device.name}${gemm} (${adapter}${how}${threads})${note}`);
  }
  return device;
}

/**
 * The automatic choice takes a WebGPU adapter only when it is a GPU: a software one is slower than wasm. Asked
 * quietly (src/backend/webgpu/quiet-probe.ts), and not at all where no GPU can be reached (Linux without a
 * Vulkan loader) or the package is absent.
 */
function isHardwareWebgpu(): boolean {
  if (!mayHaveHardwareAdapter()) return false;
  const found = probeQuietly();
  return typeof found !== "string" && !found.software;
}

/** The device selected last, or the one matching TF.js's current backend. */
export function currentDevice(): Device {
  const backend = tf.getBackend();
  if (active && active.tfBackend === backend) return active;
  const name = BACKEND_NAMES.find((n) => TF_BACKEND[n] === backend && n !== "tensorflow-gpu") ?? "cpu";
  return new Device(name, backend);
}

/** model.to(device): TF.js has one global backend, so this only checks that it is the one asked for. */
export function checkDevice(device: Device | string): void {
  const wanted = typeof device === "string" ? (isBackendName(device) ? TF_BACKEND[device] : device) : device.tfBackend;
  const backend = tf.getBackend();
  if (wanted !== backend) {
    throw new Error(
      `model.to(${String(device)}): TF.js runs on "${backend}", not "${wanted}". TF.js has one backend per ` +
        `process: choose it before building the model, with selectDevice() (KIT_BACKEND=${String(device)}) or useBackend().`,
    );
  }
}
