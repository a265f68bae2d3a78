// Names of the kit's own TF.js kernels, which a backend may register (src/backend/wasm/native-elementwise.ts
// does on wasm when the native addon is built). Backend-neutral code runs one when tf.getKernel finds it for
// the active backend, and its composite of stock ops otherwise.

/** y = gelu(x), BERT's exact erf GELU; inputs { x }. */
export const KIT_GELU = "KitGelu";
/** dx = dy * gelu'(x); inputs { dy, x }. */
export const KIT_GELU_GRAD = "KitGeluGrad";
/**
 * LayerNorm over the last axis; inputs { x, weight, bias }, attrs { eps }; outputs [y, xhat, rstd] with rstd of
 * x's shape but 1 in the last axis (what the gradient reads, with the weight).
 */
export const KIT_LAYER_NORM = "KitLayerNorm";
/** inputs { dy, xhat, rstd, weight } (the forward's); outputs [dx, dWeight, dBias]. */
export const KIT_LAYER_NORM_GRAD = "KitLayerNormGrad";
/** y = softmax(x) over the last axis; inputs { logits }. */
export const KIT_SOFTMAX = "KitSoftmax";
/** dx = y * (dy - sum(dy * y)) over the last axis; inputs { dy, y }. */
export const KIT_SOFTMAX_GRAD = "KitSoftmaxGrad";
/** The sum over rows of x [rows, cols] (a dense layer's bias gradient); inputs { x }; output [cols]. */
export const KIT_SUM_ROWS = "KitSumRows";
