// BertSelfAttention (scaled dot-product attention over heads, additive mask, dropout on the probabilities),
// BertSelfOutput (dense, dropout, residual LayerNorm) and BertAttention, which chains the two.
import * as tf from "@tensorflow/tfjs-core";
import { Dropout, type RandomSource } from "../../nn/dropout";
import { matmul, softmax } from "../../nn/functional";
import { LayerNorm } from "../../nn/layer-norm";
import { Linear } from "../../nn/linear";
import { Module } from "../../nn/module";
import type { BertConfig } from "./config";

export class BertSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly dropout: Dropout;
  private readonly numHeads: number;
  private readonly headSize: number;

  constructor(config: BertConfig, random: RandomSource) {
    super();
    this.numHeads = config.numAttentionHeads;
    this.headSize = config.hiddenSize / config.numAttentionHeads;
    const std = config.initializerRange;
    this.query = this.registerModule("query", new Linear(config.hiddenSize, config.hiddenSize, { initStd: std }));
    this.key = this.registerModule("key", new Linear(config.hiddenSize, config.hiddenSize, { initStd: std }));
    this.value = this.registerModule("value", new Linear(config.hiddenSize, config.hiddenSize, { initStd: std }));
    this.dropout = this.registerModule("dropout", new Dropout(config.attentionProbsDropoutProb, random));
  }

  /** [batch, seq, hidden] -> [batch, heads, seq, headSize], or with `perm` [0, 2, 3, 1] the keys transposed. */
  private splitHeads(x: tf.Tensor, perm: number[]): tf.Tensor {
    const [batch, seq] = x.shape as [number, number, number];
    return tf.transpose(tf.reshape(x, [batch, seq, this.numHeads, this.headSize]), perm);
  }

  /** hidden [batch, seq, hidden], extendedMask [batch, 1, 1, seq] (0 or finfo.min) -> [batch, seq, hidden]. */
  forward(hidden: tf.Tensor, extendedMask: tf.Tensor): tf.Tensor {
    const [batch, seq, width] = hidden.shape as [number, number, number];
    const q = this.splitHeads(this.query.forward(hidden), [0, 2, 1, 3]);
    // Keys come out already transposed ([batch, heads, headSize, seq]): no transpose flag in the matmul.
    const kT = this.splitHeads(this.key.forward(hidden), [0, 2, 3, 1]);
    const v = this.splitHeads(this.value.forward(hidden), [0, 2, 1, 3]);
    let scores = tf.div(matmul(q, kT), Math.sqrt(this.headSize));
    scores = tf.add(scores, extendedMask);
    const probs = this.dropout.forward(softmax(scores));
    const context = matmul(probs, v); // [batch, heads, seq, headSize]
    return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, seq, width]);
  }
}

export class BertSelfOutput extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(config: BertConfig, random: RandomSource) {
    super();
    this.dense = this.registerModule("dense", new Linear(config.hiddenSize, config.hiddenSize, { initStd: config.initializerRange }));
    this.layerNorm = this.registerModule("LayerNorm", new LayerNorm(config.hiddenSize, config.layerNormEps));
    this.dropout = this.registerModule("dropout", new Dropout(config.hiddenDropoutProb, random));
  }

  forward(hidden: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return this.layerNorm.forward(tf.add(this.dropout.forward(this.dense.forward(hidden)), input));
  }
}

export class BertAttention extends Module {
  readonly self: BertSelfAttention;
  readonly output: BertSelfOutput;

  constructor(config: BertConfig, random: RandomSource) {
    super();
    this.self = this.registerModule("self", new BertSelfAttention(config, random));
    this.output = this.registerModule("output", new BertSelfOutput(config, random));
  }

  forward(hidden: tf.Tensor, extendedMask: tf.Tensor): tf.Tensor {
    return this.output.forward(this.self.forward(hidden, extendedMask), hidden);
  }
}
