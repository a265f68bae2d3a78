// Dataset / DatasetDict operations: results by hand-checkable facts, and every op leaves its source unchanged.
import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { ClassLabel, Dataset, DatasetDict, Features, Sequence, Value, type Row } from "../../src/datasets";
import { Generator } from "../../src/utils/random";

const rows = [
  { sentence1: "a b", sentence2: "c", label: 1, idx: 0 },
  { sentence1: "d", sentence2: "e f g", label: 0, idx: 1 },
  { sentence1: "h i j", sentence2: "k", label: 1, idx: 2 },
  { sentence1: "l", sentence2: "m n", label: 0, idx: 3 },
  { sentence1: "o p", sentence2: "q r", label: 1, idx: 4 },
];
const features = new Features([
  ["sentence1", new Value("string")],
  ["sentence2", new Value("string")],
  ["label", new ClassLabel(["not_equivalent", "equivalent"])],
  ["idx", new Value("int32")],
]);
const make = () => Dataset.fromList(rows, features);

/** Everything observable about a dataset, to compare before and after an operation. */
function snapshot(ds: Dataset<Row>): string {
  return JSON.stringify({ rows: ds.toList(), names: ds.columnNames, features: String(ds.features), format: ds.format, n: ds.numRows });
}

const words = (s: string) => s.split(" ");

describe("Dataset", () => {
  it("row and column access", () => {
    const ds = make();
    expect(ds.numRows).toBe(5);
    expect(ds.columnNames).toEqual(["sentence1", "sentence2", "label", "idx"]);
    expect(ds.at(2)).toEqual(rows[2]);
    expect(ds.at(-1)).toEqual(rows[4]);
    expect(() => ds.at(5)).toThrow(/out of range.*5 rows/);
    expect(ds.column("label")).toEqual([1, 0, 1, 0, 1]);
    expect([...ds]).toEqual(rows);
    expect(ds.slice(1, 3)).toEqual({ sentence1: ["d", "h i j"], sentence2: ["e f g", "k"], label: [0, 1], idx: [1, 2] });
    expect(ds.features.classLabel("label").names).toEqual(["not_equivalent", "equivalent"]);
  });

  it("select and shuffle", () => {
    const ds = make();
    expect(ds.select([4, 0, 0]).column("idx")).toEqual([4, 0, 0]);
    expect(() => ds.select([7])).toThrow(/index 7 is out of range/);
    // shuffle is the Generator's permutation for that seed, and the same seed gives the same order.
    const expected = new Generator(3).permutation(5);
    expect(ds.shuffle({ seed: 3 }).column("idx")).toEqual(expected);
    expect(ds.shuffle({ seed: 3 }).column("idx")).toEqual(ds.shuffle({ seed: 3 }).column("idx"));
    expect(ds.shuffle({ seed: 3 }).features).toBe(ds.features);
  });

  it("map, non-batched: the function gets a row and its index; results add or overwrite columns", () => {
    const seen: number[] = [];
    const out = make().map((row, i) => {
      seen.push(i);
      return { n1: words(row.sentence1).length, label: 1 - row.label };
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(out.columnNames).toEqual(["sentence1", "sentence2", "label", "idx", "n1"]);
    expect(out.column("n1")).toEqual([2, 1, 3, 1, 2]);
    expect(out.column("label")).toEqual([0, 1, 0, 1, 0]);
    expect(out.features.get("n1")).toEqual(new Value("int64"));
    expect(out.features.get("sentence1")).toEqual(new Value("string"));
  });

  it("map, batched: batches of batchSize columns; removeColumns drops inputs after the function", () => {
    const sizes: number[] = [];
    const out = make().map(
      (batch) => {
        sizes.push(batch.sentence1.length);
        return { input_ids: batch.sentence1.map((s, k) => [101, ...words(s).map((w) => w.charCodeAt(0)), 102, batch.idx[k]!]) };
      },
      { batched: true, batchSize: 2, removeColumns: ["sentence1", "sentence2", "idx"] },
    );
    expect(sizes).toEqual([2, 2, 1]);
    expect(out.columnNames).toEqual(["label", "input_ids"]);
    expect(out.column("input_ids")[2]).toEqual([101, 104, 105, 106, 102, 2]);
    expect(out.features.get("input_ids")).toEqual(new Sequence(new Value("int64")));
    expect(out.features.get("label")).toEqual(new ClassLabel(["not_equivalent", "equivalent"]));
    // default batchSize is 1000: one call for 5 rows
    let calls = 0;
    make().map((b) => (calls++, { x: b.idx }), { batched: true });
    expect(calls).toBe(1);
  });

  it("map, batched, may change the number of rows only when every input column is removed", () => {
    const all = ["sentence1", "sentence2", "label", "idx"] as const;
    const out = make().map((b) => ({ w: b.sentence1.flatMap(words) }), { batched: true, removeColumns: [...all] });
    expect(out.numRows).toBe(9); // 2 + 1 + 3 + 1 + 2 words
    expect(() => make().map((b) => ({ w: b.sentence1.flatMap(words) }), { batched: true })).toThrow(/returned 9 rows for a batch of 5/);
    expect(() => make().map(() => ({ a: [1, 2], b: [1] }), { batched: true })).toThrow(/different lengths: a=2, b=1/);
  });

  it("removeColumns / renameColumn, with errors naming the column and listing the columns", () => {
    const ds = make();
    expect(ds.removeColumns(["sentence1", "idx"]).columnNames).toEqual(["sentence2", "label"]);
    expect(ds.removeColumns("idx").columnNames).toEqual(["sentence1", "sentence2", "label"]);
    const renamed = ds.renameColumn("label", "labels");
    expect(renamed.columnNames).toEqual(["sentence1", "sentence2", "labels", "idx"]);
    expect(renamed.column("labels")).toEqual([1, 0, 1, 0, 1]);
    expect(renamed.features.get("labels")).toBeInstanceOf(ClassLabel);
    const missing = /column "sentence3" not in the dataset.*\['sentence1', 'sentence2', 'label', 'idx'\]/;
    expect(() => ds.removeColumns(["sentence3"])).toThrow(missing);
    expect(() => ds.renameColumn("sentence3", "x")).toThrow(missing);
    expect(() => ds.map((r) => r, { removeColumns: ["sentence3"] })).toThrow(missing);
    expect(() => ds.renameColumn("label", "idx")).toThrow(/a column "idx" already exists/);
  });

  it("setFormat is metadata: rows stay plain", () => {
    const ds = make().setFormat("tfjs");
    expect(ds.format).toEqual({ type: "tfjs", columns: null });
    expect(ds.at(0)).toEqual(rows[0]);
    expect(ds.setFormat(null).format.type).toBeNull();
    expect(() => make().setFormat("torch" as "tfjs")).toThrow(/"torch" is not supported/);
    // format columns follow renames and removals
    const f = make().setFormat("tfjs", { columns: ["label", "idx"] }).renameColumn("label", "labels").removeColumns("idx");
    expect(f.format).toEqual({ type: "tfjs", columns: ["labels"] });
  });

  it("every operation returns a new dataset and leaves the original unchanged", () => {
    const ds = make();
    const before = snapshot(ds);
    const ops: [string, () => unknown][] = [
      ["select", () => ds.select([1, 0])],
      ["shuffle", () => ds.shuffle({ seed: 1 })],
      ["filter", () => ds.filter((r) => r.label === 1)],
      ["take", () => ds.take(2)],
      ["map", () => ds.map((r) => ({ label: 7, extra: r.idx }))],
      ["map batched", () => ds.map((b) => ({ idx: b.idx.map((x) => x * 10) }), { batched: true, removeColumns: ["sentence1"] })],
      ["removeColumns", () => ds.removeColumns(["sentence2"])],
      ["renameColumn", () => ds.renameColumn("label", "labels")],
      ["renameColumns", () => ds.renameColumns({ label: "labels", idx: "id" })],
      ["setFormat", () => ds.setFormat("tfjs", { columns: ["label"] })],
      ["resetFormat", () => ds.resetFormat()],
    ];
    for (const [name, op] of ops) {
      const out = op();
      expect(out, name).not.toBe(ds);
      expect(snapshot(ds), name).toBe(before);
    }
    // unchanged columns are shared, not copied
    expect(ds.removeColumns("idx").column("sentence1")).toBe(ds.column("sentence1"));
    expect(ds.renameColumn("label", "labels").column("labels")).toBe(ds.column("label"));
  });

  it("prints like Python", () => {
    const s = "Dataset({\n    features: ['sentence1', 'sentence2', 'label', 'idx'],\n    num_rows: 5\n})";
    expect(String(make())).toBe(s);
    expect(inspect(make())).toBe(s);
  });
});

describe("DatasetDict", () => {
  const dict = () => DatasetDict.from({ train: make(), test: make().select([0, 1]) });

  it("applies each op per split, reaches splits as properties, and prints like the course", () => {
    const d = dict();
    expect(d.train.numRows).toBe(5);
    expect(d.get("test").numRows).toBe(2);
    const t = d.map((b) => ({ n: b.sentence2.map((s) => words(s).length) }), { batched: true }).removeColumns(["sentence1", "sentence2", "idx"]).renameColumn("label", "labels").setFormat("tfjs");
    expect(t.columnNames).toEqual({ train: ["labels", "n"], test: ["labels", "n"] });
    expect(t.test.column("n")).toEqual([1, 3]);
    expect(t.train.format.type).toBe("tfjs");
    expect(inspect(d)).toBe(
      "DatasetDict({\n    train: Dataset({\n        features: ['sentence1', 'sentence2', 'label', 'idx'],\n        num_rows: 5\n    })\n" +
        "    test: Dataset({\n        features: ['sentence1', 'sentence2', 'label', 'idx'],\n        num_rows: 2\n    })\n})",
    );
  });

  it("leaves the original unchanged, and names missing splits and columns", () => {
    const d = dict();
    const before = [snapshot(d.train), snapshot(d.test)];
    d.map((r) => ({ idx: -1 }));
    d.removeColumns("idx");
    d.renameColumn("label", "labels");
    d.setFormat("tfjs");
    d.shuffle({ seed: 0 });
    expect([snapshot(d.train), snapshot(d.test)]).toEqual(before);
    expect(() => d.get("validation" as "train")).toThrow(/no split "validation"; the splits are "train", "test"/);
    expect(() => d.removeColumns("nope")).toThrow(/column "nope" not in the dataset/);
  });
});
