// The evaluation of a trained classifier on MRPC validation: no gradients, argmax of the logits, the GLUE
// MRPC metric (accuracy and F1); every prediction is kept too, for the run record.
import * as tf from "@tensorflow/tfjs-core";
import { disposeBatch, type Batch, type DataLoader, type FeatureRow } from "../data";
import { evaluate } from "../metrics";
import type { BertForSequenceClassification } from "../models/bert";
import { noGrad } from "../nn";

export type Evaluation = { metrics: { accuracy: number; f1: number }; predictions: number[]; references: number[] };

export async function evaluateClassifier(model: BertForSequenceClassification, evalDataloader: DataLoader<FeatureRow, Batch>): Promise<Evaluation> {
  const allPredictions: number[] = [];
  const allReferences: number[] = [];
  const metric = evaluate.load("glue", "mrpc");
  model.eval();
  for (const batch of evalDataloader) {
    const predictions = noGrad(() => model.forward(batch).logits.argMax(-1));
    // The await reads the GPU on webgpu (no synchronous read there); addBatch then finds the values on the host.
    allPredictions.push(...(await predictions.data()));
    allReferences.push(...(await batch.labels!.data()));
    metric.addBatch({ predictions, references: batch.labels! });
    tf.dispose(predictions);
    disposeBatch(batch);
  }
  return { metrics: metric.compute(), predictions: allPredictions, references: allReferences };
}
