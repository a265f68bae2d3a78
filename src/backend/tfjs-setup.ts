// tfjs-core's Node bundle registers neither the gradient functions (tf.grad fails with "gradient function not
// found for Sum") nor the chained-op methods the course uses (`logits.argMax(-1)`). The union package
// @tensorflow/tfjs registers both into tfjs-core's global registries; every module doing math imports this.
import "@tensorflow/tfjs";
