// The data side of a training run, as the course sets it up: GLUE MRPC tokenized with the checkpoint's
// tokenizer (truncated, padded per batch by the collator), the text columns dropped, `label` renamed
// `labels`, and two DataLoaders (the training one shuffled with the seed).
import { DataCollatorWithPadding, DataLoader, type Batch, type FeatureRow } from "../data";
import { loadDataset, type Dataset, type Row } from "../datasets";
import { AutoTokenizer } from "../tokenizers";

/** MRPC tokenized and post-processed for a hand-written loop, with its tokenizer and collator. */
export async function prepareMrpc(checkpoint: string) {
  const rawDatasets = await loadDataset("glue", "mrpc");
  const tokenizer = await AutoTokenizer.fromPretrained(checkpoint);
  const tokenizedDatasets = rawDatasets
    .map((example: { sentence1: string[]; sentence2: string[] }) => tokenizer.call(example.sentence1, example.sentence2, { truncation: true }), {
      batched: true,
    })
    .removeColumns(["sentence1", "sentence2", "idx"])
    .renameColumn("label", "labels")
    .setFormat("tfjs");
  const dataCollator = new DataCollatorWithPadding({ tokenizer });
  return { rawDatasets, tokenizer, tokenizedDatasets, dataCollator };
}

export type PreparedData = Awaited<ReturnType<typeof prepareMrpc>>;

/** The training DataLoader (shuffled with `seed`) and the evaluation one, both padding each batch with the collator. */
export function makeDataloaders(
  tokenizedDatasets: { train: Dataset<Row>; validation: Dataset<Row> },
  dataCollator: DataCollatorWithPadding,
  options: { batchSize: number; seed: number },
): { trainDataloader: DataLoader<FeatureRow, Batch>; evalDataloader: DataLoader<FeatureRow, Batch> } {
  const { batchSize, seed } = options;
  // The post-processed rows hold the tokenizer's columns and labels: what FeatureRow names.
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
  return { trainDataloader, evalDataloader };
}
