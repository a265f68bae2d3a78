// The checks of the kit's own kernels' inputs (the addon's and WebAssembly's on wasm, the WGSL ones on webgpu),
// written once: each bad input is named with the kernel and the shapes. LayerNorm's inputs are the same on
// every backend (src/backend/wasm/layer-norm.ts, src/backend/webgpu/layer-norm.ts).
import type * as tf from "@tensorflow/tfjs-core";
import { KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD } from "./kernel-names";

type TensorInfo = tf.TensorInfo;

/** The number of elements of a shape. */
export function size(shape: number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Throws, naming the kernel, unless `t` is float32. */
export function float32(t: TensorInfo, kernel: string): void {
  if (t.dtype !== "float32") throw new Error(`${kernel}: expected a float32 tensor, got ${t.dtype} (cast it first)`);
}

/** The length of the last axis, with the rows before it; throws, naming the kernel, on a scalar. */
export function rowsOf(shape: number[], kernel: string): { rows: number; cols: number } {
  const cols = shape[shape.length - 1];
  if (cols === undefined || cols === 0) throw new Error(`${kernel}: expected a tensor with a non-empty last axis, got shape ${JSON.stringify(shape)}`);
  return { rows: size(shape) / cols, cols };
}

function vectorOf(t: TensorInfo, cols: number, what: string, kernel: string): void {
  float32(t, kernel);
  if (t.shape.length !== 1 || t.shape[0] !== cols) {
    throw new Error(`${kernel}: ${what} has shape ${JSON.stringify(t.shape)}, expected [${cols}] (the last axis of the input)`);
  }
}

/** KitLayerNorm's inputs and eps, checked; rows and cols of x. */
export function layerNormInputs(
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap | undefined,
): { x: TensorInfo; weight: TensorInfo; bias: TensorInfo; eps: number; rows: number; cols: number } {
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const eps = (attrs as { eps?: unknown } | undefined)?.eps;
  if (typeof eps !== "number" || !(eps >= 0)) throw new Error(`${KIT_LAYER_NORM}: attrs.eps must be a number >= 0, got ${String(eps)}`);
  float32(x, KIT_LAYER_NORM);
  const { rows, cols } = rowsOf(x.shape, KIT_LAYER_NORM);
  vectorOf(weight, cols, "weight", KIT_LAYER_NORM);
  vectorOf(bias, cols, "bias", KIT_LAYER_NORM);
  return { x, weight, bias, eps, rows, cols };
}

/** KitLayerNormGrad's inputs, checked; rows and cols of xhat. */
export function layerNormGradInputs(inputs: tf.NamedTensorInfoMap): {
  dy: TensorInfo;
  xhat: TensorInfo;
  rstd: TensorInfo;
  weight: TensorInfo;
  rows: number;
  cols: number;
} {
  const { dy, xhat, rstd, weight } = inputs as { dy: TensorInfo; xhat: TensorInfo; rstd: TensorInfo; weight: TensorInfo };
  float32(dy, KIT_LAYER_NORM_GRAD);
  float32(xhat, KIT_LAYER_NORM_GRAD);
  float32(rstd, KIT_LAYER_NORM_GRAD);
  const { rows, cols } = rowsOf(xhat.shape, KIT_LAYER_NORM_GRAD);
  vectorOf(weight, cols, "weight", KIT_LAYER_NORM_GRAD);
  if (size(dy.shape) !== rows * cols || size(rstd.shape) !== rows) {
    throw new Error(
      `${KIT_LAYER_NORM_GRAD}: dy ${JSON.stringify(dy.shape)} and rstd ${JSON.stringify(rstd.shape)} do not match xhat ${JSON.stringify(xhat.shape)} ` +
        `(dy its size, rstd one value per row)`,
    );
  }
  return { dy, xhat, rstd, weight, rows, cols };
}
