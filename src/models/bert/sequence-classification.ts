// BertForSequenceClassification: BertModel's pooled [CLS] vector -> dropout -> linear classifier, and the
// loss transformers computes when labels are given (cross-entropy for single-label classification).
import * as tf from "@tensorflow/tfjs-core";
import { Dropout } from "../../nn/dropout";
import { crossEntropy } from "../../nn/functional";
import { Linear } from "../../nn/linear";
import { Module } from "../../nn/module";
import { Generator } from "../../utils/random";
import { BertModel } from "./bert-model";
import type { BertConfig } from "./config";
import { savePretrained } from "./save-pretrained";

/** One collated batch, keys as the collator (and transformers) name them; int32 tensors. */
export type BertBatch = {
  input_ids: tf.Tensor;
  attention_mask?: tf.Tensor;
  token_type_ids?: tf.Tensor;
  labels?: tf.Tensor;
};

export type SequenceClassifierOutput = {
  /** Mean loss over the batch, when labels were given. */
  loss?: tf.Scalar;
  logits: tf.Tensor;
  poolerOutput?: tf.Tensor;
  /** [embeddings output, layer 1 output, ..., layer N output], with outputHiddenStates. */
  hiddenStates?: tf.Tensor[];
};

export type LoadingInfo = {
  /** The weights file read. */
  source: string;
  /** Initialised from the seed because the checkpoint lacks them. */
  missingKeys: string[];
  /** In the checkpoint but not used (pre-training heads, ...). */
  unexpectedKeys: string[];
  /** Re-initialised because of ignoreMismatchedSizes: name, checkpoint shape, model shape. */
  mismatchedKeys: { name: string; checkpoint: number[]; model: number[] }[];
};

export type ForwardOptions = { outputHiddenStates?: boolean; outputPoolerOutput?: boolean };

export class BertForSequenceClassification extends Module {
  readonly bert: BertModel;
  readonly dropout: Dropout;
  readonly classifier: Linear;
  /** What fromPretrained loaded, initialised and dropped (undefined for fromConfig models). */
  loadingInfo?: LoadingInfo;

  constructor(
    readonly config: BertConfig,
    options: { seed?: number } = {},
  ) {
    super();
    const random = { generator: new Generator(options.seed ?? 42).fork("dropout") };
    this.bert = this.registerModule("bert", new BertModel(config, { random }));
    this.dropout = this.registerModule("dropout", new Dropout(config.classifierDropout ?? config.hiddenDropoutProb, random));
    this.classifier = this.registerModule("classifier", new Linear(config.hiddenSize, config.numLabels, { initStd: config.initializerRange }));
    this.nameParameters();
  }

  get numLabels(): number {
    return this.config.numLabels;
  }

  /** The generator of the dropout masks (save its state with a checkpoint to resume bit for bit). */
  get generator(): Generator {
    return this.bert.random.generator;
  }

  set generator(g: Generator) {
    this.bert.random.generator = g;
  }

  /** model.save_pretrained(dir): config.json + model.safetensors, loadable by transformers. */
  savePretrained(dir: string): Promise<void> {
    return savePretrained(this, dir);
  }

  /** `outputs = model(**batch)`. Extra batch keys (e.g. idx) are ignored. */
  forward(batch: BertBatch, options: ForwardOptions = {}): SequenceClassifierOutput {
    if (!batch.input_ids) throw new Error("forward: the batch has no input_ids (keys found: " + Object.keys(batch).join(", ") + ")");
    const out = this.bert.forward(batch.input_ids, {
      attentionMask: batch.attention_mask,
      tokenTypeIds: batch.token_type_ids,
      outputHiddenStates: options.outputHiddenStates,
    });
    const logits = this.classifier.forward(this.dropout.forward(out.poolerOutput));
    const result: SequenceClassifierOutput = { logits };
    if (batch.labels !== undefined) result.loss = this.loss(logits, batch.labels);
    if (options.outputHiddenStates || options.outputPoolerOutput) result.poolerOutput = out.poolerOutput;
    if (options.outputHiddenStates) result.hiddenStates = out.hiddenStates;
    return result;
  }

  /** The loss transformers picks from config.problem_type (or, unset, from numLabels and the labels' dtype). */
  private loss(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
    const batch = logits.shape[0]!;
    const problemType =
      this.config.problemType ??
      (this.numLabels === 1 ? "regression" : labels.dtype === "int32" ? "single_label_classification" : "multi_label_classification");
    if (problemType === "regression") {
      return tf.mean(tf.squaredDifference(tf.reshape(logits, [-1]), tf.reshape(tf.cast(labels, "float32"), [-1]))) as tf.Scalar;
    }
    if (problemType === "single_label_classification") {
      if (labels.size !== batch) throw new Error(`labels has shape [${labels.shape.join(", ")}], expected [${batch}] class ids`);
      return crossEntropy(logits, labels);
    }
    // multi_label_classification: BCEWithLogits, mean over all elements.
    const y = tf.cast(labels, "float32");
    const perElement = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.mean(perElement) as tf.Scalar;
  }
}
