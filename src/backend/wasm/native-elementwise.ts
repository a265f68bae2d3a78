// GELU, LayerNorm, softmax and dropout masks on the native addon (native/elementwise.c, native/layer-norm.c,
// native/softmax.c, native/alea.c, built with the native GEMM into native/build/gemm.node), on tensors where
// they lie in the wasm heap. GELU, LayerNorm and softmax run as the kernels KitGelu / KitLayerNorm /
// KitSoftmax and their gradients, registered for the wasm backend (src/nn/functional.ts runs them when
// registered); the masks are drawn by nativeUniformMask (src/nn/dropout.ts) from the model's Generator,
// bitwise the JS masks.
// KIT_ELEMENTWISE=native|js chooses; unset, they follow the GEMM (KIT_GEMM=wasm turns all native code off).
import * as tf from "@tensorflow/tfjs-core";
import { KIT_GELU, KIT_GELU_GRAD, KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD, KIT_SOFTMAX, KIT_SOFTMAX_GRAD, KIT_SUM_ROWS } from "../kernel-names";
import { activeWasmBackend, heapFloats, heapOffset, heapOutput, type WasmBackendLike } from "./internals";
import { installWasmLayerNorm, layerNormGradKernel, layerNormKernel, type LayerNormImpl } from "./layer-norm";
import { float32, rowsOf, size } from "../kernel-inputs";
import { gemmModeWanted, loadNativeGemm, NATIVE_GEMM_HOW } from "./native-gemm";
import type { AleaState, Generator } from "../../utils/random";

/** What native/elementwise.c, layer-norm.c, softmax.c, column-sum.c and alea.c export. Byte offsets into the heap. */
export interface NativeElementwise {
  /** y = x * Phi(x); y is x or apart from it. */
  gelu(heap: Float32Array, xByte: number, yByte: number, n: number): void;
  /** dx = dy * (Phi(x) + x phi(x)); dx is dy, x, or apart from both. */
  geluGrad(heap: Float32Array, dyByte: number, xByte: number, dxByte: number, n: number): void;
  /** Per row of x [rows, cols]: y = xhat * w + b, xhat = (x - mean) * rstd, rstd [rows]; outputs apart from all. */
  layerNorm(heap: Float32Array, xByte: number, wByte: number, bByte: number, yByte: number, xhatByte: number, rstdByte: number, rows: number, cols: number, eps: number): void;
  /** dx [rows, cols], dw and db [cols] from the forward's xhat and rstd; outputs apart from all. */
  layerNormGrad(heap: Float32Array, dyByte: number, xhatByte: number, rstdByte: number, wByte: number, dxByte: number, dwByte: number, dbByte: number, rows: number, cols: number): void;
  /** Per row of x [rows, cols]: y = exp(x - max) / sum; y apart from x. */
  softmax(heap: Float32Array, xByte: number, yByte: number, rows: number, cols: number): void;
  /** Per row: dx = y * (dy - sum(dy * y)); dx apart from dy and y. */
  softmaxGrad(heap: Float32Array, dyByte: number, yByte: number, dxByte: number, rows: number, cols: number): void;
  /** out[j] = sum over r of x[r, j], accumulated in double; out [cols] apart from x [rows, cols]. */
  sumRows(heap: Float32Array, xByte: number, outByte: number, rows: number, cols: number): void;
  /** n alea draws as a mask (scale where the draw is below keep, else 0); state [c, s0, s1, s2] advanced in place. */
  aleaMask(heap: Float32Array, outByte: number, n: number, keep: number, scale: number, state: Float64Array): void;
}

/** The addon's elementwise functions, or null when its build predates them. */
export function elementwiseOf(addon: object): NativeElementwise | null {
  const a = addon as Partial<NativeElementwise>;
  const names = ["gelu", "geluGrad", "layerNorm", "layerNormGrad", "softmax", "softmaxGrad", "sumRows", "aleaMask"] as const;
  return names.every((name) => typeof a[name] === "function") ? (a as NativeElementwise) : null;
}

export const ELEMENTWISE_MODES = ["native", "js"] as const;
export type ElementwiseMode = (typeof ELEMENTWISE_MODES)[number];

/**
 * The addon's GELU and masks if KIT_ELEMENTWISE asks for them: "js" (TF.js's ops and JS masks) gives null,
 * unset follows KIT_GEMM (null for KIT_GEMM=wasm), "native" throws when the addon lacks them. Throws on an
 * unknown value.
 */
export function nativeElementwiseWanted(env: NodeJS.ProcessEnv = process.env): { native: NativeElementwise | null; why?: string } {
  const raw = env.KIT_ELEMENTWISE?.trim();
  if (raw && !(ELEMENTWISE_MODES as readonly string[]).includes(raw)) {
    throw new Error(
      `KIT_ELEMENTWISE=${raw}: expected "native" (GELU, LayerNorm, softmax and dropout masks in the native addon, ` +
        `native/elementwise.c, native/layer-norm.c, native/softmax.c and native/alea.c) or "js" (TF.js's ops and ` +
        `masks drawn in JS); unset it to follow KIT_GEMM.`,
    );
  }
  const mode = raw as ElementwiseMode | undefined;
  if (mode === "js") return { native: null, why: "KIT_ELEMENTWISE=js" };
  if (mode === undefined && gemmModeWanted(env) === "wasm") return { native: null, why: "KIT_GEMM=wasm" };
  const got = loadNativeGemm();
  const native = "gemm" in got ? elementwiseOf(got.gemm) : null;
  if (native !== null) return { native };
  const why = "gemm" in got ? "native/build/gemm.node predates them: rebuild it" : got.why;
  if (mode === "native") {
    throw new Error(`KIT_ELEMENTWISE=native: the native GELU, LayerNorm, softmax and dropout masks are not available (${why}). To get them: ${NATIVE_GEMM_HOW}; or unset KIT_ELEMENTWISE.`);
  }
  return { native: null, why };
}

type KernelFunc = tf.KernelConfig["kernelFunc"];

const calls = { gelu: 0, geluGrad: 0, layerNorm: 0, layerNormGrad: 0, softmax: 0, softmaxGrad: 0, sumRows: 0, masks: 0 };

/** Counts of the addon's kernel calls, by kernel. */
export type NativeElementwiseCalls = typeof calls;

/** How many GELUs, LayerNorms, softmaxes, bias sums, their gradients and dropout masks the addon has computed in this process. */
export function nativeElementwiseCalls(): NativeElementwiseCalls {
  return { ...calls };
}

function geluKernel(native: NativeElementwise): KernelFunc {
  return ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    float32(x, KIT_GELU);
    const b = backend as unknown as WasmBackendLike;
    const out = heapOutput(b, x.shape);
    // After heapOutput: it may grow the heap.
    native.gelu(heapFloats(b), heapOffset(b, x.dataId), heapOffset(b, out.dataId), size(x.shape));
    calls.gelu++;
    return out;
  };
}

function geluGradKernel(native: NativeElementwise): KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    float32(dy, KIT_GELU_GRAD);
    float32(x, KIT_GELU_GRAD);
    if (size(dy.shape) !== size(x.shape)) {
      throw new Error(`${KIT_GELU_GRAD}: dy ${JSON.stringify(dy.shape)} and x ${JSON.stringify(x.shape)} differ in size`);
    }
    const b = backend as unknown as WasmBackendLike;
    const out = heapOutput(b, x.shape);
    native.geluGrad(heapFloats(b), heapOffset(b, dy.dataId), heapOffset(b, x.dataId), heapOffset(b, out.dataId), size(x.shape));
    calls.geluGrad++;
    return out;
  };
}

// The addon's LayerNorm in layer-norm.ts's shape (the heap as a Float32Array instead of the backend).
function nativeLayerNorm(native: NativeElementwise): LayerNormImpl {
  return {
    layerNorm: (b, ...args) => native.layerNorm(heapFloats(b), ...args),
    layerNormGrad: (b, ...args) => native.layerNormGrad(heapFloats(b), ...args),
  };
}

function softmaxKernel(native: NativeElementwise): KernelFunc {
  return ({ inputs, backend }) => {
    const { logits } = inputs as { logits: tf.TensorInfo };
    float32(logits, KIT_SOFTMAX);
    const { rows, cols } = rowsOf(logits.shape, KIT_SOFTMAX);
    const b = backend as unknown as WasmBackendLike;
    const out = heapOutput(b, logits.shape);
    native.softmax(heapFloats(b), heapOffset(b, logits.dataId), heapOffset(b, out.dataId), rows, cols);
    calls.softmax++;
    return out;
  };
}

function softmaxGradKernel(native: NativeElementwise): KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
    float32(dy, KIT_SOFTMAX_GRAD);
    float32(y, KIT_SOFTMAX_GRAD);
    const { rows, cols } = rowsOf(y.shape, KIT_SOFTMAX_GRAD);
    if (size(dy.shape) !== rows * cols) {
      throw new Error(`${KIT_SOFTMAX_GRAD}: dy ${JSON.stringify(dy.shape)} and y ${JSON.stringify(y.shape)} differ in size`);
    }
    const b = backend as unknown as WasmBackendLike;
    const out = heapOutput(b, y.shape);
    native.softmaxGrad(heapFloats(b), heapOffset(b, dy.dataId), heapOffset(b, y.dataId), heapOffset(b, out.dataId), rows, cols);
    calls.softmaxGrad++;
    return out;
  };
}

function sumRowsKernel(native: NativeElementwise): KernelFunc {
  return ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    float32(x, KIT_SUM_ROWS);
    if (x.shape.length !== 2) throw new Error(`${KIT_SUM_ROWS}: expected a 2-D tensor [rows, cols], got shape ${JSON.stringify(x.shape)}`);
    const { rows, cols } = rowsOf(x.shape, KIT_SUM_ROWS);
    const b = backend as unknown as WasmBackendLike;
    const out = heapOutput(b, [cols]);
    native.sumRows(heapFloats(b), heapOffset(b, x.dataId), heapOffset(b, out.dataId), rows, cols);
    calls.sumRows++;
    return out;
  };
}

let installed: NativeElementwise | null = null;
let active = false;

// Each kit kernel the addon provides, and how to make its kernel function from the addon.
const KERNELS: readonly (readonly [string, (native: NativeElementwise) => KernelFunc])[] = [
  [KIT_GELU, geluKernel],
  [KIT_GELU_GRAD, geluGradKernel],
  [KIT_LAYER_NORM, (native) => layerNormKernel(nativeLayerNorm(native), () => calls.layerNorm++)],
  [KIT_LAYER_NORM_GRAD, (native) => layerNormGradKernel(nativeLayerNorm(native), () => calls.layerNormGrad++)],
  [KIT_SOFTMAX, softmaxKernel],
  [KIT_SOFTMAX_GRAD, softmaxGradKernel],
  [KIT_SUM_ROWS, sumRowsKernel],
];

function registerKernels(native: NativeElementwise): void {
  for (const [kernelName, make] of KERNELS) {
    if (tf.getKernel(kernelName, "wasm") !== undefined) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: make(native) });
  }
}

function unregisterKernels(): void {
  for (const [name] of KERNELS) if (tf.getKernel(name, "wasm") !== undefined) tf.unregisterKernel(name, "wasm");
  // LayerNorm goes back to the kit's WebAssembly kernel (the same results), not to TF.js's composite.
  installWasmLayerNorm();
}

/** Register the native GELU, LayerNorm and softmax kernels for wasm and turn the native masks on. Idempotent. */
export function installNativeElementwise(native: NativeElementwise): void {
  installed = native;
  setNativeElementwise(true);
}

/**
 * Switch the native GELU, LayerNorm, softmax and masks on (true) or off (false) in this process, e.g. to time
 * both in one run; returns the previous setting. Needs installNativeElementwise() first for true.
 */
export function setNativeElementwise(on: boolean): boolean {
  const previous = active;
  if (on && installed === null) throw new Error("setNativeElementwise(true): the native addon's GELU is not installed (installNativeElementwise)");
  if (on) registerKernels(installed!);
  else unregisterKernels();
  active = on;
  return previous;
}

/** Whether GELU, LayerNorm, softmax and dropout masks run natively now. */
export function nativeElementwiseActive(): boolean {
  return active;
}

const stateBuffer = new Float64Array(4);

/**
 * A dropout mask tensor of `shape` (scale where the draw is below keep, else 0) written by the native addon
 * straight into the wasm heap from `gen`'s next draws, bitwise what gen.uniformMask would give; `gen` goes on
 * after them. Null (nothing drawn) when the native masks are off or the wasm backend is not active.
 */
export function nativeUniformMask(shape: number[], keep: number, scale: number, gen: Generator): tf.Tensor | null {
  const backend = activeWasmBackend();
  if (!active || installed === null || backend === null) return null;
  const native = installed;
  const out = heapOutput(backend, shape);
  const tensor = tf.engine().makeTensorFromTensorInfo(out);
  try {
    gen.drawInBulk((state: AleaState) => {
      stateBuffer[0] = state.c;
      stateBuffer[1] = state.s0;
      stateBuffer[2] = state.s1;
      stateBuffer[3] = state.s2;
      native.aleaMask(heapFloats(backend), heapOffset(backend, out.dataId), size(shape), keep, scale, stateBuffer);
      return { c: stateBuffer[0]!, s0: stateBuffer[1]!, s1: stateBuffer[2]!, s2: stateBuffer[3]! };
    });
  } catch (err) {
    tensor.dispose();
    throw err;
  }
  calls.masks++;
  return tensor;
}
