// Chapter 06 — the evaluation loop. After training, runs the model over the validation set without
// gradients, takes the argmax of the logits as predictions and scores them with the GLUE MRPC metric
// (accuracy and F1). Reproduces the course's "The evaluation loop" lines:
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
//
// Regions (for the docs): evaluation-loop
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { disposeBatch, type Batch, type DataLoader, type FeatureRow } from "../src/data";
import { evaluate } from "../src/metrics";
import type { BertForSequenceClassification } from "../src/models/bert";
import { noGrad } from "../src/nn";
import { hyperparameters, type Hyperparameters } from "../src/training/presets";
import { parseChapterArgs } from "../src/training/script";
import { placeModel, setUpTraining, trainingLoop, unsavedRun } from "./05-training-loop";

export type EvaluationOptions = Partial<Hyperparameters> & { quiet?: boolean };

export type Evaluation = { metrics: { accuracy: number; f1: number }; predictions: number[]; references: number[] };

export type EvaluationResult = Evaluation["metrics"] & { stepsTrained: number; numExamples: number; backend: string };

/** The course's evaluation loop; also returns every prediction (the run record keeps them). */
export function evaluationLoop(model: BertForSequenceClassification, evalDataloader: DataLoader<FeatureRow, Batch>): Evaluation {
  const allPredictions: number[] = [];
  const allReferences: number[] = [];
  // #region evaluation-loop
  const metric = evaluate.load("glue", "mrpc");
  model.eval();
  for (const batch of evalDataloader) {
    const predictions = noGrad(() => {
      const outputs = model.forward(batch);
      return outputs.logits.argMax(-1);
    });
    metric.addBatch({ predictions, references: batch.labels! });
    allPredictions.push(...predictions.dataSync()); // kept for the run record
    allReferences.push(...batch.labels!.dataSync());
    tf.dispose(predictions);
    disposeBatch(batch);
  }
  const metrics = metric.compute();
  // #endregion evaluation-loop
  return { metrics, predictions: allPredictions, references: allReferences };
}

/** Train as chapter 05 does (--max-steps to shorten it), then evaluate and print { accuracy, f1 }. */
export async function run(options: EvaluationOptions = {}): Promise<EvaluationResult> {
  const hp = hyperparameters(options);
  const training = await setUpTraining(hp, options);
  const device = await placeModel(training.model, options);
  const trainingRun = unsavedRun(training, hp, device.name);
  await trainingLoop(training, trainingRun, options);
  const { metrics, predictions } = evaluationLoop(training.model, training.evalDataloader);
  if (!options.quiet) console.log(metrics);
  training.optimizer.dispose();
  training.model.dispose();
  return { ...metrics, stepsTrained: trainingRun.step, numExamples: predictions.length, backend: device.name };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseChapterArgs(process.argv.slice(2), {
    usage: "tsx chapters/06-evaluation-loop.ts [--max-steps N] [--preset NAME] [--optim NAME] [--lr LR] [--seed N]",
    about: "Trains (as chapter 05), then evaluates on the validation set and prints { accuracy, f1 }.",
    flags: ["preset", "optim", "lr", "epochs", "seed", "max-steps", "backend", "threads", "quiet"],
  });
  await run(args);
}
