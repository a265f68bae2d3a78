// The course's MRPC pipeline, for the training tests: loadDataset("glue", "mrpc"), the bert-base-uncased
// tokenizer through map(batched), removeColumns / renameColumn / setFormat, DataCollatorWithPadding.
import { DataCollatorWithPadding } from "../../src/data";
import { loadDataset } from "../../src/datasets";
import { BertConfig } from "../../src/models/bert";
import { AutoTokenizer } from "../../src/tokenizers";

export const CHECKPOINT = "bert-base-uncased";

export async function tokenizedMrpc() {
  const rawDatasets = await loadDataset("glue", "mrpc");
  const tokenizer = await AutoTokenizer.fromPretrained(CHECKPOINT);
  const tokenized = rawDatasets
    .map((ex) => tokenizer.call(ex.sentence1, ex.sentence2, { truncation: true }), { batched: true })
    .removeColumns(["sentence1", "sentence2", "idx"])
    .renameColumn("label", "labels")
    .setFormat("tfjs");
  const dataCollator = new DataCollatorWithPadding({ tokenizer });
  return { tokenizer, tokenized, dataCollator };
}

/** A config with bert-base-uncased's vocabulary (its ids must fit) and the given shape. */
export function configWith(shape: { numHiddenLayers: number; hiddenSize: number; numAttentionHeads: number; intermediateSize: number }, tokenizerVocabSize: number): BertConfig {
  return new BertConfig({ vocabSize: tokenizerVocabSize, numLabels: 2, ...shape });
}

/** BERT-Tiny's shape (google/bert_uncased_L-2_H-128_A-2). */
export const BERT_TINY = { numHiddenLayers: 2, hiddenSize: 128, numAttentionHeads: 2, intermediateSize: 512 } as const;
