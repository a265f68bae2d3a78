// The kit's eval-mode logits of a saved model folder on MRPC validation, for bench/python/crossload.py to
// compare with transformers' on the same folder (a model saved by `kit train`, or by the Python course's
// save_pretrained). The folder's own tokenizer tokenizes (truncation=True), DataCollatorWithPadding pads,
// batches of 8 in row order. Run: `npx tsx bench/kit-logits.ts <model-dir> <out.json> [rows]`.
import { writeFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { selectDevice } from "../src/backend";
import { DataCollatorWithPadding, disposeBatch } from "../src/data";
import { loadDataset } from "../src/datasets";
import { AutoModelForSequenceClassification } from "../src/models/auto";
import { noGrad } from "../src/nn";
import { AutoTokenizer } from "../src/tokenizers";

async function main(): Promise<void> {
  const [dir, out, rowsArg] = process.argv.slice(2);
  if (!dir || !out) throw new Error("usage: npx tsx bench/kit-logits.ts <model-dir> <out.json> [rows, default all 408]");
  const device = await selectDevice({ quiet: true });
  const raw = await loadDataset("glue", "mrpc");
  const n = rowsArg === undefined ? raw.validation.numRows : Number(rowsArg);
  if (!Number.isInteger(n) || n < 1 || n > raw.validation.numRows) throw new Error(`rows: expected 1 to ${raw.validation.numRows}, got ${rowsArg}`);
  const tokenizer = await AutoTokenizer.fromPretrained(dir);
  const features = raw.validation
    .select(Array.from({ length: n }, (_, i) => i))
    .map((ex) => tokenizer.call(ex.sentence1, ex.sentence2, { truncation: true }), { batched: true })
    .removeColumns(["sentence1", "sentence2", "idx"])
    .renameColumn("label", "labels")
    .toList();
  const collator = new DataCollatorWithPadding({ tokenizer });
  const model = await AutoModelForSequenceClassification.fromPretrained(dir, { logger: (m) => console.error(m) });
  model.eval();
  const logits: number[][] = [];
  for (let i = 0; i < n; i += 8) {
    const batch = collator.call(features.slice(i, i + 8));
    const out8 = noGrad(() => model.forward(batch).logits);
    logits.push(...(out8.arraySync() as number[][]));
    tf.dispose(out8);
    disposeBatch(batch);
  }
  model.dispose();
  writeFileSync(out, JSON.stringify({ modelDir: dir, split: "validation", rows: n, backend: device.name, logits }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
