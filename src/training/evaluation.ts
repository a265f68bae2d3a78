// The evaluation of a trained classifier on MRPC validation: no gradients, argmax of the logits, the GLUE
// MRPC metric (accuracy and F1); every prediction is kept too, for the run record.
import * as tf from "@tensorflow/tfjs-core";
import { disposeBatch, type Batch, type DataLoader, type FeatureRow } from "../data";
import { evaluate } from "../metrics";
import type { BertForSequenceClassification } from "../models/bert";
import { noGrad } from "../nn";

export type Evaluation = { metrics: { accuracy: number; f1: number }; predictions: number[]; references: number[] };

export function evaluateClassifier(model: BertForSequenceClassification, evalDataloader: DataLoader<FeatureRow, Batch>): Evaluation {
  const allPredictions: number[] = [];
  const allReferences: number[] = [];
  const metric = evaluate.load("glue", "mrpc");
  model.eval();
  for (const batch of evalDataloader) {
    const predictions = noGrad(() => model.forward(batch).logits.argMax(-1));
    metric.addBatch({ predictions, references: batch.labels! });
    allPredictions.push(...predictions.dataSync());
    allReferences.push(...batch.labels!.dataSync());
    tf.dispose(predictions);
    disposeBatch(batch);
  }
  return { metrics: metric.compute(), predictions: allPredictions, references: allReferences };
}
