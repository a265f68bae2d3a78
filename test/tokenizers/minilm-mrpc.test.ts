// AutoTokenizer.fromPretrained("sentence-transformers/all-MiniLM-L6-v2") (through the resolver: mirror or
// HF cache) gives, on every MRPC row of every split, tokenized as the course does, exactly the ids of the
// kit's bert-base-uncased tokenizer (../shared/hub/models/bert-base-uncased) and transformers' hashes in
// ../shared/reference/mrpc-tokenized.json. (transformers 4.49's BertTokenizerFast of all-MiniLM-L6-v2 gives
// those same hashes on all three splits, checked when this test was written.) Its tokenizer.json asks for
// padding to 128 and truncation at 128; transformers overrides both on every call, and so must the kit.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { beforeAll, describe, expect, it } from "vitest";
import { AutoTokenizer, type BertTokenizer } from "../../src/tokenizers/index";
import { HUB_MIRROR, readReference } from "../helpers/shared";

const ref = readReference<{ splits: Record<string, { num_rows: number; sha256_input_ids_json: string; sha256_token_type_ids_json: string }> }>(
  "mrpc-tokenized.json",
);
const sha256Json = (lists: number[][]): string => createHash("sha256").update(JSON.stringify(lists)).digest("hex");

async function readSplit(split: string): Promise<Array<{ sentence1: string; sentence2: string }>> {
  const path = join(HUB_MIRROR, "datasets", "nyu-mll", "glue", "mrpc", `${split}-00000-of-00001.parquet`);
  return (await parquetReadObjects({ file: await asyncBufferFromFile(path), compressors })) as Array<{ sentence1: string; sentence2: string }>;
}

let minilm: BertTokenizer;
let bert: BertTokenizer;
beforeAll(async () => {
  minilm = await AutoTokenizer.fromPretrained("sentence-transformers/all-MiniLM-L6-v2");
  bert = await AutoTokenizer.fromPretrained(join(HUB_MIRROR, "models", "bert-base-uncased"));
});

describe("all-MiniLM-L6-v2's tokenizer is bert-base-uncased's on MRPC", () => {
  it("same vocabulary size, special tokens, lower-casing and model_max_length", () => {
    expect(minilm.vocabSize).toBe(bert.vocabSize);
    expect([minilm.padTokenId, minilm.clsTokenId, minilm.sepTokenId, minilm.unkTokenId]).toEqual([0, 101, 102, 100]);
    expect([minilm.padTokenId, minilm.clsTokenId, minilm.sepTokenId, minilm.unkTokenId]).toEqual([bert.padTokenId, bert.clsTokenId, bert.sepTokenId, bert.unkTokenId]);
    expect(minilm.doLowerCase).toBe(true);
    expect(minilm.modelMaxLength).toBe(512);
    expect(minilm.modelMaxLength).toBe(bert.modelMaxLength);
  });

  for (const split of ["train", "validation", "test"]) {
    it(`${split}: every row, tokenizer(s1, s2, truncation=True), equal ids`, async () => {
      const rows = await readSplit(split);
      expect(rows.length).toBe(ref.splits[split]!.num_rows);
      const s1 = rows.map((r) => r.sentence1);
      const s2 = rows.map((r) => r.sentence2);
      const ours = minilm.call(s1, s2, { truncation: true });
      const base = bert.call(s1, s2, { truncation: true });
      expect(ours.input_ids).toEqual(base.input_ids);
      expect(ours.token_type_ids).toEqual(base.token_type_ids);
      expect(ours.attention_mask).toEqual(base.attention_mask);
      expect(sha256Json(ours.input_ids)).toBe(ref.splits[split]!.sha256_input_ids_json);
      expect(sha256Json(ours.token_type_ids)).toBe(ref.splits[split]!.sha256_token_type_ids_json);
    });
  }

  it("where truncation cuts (maxLength 32, longest_first) and with padding, still the same", async () => {
    const rows = (await readSplit("validation")).slice(0, 64);
    const s1 = rows.map((r) => r.sentence1);
    const s2 = rows.map((r) => r.sentence2);
    const ours = minilm.call(s1, s2, { truncation: true, maxLength: 32, padding: true });
    const base = bert.call(s1, s2, { truncation: true, maxLength: 32, padding: true });
    expect(ours.input_ids.every((ids) => ids.length === 32)).toBe(true);
    expect(ours).toEqual(base);
  });
});
