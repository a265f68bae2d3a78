// The bench's fixed workload (bench/shapes.ts): a shape's model initialised from the seed with its AdamW, the
// synthetic batch, and one training step to time. Kept apart from model-step.ts, whose file runs as a program,
// so that other programs (bundled ones too: bench/gpu/) can import these without running it.
import * as tf from "@tensorflow/tfjs-core";
import { AutoModelForSequenceClassification, BertConfig } from "../src/models/auto";
import { backward } from "../src/nn/autograd";
import { AdamW } from "../src/optim/adamw";
import type { BertBatch } from "../src/models/bert";
import { Generator } from "../src/utils/random";
import { SHAPES, WORKLOAD, type ShapeName } from "./shapes";

export function syntheticBatch(seed: number): Required<BertBatch> {
  const gen = new Generator(seed).fork("bench-batch");
  const { batch, length, vocabSize } = WORKLOAD;
  // Ids from 1000 up: clear of [PAD] (0) and the special tokens, like real word pieces.
  const ids = Int32Array.from({ length: batch * length }, () => 1000 + gen.randint(vocabSize - 1000));
  const types = Int32Array.from({ length: batch * length }, (_, i) => (i % length >= length / 2 ? 1 : 0));
  return {
    input_ids: tf.tensor2d(ids, [batch, length], "int32"),
    token_type_ids: tf.tensor2d(types, [batch, length], "int32"),
    attention_mask: tf.ones([batch, length], "int32"),
    labels: tf.tensor1d(Int32Array.from({ length: batch }, () => gen.randint(2)), "int32"),
  };
}

/** The benchmark's model for a shape (seeded init, dropout of the workload, train mode) and its AdamW. */
export function workloadModel(shape: ShapeName) {
  const s = SHAPES[shape];
  const config = new BertConfig({
    vocabSize: WORKLOAD.vocabSize,
    hiddenSize: s.hiddenSize,
    numHiddenLayers: s.numHiddenLayers,
    numAttentionHeads: s.numAttentionHeads,
    intermediateSize: s.intermediateSize,
    hiddenDropoutProb: WORKLOAD.dropout,
    attentionProbsDropoutProb: WORKLOAD.dropout,
    numLabels: 2,
  });
  const model = AutoModelForSequenceClassification.fromConfig(config, { seed: 0 });
  model.train();
  const params = model.parameters();
  const optimizer = new AdamW(params, { lr: WORKLOAD.lr });
  return { model, params, optimizer };
}

/** One training step (forward, backward, AdamW, zero_grad) of a shape's workload model on batch 0, to time repeatedly. */
export function workloadStep(shape: ShapeName): () => void {
  const { model, params, optimizer } = workloadModel(shape);
  const batch = syntheticBatch(0);
  return () => {
    backward(() => model.forward(batch).loss!, params);
    optimizer.step();
    optimizer.zeroGrad();
  };
}
