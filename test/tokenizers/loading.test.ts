// Loading and saving: bad files give errors naming the file, savePretrained round-trips, and the
// BasicTokenizer details that @huggingface/tokenizers' normalizer misses are restored.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AutoTokenizer, TokenizerFileError } from "../../src/tokenizers/index";
import { HUB_MIRROR, TINY_CHECKPOINT } from "../helpers/shared";

const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));
const COURSE: [string, string] = ["This is the first sentence.", "This is the second one."];
const COURSE_IDS = [101, 2023, 2003, 1996, 2034, 6251, 1012, 102, 2023, 2003, 1996, 2117, 2028, 1012, 102];

describe("bad tokenizer files", () => {
  it("a tokenizer.json that is not JSON: clear error naming the file", async () => {
    const dir = tmp("tok-bad-");
    writeFileSync(join(dir, "tokenizer.json"), "<html>503 Service Unavailable</html>");
    writeFileSync(join(dir, "vocab.txt"), readFileSync(join(TINY_CHECKPOINT, "vocab.txt")));
    const load = AutoTokenizer.fromPretrained(dir);
    await expect(load).rejects.toThrow(TokenizerFileError);
    await expect(AutoTokenizer.fromPretrained(dir)).rejects.toThrow(`${join(dir, "tokenizer.json")} is not valid JSON`);
  });

  it("a tokenizer_config.json that is not JSON names that file", async () => {
    const dir = tmp("tok-badcfg-");
    writeFileSync(join(dir, "vocab.txt"), readFileSync(join(TINY_CHECKPOINT, "vocab.txt")));
    writeFileSync(join(dir, "tokenizer_config.json"), "{do_lower_case: true");
    await expect(AutoTokenizer.fromPretrained(dir)).rejects.toThrow(`${join(dir, "tokenizer_config.json")} is not valid JSON`);
  });

  it("neither tokenizer.json nor vocab.txt: the error says so", async () => {
    const dir = tmp("tok-empty-");
    await expect(AutoTokenizer.fromPretrained(dir)).rejects.toThrow(/neither tokenizer\.json nor vocab\.txt/);
  });

  it("a non-WordPiece tokenizer.json is refused by name", async () => {
    const dir = tmp("tok-bpe-");
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify({ model: { type: "BPE", vocab: {}, merges: [] } }));
    await expect(AutoTokenizer.fromPretrained(dir)).rejects.toThrow(/expected a WordPiece model.*"BPE"/);
  });
});

describe("savePretrained", () => {
  it("bert-base-uncased: writes the four files; vocab.txt is the Hub's byte for byte; reloads to the same ids", async () => {
    const tok = await AutoTokenizer.fromPretrained("bert-base-uncased");
    const dir = tmp("tok-save-");
    const written = tok.savePretrained(dir);
    for (const f of ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]) {
      expect(written).toContain(join(dir, f));
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(readFileSync(join(dir, "vocab.txt"), "utf8")).toBe(readFileSync(join(HUB_MIRROR, "models", "bert-base-uncased", "vocab.txt"), "utf8"));
    const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ do_lower_case: true, model_max_length: 512, cls_token: "[CLS]", pad_token: "[PAD]" });
    expect(JSON.parse(readFileSync(join(dir, "special_tokens_map.json"), "utf8"))).toEqual({
      cls_token: "[CLS]", mask_token: "[MASK]", pad_token: "[PAD]", sep_token: "[SEP]", unk_token: "[UNK]",
    });
    const again = await AutoTokenizer.fromPretrained(dir);
    expect(again.encode(...COURSE).input_ids).toEqual(COURSE_IDS);
  });

  it("vocab.txt-only checkpoint: no tokenizer.json written, vocab.txt identical, reload gives the same ids", async () => {
    const tok = await AutoTokenizer.fromPretrained(TINY_CHECKPOINT);
    const dir = tmp("tok-save-tiny-");
    tok.savePretrained(dir);
    expect(existsSync(join(dir, "tokenizer.json"))).toBe(false);
    expect(readFileSync(join(dir, "vocab.txt"), "utf8")).toBe(readFileSync(join(TINY_CHECKPOINT, "vocab.txt"), "utf8"));
    const again = await AutoTokenizer.fromPretrained(dir);
    expect(again.encode("the cat sat", "a dog").input_ids).toEqual(tok.encode("the cat sat", "a dog").input_ids);
    expect(again.modelMaxLength).toBe(512);
  });
});

describe("BasicTokenizer details the library's normalizer misses", () => {
  it("CJK ideographs outside the BMP become words of their own (Python's _is_chinese_char covers 0x20000-0x2A6DF)", async () => {
    const tok = await AutoTokenizer.fromPretrained("bert-base-uncased");
    const vocab = readFileSync(join(HUB_MIRROR, "models", "bert-base-uncased", "vocab.txt"), "utf8").split("\n");
    expect(vocab).not.toContain("\u{20000}");
    // "a", "\u{20000}" (not in the vocab -> [UNK]), "b"
    expect(tok.tokenize("a\u{20000}b")).toEqual(["a", "[UNK]", "b"]);
  });

  it("unassigned code points (category Cn) are removed like other category C characters", async () => {
    const tok = await AutoTokenizer.fromPretrained("bert-base-uncased");
    expect(tok.tokenize("hel\u0378lo wor\u0379ld")).toEqual(tok.tokenize("hello world"));
  });

  it("a cased vocabulary sees NFC text: e + combining acute is the token é", async () => {
    const dir = tmp("tok-cased-");
    writeFileSync(join(dir, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "e", "\u00e9", "E"].join("\n") + "\n");
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ do_lower_case: false }));
    const tok = await AutoTokenizer.fromPretrained(dir);
    expect(tok.tokenize("e\u0301 E")).toEqual(["\u00e9", "E"]);
    // Uncased (the default do_lower_case true) lower-cases and strips the accent.
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({}));
    expect((await AutoTokenizer.fromPretrained(dir)).tokenize("e\u0301 E")).toEqual(["e", "e"]);
  });

  it("tokenizer_config.json's do_lower_case overrides tokenizer.json's normalizer, as BertTokenizerFast does", async () => {
    const dir = tmp("tok-override-");
    writeFileSync(join(dir, "tokenizer.json"), readFileSync(join(HUB_MIRROR, "models", "bert-base-uncased", "tokenizer.json")));
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ do_lower_case: false }));
    const tok = await AutoTokenizer.fromPretrained(dir);
    expect(tok.doLowerCase).toBe(false);
    // "Hello" is not in the uncased vocab as a whole word; the lower-cased "hello" is.
    expect(tok.tokenize("hello")).toEqual(["hello"]);
    expect(tok.tokenize("Hello")).not.toEqual(["hello"]);
  });
});
