// Every row of every MRPC split tokenized as the course does (`tokenizer(s1, s2, truncation=True)`,
// batched) against transformers 4.31: lengths, sums, sha256 of the id lists and the first 20 rows in full.
// The parquet files are read here with hyparquet directly, so this test does not depend on loadDataset.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { beforeAll, describe, expect, it } from "vitest";
import { AutoTokenizer, type BertTokenizer } from "../../src/tokenizers/index";
import { HUB_MIRROR, readReference } from "../helpers/shared";

interface SplitRef {
  num_rows: number;
  lengths: number[];
  max_length: number;
  sum_lengths: number;
  sum_input_ids: number;
  sha256_input_ids_json: string;
  sha256_token_type_ids_json: string;
  hash_note: string;
  first_20: Array<{ idx: number; sentence1: string; sentence2: string; input_ids: number[]; token_type_ids: number[]; tokens: string[] }>;
}
const ref = readReference<{ call: string; splits: Record<string, SplitRef> }>("mrpc-tokenized.json");

// json.dumps(list_of_lists, separators=(',', ':')) of integers is exactly JSON.stringify's output.
const sha256Json = (lists: number[][]): string => createHash("sha256").update(JSON.stringify(lists)).digest("hex");

async function readSplit(split: string): Promise<Array<{ sentence1: string; sentence2: string; idx: number }>> {
  const path = join(HUB_MIRROR, "datasets", "nyu-mll", "glue", "mrpc", `${split}-00000-of-00001.parquet`);
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path), compressors });
  return rows as Array<{ sentence1: string; sentence2: string; idx: number }>;
}

let tokenizer: BertTokenizer;
beforeAll(async () => {
  tokenizer = await AutoTokenizer.fromPretrained("bert-base-uncased");
});

describe("MRPC tokenized as the course does", () => {
  it("the reference describes the call and hashes we reproduce", () => {
    expect(ref.call).toContain("tokenizer(sentence1, sentence2, truncation=True)");
    for (const s of Object.values(ref.splits)) expect(s.hash_note).toBe("sha256 of json.dumps(list_of_lists, separators=(',', ':'))");
  });

  for (const split of ["train", "validation", "test"]) {
    it(`${split}: every row equals transformers`, async () => {
      const r = ref.splits[split]!;
      const rows = await readSplit(split);
      expect(rows.length).toBe(r.num_rows);
      const enc = tokenizer.call(
        rows.map((x) => x.sentence1),
        rows.map((x) => x.sentence2),
        { truncation: true },
      );
      const lengths = enc.input_ids.map((ids) => ids.length);
      expect(lengths).toEqual(r.lengths);
      expect(Math.max(...lengths)).toBe(r.max_length);
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(r.sum_lengths);
      expect(enc.input_ids.reduce((a, ids) => a + ids.reduce((x, y) => x + y, 0), 0)).toBe(r.sum_input_ids);
      expect(sha256Json(enc.input_ids)).toBe(r.sha256_input_ids_json);
      expect(sha256Json(enc.token_type_ids)).toBe(r.sha256_token_type_ids_json);
      enc.attention_mask.forEach((m, i) => expect(m).toEqual(new Array(lengths[i]).fill(1)));
      r.first_20.forEach((row, i) => {
        expect(rows[i]!.idx).toBe(row.idx);
        expect(rows[i]!.sentence1).toBe(row.sentence1);
        expect(enc.input_ids[i]).toEqual(row.input_ids);
        expect(enc.token_type_ids[i]).toEqual(row.token_type_ids);
        expect(tokenizer.convertIdsToTokens(enc.input_ids[i]!)).toEqual(row.tokens);
      });
    });
  }
});
