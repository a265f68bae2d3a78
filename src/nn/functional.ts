// The differentiable building blocks of BERT, with the gradients TF.js gets wrong for us (DESIGN.md §3):
// - dense / batched matmul: the stock matMul gradient uses the transposeA/B flags, which run at 1–4 GFLOP/s
//   on wasm's XNNPACK versus ~40 without them, so the backward passes transpose explicitly, unless the
//   backend says the flags are free (a native BLAS: fastTransposedMatMul());
// - embedding lookup: the stock gather gradient is UnsortedSegmentSum, missing on wasm and pathological on
//   cpu; ours scatters the rows instead and zeroes the padding row (torch's padding_idx);
// - GELU: tf.erf is a loose approximation; ours is accurate to float32 (see erfcPositive), and one fused kernel
//   each way where the backend has the kit's (native/elementwise.c on wasm); LayerNorm and softmax likewise
//   (native/layer-norm.c, native/softmax.c).
import * as tf from "@tensorflow/tfjs-core";
import "../backend/tfjs-setup";
import { readsOnlyAsynchronously } from "../backend/host-read";
import { fastTransposedMatMul } from "../backend/matmul-capability";
import { scatterRowsInOrder } from "../backend/webgpu/scatter-rows";
import { KIT_GELU, KIT_GELU_GRAD, KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD, KIT_SOFTMAX, KIT_SOFTMAX_GRAD, KIT_SUM_ROWS } from "../backend/kernel-names";

type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];

/** y = x W^T + b with W of shape [out, in] (torch.nn.functional.linear), for x of any rank >= 2. */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  const inFeatures = weight.shape[1]!;
  if (x.shape[x.rank - 1] !== inFeatures) {
    throw new Error(`linear: input has ${x.shape[x.rank - 1]} features, weight ${JSON.stringify(weight.shape)} expects ${inFeatures}`);
  }
  const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, inFeatures]);
  const y2 = bias === null ? linearNoBias(x2, weight) : linearWithBias(x2, weight, bias);
  return x.rank === 2 ? y2 : tf.reshape(y2, [...x.shape.slice(0, -1), weight.shape[0]!]);
}

function linearGrads(dy: tf.Tensor, x: tf.Tensor, w: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const dx = tf.matMul(dy, w); // [N, out] @ [out, in]
  const dw = fastTransposedMatMul() ? tf.matMul(dy, x, true, false) : tf.matMul(tf.transpose(dy), x); // [out, N] @ [N, in]
  return [dx, dw];
}

/** x @ W^T. */
function timesTransposed(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  return fastTransposedMatMul() ? tf.matMul(x, w, false, true) : tf.matMul(x, tf.transpose(w));
}

const linearWithBias = tf.customGrad((...args: unknown[]) => {
  const [x, w, b] = args as tf.Tensor2D[];
  const save = args[3] as tf.GradSaveFunc;
  save([x!, w!]);
  // Inside a custom op every tensor lives until the enclosing backward() ends: free W^T (and the packed
  // copy XNNPACK caches for it on wasm) now, as the backward pass never reads it.
  // Where transposed products are fast (a BLAS), the bias rides on the product (_FusedMatMul: the same float
  // addition after the GEMM, without a separate broadcasting Add kernel over the output).
  const value = fastTransposedMatMul()
    ? tf.fused.matMul({ a: x!, b: w!, transposeB: true, bias: b! })
    : tf.tidy(() => tf.add(timesTransposed(x!, w!), b!));
  const gradFunc: GradFunc = (dy, [xs, ws]) => [...linearGrads(dy, xs!, ws!), biasGrad(dy)];
  return { value, gradFunc };
}) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** dy summed over the rows: the kit's kernel where the backend has one (one pass, sums in double), else tf.sum. */
function biasGrad(dy: tf.Tensor): tf.Tensor {
  return dy.dtype === "float32" && dy.rank === 2 && hasKernel(KIT_SUM_ROWS) ? (tf.engine().runKernel(KIT_SUM_ROWS, { x: dy }) as tf.Tensor) : tf.sum(dy, 0);
}

const linearNoBias = tf.customGrad((...args: unknown[]) => {
  const [x, w] = args as tf.Tensor2D[];
  const save = args[2] as tf.GradSaveFunc;
  save([x!, w!]);
  const value = tf.tidy(() => timesTransposed(x!, w!));
  const gradFunc: GradFunc = (dy, [xs, ws]) => linearGrads(dy, xs!, ws!);
  return { value, gradFunc };
}) as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

/** Swap the last two axes. */
function transposeLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  perm[t.rank - 1] = t.rank - 2;
  perm[t.rank - 2] = t.rank - 1;
  return tf.transpose(t, perm);
}

/** Batched a @ b (torch.matmul on [..., n, k] @ [..., k, m]) whose gradient avoids transpose flags. */
export const matmul = tf.customGrad((...args: unknown[]) => {
  const [a, b] = args as tf.Tensor[];
  const save = args[2] as tf.GradSaveFunc;
  save([a!, b!]);
  const value = tf.matMul(a!, b!);
  const gradFunc: GradFunc = (dy, [as, bs]) =>
    fastTransposedMatMul()
      ? [tf.matMul(dy, bs!, false, true), tf.matMul(as!, dy, true, false)]
      : [tf.matMul(dy, transposeLast(bs!)), tf.matMul(transposeLast(as!), dy)];
  return { value, gradFunc };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * Rows of `weight` [V, H] for integer `ids` of any shape -> [...ids.shape, H] (torch.nn.functional.embedding).
 * The gradient scatters dy's rows into a [V, H] zero matrix (duplicates add up); rows looked up at
 * `paddingIdx` contribute nothing, so that row's gradient is exactly 0 as with torch's padding_idx.
 */
export function embedding(weight: tf.Tensor, ids: tf.Tensor, paddingIdx: number | null = null): tf.Tensor {
  const dim = weight.shape[1]!;
  const rows = paddingIdx === null ? lookupRows(weight, tf.reshape(ids, [-1])) : lookupRowsPadded(weight, tf.reshape(ids, [-1]), tf.scalar(paddingIdx, "int32"));
  return tf.reshape(rows, [...ids.shape, dim]);
}

// The ids are inputs of the custom op (not closed over) because the forward pass's tidy frees every tensor
// the tape has not saved. Their "gradient" is a float32 zero, which TF.js requires and never uses.
function scatterRows(dy: tf.Tensor, ids: tf.Tensor, weightShape: number[], paddingIdx: tf.Tensor | null): tf.Tensor {
  let updates = dy;
  if (paddingIdx !== null) updates = tf.mul(dy, tf.expandDims(tf.cast(tf.notEqual(ids, paddingIdx), "float32"), 1));
  const hostIds = Int32Array.from(ids.dataSync());
  // webgpu's ScatterNd sums repeated ids in a different order each run (float atomics): not reproducible.
  const grad = readsOnlyAsynchronously() ? scatterRowsInOrder(updates, hostIds, weightShape) : tf.scatterND(tf.expandDims(ids, 1), updates, weightShape);
  lookedUpRows.set(grad.dataId, hostIds);
  return grad;
}

// The rows an embedding's gradient was scattered into, keyed by the gradient's buffer: what torch's sparse
// embedding gradients carry as indices. Data-parallel training exchanges just those rows instead of scanning
// the whole table for non-zero ones (a fifth of BERT-Mini's exchange). Any later op on the gradient (an
// accumulation, a clip) makes a new buffer, which has no entry: the caller then scans.
const lookedUpRows = new WeakMap<object, Int32Array>();

/**
 * The ids whose rows `grad` may hold non-zero (with repeats, any order), when `grad` is exactly an embedding
 * gradient made by embedding()'s backward; null otherwise. Every other row of it is zero.
 */
export function embeddingGradientRows(grad: tf.Tensor): Int32Array | null {
  return lookedUpRows.get(grad.dataId) ?? null;
}

/** `grad`, rewritten in place, may now hold non-zero values in rows `ids` only (the data-parallel exchange). */
export function setEmbeddingGradientRows(grad: tf.Tensor, ids: Int32Array): void {
  lookedUpRows.set(grad.dataId, ids);
}

const lookupRows = tf.customGrad((...args: unknown[]) => {
  const [w, ids] = args as tf.Tensor[];
  const save = args[2] as tf.GradSaveFunc;
  save([ids!]);
  const shape = w!.shape;
  const gradFunc: GradFunc = (dy, [idsSaved]) => [scatterRows(dy, idsSaved!, shape, null), tf.zeros(idsSaved!.shape)];
  return { value: tf.gather(w!, ids!), gradFunc };
}) as (w: tf.Tensor, ids: tf.Tensor) => tf.Tensor;

const lookupRowsPadded = tf.customGrad((...args: unknown[]) => {
  const [w, ids, pad] = args as tf.Tensor[];
  const save = args[3] as tf.GradSaveFunc;
  save([ids!, pad!]);
  const shape = w!.shape;
  const gradFunc: GradFunc = (dy, [idsSaved, padSaved]) => [
    scatterRows(dy, idsSaved!, shape, padSaved!),
    tf.zeros(idsSaved!.shape),
    tf.zeros([]),
  ];
  return { value: tf.gather(w!, ids!), gradFunc };
}) as (w: tf.Tensor, ids: tf.Tensor, pad: tf.Tensor) => tf.Tensor;

// erfc(z) for z >= 0 from Numerical Recipes' Chebyshev fit (erfcc): relative error below 1.2e-7 everywhere,
// i.e. float32 accuracy including the tail, where 1 + erf(x) for x << 0 loses everything to cancellation.
const ERFC_COEFFS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

function erfcPositive(z: tf.Tensor): tf.Tensor {
  const t = tf.div(1, tf.add(1, tf.mul(0.5, z)));
  let poly: tf.Tensor = tf.scalar(ERFC_COEFFS[ERFC_COEFFS.length - 1]!);
  for (let i = ERFC_COEFFS.length - 2; i >= 0; i--) poly = tf.add(ERFC_COEFFS[i]!, tf.mul(t, poly));
  return tf.mul(t, tf.exp(tf.sub(poly, tf.square(z))));
}

/** Phi(x) = P(N(0,1) <= x) = erfc(-x/sqrt 2) / 2, accurate in both tails. */
export function normalCdf(x: tf.Tensor): tf.Tensor {
  const lower = tf.mul(0.5, erfcPositive(tf.mul(tf.abs(x), Math.SQRT1_2))); // Phi(-|x|)
  return tf.where(tf.less(x, 0), lower, tf.sub(1, lower));
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Whether the active backend registers the kernel (the kit's native ones: src/backend/kernel-names.ts). */
function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

function geluGradComposite(dy: tf.Tensor, x: tf.Tensor, cdf: tf.Tensor): tf.Tensor {
  const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(x))));
  return tf.mul(dy, tf.add(cdf, tf.mul(x, pdf)));
}

/**
 * The exact GELU BERT uses (hidden_act "gelu"): x * Phi(x). Its gradient, Phi(x) + x * phi(x), is given
 * directly rather than differentiated through the erfc fit. Where the backend registers the kit's fused
 * kernels (KitGelu, KitGeluGrad: the native addon on wasm) each direction is one kernel; elsewhere the
 * composite of stock ops.
 */
export const gelu = tf.customGrad((...args: unknown[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  if (x.dtype === "float32" && hasKernel(KIT_GELU)) {
    save([x]);
    const value = tf.engine().runKernel(KIT_GELU, { x }) as tf.Tensor;
    const gradFunc: GradFunc = (dy, [xs]) => [
      // The kernel may have been switched off since the forward pass (setNativeElementwise).
      hasKernel(KIT_GELU_GRAD)
        ? (tf.engine().runKernel(KIT_GELU_GRAD, { dy, x: xs! }) as tf.Tensor)
        : tf.tidy(() => geluGradComposite(dy, xs!, normalCdf(xs!))),
    ];
    return { value, gradFunc };
  }
  // The erfc fit makes ~30 temporaries of x's size; in a custom op they would all live until backward()
  // ends (for BERT-Base, ~190 MiB per layer: what exhausted wasm's 4 GiB heap). Only Phi(x) is needed.
  const cdf = tf.tidy(() => normalCdf(x));
  save([x, cdf]);
  const value = tf.mul(x, cdf);
  const gradFunc: GradFunc = (dy, [xs, cdfs]) => [geluGradComposite(dy, xs!, cdfs!)];
  return { value, gradFunc };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * Softmax over the last axis (torch.softmax(x, -1)). Where the backend registers the kit's kernels
 * (KitSoftmax, KitSoftmaxGrad: the native addon on wasm) each direction is one kernel; elsewhere tf.softmax
 * with TF.js's own gradient.
 */
export function softmax(x: tf.Tensor): tf.Tensor {
  return x.dtype === "float32" && hasKernel(KIT_SOFTMAX) ? softmaxKernelOp(x) : tf.softmax(x, -1);
}

const softmaxKernelOp = tf.customGrad((...args: unknown[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const value = tf.engine().runKernel(KIT_SOFTMAX, { logits: x }) as tf.Tensor;
  save([value]);
  const gradFunc: GradFunc = (dy, [y]) => [
    // The kernel may have been switched off since the forward pass (setNativeElementwise).
    hasKernel(KIT_SOFTMAX_GRAD)
      ? (tf.engine().runKernel(KIT_SOFTMAX_GRAD, { dy, y: y! }) as tf.Tensor)
      : tf.tidy(() => tf.mul(y!, tf.sub(dy, tf.sum(tf.mul(dy, y!), -1, true)))),
  ];
  return { value, gradFunc };
}) as (x: tf.Tensor) => tf.Tensor;

/** Mean cross-entropy of logits [N, C] against integer labels [N] (torch.nn.CrossEntropyLoss()). */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const numClasses = logits.shape[logits.rank - 1]!;
  const logProbs = tf.logSoftmax(tf.reshape(logits, [-1, numClasses]));
  const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.cast(tf.reshape(labels, [-1]), "int32"), numClasses)), -1);
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

/**
 * Layer normalisation over the last axis, computed like torch (mean, then biased variance of x - mean).
 * One custom op with torch's closed-form gradient rather than TF.js differentiating its eight ops: the
 * gradient tape then holds 2 tensors per call instead of ~8 of x's size (each with its own gradient during
 * backward), which is what BERT-Base's training step needs to fit wasm's 4 GiB heap, and fewer kernels run.
 * Where the backend registers the kit's kernels (KitLayerNorm, KitLayerNormGrad: the native addon on wasm)
 * each direction is one kernel, with the row statistics in double; elsewhere the composite of stock ops.
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  if (x.dtype === "float32" && hasKernel(KIT_LAYER_NORM)) return layerNormKernelOp(eps)(x, weight, bias);
  return layerNormOp(x, weight, bias, tf.scalar(eps, "float32"));
}

type LayerNormGrads = [tf.Tensor, tf.Tensor, tf.Tensor];

function layerNormGradComposite(dy: tf.Tensor, xhat: tf.Tensor, r: tf.Tensor, w: tf.Tensor): LayerNormGrads {
  const width = w.shape[0]!;
  // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * w; dw = sum(dy * xhat); db = sum(dy).
  const g = tf.mul(dy, w);
  const dx = tf.mul(r, tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true))));
  const dw = tf.sum(tf.reshape(tf.mul(dy, xhat), [-1, width]), 0);
  const db = tf.sum(tf.reshape(dy, [-1, width]), 0);
  return [dx, dw, db];
}

// One custom op per eps (a model has one or two): eps goes to the kernel as an attribute, not as a tensor.
const layerNormKernelOps = new Map<number, (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor>();

function layerNormKernelOp(eps: number): (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  let op = layerNormKernelOps.get(eps);
  if (op === undefined) {
    op = tf.customGrad((...args: unknown[]) => {
      const [x, w, b] = args as tf.Tensor[];
      const save = args[3] as tf.GradSaveFunc;
      const [value, xhat, rstd] = tf.engine().runKernel(KIT_LAYER_NORM, { x: x!, weight: w!, bias: b! }, { eps }) as tf.Tensor[];
      save([xhat!, rstd!, w!]);
      const gradFunc: GradFunc = (dy, [xh, r, ws]) =>
        // The kernel may have been switched off since the forward pass (setNativeElementwise).
        hasKernel(KIT_LAYER_NORM_GRAD)
          ? (tf.engine().runKernel(KIT_LAYER_NORM_GRAD, { dy, xhat: xh!, rstd: r!, weight: ws! }) as tf.Tensor[])
          : tf.tidy(() => layerNormGradComposite(dy, xh!, r!, ws!));
      return { value: value!, gradFunc };
    }) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;
    layerNormKernelOps.set(eps, op);
  }
  return op;
}

const layerNormOp = tf.customGrad((...args: unknown[]) => {
  const [x, w, b, epsT] = args as tf.Tensor[];
  const save = args[4] as tf.GradSaveFunc;
  const [normalized, rstd] = tf.tidy(() => {
    const mean = tf.mean(x!, -1, true);
    const centered = tf.sub(x!, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    const r = tf.rsqrt(tf.add(variance, epsT!));
    return [tf.mul(centered, r), r];
  });
  save([normalized!, rstd!, w!]);
  const value = tf.tidy(() => tf.add(tf.mul(normalized!, w!), b!));
  const gradFunc: GradFunc = (dy, [xhat, r, ws]) => [...layerNormGradComposite(dy, xhat!, r!, ws!), tf.zeros([])];
  return { value, gradFunc };
}) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: tf.Tensor) => tf.Tensor;
