// Finding a WebGPU adapter in Node through Dawn (the `webgpu` npm package, not a dependency: see README).
// Dawn's default backend is the platform's own (Vulkan, Metal, D3D12); where that finds nothing (a machine
// without a GPU driver, or Debian 12's lavapipe, which Dawn rejects), its OpenGL ES backend runs on whatever
// EGL offers, Mesa's llvmpipe included, but only for adapters requested with featureLevel "compatibility".

/** What the backend line says about the GPU. */
export type AdapterDescription = {
  vendor: string;
  device: string;
  /** Dawn's backend: Vulkan, Metal, D3D12 or OpenGL ES. */
  dawnBackend: string;
  /** A CPU pretending to be a GPU (llvmpipe, lavapipe, SwiftShader, WARP): never chosen automatically. */
  software: boolean;
};

// The few WebGPU types used here, so that type-checking needs neither the webgpu package nor @webgpu/types.
type AdapterInfo = { vendor: string; device: string; description: string; isFallbackAdapter?: boolean };
export type Adapter = { readonly info: AdapterInfo; readonly limits: object; requestDevice(descriptor?: object): Promise<unknown> };
type Gpu = { requestAdapter(options?: { powerPreference?: string; featureLevel?: string }): Promise<Adapter | null> };
type DawnModule = { create(options: string[]): Gpu; globals: object };

/** `gpu` must stay referenced as long as the adapter's device is used: collecting it destroys Dawn's instance under the device (a crash). */
export type FoundAdapter = { gpu: Gpu; adapter: Adapter; description: AdapterDescription };

export const WEBGPU_INSTALL_HINT = "npm install --no-save webgpu@0.6.2";

/** Why webgpu is unavailable where its package is absent. */
export const DAWN_MISSING = `the webgpu package (Dawn) is not installed; install it with \`${WEBGPU_INSTALL_HINT}\``;

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|microsoft basic render|warp/i;

const NATIVE_BACKEND: Partial<Record<NodeJS.Platform, string>> = { linux: "Vulkan", darwin: "Metal", win32: "D3D12" };

/** Import Dawn; throws a message naming the package and the install command when it is absent. */
export async function loadDawn(): Promise<DawnModule> {
  try {
    // A variable specifier: the package is optional, and TypeScript must not require its types.
    const name = "webgpu";
    return (await import(name)) as DawnModule;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new Error(DAWN_MISSING);
    }
    throw err;
  }
}

function describe(adapter: Adapter, dawnBackend: string): AdapterDescription {
  const info = adapter.info;
  const device = info.device || info.description || "unknown device";
  const software = info.isFallbackAdapter === true || SOFTWARE.test(`${info.device} ${info.description}`);
  return { vendor: info.vendor || "unknown vendor", device, dawnBackend, software };
}

/**
 * The best adapter Dawn offers: the platform backend's, else OpenGL ES's in compatibility mode; null when
 * there is none. Makes Dawn's GPU* globals (GPUBufferUsage...) global, as tfjs-backend-webgpu expects.
 */
export async function findAdapter(dawn: DawnModule): Promise<FoundAdapter | null> {
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const native = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (native) return { gpu, adapter: native, description: describe(native, NATIVE_BACKEND[process.platform] ?? "native") };
  // Without a display server, Mesa's EGL must be told to run headless, before Dawn first loads it.
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && !process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = "surfaceless";
  const glesGpu = dawn.create(["backend=opengles"]);
  const gles = await glesGpu.requestAdapter({ featureLevel: "compatibility" });
  return gles ? { gpu: glesGpu, adapter: gles, description: describe(gles, "OpenGL ES") } : null;
}

/** The adapter Dawn offers here (Dawn loaded and asked in this process), or why there is none, in one line. */
export async function probeDawn(): Promise<FoundAdapter | string> {
  try {
    const found = await findAdapter(await loadDawn());
    return found ?? "Dawn found no GPU adapter (no Vulkan/Metal/D3D12 device, and no OpenGL ES through EGL)";
  } catch (err) {
    return err instanceof Error ? err.message.split("\n")[0]! : String(err);
  }
}

/** "NVIDIA RTX 4090 (nvidia, Dawn Vulkan)" / "llvmpipe... (Dawn OpenGL ES, software adapter)". */
export function adapterLine(d: AdapterDescription): string {
  const vendor = d.vendor === "unknown vendor" || d.device.toLowerCase().includes(d.vendor.toLowerCase()) ? "" : `${d.vendor}, `;
  return `${d.device} (${vendor}Dawn ${d.dawnBackend}${d.software ? ", software adapter" : ""})`;
}
