// The kit's side of the paired run against the Python course (bench/python/course.py): the same batch order
// on both sides (exported here, followed there), the same starting head (loadClassifierHead), and dropout
// off (as transformers' hidden_dropout_prob / attention_probs_dropout_prob config overrides), so that the
// two runs differ only by floating-point rounding.
import { writeFile } from "node:fs/promises";
import { Dropout } from "../nn/dropout";
import type { BertForSequenceClassification } from "../models/bert";
import type { Hyperparameters } from "./presets";

/** The batch-order file: row indices of each batch, epoch by epoch (bench/python/course.py --batch-order reads it). */
export type BatchOrder = {
  dataset: string;
  split: "train";
  seed: number;
  batchSize: number;
  epochs: number[][][];
};

type BatchSource = { batchIndices(epoch: number): number[][] };

export function batchOrder(loader: BatchSource, numEpochs: number, hp: Pick<Hyperparameters, "dataset" | "seed" | "batchSize">): BatchOrder {
  const epochs = Array.from({ length: numEpochs }, (_, e) => loader.batchIndices(e));
  return { dataset: `${hp.dataset.path}/${hp.dataset.name}`, split: "train", seed: hp.seed, batchSize: hp.batchSize, epochs };
}

export async function writeBatchOrder(path: string, order: BatchOrder): Promise<void> {
  await writeFile(path, JSON.stringify(order));
}

/**
 * Set hidden_dropout_prob and attention_probs_dropout_prob to `p` on a built model, as transformers'
 * from_pretrained(..., hidden_dropout_prob=p, attention_probs_dropout_prob=p) does: every dropout layer,
 * the classifier's too unless the config gives it its own classifier_dropout.
 */
export function setDropout(model: BertForSequenceClassification, p: number): void {
  if (!(p >= 0 && p < 1)) throw new RangeError(`--dropout must be in [0, 1), got ${p} (0 turns dropout off for the paired run).`);
  const ownClassifierRate = model.config.classifierDropout !== null && model.config.classifierDropout !== undefined;
  for (const [name, module] of model.namedModules()) {
    if (!(module instanceof Dropout)) continue;
    if (name === "dropout" && ownClassifierRate) continue;
    // Dropout's rate is fixed at construction; the paired run changes it once, before training.
    (module as { p: number }).p = p;
  }
  model.config.hiddenDropoutProb = p;
  model.config.attentionProbsDropoutProb = p;
}
