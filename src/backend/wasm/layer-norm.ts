// LayerNorm on the wasm backend as one kernel each way (KitLayerNorm, KitLayerNormGrad: src/nn/functional.ts
// runs them when registered), on tensors where they lie in the heap (byte offsets, no copies). Two
// implementations compute bitwise the same: the native addon's (native/layer-norm.c, registered with the GEMM
// by native-elementwise.ts) and the kit's WebAssembly one (assembly/layer-norm.ts), which takes over wherever
// the addon's is not installed (KIT_GEMM=wasm, KIT_ELEMENTWISE=js, no build). Both accumulate the row
// statistics and the gradient's sums in double; TF.js's composite of stock ops does not, and its errors were
// 1.6x PyTorch's where AdamW amplifies them (bench/NOTES.md, "value.bias[20]").
import * as tf from "@tensorflow/tfjs-core";
import { KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD } from "../kernel-names";
import { layerNormGradInputs, layerNormInputs } from "../kernel-inputs";
import { heapMemory, heapOffset, heapOutput, type WasmBackendLike } from "./internals";
import { heapKernel } from "./simd/kernels";

type KernelFunc = tf.KernelConfig["kernelFunc"];

/** One LayerNorm implementation on the heap: byte offsets of the tensors, then the sizes. */
export interface LayerNormImpl {
  /** Per row of x [rows, cols]: y = xhat * w + b, xhat = (x - mean) * rstd, rstd [rows]; outputs apart from all. */
  layerNorm(backend: WasmBackendLike, x: number, w: number, b: number, y: number, xhat: number, rstd: number, rows: number, cols: number, eps: number): void;
  /** dx [rows, cols], dw and db [cols] from the forward's xhat and rstd; outputs apart from all. */
  layerNormGrad(backend: WasmBackendLike, dy: number, xhat: number, rstd: number, w: number, dx: number, dw: number, db: number, rows: number, cols: number): void;
}

/**
 * New heap tensors of `shapes`, then `run` with the byte offsets of `inputs` and of those outputs, in that
 * order (taken after the allocations: they may grow the heap); returns the outputs.
 */
function onHeap(b: WasmBackendLike, inputs: tf.TensorInfo[], shapes: number[][], run: (offsets: number[]) => void): tf.TensorInfo[] {
  const outputs = shapes.map((shape) => heapOutput(b, shape));
  run([...inputs, ...outputs].map((t) => heapOffset(b, t.dataId)));
  return outputs;
}

/** KitLayerNorm's kernel function on `impl`; `counted` runs once per call. */
export function layerNormKernel(impl: LayerNormImpl, counted: () => void): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, weight, bias, eps, rows, cols } = layerNormInputs(inputs, attrs);
    const b = backend as unknown as WasmBackendLike;
    // y, xhat [rows, cols] and rstd [rows, 1].
    const outputs = onHeap(b, [x, weight, bias], [x.shape, x.shape, [...x.shape.slice(0, -1), 1]], (at) =>
      impl.layerNorm(b, at[0]!, at[1]!, at[2]!, at[3]!, at[4]!, at[5]!, rows, cols, eps),
    );
    counted();
    return outputs;
  };
}

/** KitLayerNormGrad's kernel function on `impl`; `counted` runs once per call. */
export function layerNormGradKernel(impl: LayerNormImpl, counted: () => void): KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, xhat, rstd, weight, rows, cols } = layerNormGradInputs(inputs);
    const b = backend as unknown as WasmBackendLike;
    // dx [rows, cols], dw and db [cols].
    const outputs = onHeap(b, [dy, xhat, rstd, weight], [xhat.shape, [cols], [cols]], (at) =>
      impl.layerNormGrad(b, at[0]!, at[1]!, at[2]!, at[3]!, at[4]!, at[5]!, at[6]!, rows, cols),
    );
    counted();
    return outputs;
  };
}

type LayerNormExport = (x: number, w: number, b: number, y: number, xhat: number, rstd: number, rows: number, cols: number, eps: number) => void;
type LayerNormGradExport = (dy: number, xhat: number, rstd: number, w: number, dx: number, dw: number, db: number, rows: number, cols: number) => void;

/** assembly/layer-norm.ts on the backend's heap. */
export const wasmLayerNormImpl: LayerNormImpl = {
  layerNorm(backend, x, w, b, y, xhat, rstd, rows, cols, eps) {
    // eps rounded to float first, as the addon, torch's float kernel and the composite's float32 scalar have it.
    (heapKernel("layer-norm", heapMemory(backend)).layerNorm as LayerNormExport)(x, w, b, y, xhat, rstd, rows, cols, Math.fround(eps));
  },
  layerNormGrad(backend, dy, xhat, rstd, w, dx, dw, db, rows, cols) {
    (heapKernel("layer-norm", heapMemory(backend)).layerNormGrad as LayerNormGradExport)(dy, xhat, rstd, w, dx, dw, db, rows, cols);
  },
};

const calls = { layerNorm: 0, layerNormGrad: 0 };

/** How many LayerNorms and gradients the WebAssembly kernel (not the addon) has computed in this process. */
export function wasmLayerNormCalls(): { layerNorm: number; layerNormGrad: number } {
  return { ...calls };
}

const WASM_KERNELS: readonly tf.KernelConfig[] = [
  { kernelName: KIT_LAYER_NORM, backendName: "wasm", kernelFunc: layerNormKernel(wasmLayerNormImpl, () => calls.layerNorm++) },
  { kernelName: KIT_LAYER_NORM_GRAD, backendName: "wasm", kernelFunc: layerNormGradKernel(wasmLayerNormImpl, () => calls.layerNormGrad++) },
];

/**
 * Register the WebAssembly LayerNorm for wasm where no LayerNorm kernel is registered there (the addon's,
 * when installed, stays). src/backend/device.ts calls it once the backend is up; native-elementwise.ts when
 * it switches the addon's kernels off. Idempotent.
 */
export function installWasmLayerNorm(): void {
  for (const config of WASM_KERNELS) {
    if (tf.getKernel(config.kernelName, "wasm") === undefined) tf.registerKernel(config);
  }
}
