// DataLoader and samplers: the course's batch counts on MRPC's real row lengths (reference), the collated
// first batch through the course pipeline, seeded orders, and resuming mid-epoch.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { BatchSampler, DataCollatorWithPadding, DataLoader, RandomSampler, SequentialSampler, disposeBatch, type Sampler } from "../../src/data";
import { Dataset } from "../../src/datasets";
import { readReference } from "../helpers/shared";

type RefRow = { idx: number; label: number; sentence1: string; sentence2: string; input_ids: number[]; token_type_ids: number[]; tokens: string[] };
type Ref = {
  splits: Record<string, { num_rows: number; lengths: number[]; batches_of_8: number; first_20: RefRow[]; first_8_collated_no_shuffle?: Record<string, number[][] | number[]> }>;
  num_training_steps_3_epochs: number;
};
const ref = readReference<Ref>("mrpc-tokenized.json");
const collator = new DataCollatorWithPadding({ tokenizer: { padTokenId: 0 } });

/** Rows of MRPC's true tokenized lengths (ids are the row number, so batches are traceable). */
const rowsOfSplit = (split: string) =>
  Dataset.fromList(ref.splits[split]!.lengths.map((len, i) => ({ input_ids: new Array<number>(len).fill(i), label: i % 2 })));

describe("DataLoader on MRPC's shapes", () => {
  it.each([
    ["train", 3668, 459, 4],
    ["validation", 408, 51, 8],
  ])("%s: %i rows in batches of 8 give %i batches, the last [%i, L], each padded to its own longest row", (split, n, batches, last) => {
    const ds = rowsOfSplit(split);
    expect(ds.numRows).toBe(n);
    const dl = new DataLoader(ds, { batchSize: 8, collateFn: collator });
    expect(dl.length).toBe(batches);
    expect(dl.length).toBe(ref.splits[split]!.batches_of_8);
    const lengths = ref.splits[split]!.lengths;
    let k = 0;
    let lastRows = -1;
    for (const batch of dl) {
      lastRows = batch.input_ids.shape[0];
      const rows = lengths.slice(8 * k, 8 * k + 8);
      expect(batch.input_ids.shape).toEqual([rows.length, Math.max(...rows)]);
      expect(batch.labels!.shape).toEqual([rows.length]);
      disposeBatch(batch);
      k++;
    }
    expect(k).toBe(batches);
    expect(lastRows).toBe(last);
    expect(new DataLoader(ds, { batchSize: 8, dropLast: true }).length).toBe(Math.floor(n / 8));
  });

  it("3 epochs of train batches are the course's 1377 training steps", () => {
    expect(3 * new DataLoader(rowsOfSplit("train"), { batchSize: 8, shuffle: true }).length).toBe(ref.num_training_steps_3_epochs);
  });

  it("the course pipeline (removeColumns, renameColumn, setFormat) gives the reference's first batch", () => {
    const want = ref.splits.train!.first_8_collated_no_shuffle!;
    const tokenized = Dataset.fromList(ref.splits.train!.first_20)
      .map((r) => ({ attention_mask: r.input_ids.map(() => 1) }))
      .removeColumns(["sentence1", "sentence2", "idx", "tokens"])
      .renameColumn("label", "labels")
      .setFormat("tfjs");
    expect(tokenized.columnNames).toEqual(["labels", "input_ids", "token_type_ids", "attention_mask"]);
    const dl = new DataLoader(tokenized, { batchSize: 8, collateFn: collator });
    const before = tf.memory().numTensors;
    for (const batch of dl) {
      expect(batch.input_ids.arraySync()).toEqual(want.input_ids);
      expect(batch.token_type_ids.arraySync()).toEqual(want.token_type_ids);
      expect(batch.attention_mask.arraySync()).toEqual(want.attention_mask);
      expect(batch.labels!.arraySync()).toEqual(want.labels);
      disposeBatch(batch);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

const orderOf = (dl: DataLoader<{ i: number }, { i: number }[]>) => Array.from(dl, (b) => b.map((r) => r.i));
const indexRows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

describe("DataLoader orders", () => {
  it("each epoch visits every row exactly once, in a new order; the same seed replays the same orders", () => {
    const make = (seed: number) => new DataLoader(indexRows(50), { batchSize: 8, shuffle: true, seed, collateFn: (rows) => rows });
    const a = make(7);
    const b = make(7);
    const epochsA = [orderOf(a), orderOf(a), orderOf(a)];
    const epochsB = [orderOf(b), orderOf(b), orderOf(b)];
    expect(epochsA).toEqual(epochsB);
    expect(a.epoch).toBe(3);
    for (const e of epochsA) {
      expect(e.length).toBe(7);
      expect(e[6]!.length).toBe(2);
      expect(e.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    }
    expect(epochsA[0]).not.toEqual(epochsA[1]);
    expect(epochsA[1]).not.toEqual(epochsA[2]);
    expect(epochsA[0]!.flat()).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(orderOf(make(8))).not.toEqual(epochsA[0]);
    // setEpoch goes straight to an epoch's order
    const c = make(7);
    c.setEpoch(2);
    expect(orderOf(c)).toEqual(epochsA[2]);
  });

  it("without shuffle the order is 0..n-1 every epoch", () => {
    const dl = new DataLoader(indexRows(10), { batchSize: 4, collateFn: (rows) => rows });
    expect(orderOf(dl)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(orderOf(dl)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it("resumes mid-epoch at the next batch, with the same order, then carries on to the next epochs", () => {
    const make = () => new DataLoader(indexRows(30), { batchSize: 4, shuffle: true, seed: 1, collateFn: (rows: { i: number }[]) => rows });
    const straight = make();
    const full = [orderOf(straight), orderOf(straight)];

    const first = make();
    orderOf(first); // epoch 0 done
    const seen: number[][] = [];
    for (const b of first) {
      seen.push(b.map((r) => r.i));
      if (seen.length === 3) break; // "crash" after 3 batches of epoch 1
    }
    const saved = first.state();
    expect(saved).toEqual({ epoch: 1, batchIndex: 3 });

    const resumed = make();
    resumed.loadState(JSON.parse(JSON.stringify(saved)));
    const rest = orderOf(resumed);
    expect([...seen, ...rest]).toEqual(full[1]);
    expect(resumed.state()).toEqual({ epoch: 2, batchIndex: 0 });
    const straightNext = orderOf(straight);
    expect(orderOf(resumed)).toEqual(straightNext);

    // an end-of-epoch position is the start of the next one
    const end = make();
    end.loadState({ epoch: 0, batchIndex: end.length });
    expect(end.state()).toEqual({ epoch: 1, batchIndex: 0 });
    expect(() => end.loadState({ epoch: 0, batchIndex: end.length + 1 })).toThrow(/batchIndex <= 8/);
  });

  it("breaking out of a loop (the course's peek at one batch) replays that epoch from its start", () => {
    const dl = new DataLoader(indexRows(12), { batchSize: 4, shuffle: true, seed: 3, collateFn: (rows: { i: number }[]) => rows });
    const expected = new DataLoader(indexRows(12), { batchSize: 4, shuffle: true, seed: 3, collateFn: (rows: { i: number }[]) => rows });
    for (const _ of dl) break;
    expect(dl.epoch).toBe(0);
    expect(orderOf(dl)).toEqual(orderOf(expected));
  });

  it("async iteration yields the same batches", async () => {
    const dl = new DataLoader(indexRows(9), { batchSize: 2, shuffle: true, seed: 5, collateFn: (rows: { i: number }[]) => rows });
    const sync = orderOf(new DataLoader(indexRows(9), { batchSize: 2, shuffle: true, seed: 5, collateFn: (rows: { i: number }[]) => rows }));
    const got: number[][] = [];
    for await (const b of dl) got.push(b.map((r) => r.i));
    expect(got).toEqual(sync);
    expect(dl.epoch).toBe(1);
  });
});

describe("samplers and the default collate", () => {
  it("RandomSampler is a function of (seed, epoch); BatchSampler groups it; a custom sampler is honoured", () => {
    const s = new RandomSampler(20, { seed: 11 });
    expect(s.indices(4)).toEqual(new RandomSampler(20, { seed: 11 }).indices(4));
    expect(s.indices(0)).not.toEqual(s.indices(1));
    expect(new SequentialSampler(3).indices()).toEqual([0, 1, 2]);
    const bs = new BatchSampler(new SequentialSampler(7), 3, true);
    expect(bs.length).toBe(2);
    expect(bs.batches(0)).toEqual([[0, 1, 2], [3, 4, 5]]);
    const evens: Sampler = { length: 5, indices: () => [0, 2, 4, 6, 8] };
    expect(orderOf(new DataLoader(indexRows(10), { batchSize: 2, sampler: evens, collateFn: (r) => r }))).toEqual([[0, 2], [4, 6], [8]]);
    expect(() => new DataLoader(indexRows(10), { sampler: evens, shuffle: true })).toThrow(/mutually exclusive with shuffle/);
    expect(() => new BatchSampler(evens, 0)).toThrow(/positive integer/);
  });

  it("without a collateFn, format tfjs stacks columns into int32 tensors; no format keeps plain lists", () => {
    const ds = Dataset.fromList([{ ids: [1, 2], y: 0, s: "a" }, { ids: [3, 4], y: 1, s: "b" }]);
    const [plain] = [...new DataLoader(ds, { batchSize: 2 })];
    expect(plain).toEqual({ ids: [[1, 2], [3, 4]], y: [0, 1], s: ["a", "b"] });
    const [t] = [...new DataLoader(ds.setFormat("tfjs", { columns: ["ids", "y"] }), { batchSize: 2 })];
    expect(Object.keys(t!)).toEqual(["ids", "y"]);
    const ids = t!.ids as tf.Tensor;
    expect(ids.dtype).toBe("int32");
    expect(ids.arraySync()).toEqual([[1, 2], [3, 4]]);
    disposeBatch(t!);
    const ragged = Dataset.fromList([{ ids: [1] }, { ids: [1, 2] }]).setFormat("tfjs");
    expect(() => [...new DataLoader(ragged, { batchSize: 2 })]).toThrow(/"ids" has rows of different lengths.*DataCollatorWithPadding/);
  });
});
