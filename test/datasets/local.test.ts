// loadDataset("parquet" | "csv" | "json", { dataFiles }) on files written to a temp dir.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassLabel, loadDataset, Value } from "../../src/datasets";
import { parseCsv } from "../../src/datasets/readers/csv";
import { HUB_MIRROR } from "../helpers/shared";

const MRPC_VALIDATION = join(HUB_MIRROR, "datasets", "nyu-mll", "glue", "mrpc", "validation-00000-of-00001.parquet");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kit-datasets-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadDataset("parquet")', () => {
  it("reads a local copy of MRPC validation with its features; a string is the train split", async () => {
    const file = join(dir, "val.parquet");
    copyFileSync(MRPC_VALIDATION, file);
    const d = await loadDataset("parquet", { dataFiles: file });
    expect(d.keys()).toEqual(["train"]);
    expect(d.train.numRows).toBe(408);
    expect(d.train.features.get("label")).toEqual(new ClassLabel(["not_equivalent", "equivalent"]));
    // a list of files is concatenated; a record gives named splits
    const two = await loadDataset("parquet", { dataFiles: { validation: [file, file], test: file } });
    expect(two.numRows).toEqual({ validation: 816, test: 408 });
    expect(two.validation.at(408)).toEqual(two.validation.at(0));
  });

  it.each([
    ["cut in half", (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
    ["missing its last 100 bytes", (b: Buffer) => b.subarray(0, b.length - 100)],
    ["only 10 bytes", (b: Buffer) => b.subarray(0, 10)],
  ])("a parquet file %s is an error naming the file", async (_label, cut) => {
    const file = join(dir, `cut-${Math.random().toString(36).slice(2)}.parquet`);
    writeFileSync(file, cut(readFileSync(MRPC_VALIDATION)));
    const err = await loadDataset("parquet", { dataFiles: file }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/truncated or corrupt/);
  });

  it("a parquet file with damaged data pages is an error naming the file", async () => {
    const file = join(dir, "damaged.parquet");
    const b = Buffer.from(readFileSync(MRPC_VALIDATION));
    b.fill(0xff, 200, b.length / 2);
    writeFileSync(file, b);
    await expect(loadDataset("parquet", { dataFiles: file })).rejects.toThrow(file);
  });

  it("a missing file is an error naming it", async () => {
    await expect(loadDataset("parquet", { dataFiles: join(dir, "nope.parquet") })).rejects.toThrow(/nope\.parquet/);
  });
});

describe('loadDataset("csv")', () => {
  it("parses quoted fields (commas, doubled quotes, newlines) and types columns like pandas", async () => {
    const file = join(dir, "pairs.csv");
    writeFileSync(
      file,
      'sentence1,sentence2,label,score,flag\r\n' +
        '"He said, ""hi""",plain,1,0.5,True\r\n' +
        '"two\nlines",,0,2,False\r\n' +
        "x,y,1,-1e3,true\n",
    );
    const d = await loadDataset("csv", { dataFiles: { train: file } });
    expect(d.train.toList()).toEqual([
      { sentence1: 'He said, "hi"', sentence2: "plain", label: 1, score: 0.5, flag: true },
      { sentence1: "two\nlines", sentence2: null, label: 0, score: 2, flag: false },
      { sentence1: "x", sentence2: "y", label: 1, score: -1000, flag: true },
    ]);
    expect(d.train.features.get("label")).toEqual(new Value("int64"));
    expect(d.train.features.get("score")).toEqual(new Value("float64"));
    expect(d.train.features.get("sentence1")).toEqual(new Value("string"));
  });

  it("reports an unclosed quote and a ragged record with the file", async () => {
    expect(() => parseCsv('a,b\n"x,1\n', { file: "f.csv" })).toThrow(/"f.csv".*line 2 is never closed/);
    const file = join(dir, "ragged.csv");
    writeFileSync(file, "a,b\n1,2\n3\n");
    await expect(loadDataset("csv", { dataFiles: file })).rejects.toThrow(/ragged\.csv.*record 2 has 1 fields but the header has 2/);
  });
});

describe('loadDataset("json")', () => {
  it("reads JSON Lines, an array of rows, and rows under a field", async () => {
    const rows = [{ text: "a", label: 1 }, { text: "b", label: 0, extra: [1, 2] }];
    const jl = join(dir, "rows.jsonl");
    const arr = join(dir, "rows.json");
    const nested = join(dir, "nested.json");
    writeFileSync(jl, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    writeFileSync(arr, JSON.stringify(rows, null, 2));
    writeFileSync(nested, JSON.stringify({ version: 1, data: rows }));
    const expected = [{ text: "a", label: 1, extra: null }, { text: "b", label: 0, extra: [1, 2] }];
    expect((await loadDataset("json", { dataFiles: jl })).train.toList()).toEqual(expected);
    expect((await loadDataset("json", { dataFiles: arr })).train.toList()).toEqual(expected);
    expect((await loadDataset("json", { dataFiles: nested, field: "data" })).train.toList()).toEqual(expected);
  });

  it("a bad line is an error with the file and line number", async () => {
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, '{"a": 1}\n{"a": 2\n');
    await expect(loadDataset("json", { dataFiles: file })).rejects.toThrow(/bad\.jsonl", line 2: not valid JSON/);
  });
});
