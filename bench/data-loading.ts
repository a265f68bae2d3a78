// DataLoader + collate throughput on the course's pipeline: MRPC train tokenized (map batched), columns
// removed/renamed, shuffled batches of 8 padded by DataCollatorWithPadding into int32 tensors. Times one
// full epoch (459 batches), tensors created and disposed, no model. Loading and tokenizing are not timed.
import { DataCollatorWithPadding, DataLoader, disposeBatch } from "../src/data";
import { loadDataset } from "../src/datasets";
import { AutoTokenizer } from "../src/tokenizers";

export interface DataLoadingBench {
  batches: number;
  examples: number;
  seconds: number;
  batchesPerSecond: number;
  examplesPerSecond: number;
}

export async function benchDataLoading(checkpoint = "bert-base-uncased"): Promise<DataLoadingBench> {
  const raw = await loadDataset("glue", "mrpc");
  const tokenizer = await AutoTokenizer.fromPretrained(checkpoint);
  const tokenized = raw.train
    .map((ex: { sentence1: string[]; sentence2: string[] }) => tokenizer.call(ex.sentence1, ex.sentence2, { truncation: true }), {
      batched: true,
    })
    .removeColumns(["sentence1", "sentence2", "idx"])
    .renameColumn("label", "labels")
    .setFormat("tfjs");
  const collator = new DataCollatorWithPadding({ tokenizer });
  const loader = new DataLoader(tokenized, { batchSize: 8, shuffle: true, seed: 42, collateFn: collator });
  const start = performance.now();
  let batches = 0;
  let examples = 0;
  for (const batch of loader) {
    batches += 1;
    examples += batch.input_ids.shape[0]!;
    disposeBatch(batch);
  }
  const seconds = (performance.now() - start) / 1000;
  return { batches, examples, seconds, batchesPerSecond: batches / seconds, examplesPerSecond: examples / seconds };
}
