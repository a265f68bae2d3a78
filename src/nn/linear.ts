// torch.nn.Linear: weight [out, in], y = x W^T + b.
import type * as tf from "@tensorflow/tfjs-core";
import { linear } from "./functional";
import { Module } from "./module";
import type { Parameter } from "./parameter";

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; initStd?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter("weight", [outFeatures, inFeatures], { kind: "normal", std: options.initStd ?? 0.02 });
    this.bias = options.bias === false ? null : this.registerParameter("bias", [outFeatures], { kind: "zeros" });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return linear(x, this.weight.variable, this.bias?.variable ?? null);
  }
}
