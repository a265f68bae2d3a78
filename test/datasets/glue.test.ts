// GLUE MRPC / SST-2 from the Hub's parquet files (the offline mirror), checked against the dataset card
// (../shared/hub/datasets/nyu-mll/glue/README.md), the brief's label counts and the reference rows.
import { beforeAll, describe, expect, it } from "vitest";
import { ClassLabel, loadDataset, Value, type GlueSplit, type MrpcRow, type SplitDict, type Sst2Row } from "../../src/datasets";
import { readReference } from "../helpers/shared";

type RefRow = { idx: number; label: number; sentence1: string; sentence2: string };
type MrpcRef = { splits: Record<GlueSplit, { num_rows: number; first_20: RefRow[]; label_counts: Record<string, number> }> };

const counts = (labels: readonly number[]): Record<number, number> => {
  const out: Record<number, number> = {};
  for (const l of labels) out[l] = (out[l] ?? 0) + 1;
  return out;
};

describe('loadDataset("glue", "mrpc")', () => {
  let mrpc: SplitDict<MrpcRow, GlueSplit>;
  beforeAll(async () => {
    mrpc = await loadDataset("glue", "mrpc");
  });

  it("has the three splits with the card's row counts", () => {
    expect(mrpc.keys()).toEqual(["train", "validation", "test"]);
    expect(mrpc.numRows).toEqual({ train: 3668, validation: 408, test: 1725 });
    expect(mrpc.train.columnNames).toEqual(["sentence1", "sentence2", "label", "idx"]);
  });

  it("has the label counts of the brief (train 2474/1194, validation 279/129, test 1147/578)", () => {
    expect(counts(mrpc.train.column("label"))).toEqual({ 0: 1194, 1: 2474 });
    expect(counts(mrpc.validation.column("label"))).toEqual({ 0: 129, 1: 279 });
    expect(counts(mrpc.test.column("label"))).toEqual({ 0: 578, 1: 1147 });
  });

  it("reads the same first 20 rows as Python datasets (reference)", () => {
    const ref = readReference<MrpcRef>("mrpc-tokenized.json");
    for (const split of ["train", "validation", "test"] as const) {
      expect(mrpc.get(split).numRows).toBe(ref.splits[split].num_rows);
      ref.splits[split].first_20.forEach((r, i) => {
        expect(mrpc.get(split).at(i)).toEqual({ sentence1: r.sentence1, sentence2: r.sentence2, label: r.label, idx: r.idx });
      });
    }
  });

  it("has the card's features, ClassLabel names included, printed like Python", () => {
    const f = mrpc.train.features;
    expect(f.get("sentence1")).toEqual(new Value("string"));
    expect(f.classLabel("label").names).toEqual(["not_equivalent", "equivalent"]);
    expect(f.classLabel("label").int2str(1)).toBe("equivalent");
    expect(f.get("idx")).toEqual(new Value("int32"));
    expect(String(f)).toBe(
      "{'sentence1': Value(dtype='string'), 'sentence2': Value(dtype='string'), " +
        "'label': ClassLabel(names=['not_equivalent', 'equivalent']), 'idx': Value(dtype='int32')}",
    );
  });

  it("prints like the course", () => {
    const block = (n: number) =>
      `Dataset({\n        features: ['sentence1', 'sentence2', 'label', 'idx'],\n        num_rows: ${n}\n    })`;
    expect(String(mrpc)).toBe(`DatasetDict({\n    train: ${block(3668)}\n    validation: ${block(408)}\n    test: ${block(1725)}\n})`);
    expect(String(mrpc.train)).toBe("Dataset({\n    features: ['sentence1', 'sentence2', 'label', 'idx'],\n    num_rows: 3668\n})");
  });
});

describe('loadDataset("glue", "sst2")', () => {
  it("has 67349 / 872 / 1821 rows, negative/positive labels (load time printed, not asserted)", async () => {
    const t0 = performance.now();
    const sst2: SplitDict<Sst2Row, GlueSplit> = await loadDataset("glue", "sst2");
    const ms = performance.now() - t0;
    console.log(`loadDataset("glue", "sst2") took ${ms.toFixed(0)} ms (all three splits)`);
    expect(sst2.numRows).toEqual({ train: 67349, validation: 872, test: 1821 });
    expect(sst2.train.columnNames).toEqual(["sentence", "label", "idx"]);
    expect(sst2.train.features.get("label")).toEqual(new ClassLabel(["negative", "positive"]));
    // GLUE hides test labels: every SST-2 test label is -1.
    expect(new Set(sst2.test.column("label"))).toEqual(new Set([-1]));
  });
});

describe("loadDataset errors", () => {
  it("an unknown GLUE config lists the valid ones", async () => {
    const err = await loadDataset("glue", "mrcp").catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain('"mrcp"');
    for (const c of ["cola", "mnli", "mrpc", "qnli", "qqp", "rte", "sst2", "stsb", "wnli", "ax"]) expect(msg).toContain(`"${c}"`);
  });

  it("an unknown dataset path says what is supported", async () => {
    await expect(loadDataset("imdb" as "csv", { dataFiles: "x" })).rejects.toThrow(/"imdb" is not supported/);
  });

  it("a GLUE config whose files are not local goes to the Hub and names the file it looked for", async () => {
    // Offline, so the Hub tier fails at once with its "not found" error instead of trying the network.
    const before = process.env.HF_HUB_OFFLINE;
    process.env.HF_HUB_OFFLINE = "1";
    try {
      await expect(loadDataset("glue", "cola")).rejects.toThrow(/cola\/train-00000-of-00001\.parquet/);
    } finally {
      if (before === undefined) delete process.env.HF_HUB_OFFLINE;
      else process.env.HF_HUB_OFFLINE = before;
    }
  });
});
