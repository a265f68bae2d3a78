// Everything a run trains with, built from its hyperparameters: data, model, optimizer and schedule — the
// course's set-up before its loop, as library calls. The chapters build the same objects with the course's
// lines (chapters/tutorial.ts passes their set-up to train() instead of this one).
import { selectDevice, type Device } from "../backend";
import type { Batch, DataLoader, FeatureRow } from "../data";
import type { BertForSequenceClassification } from "../models/bert";
import type { BertTokenizer } from "../tokenizers";
import { createOptimizer, getScheduler, type LambdaLR, type Optimizer } from "../optim";
import { makeDataloaders, prepareMrpc } from "./course-data";
import { modelForPreset } from "./preset-model";
import { plannedSteps, presetFilesError, PRESETS, type Hyperparameters } from "./presets";

/** The objects of a run; the training loop, its checkpoints and the evaluation work on these. */
export type Training = {
  tokenizer: BertTokenizer;
  trainDataloader: DataLoader<FeatureRow, Batch>;
  evalDataloader: DataLoader<FeatureRow, Batch>;
  model: BertForSequenceClassification;
  optimizer: Optimizer;
  lrScheduler: LambdaLR;
  numTrainingSteps: number;
  numEpochs: number;
};

export async function setUpTraining(hp: Hyperparameters, options: { quiet?: boolean } = {}): Promise<Training> {
  // TF.js has one backend per process, and tensors are made on the current one: choose it before any.
  await selectDevice({ quiet: true });
  const { tokenizer, tokenizedDatasets, dataCollator } = await prepareMrpc(PRESETS[hp.preset].tokenizer).catch((err: unknown) => {
    throw presetFilesError(hp.preset, err);
  });
  const { trainDataloader, evalDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, hp);
  const model = await modelForPreset(hp.preset, hp.seed, { quiet: options.quiet });
  const optimizer = createOptimizer(hp.optim, model.parameters(), { lr: hp.lr });
  const { numTrainingSteps, numEpochs } = plannedSteps(hp, trainDataloader.length);
  const lrScheduler = getScheduler(hp.lrSchedulerType, { optimizer, numWarmupSteps: hp.numWarmupSteps, numTrainingSteps });
  return { tokenizer, trainDataloader, evalDataloader, model, optimizer, lrScheduler, numTrainingSteps, numEpochs };
}

/** Print which backend runs and put the model there. */
export async function placeModel(model: BertForSequenceClassification, options: { quiet?: boolean } = {}): Promise<Device> {
  const device = await selectDevice({ quiet: options.quiet });
  model.to(device);
  return device;
}
