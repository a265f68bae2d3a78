// DataCollatorWithPadding against transformers' collator on the real MRPC rows (reference), plus padding options.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataCollatorWithPadding, disposeBatch, type FeatureRow } from "../../src/data";
import { HUB_MIRROR, readReference } from "../helpers/shared";

type RefRow = { input_ids: number[]; token_type_ids: number[]; label: number };
type Collated = { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][]; labels: number[] };
type Ref = { splits: Record<string, { first_20: RefRow[]; first_8_collated_no_shuffle?: Collated }> };

// [PAD]'s id is its line in bert-base-uncased's vocab.txt (0-based).
const vocab = readFileSync(join(HUB_MIRROR, "models", "bert-base-uncased", "vocab.txt"), "utf8").split("\n");
const tokenizer = { padTokenId: vocab.indexOf("[PAD]") };
const ref = readReference<Ref>("mrpc-tokenized.json");
// What the course's tokenize_function gives a row (the tokenizer returns attention_mask of ones).
const asFeatures = (rows: RefRow[]): FeatureRow[] =>
  rows.map((r) => ({ input_ids: r.input_ids, token_type_ids: r.token_type_ids, attention_mask: r.input_ids.map(() => 1), label: r.label }));

describe("DataCollatorWithPadding", () => {
  // The reference holds a collated batch for train and validation only (not test).
  it.each(["train", "validation"])("collates the first 8 %s rows exactly as transformers does", (split) => {
    const collator = new DataCollatorWithPadding({ tokenizer });
    const batch = collator(asFeatures(ref.splits[split]!.first_20.slice(0, 8)));
    const want = ref.splits[split]!.first_8_collated_no_shuffle!;
    expect(batch.input_ids.dtype).toBe("int32");
    expect(batch.input_ids.shape).toEqual([8, want.input_ids[0]!.length]);
    expect(batch.input_ids.arraySync()).toEqual(want.input_ids);
    expect(batch.token_type_ids.arraySync()).toEqual(want.token_type_ids);
    expect(batch.attention_mask.arraySync()).toEqual(want.attention_mask);
    expect(batch.labels!.shape).toEqual([8]);
    expect(batch.labels!.dtype).toBe("int32");
    expect(batch.labels!.arraySync()).toEqual(want.labels);
    disposeBatch(batch);
  });

  it("creates the attention mask when rows have none, and keeps `labels` as is", () => {
    const rows = ref.splits.train!.first_20.slice(0, 8).map((r) => ({ input_ids: r.input_ids, token_type_ids: r.token_type_ids, labels: r.label }));
    const batch = new DataCollatorWithPadding({ tokenizer })(rows);
    const want = ref.splits.train!.first_8_collated_no_shuffle!;
    expect(batch.attention_mask.arraySync()).toEqual(want.attention_mask);
    expect(batch.labels!.arraySync()).toEqual(want.labels);
    disposeBatch(batch);
  });

  it("padToMultipleOf, left padding and a custom pad id", () => {
    const rows = [{ input_ids: [5, 6, 7] }, { input_ids: [8] }];
    const b = new DataCollatorWithPadding({ tokenizer: { padTokenId: 9, paddingSide: "left" }, padToMultipleOf: 4 })(rows);
    expect(b.input_ids.arraySync()).toEqual([[9, 5, 6, 7], [9, 9, 9, 8]]);
    expect(b.attention_mask.arraySync()).toEqual([[0, 1, 1, 1], [0, 0, 0, 1]]);
    expect(b.token_type_ids.arraySync()).toEqual([[0, 0, 0, 0], [0, 0, 0, 0]]);
    expect(b.labels).toBeUndefined();
    disposeBatch(b);
    const exact = new DataCollatorWithPadding({ tokenizer, padToMultipleOf: 4 })([{ input_ids: [1, 2, 3, 4] }]);
    expect(exact.input_ids.shape).toEqual([1, 4]);
    disposeBatch(exact);
  });

  it("leaks no tensors beyond the batch it returns", () => {
    const before = tf.memory().numTensors;
    const batch = new DataCollatorWithPadding({ tokenizer })(asFeatures(ref.splits.train!.first_20.slice(0, 8)));
    expect(tf.memory().numTensors).toBe(before + 4);
    disposeBatch(batch);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("errors name the problem and the fix", () => {
    expect(() => new DataCollatorWithPadding({ tokenizer: { padTokenId: undefined as unknown as number } })).toThrow(/no padTokenId/);
    const c = new DataCollatorWithPadding({ tokenizer });
    expect(() => c([])).toThrow(/empty list/);
    expect(() => c([{ input_ids: [1], sentence1: "x" } as FeatureRow])).toThrow(/column "sentence1".*removeColumns\(\["sentence1"\]\)/);
    expect(() => c([{ input_ids: [1, 2], attention_mask: [1] }])).toThrow(/row 0 has 1 attention_mask but 2 input_ids/);
    expect(() => c([{ input_ids: [1], label: 1 }, { input_ids: [1] }])).toThrow(/1 of 2 rows have no label/);
  });
});
