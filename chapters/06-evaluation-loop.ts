// Chapter 06 — the evaluation loop. Runs a trained model over the validation set without gradients, takes
// the argmax of the logits as predictions and scores them with the GLUE MRPC metric (accuracy and F1).
// Reproduces the course's "The evaluation loop" lines:
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
// Run on its own, it evaluates a saved run (`--run-dir runs/<id>`, made by `npm start` or `npx kit train`)
// rather than training one again.
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
import { placeModel, setUpTraining } from "../src/training/setup";
import { evaluateRun } from "../src/training/train";
import { Trainer } from "../src/training/trainer";
import { unsavedRun } from "../src/training/training-run";

export type Evaluation = { metrics: { accuracy: number; f1: number }; predictions: number[]; references: number[] };

/** The course's evaluation loop; also returns every prediction (the run record keeps them). */
export async function evaluationLoop(model: BertForSequenceClassification, evalDataloader: DataLoader<FeatureRow, Batch>): Promise<Evaluation> {
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
    allPredictions.push(...(await predictions.data())); // kept for the run record (an await: webgpu reads the GPU only so)
    allReferences.push(...(await batch.labels!.data()));
    metric.addBatch({ predictions, references: batch.labels! });
    tf.dispose(predictions);
    disposeBatch(batch);
  }
  const metrics = metric.compute();
  // #endregion evaluation-loop
  return { metrics, predictions: allPredictions, references: allReferences };
}

/**
 * A short training with the library's loop, then this chapter's evaluation: what golden/06-evaluation-loop.json
 * pins (`npm run golden`). Run as a script, the chapter evaluates a saved run instead.
 */
export async function run(options: Partial<Hyperparameters> & { quiet?: boolean } = {}) {
  const hp = hyperparameters(options);
  const training = await setUpTraining(hp, options);
  const device = await placeModel(training.model, options);
  const trainingRun = unsavedRun(training, hp, device.name);
  await new Trainer(training, trainingRun).run(options);
  const { metrics, predictions } = await evaluationLoop(training.model, training.evalDataloader);
  if (!options.quiet) console.log(metrics);
  training.optimizer.dispose();
  training.model.dispose();
  return { ...metrics, stepsTrained: trainingRun.step, numExamples: predictions.length, backend: device.name };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const usage = "tsx chapters/06-evaluation-loop.ts --run-dir runs/<id>";
  const args = parseChapterArgs(process.argv.slice(2), {
    usage,
    about: "Evaluates the model saved in a run folder (made by `npm start` or `npx kit train`) on the validation set and prints { accuracy, f1 }.",
    flags: ["run-dir", "backend", "threads", "quiet"],
  });
  const runDir = args.flags["run-dir"];
  if (typeof runDir !== "string") {
    process.stderr.write(`error: --run-dir is missing: which run should be evaluated? ${usage} (a folder made by \`npm start\` or \`npx kit train\`).\n`);
    process.exit(2);
  }
  await evaluateRun(runDir, { quiet: args.quiet, evaluationLoop });
}
