// Chapter 02 — dataloaders. Wraps the post-processed splits in DataLoaders that shuffle the training set
// (seeded) and pad each batch to its own longest row with the collator, then looks at one batch.
// Reproduces the course's "Dataloaders" lines of "A full training":
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
//
// Regions (for the docs): dataloaders, inspect-batch
import { pathToFileURL } from "node:url";
import { selectDevice } from "../src/backend";
import { DataLoader, disposeBatch, type Batch, type DataCollatorWithPadding, type FeatureRow } from "../src/data";
import type { Dataset, Row } from "../src/datasets";
import { hyperparameters, PRESETS, type Hyperparameters } from "../src/training/presets";
import { prepareMrpc } from "../src/training/course-data";
import { parseChapterArgs } from "../src/training/script";

export type DataloadersOptions = Partial<Pick<Hyperparameters, "preset" | "seed" | "batchSize">> & { quiet?: boolean };

export type DataloadersResult = {
  seed: number;
  batchSize: number;
  firstBatchShapes: Record<string, number[]>;
  trainBatches: number;
  evalBatches: number;
  lastTrainBatchRows: number;
};

type TokenizedSplit = Dataset<Row>;

/** The course's two DataLoaders, over the post-processed train and validation splits. */
export function makeDataloaders(
  tokenizedDatasets: { train: TokenizedSplit; validation: TokenizedSplit },
  dataCollator: DataCollatorWithPadding,
  options: { batchSize: number; seed: number },
) {
  const { batchSize, seed } = options;
  // #region dataloaders
  const trainDataloader = new DataLoader<FeatureRow, Batch>(tokenizedDatasets.train as unknown as Dataset<FeatureRow>, {
    shuffle: true,
    batchSize,
    collateFn: dataCollator,
    seed,
  });
  const evalDataloader = new DataLoader<FeatureRow, Batch>(tokenizedDatasets.validation as unknown as Dataset<FeatureRow>, {
    batchSize,
    collateFn: dataCollator,
  });
  // #endregion dataloaders
  return { trainDataloader, evalDataloader };
}

/** `{k: v.shape for k, v in batch.items()}` */
export function batchShapes(batch: Batch): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(batch)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, [...(v as { shape: number[] }).shape]]),
  );
}

export async function run(options: DataloadersOptions = {}): Promise<DataloadersResult> {
  const hp = hyperparameters(options);
  const log = options.quiet ? () => {} : console.log;
  // The collator makes tensors: choose the backend first (TF.js would otherwise default to its slow cpu one).
  await selectDevice({ quiet: true });
  const { tokenizedDatasets, dataCollator } = await prepareMrpc(PRESETS[hp.preset].tokenizer); // chapter 01, as a library call
  const { trainDataloader, evalDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, hp);

  // #region inspect-batch
  let firstBatchShapes: Record<string, number[]> = {};
  for (const batch of trainDataloader) {
    firstBatchShapes = batchShapes(batch);
    disposeBatch(batch);
    break;
  }
  log(firstBatchShapes);
  // #endregion inspect-batch

  const lastRows = trainDataloader.batchIndices(0).at(-1)!.length;
  log(`${trainDataloader.length} training batches, ${evalDataloader.length} evaluation batches`);
  return {
    seed: hp.seed,
    batchSize: hp.batchSize,
    firstBatchShapes,
    trainBatches: trainDataloader.length,
    evalBatches: evalDataloader.length,
    lastTrainBatchRows: lastRows,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseChapterArgs(process.argv.slice(2), {
    usage: "tsx chapters/02-dataloaders.ts [--seed N] [--preset NAME]",
    about: "Builds the training and evaluation DataLoaders (batch 8, shuffled with the seed) and prints one batch's shapes.",
    flags: ["preset", "seed"],
  });
  await run(args);
}
