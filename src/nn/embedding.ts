// torch.nn.Embedding with padding_idx: that row starts at zero and never receives a gradient.
import type * as tf from "@tensorflow/tfjs-core";
import { embedding } from "./functional";
import { Module } from "./module";
import type { Parameter } from "./parameter";

export class Embedding extends Module {
  readonly weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { paddingIdx?: number | null; initStd?: number } = {},
  ) {
    super();
    const paddingIdx = options.paddingIdx ?? null;
    if (paddingIdx !== null && (paddingIdx < 0 || paddingIdx >= numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx ${paddingIdx} is outside [0, ${numEmbeddings}) (numEmbeddings ${numEmbeddings})`);
    }
    this.paddingIdx = paddingIdx;
    this.weight = this.registerParameter("weight", [numEmbeddings, embeddingDim], {
      kind: "normal",
      std: options.initStd ?? 0.02,
      zeroRow: paddingIdx,
    });
  }

  /** ids: int32 of any shape -> [...ids.shape, embeddingDim]. */
  forward(ids: tf.Tensor): tf.Tensor {
    return embedding(this.weight.variable, ids, this.paddingIdx);
  }
}
