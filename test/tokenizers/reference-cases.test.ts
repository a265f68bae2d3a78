// The 20 tricky pairs of shared/reference through transformers 4.31's BertTokenizer (truncation=True),
// with bert-base-uncased (tokenizer.json from the hub mirror) and with the 128-token vocab of the tiny
// checkpoint (vocab.txt only): ids, token types, attention mask, tokens, decoded text, and the 512 cuts.
import { beforeAll, describe, expect, it } from "vitest";
import { AutoTokenizer, type BertTokenizer } from "../../src/tokenizers/index";
import { readReference, TINY_CHECKPOINT } from "../helpers/shared";

interface Pair {
  idx: number;
  sentence1: string;
  sentence2: string;
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
  length: number;
  tokens: string[];
  untruncated_lengths: [number, number];
  decoded: string;
}
interface Fixture {
  call: string;
  vocab_size: number;
  pairs: Pair[];
  special_ids: Record<string, number>;
  collated_first_8: { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][] };
}

const cases: Array<[string, string, string]> = [
  ["bert-base-uncased (tokenizer.json)", "tokenizer-bert-base-uncased.json", "bert-base-uncased"],
  ["tiny 128-token vocab (vocab.txt only)", "tokenizer-tiny-vocab.json", TINY_CHECKPOINT],
];

for (const [label, fixtureFile, checkpoint] of cases) {
  describe(label, () => {
    const fx = readReference<Fixture>(fixtureFile);
    let tok: BertTokenizer;
    beforeAll(async () => {
      tok = await AutoTokenizer.fromPretrained(checkpoint);
    });

    it("has the reference's vocab size, special ids and model_max_length 512", () => {
      expect(fx.call).toBe("tokenizer(sentence1, sentence2, truncation=True)");
      expect(tok.vocabSize).toBe(fx.vocab_size);
      expect(tok.padTokenId).toBe(fx.special_ids["[PAD]"]);
      expect(tok.unkTokenId).toBe(fx.special_ids["[UNK]"]);
      expect(tok.clsTokenId).toBe(fx.special_ids["[CLS]"]);
      expect(tok.sepTokenId).toBe(fx.special_ids["[SEP]"]);
      expect(tok.maskTokenId).toBe(fx.special_ids["[MASK]"]);
      expect(tok.modelMaxLength).toBe(512);
      expect(tok.paddingSide).toBe("right");
    });

    for (const p of fx.pairs) {
      it(`pair ${p.idx}: ${JSON.stringify(p.sentence1.slice(0, 40))}`, () => {
        const enc = tok.encode(p.sentence1, p.sentence2, { truncation: true });
        expect(enc.input_ids).toEqual(p.input_ids);
        expect(enc.token_type_ids).toEqual(p.token_type_ids);
        expect(enc.attention_mask).toEqual(p.attention_mask);
        expect(enc.input_ids.length).toBe(p.length);
        expect(tok.convertIdsToTokens(enc.input_ids)).toEqual(p.tokens);
        expect(tok.decode(enc.input_ids)).toBe(p.decoded);
        // Untruncated lengths: what each text gives before truncation.
        expect([tok.tokenize(p.sentence1).length, tok.tokenize(p.sentence2).length]).toEqual(p.untruncated_lengths);
        // The same pair through the batched call gives the same row.
        const batch = tok.call([p.sentence1], [p.sentence2], { truncation: true });
        expect(batch.input_ids[0]).toEqual(p.input_ids);
      });
    }

    it("the fixture holds the three pairs truncated at 512", () => {
      const cut = fx.pairs.filter((p) => p.untruncated_lengths[0] + p.untruncated_lengths[1] + 3 > 512);
      expect(cut.length).toBe(3);
      for (const p of cut) expect(tok.encode(p.sentence1, p.sentence2, { truncation: true }).input_ids.length).toBe(512);
    });

    it("padding true on the first 8 pairs equals the reference's collated batch", () => {
      const first8 = fx.pairs.slice(0, 8);
      const batch = tok.call(
        first8.map((p) => p.sentence1),
        first8.map((p) => p.sentence2),
        { truncation: true, padding: true },
      );
      expect(batch.input_ids).toEqual(fx.collated_first_8.input_ids);
      expect(batch.token_type_ids).toEqual(fx.collated_first_8.token_type_ids);
      expect(batch.attention_mask).toEqual(fx.collated_first_8.attention_mask);
    });
  });
}

describe("the course example", () => {
  it('"This is the first sentence." / "This is the second one."', async () => {
    const tok = await AutoTokenizer.fromPretrained("bert-base-uncased");
    const enc = tok.encode("This is the first sentence.", "This is the second one.");
    expect(enc.input_ids).toEqual([101, 2023, 2003, 1996, 2034, 6251, 1012, 102, 2023, 2003, 1996, 2117, 2028, 1012, 102]);
    expect(enc.token_type_ids).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    // transformers' decode: special tokens kept by default, dropped with skip_special_tokens=True.
    expect(tok.decode(enc.input_ids)).toBe("[CLS] this is the first sentence. [SEP] this is the second one. [SEP]");
    expect(tok.decode(enc.input_ids, { skipSpecialTokens: true })).toBe("this is the first sentence. this is the second one.");
    expect(tok.decode([])).toBe("");
  });
});
