// The pretrained checkpoint (sentence-transformers/all-MiniLM-L6-v2, read from the Hugging Face cache or
// the mirror through fromPretrained) against PyTorch 2.13 / transformers 4.49 on real MRPC validation
// batches (bench/python/reference.py): the kit's tokenizer and collator give the recorded batches; in
// eval mode, with the shared classification head, logits, loss, pooler output and every hidden state
// (two rows in full, the whole tensor by sum / abs-sum / first values) are close by DESIGN.md §6's rule
// (forward values: the rule only, no float64 clause).
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { DataCollatorWithPadding } from "../../src/data";
import { loadDataset } from "../../src/datasets";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import type { BertForSequenceClassification } from "../../src/models/bert";
import { noGrad } from "../../src/nn";
import { AutoTokenizer } from "../../src/tokenizers";
import { loadClassifierHead } from "../../src/training/classifier-head";
import { RTOL } from "../helpers/close";
import { PRETRAINED_HEAD, checkFull, checkStats, pretrainedRef, toBatch } from "../helpers/pretrained-reference";

const quiet = { logger: () => {} };
let model: BertForSequenceClassification;

beforeAll(async () => {
  await useBackend("wasm");
  model = await AutoModelForSequenceClassification.fromPretrained(pretrainedRef.checkpoint, { ...quiet, numLabels: 2 });
  await loadClassifierHead(model, PRETRAINED_HEAD);
  model.eval();
});
afterAll(() => model?.dispose());

describe(`${pretrainedRef.checkpoint} vs PyTorch, eval mode on MRPC validation (wasm)`, () => {
  it("loads every encoder tensor from the checkpoint, the head from the shared file, named as PyTorch's", () => {
    expect(model.loadingInfo!.missingKeys.sort()).toEqual(["classifier.bias", "classifier.weight"]);
    expect(model.namedParameters().map(([n]) => n)).toEqual(pretrainedRef.parameter_names_in_order);
  });

  it("the kit's tokenizer and DataCollatorWithPadding give the recorded batches", async () => {
    const raw = await loadDataset("glue", "mrpc");
    const tokenizer = await AutoTokenizer.fromPretrained(pretrainedRef.checkpoint);
    const collator = new DataCollatorWithPadding({ tokenizer });
    const cases = [
      ...pretrainedRef.eval.map((e) => ({ split: "validation" as const, rows: e.rows, batch: e.batch })),
      ...pretrainedRef.train.map((s) => ({ split: "train" as const, rows: s.rows, batch: s.batch })),
    ];
    for (const c of cases) {
      const features = raw[c.split]
        .select(c.rows)
        .map((ex) => tokenizer.call(ex.sentence1, ex.sentence2, { truncation: true }), { batched: true })
        .removeColumns(["sentence1", "sentence2", "idx"])
        .renameColumn("label", "labels")
        .toList();
      const batch = collator.call(features);
      for (const key of ["input_ids", "attention_mask", "token_type_ids", "labels"] as const) {
        expect(batch[key]!.arraySync(), `${c.split} rows ${c.rows[0]}-${c.rows.at(-1)}: ${key}`).toEqual(c.batch[key]);
      }
      tf.dispose(Object.values(batch));
    }
  });

  pretrainedRef.eval.forEach((ref, k) => {
    it(`batch ${k + 1} (validation rows ${ref.rows[0]}-${ref.rows.at(-1)}): logits, loss, pooler output, every hidden state`, () => {
      const batch = toBatch(ref.batch);
      const before = tf.memory().numTensors;
      const out = noGrad(() => model.forward(batch, { outputHiddenStates: true }));
      checkFull("logits", out.logits.dataSync(), ref.logits, RTOL.logits, false);
      checkFull("loss", out.loss!.dataSync(), ref.loss, RTOL.loss, false);
      checkFull("pooler output", out.poolerOutput!.dataSync(), ref.pooler_output, RTOL.hidden, false);
      expect(out.hiddenStates!.length).toBe(ref.hidden_states.length);
      ref.hidden_states.forEach((h, l) => {
        const ours = out.hiddenStates![l]!;
        expect(ours.shape).toEqual(h.stats.shape);
        checkStats(`hidden state ${l}`, ours.dataSync(), h.stats, RTOL.hidden, false);
        const values = ours.arraySync() as number[][][];
        ref.hidden_state_rows.forEach(([b, t], i) => {
          checkFull(`hidden state ${l} [${b}, ${t}]`, values[b]![t]!, h.rows[i]!, RTOL.hidden, false);
        });
      });
      tf.dispose([out.logits, out.loss!, out.poolerOutput!, ...out.hiddenStates!]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(Object.values(batch));
    });
  });
});
