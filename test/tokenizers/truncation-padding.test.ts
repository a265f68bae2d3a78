// Truncation and padding on constructed cases whose outcome follows from transformers 4.31's algorithm
// (`truncate_sequences`, `_pad`), derived by hand in the comments. Token ids are read from the tiny
// checkpoint's vocab.txt (line number = id), not from the tokenizer under test.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { AutoTokenizer, TruncationError, type BertTokenizer } from "../../src/tokenizers/index";
import { VERY_LARGE_INTEGER } from "../../src/tokenizers/bert-tokenizer";
import { truncateSequences } from "../../src/tokenizers/truncation";
import { TINY_CHECKPOINT } from "../helpers/shared";

const vocabLines = readFileSync(join(TINY_CHECKPOINT, "vocab.txt"), "utf8").split("\n");
const id = (token: string): number => {
  const i = vocabLines.indexOf(token);
  if (i < 0) throw new Error(`test setup: "${token}" is not in the tiny vocab`);
  return i;
};
const ids = (tokens: string): number[] => tokens.split(" ").map(id);
const CLS = id("[CLS]");
const SEP = id("[SEP]");
const PAD = id("[PAD]");

// Texts whose pieces are all in the tiny vocab:
const SIX = "The cat sat on the mat"; // the cat sat on the mat: 6 pieces
const TWO = "a dog"; // 2 pieces
const THREE_A = "the cat sat"; // 3
const THREE_B = "a lazy dog"; // 3
const FOX = "the quick brown fox jumped"; // the quick brown fox jump ##ed: 6
const TEN = "the quick brown fox jumped over the lazy dog"; // 10 pieces

let tok: BertTokenizer;
beforeAll(async () => {
  tok = await AutoTokenizer.fromPretrained(TINY_CHECKPOINT);
});

describe("the texts split as the comments say", () => {
  it("pieces", () => {
    expect(tok.tokenize(SIX)).toEqual("the cat sat on the mat".split(" "));
    expect(tok.tokenize(FOX)).toEqual("the quick brown fox jump ##ed".split(" "));
    expect(tok.tokenize(TEN)).toEqual("the quick brown fox jump ##ed over the lazy dog".split(" "));
  });
});

describe("truncation, as transformers' truncate_sequences", () => {
  it("longest_first removes from the longer sequence: 6 + 2 + 3 special = 11 > 8, three cuts all from the first", () => {
    const enc = tok.encode(SIX, TWO, { truncation: true, maxLength: 8 });
    expect(enc.input_ids).toEqual([CLS, ...ids("the cat sat"), SEP, ...ids("a dog"), SEP]);
    expect(enc.token_type_ids).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
  });

  it("longest_first on a tie removes from the second: (3,3) -> (3,2) -> (2,2) -> (2,1)", () => {
    // maxLength 7: 9 - 7 = 2 cuts -> (2,2)
    expect(tok.encode(THREE_A, THREE_B, { truncation: "longest_first", maxLength: 7 }).input_ids).toEqual([
      CLS, ...ids("the cat"), SEP, ...ids("a lazy"), SEP,
    ]);
    // maxLength 6: 3 cuts -> (2,1)
    expect(tok.encode(THREE_A, THREE_B, { truncation: "longest_first", maxLength: 6 }).input_ids).toEqual([
      CLS, ...ids("the cat"), SEP, ...ids("a"), SEP,
    ]);
  });

  it("longest_first with maxLength 3 cuts both texts to nothing (what transformers returns), below 3 it throws", () => {
    expect(tok.encode(THREE_A, THREE_B, { truncation: true, maxLength: 3 }).input_ids).toEqual([CLS, SEP, SEP]);
    expect(() => tok.encode(THREE_A, THREE_B, { truncation: true, maxLength: 2 })).toThrow(TruncationError);
  });

  it("only_first cuts the first only: 2 + 6 + 3 = 11 > 10, one cut from 'the cat'", () => {
    expect(tok.encode("the cat", FOX, { truncation: "only_first", maxLength: 10 }).input_ids).toEqual([
      CLS, ...ids("the"), SEP, ...ids("the quick brown fox jump ##ed"), SEP,
    ]);
  });

  it("only_first throws when the first has no more tokens than must go (2 tokens, 2 to remove)", () => {
    expect(() => tok.encode("the cat", FOX, { truncation: "only_first", maxLength: 9 })).toThrow(
      /only_first.*2 tokens must go.*first sequence has only 2/,
    );
  });

  it("only_second cuts the second only: 6 + 2 + 3 = 11 > 10, one cut from 'a dog'", () => {
    expect(tok.encode(SIX, TWO, { truncation: "only_second", maxLength: 10 }).input_ids).toEqual([
      CLS, ...ids("the cat sat on the mat"), SEP, ...ids("a"), SEP,
    ]);
  });

  it("only_second with a second text shorter than the excess throws, as the fast tokenizer does", () => {
    // 6 + 2 + 3 = 11, maxLength 8: 3 must go but the second has 2.
    expect(() => tok.encode(SIX, TWO, { truncation: "only_second", maxLength: 8 })).toThrow(TruncationError);
    expect(() => tok.encode(SIX, TWO, { truncation: "only_second", maxLength: 8 })).toThrow(
      /only_second.*3 tokens must go.*second sequence has only 2/,
    );
    // In a batch the error names the row.
    expect(() => tok.call(["a", SIX], ["a", TWO], { truncation: "only_second", maxLength: 8 })).toThrow(/batch index 1/);
    // Without a second text there is nothing to cut.
    expect(() => tok.encode(TEN, null, { truncation: "only_second", maxLength: 5 })).toThrow(/needs a second sequence/);
  });

  it("a single text is cut at the end: 10 + 2 = 12 > 5 keeps 3 pieces", () => {
    expect(tok.encode(TEN, null, { truncation: true, maxLength: 5 }).input_ids).toEqual([CLS, ...ids("the quick brown"), SEP]);
  });

  it("maxLength without truncation and without padding means longest_first (transformers' rule)", () => {
    expect(tok.encode(SIX, TWO, { maxLength: 8 }).input_ids).toEqual(tok.encode(SIX, TWO, { truncation: true, maxLength: 8 }).input_ids);
  });

  it("truncation false or absent keeps everything, even above maxLength when padding", () => {
    expect(tok.encode(SIX, TWO, { truncation: false, maxLength: 8 }).input_ids.length).toBe(11);
    expect(tok.encode(SIX, TWO).input_ids.length).toBe(11);
    expect(tok.encode(SIX, TWO, { padding: "max_length", maxLength: 8 }).input_ids.length).toBe(11);
  });

  it("truncation true without maxLength uses model_max_length (512)", () => {
    const long = Array.from({ length: 600 }, () => "cat").join(" ");
    expect(tok.encode(long, long, { truncation: true }).input_ids.length).toBe(512);
  });

  it("addSpecialTokens false counts no special tokens", () => {
    expect(tok.encode(SIX, TWO, { truncation: true, maxLength: 5, addSpecialTokens: false }).input_ids).toEqual(
      ids("the cat sat a dog"),
    );
  });

  it("truncateSequences on bare ids: longest_first (5,5) remove 3 -> (5,4) (4,4) (4,3); left side cuts the start", () => {
    const a = [1, 2, 3, 4, 5];
    const b = [6, 7, 8, 9, 10];
    const req = { ids: a, pairIds: b, numTokensToRemove: 3, strategy: "longest_first" as const, maxLength: 10, numSpecialTokens: 3 };
    expect(truncateSequences(req)).toEqual({ ids: [1, 2, 3, 4], pairIds: [6, 7, 8] });
    expect(truncateSequences({ ...req, side: "left" })).toEqual({ ids: [2, 3, 4, 5], pairIds: [8, 9, 10] });
    expect(truncateSequences({ ...req, numTokensToRemove: 0 })).toEqual({ ids: a, pairIds: b });
  });
});

describe("padding, as transformers' pad", () => {
  it('"max_length" pads ids with [PAD], token types and attention with 0, on the right', () => {
    const enc = tok.encode(THREE_A, TWO, { padding: "max_length", maxLength: 10 });
    // 3 + 2 + 3 special = 8 real tokens, 2 pads.
    expect(enc.input_ids).toEqual([CLS, ...ids("the cat sat"), SEP, ...ids("a dog"), SEP, PAD, PAD]);
    expect(enc.token_type_ids).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 0, 0]);
    expect(enc.attention_mask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('"max_length" without maxLength pads to model_max_length', () => {
    expect(tok.encode("a", null, { padding: "max_length" }).input_ids.length).toBe(512);
  });

  it("padToMultipleOf rounds the target up: longest 8 -> 8, 9 -> 16; max_length 10 -> 16; no padding -> untouched", () => {
    const batch = tok.call([THREE_A, "the"], [TWO, "a"], { padding: true, padToMultipleOf: 8 });
    expect(batch.input_ids.map((x) => x.length)).toEqual([8, 8]);
    const batch2 = tok.call([SIX, "the"], [TWO, "a"], { padding: true, padToMultipleOf: 8 });
    expect(batch2.input_ids.map((x) => x.length)).toEqual([16, 16]);
    expect(batch2.attention_mask[1]).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(tok.encode(THREE_A, TWO, { padding: "max_length", maxLength: 10, padToMultipleOf: 8 }).input_ids.length).toBe(16);
    expect(tok.encode(THREE_A, TWO, { padToMultipleOf: 8 }).input_ids.length).toBe(8 /* 3+2+3, unpadded */);
    expect(tok.encode(SIX, null, { padToMultipleOf: 8 }).input_ids.length).toBe(8);
    expect(tok.encode(SIX, TWO, { padToMultipleOf: 8 }).input_ids.length).toBe(11);
  });

  it("truncation and max_length padding together give exactly maxLength", () => {
    const batch = tok.call([TEN, "a"], [TEN, "dog"], { truncation: true, padding: "max_length", maxLength: 12 });
    expect(batch.input_ids.map((x) => x.length)).toEqual([12, 12]);
    expect(batch.input_ids[1]).toEqual([CLS, id("a"), SEP, id("dog"), SEP, ...new Array(7).fill(PAD)]);
  });

  it("paddingSide left puts the pads first", async () => {
    const left = await AutoTokenizer.fromPretrained(TINY_CHECKPOINT);
    left.paddingSide = "left";
    expect(left.call(["a", "the cat"], null, { padding: true }).input_ids[0]).toEqual([PAD, CLS, id("a"), SEP]);
  });

  it("bad options are named", () => {
    expect(() => tok.encode("a", null, { maxLength: 0 })).toThrow(/maxLength must be a positive integer/);
    expect(() => tok.encode("a", null, { padToMultipleOf: 2.5 })).toThrow(/padToMultipleOf/);
    expect(() => tok.call(["a", "b"], ["c"])).toThrow(/2 texts but 1 text pairs/);
    expect(() => tok.call(["a", 3 as unknown as string])).toThrow(/texts\[1\] must be a string/);
  });
});

describe("tensors", () => {
  it('returnTensors "tfjs" gives int32 [batch, length] tensors; ragged batches are refused', async () => {
    await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const t = tok.call([THREE_A, "a"], [TWO, "dog"], { padding: true, returnTensors: "tfjs" });
    expect(t.input_ids.shape).toEqual([2, 8]);
    expect(t.input_ids.dtype).toBe("int32");
    expect(await t.attention_mask.array()).toEqual([
      [1, 1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 0, 0, 0],
    ]);
    const single = tok.encode("a", "dog", { returnTensors: "tfjs" });
    expect(single.input_ids.shape).toEqual([1, 5]);
    for (const x of [t, single]) Object.values(x).forEach((v: tf.Tensor) => v.dispose());
    expect(tf.memory().numTensors).toBe(before);
    expect(() => tok.call([THREE_A, "a"], null, { returnTensors: "tfjs" })).toThrow(/padding: true/);
  });
});

describe("without model_max_length", () => {
  it("truncation true does not truncate and padding max_length needs maxLength", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tok-nomax-"));
    writeFileSync(join(dir, "vocab.txt"), readFileSync(join(TINY_CHECKPOINT, "vocab.txt")));
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ do_lower_case: true }));
    const t = await AutoTokenizer.fromPretrained(dir);
    expect(t.modelMaxLength).toBe(VERY_LARGE_INTEGER);
    const long = Array.from({ length: 600 }, () => "cat").join(" ");
    expect(t.encode(long, null, { truncation: true }).input_ids.length).toBe(602);
    expect(() => t.encode("a", null, { padding: "max_length" })).toThrow(/model_max_length/);
  });
});
