// torch.nn.LayerNorm over the last axis, with an elementwise affine (weight 1, bias 0 at init).
import type * as tf from "@tensorflow/tfjs-core";
import { layerNorm } from "./functional";
import { Module } from "./module";
import type { Parameter } from "./parameter";

export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(
    readonly normalizedShape: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.registerParameter("weight", [normalizedShape], { kind: "ones" });
    this.bias = this.registerParameter("bias", [normalizedShape], { kind: "zeros" });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight.variable, this.bias.variable, this.eps);
  }
}
