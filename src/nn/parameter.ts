// A trainable tensor with the name Hugging Face gives it and a gradient slot, like torch.nn.Parameter and
// its `.grad`. TF.js computes gradients functionally; `backward` (src/nn/autograd.ts) adds them here so
// that the optimizer reads `p.grad` as PyTorch's does.
import * as tf from "@tensorflow/tfjs-core";

export class Parameter {
  /** Accumulated gradient, or null after zeroGrad() (PyTorch's set_to_none=True default). */
  grad: tf.Tensor | null = null;
  /** False for parameters the optimizer must skip (PyTorch's requires_grad=False). */
  requiresGrad = true;

  constructor(
    /** Full dotted name, e.g. "bert.encoder.layer.0.attention.self.query.weight". */
    public name: string,
    readonly variable: tf.Variable,
  ) {}

  get shape(): number[] {
    return this.variable.shape;
  }

  /** Replace the value in place (keeps the same tf.Variable, so closures over it stay valid). */
  assign(value: tf.Tensor): void {
    this.variable.assign(value);
  }

  /** Add g to the gradient (g is kept by the parameter; the caller must not dispose it). */
  accumulateGrad(g: tf.Tensor): void {
    if (this.grad === null) {
      this.grad = tf.keep(g);
      return;
    }
    const sum = tf.keep(tf.add(this.grad, g));
    this.grad.dispose();
    g.dispose();
    this.grad = sum;
  }

  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  dispose(): void {
    this.zeroGrad();
    this.variable.dispose();
  }
}
