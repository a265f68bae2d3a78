// Chapter 08 — the course's exercise: the same training and evaluation on GLUE SST-2, single sentences
// (movie-review sentiment) instead of sentence pairs. 67,349 training rows make 8,419 batches of 8, so
// 3 epochs are 25,257 steps: use --max-steps for a short run. Reproduces the exercise that closes
// "A full training" ("try it on another GLUE task"):
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
//
// Regions (for the docs): sst2-tokenize, evaluation-loop
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { selectDevice } from "../src/backend";
import { DataCollatorWithPadding, disposeBatch } from "../src/data";
import { loadDataset } from "../src/datasets";
import { evaluate } from "../src/metrics";
import { noGrad } from "../src/nn";
import { AutoTokenizer } from "../src/tokenizers";
import { createOptimizer, getScheduler } from "../src/optim";
import { makeDataloaders } from "../src/training/course-data";
import { modelForPreset } from "../src/training/preset-model";
import { hyperparameters, plannedSteps, PRESETS, type Hyperparameters } from "../src/training/presets";
import { parseChapterArgs } from "../src/training/script";
import { placeModel } from "../src/training/setup";
import { Trainer } from "../src/training/trainer";
import { unsavedRun } from "../src/training/training-run";

export type Sst2Options = Partial<Hyperparameters> & { quiet?: boolean };

export type Sst2Result = {
  numRows: Record<string, number>;
  trainColumnNames: string[];
  trainBatches: number;
  evalBatches: number;
  numTrainingSteps: number;
  fullRunSteps: number;
  stepsDone: number;
  firstLoss: number;
  lastLoss: number;
  accuracy: number;
  backend: string;
};

/** SST-2 tokenized and post-processed as chapter 01 does MRPC: one sentence per row. */
export async function preprocessSst2(checkpoint: string) {
  const rawDatasets = await loadDataset("glue", "sst2");
  const tokenizer = await AutoTokenizer.fromPretrained(checkpoint);
  // #region sst2-tokenize
  function tokenizeFunction(example: { sentence: string[] }) {
    return tokenizer.call(example.sentence, null, { truncation: true });
  }

  const tokenizedDatasets = rawDatasets
    .map(tokenizeFunction, { batched: true })
    .removeColumns(["sentence", "idx"])
    .renameColumn("label", "labels")
    .setFormat("tfjs");
  const dataCollator = new DataCollatorWithPadding({ tokenizer });
  // #endregion sst2-tokenize
  return { rawDatasets, tokenizer, tokenizedDatasets, dataCollator };
}

/** The preset in one line and what to expect on SST-2: a model not pretrained scores about the majority class. */
export function sst2Notice(hp: Hyperparameters, validationLabels: readonly number[]): string {
  const { name, checkpoint, initFromSeed } = PRESETS[hp.preset];
  const positive = validationLabels.filter((l) => l === 1).length;
  const majority = Math.max(positive, validationLabels.length - positive) / validationLabels.length;
  return initFromSeed
    ? `Preset ${name}: ${checkpoint}'s vocabulary, initialised from the seed (not pretrained). On SST-2, expect about ` +
        `the majority class of validation (accuracy ${majority.toFixed(3)}); for more, --preset tiny-pretrained or course.`
    : `Preset ${name}: ${checkpoint}, pretrained, with a new classification head, fine-tuned on SST-2.`;
}

export async function run(options: Sst2Options = {}): Promise<Sst2Result> {
  const hp = hyperparameters({ ...options, dataset: { path: "glue", name: "sst2" } });
  const log = options.quiet ? () => {} : console.log;
  await selectDevice({ quiet: true });
  const { rawDatasets, tokenizedDatasets, dataCollator } = await preprocessSst2(PRESETS[hp.preset].tokenizer);
  log(rawDatasets.toString());
  const { trainDataloader, evalDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, hp);
  // The presets' notices speak of MRPC; this chapter prints its own, with SST-2's majority class.
  const model = await modelForPreset(hp.preset, hp.seed, { quiet: true });
  log(sst2Notice(hp, rawDatasets.splits.validation!.column("label") as readonly number[]));
  const optimizer = createOptimizer(hp.optim, model.parameters(), { lr: hp.lr });
  const { numTrainingSteps, numEpochs } = plannedSteps(hp, trainDataloader.length);
  const lrScheduler = getScheduler(hp.lrSchedulerType, { optimizer, numWarmupSteps: hp.numWarmupSteps, numTrainingSteps });
  const fullRunSteps = hp.numEpochs * trainDataloader.length;
  log(`${trainDataloader.length} training batches; ${fullRunSteps} steps for ${hp.numEpochs} epochs` + (hp.maxSteps ? `, stopping after ${numTrainingSteps} (--max-steps)` : ""));
  const training = { trainDataloader, model, optimizer, lrScheduler, numTrainingSteps, numEpochs };
  const device = await placeModel(model, options);
  const trainingRun = unsavedRun(training, hp, device.name);
  await new Trainer(training, trainingRun).run(options);

  // #region evaluation-loop
  const metric = evaluate.load("glue", "sst2");
  model.eval();
  for (const batch of evalDataloader) {
    const predictions = noGrad(() => model.forward(batch).logits.argMax(-1));
    metric.addBatch({ predictions, references: batch.labels! });
    tf.dispose(predictions);
    disposeBatch(batch);
  }
  const { accuracy } = metric.compute();
  // #endregion evaluation-loop
  log({ accuracy });
  optimizer.dispose();
  model.dispose();
  const { loss } = trainingRun.record.steps;
  return {
    numRows: { ...rawDatasets.numRows },
    trainColumnNames: [...tokenizedDatasets.train.columnNames].sort(),
    trainBatches: trainDataloader.length,
    evalBatches: evalDataloader.length,
    numTrainingSteps,
    fullRunSteps,
    stepsDone: trainingRun.step,
    firstLoss: loss[0]!,
    lastLoss: loss.at(-1)!,
    accuracy,
    backend: device.name,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseChapterArgs(process.argv.slice(2), {
    usage: "npm run sst2 -- [--max-steps N] [--preset NAME] [--optim NAME] [--lr LR] [--seed N]",
    about: "The course's exercise: the same loop on GLUE SST-2 (25257 steps for 3 epochs; --max-steps N for a short run), then accuracy on validation.",
    flags: ["preset", "optim", "lr", "epochs", "seed", "max-steps", "backend", "threads", "quiet"],
  });
  await run(args);
}
