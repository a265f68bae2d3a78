// Names of the kit's own TF.js kernels, which a backend may register (src/backend/wasm/native-elementwise.ts
// does on wasm when the native addon is built). Backend-neutral code runs one when tf.getKernel finds it for
// the active backend, and its composite of stock ops otherwise.

/** y = gelu(x), BERT's exact erf GELU; inputs { x }. */
export const KIT_GELU = "KitGelu";
/** dx = dy * gelu'(x); inputs { dy, x }. */
export const KIT_GELU_GRAD = "KitGeluGrad";
