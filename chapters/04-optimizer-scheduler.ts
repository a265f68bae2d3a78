// Chapter 04 — optimizer and learning-rate schedule. AdamW over the model's parameters (the legacy
// `transformers.AdamW` the French course text imports, or torch's with --optim adamw_torch), and the linear
// schedule from 5e-5 to 0 over 3 epochs x 459 batches = 1377 steps. Reproduces the course's lines:
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
//
// Regions (for the docs): optimizer, num-training-steps, scheduler
import { pathToFileURL } from "node:url";
import { selectDevice } from "../src/backend";
import type { DataLoader } from "../src/data";
import type { BertForSequenceClassification } from "../src/models/bert";
import { createOptimizer, getScheduler, type LambdaLR, type Optimizer } from "../src/optim";
import { hyperparameters, plannedSteps, PRESETS, type Hyperparameters } from "../src/training/presets";
import { makeDataloaders, prepareMrpc } from "../src/training/course-data";
import { modelForPreset } from "../src/training/preset-model";
import { parseChapterArgs } from "../src/training/script";

export type OptimizerSchedulerOptions = Partial<Hyperparameters> & { quiet?: boolean };

export type OptimizerSchedulerResult = {
  optim: Hyperparameters["optim"];
  lr: number;
  numEpochs: number;
  numTrainingSteps: number;
  firstLr: number;
  lastLr: number;
};

/** `optimizer = AdamW(model.parameters(), lr=5e-5)`; `hp.optim` picks the legacy or the torch semantics. */
export function makeOptimizer(model: BertForSequenceClassification, hp: Pick<Hyperparameters, "optim" | "lr">): Optimizer {
  // #region optimizer
  const optimizer = createOptimizer(hp.optim, model.parameters(), { lr: hp.lr });
  // #endregion optimizer
  return optimizer;
}

/** `num_training_steps = num_epochs * len(train_dataloader)` (or max_steps) and the linear schedule over it. */
export function makeScheduler(
  optimizer: Optimizer,
  trainDataloader: Pick<DataLoader<unknown, unknown>, "length">,
  hp: Pick<Hyperparameters, "numEpochs" | "maxSteps" | "numWarmupSteps" | "lrSchedulerType">,
): { lrScheduler: LambdaLR; numTrainingSteps: number; numEpochs: number } {
  // #region num-training-steps
  const { numTrainingSteps, numEpochs } = plannedSteps(hp, trainDataloader.length);
  // #endregion num-training-steps
  // #region scheduler
  const lrScheduler = getScheduler(hp.lrSchedulerType, {
    optimizer,
    numWarmupSteps: hp.numWarmupSteps,
    numTrainingSteps,
  });
  // #endregion scheduler
  return { lrScheduler, numTrainingSteps, numEpochs };
}

export async function run(options: OptimizerSchedulerOptions = {}): Promise<OptimizerSchedulerResult> {
  const hp = hyperparameters(options);
  const log = options.quiet ? () => {} : console.log;
  await selectDevice({ quiet: true });
  // Chapters 01 to 03, as library calls.
  const { tokenizedDatasets, dataCollator } = await prepareMrpc(PRESETS[hp.preset].tokenizer);
  const { trainDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, hp);
  const model = await modelForPreset(hp.preset, hp.seed, { quiet: true });
  const optimizer = makeOptimizer(model, hp);
  const { lrScheduler, numTrainingSteps, numEpochs } = makeScheduler(optimizer, trainDataloader, hp);
  log(numTrainingSteps);
  const firstLr = lrScheduler.getLastLr()[0]!;
  for (let i = 0; i < numTrainingSteps - 1; i++) lrScheduler.step();
  const lastLr = lrScheduler.getLastLr()[0]!;
  optimizer.dispose();
  model.dispose();
  return { optim: hp.optim, lr: hp.lr, numEpochs, numTrainingSteps, firstLr, lastLr };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseChapterArgs(process.argv.slice(2), {
    usage: "tsx chapters/04-optimizer-scheduler.ts [--optim adamw_legacy|adamw_torch] [--lr LR] [--epochs N]",
    about: "Creates AdamW and the linear schedule and prints the number of training steps (1377 for the course).",
    flags: ["preset", "optim", "lr", "epochs", "max-steps", "seed", "backend", "threads"],
  });
  await run(args);
}
