// BertLayer = attention, then the feed-forward block (BertIntermediate: dense + activation; BertOutput:
// dense, dropout, residual LayerNorm); BertEncoder stacks num_hidden_layers of them.
import * as tf from "@tensorflow/tfjs-core";
import { getActivation, type Activation } from "../../nn/activations";
import { Dropout, type RandomSource } from "../../nn/dropout";
import { LayerNorm } from "../../nn/layer-norm";
import { Linear } from "../../nn/linear";
import { Module, ModuleList } from "../../nn/module";
import { BertAttention } from "./attention";
import type { BertConfig } from "./config";

export class BertIntermediate extends Module {
  readonly dense: Linear;
  private readonly activation: Activation;

  constructor(config: BertConfig) {
    super();
    this.dense = this.registerModule("dense", new Linear(config.hiddenSize, config.intermediateSize, { initStd: config.initializerRange }));
    this.activation = getActivation(config.hiddenAct);
  }

  forward(hidden: tf.Tensor): tf.Tensor {
    return this.activation(this.dense.forward(hidden));
  }
}

export class BertOutput extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;
  readonly dropout: Dropout;

  constructor(config: BertConfig, random: RandomSource) {
    super();
    this.dense = this.registerModule("dense", new Linear(config.intermediateSize, config.hiddenSize, { initStd: config.initializerRange }));
    this.layerNorm = this.registerModule("LayerNorm", new LayerNorm(config.hiddenSize, config.layerNormEps));
    this.dropout = this.registerModule("dropout", new Dropout(config.hiddenDropoutProb, random));
  }

  forward(hidden: tf.Tensor, input: tf.Tensor): tf.Tensor {
    return this.layerNorm.forward(tf.add(this.dropout.forward(this.dense.forward(hidden)), input));
  }
}

export class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertOutput;

  constructor(config: BertConfig, random: RandomSource) {
    super();
    this.attention = this.registerModule("attention", new BertAttention(config, random));
    this.intermediate = this.registerModule("intermediate", new BertIntermediate(config));
    this.output = this.registerModule("output", new BertOutput(config, random));
  }

  forward(hidden: tf.Tensor, extendedMask: tf.Tensor): tf.Tensor {
    const attended = this.attention.forward(hidden, extendedMask);
    return this.output.forward(this.intermediate.forward(attended), attended);
  }
}

export class BertEncoder extends Module {
  readonly layer: ModuleList<BertLayer>;

  constructor(config: BertConfig, random: RandomSource) {
    super();
    const layers = Array.from({ length: config.numHiddenLayers }, () => new BertLayer(config, random));
    this.layer = this.registerModule("layer", new ModuleList(layers));
  }

  /** Returns every layer's output, in order (the last one is the encoder's output). */
  forward(hidden: tf.Tensor, extendedMask: tf.Tensor): tf.Tensor[] {
    const outputs: tf.Tensor[] = [];
    let h = hidden;
    for (const layer of this.layer) {
      h = layer.forward(h, extendedMask);
      outputs.push(h);
    }
    return outputs;
  }
}
