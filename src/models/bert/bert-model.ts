// BertModel: embeddings -> encoder -> pooler (tanh of a dense layer on the [CLS] position).
import * as tf from "@tensorflow/tfjs-core";
import type { RandomSource } from "../../nn/dropout";
import { Linear } from "../../nn/linear";
import { Module } from "../../nn/module";
import { Generator } from "../../utils/random";
import type { BertConfig } from "./config";
import { BertEmbeddings } from "./embeddings";
import { BertEncoder } from "./layer";

/** torch.finfo(torch.float32).min, what transformers 4.31 puts on masked positions. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * modeling_utils.get_extended_attention_mask for an encoder: [batch, seq] of 1 (attend) / 0 (padding)
 * -> [batch, 1, 1, seq] of 0 / finfo(float32).min, added to the attention scores before the softmax.
 */
export function extendedAttentionMask(attentionMask: tf.Tensor): tf.Tensor {
  const [batch, seq] = attentionMask.shape as [number, number];
  const mask = tf.reshape(tf.cast(attentionMask, "float32"), [batch, 1, 1, seq]);
  return tf.mul(tf.sub(1, mask), FLOAT32_MIN);
}

export class BertPooler extends Module {
  readonly dense: Linear;

  constructor(config: BertConfig) {
    super();
    this.dense = this.registerModule("dense", new Linear(config.hiddenSize, config.hiddenSize, { initStd: config.initializerRange }));
  }

  forward(hidden: tf.Tensor): tf.Tensor {
    const [batch, , width] = hidden.shape as [number, number, number];
    const first = tf.reshape(tf.slice(hidden, [0, 0, 0], [batch, 1, width]), [batch, width]);
    return tf.tanh(this.dense.forward(first));
  }
}

export type BertModelOutput = {
  lastHiddenState: tf.Tensor;
  poolerOutput: tf.Tensor;
  /** [embeddings output, layer 1 output, ..., layer N output] when asked for. */
  hiddenStates?: tf.Tensor[];
};

/** Check a batch tensor's shape and make it int32 (the collator gives int32; be lenient with others). */
export function asIds(name: string, t: tf.Tensor | undefined, shape: number[]): tf.Tensor | undefined {
  if (t === undefined) return undefined;
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${name} has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}] like input_ids`);
  }
  return t.dtype === "int32" ? t : tf.cast(t, "int32");
}

export class BertModel extends Module {
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler;
  /** The generator every Dropout of the model draws its masks from. */
  readonly random: RandomSource;

  constructor(
    readonly config: BertConfig,
    options: { random?: RandomSource; seed?: number } = {},
  ) {
    super();
    this.random = options.random ?? { generator: new Generator(options.seed ?? 42).fork("dropout") };
    this.embeddings = this.registerModule("embeddings", new BertEmbeddings(config, this.random));
    this.encoder = this.registerModule("encoder", new BertEncoder(config, this.random));
    this.pooler = this.registerModule("pooler", new BertPooler(config));
    this.nameParameters();
  }

  forward(
    inputIds: tf.Tensor,
    options: { attentionMask?: tf.Tensor; tokenTypeIds?: tf.Tensor; outputHiddenStates?: boolean } = {},
  ): BertModelOutput {
    if (inputIds.rank !== 2) throw new Error(`input_ids must be [batch, seq], got shape [${inputIds.shape.join(", ")}]`);
    const ids = asIds("input_ids", inputIds, inputIds.shape)!;
    const attentionMask = asIds("attention_mask", options.attentionMask, inputIds.shape) ?? tf.ones(inputIds.shape, "int32");
    const tokenTypeIds = asIds("token_type_ids", options.tokenTypeIds, inputIds.shape);
    const embedded = this.embeddings.forward(ids, tokenTypeIds);
    const layers = this.encoder.forward(embedded, extendedAttentionMask(attentionMask));
    const lastHiddenState = layers[layers.length - 1] ?? embedded;
    const out: BertModelOutput = { lastHiddenState, poolerOutput: this.pooler.forward(lastHiddenState) };
    if (options.outputHiddenStates) out.hiddenStates = [embedded, ...layers];
    return out;
  }
}
