// BertConfig against the Hub's config.json files: camelCase fields, snake_case round trip, numLabels rules.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BertConfig, type JsonValue } from "../../src/models/bert";
import { readBertConfigFile } from "../../src/models/bert/config";
import { HUB_MIRROR, TINY_CHECKPOINT } from "../helpers/shared";

const read = (path: string): Record<string, JsonValue> => JSON.parse(readFileSync(path, "utf8")) as Record<string, JsonValue>;
const BASE = read(join(HUB_MIRROR, "models", "bert-base-uncased", "config.json"));
const TINY = read(join(TINY_CHECKPOINT, "config.json"));

describe("BertConfig", () => {
  it("reads every field of bert-base-uncased's config.json in camelCase", () => {
    const c = BertConfig.fromJSON(BASE);
    expect(c.vocabSize).toBe(30522);
    expect(c.hiddenSize).toBe(768);
    expect(c.numHiddenLayers).toBe(12);
    expect(c.numAttentionHeads).toBe(12);
    expect(c.intermediateSize).toBe(3072);
    expect(c.hiddenAct).toBe("gelu");
    expect(c.layerNormEps).toBe(1e-12);
    expect(c.gradientCheckpointing).toBe(false);
    expect(c.architectures).toEqual(["BertForMaskedLM"]);
    expect(c.transformersVersion).toBe("4.6.0.dev0");
    expect(c.extra).toEqual({});
    expect(c.numLabels).toBe(2);
  });

  it("writes back exactly the Hub's keys and values (snake_case)", () => {
    // An old config (transformers 4.6) lacks classifier_dropout; transformers 4.31 writes it back as null too.
    expect(BertConfig.fromJSON(BASE).toJSON()).toEqual({ ...BASE, classifier_dropout: null });
    expect(BertConfig.fromJSON(TINY).toJSON()).toEqual(TINY);
    // Sorted keys, as transformers writes them.
    const keys = Object.keys(BertConfig.fromJSON(TINY).toJSON());
    expect(keys).toEqual([...keys].sort());
  });

  it("keeps unknown keys verbatim", () => {
    const c = BertConfig.fromJSON({ ...TINY, some_future_field: [1, 2] });
    expect(c.extra).toEqual({ some_future_field: [1, 2] });
    expect(c.toJSON().some_future_field).toEqual([1, 2]);
  });

  it("numLabels is the size of id2label; setting it resets the labels like transformers", () => {
    const c = BertConfig.fromJSON({ ...TINY, id2label: { "0": "neg", "1": "neutral", "2": "pos" }, label2id: { neg: 0, neutral: 1, pos: 2 } });
    expect(c.numLabels).toBe(3);
    expect(c.id2label[2]).toBe("pos");
    expect(c.toJSON().id2label).toEqual({ "0": "neg", "1": "neutral", "2": "pos" });
    c.numLabels = 4;
    expect(c.id2label).toEqual({ 0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3" });
    expect(c.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1, LABEL_2: 2, LABEL_3: 3 });
    const d = BertConfig.fromJSON(TINY).update({ numLabels: 5 });
    expect(d.numLabels).toBe(5);
    expect(BertConfig.fromJSON(d.toJSON()).numLabels).toBe(5);
  });

  it("rejects unknown fields and impossible head counts with a clear message", () => {
    expect(() => new BertConfig({ hiddenSize: 30, numAttentionHeads: 4 })).toThrow(/hidden size \(30\) is not a multiple .* attention heads \(4\)/);
    expect(() => new BertConfig({ hiddenSise: 3 } as never)).toThrow(/no field "hiddenSise"/);
  });

  it("checks field types and ranges as they arrive, naming the field as config.json spells it", () => {
    expect(() => BertConfig.fromJSON({ ...BASE, num_hidden_layers: "two" })).toThrow('field num_hidden_layers must be a positive integer, found "two"');
    expect(() => BertConfig.fromJSON({ ...BASE, vocab_size: -5 })).toThrow("field vocab_size must be a positive integer, found -5");
    expect(() => BertConfig.fromJSON({ ...BASE, hidden_dropout_prob: 1.5 })).toThrow("field hidden_dropout_prob must be a probability from 0 to 1, found 1.5");
    expect(() => BertConfig.fromJSON({ ...BASE, layer_norm_eps: 0 })).toThrow("field layer_norm_eps must be a positive number, found 0");
    expect(() => new BertConfig({ hiddenAct: 5 as never })).toThrow("field hidden_act must be a string, found 5");
    // What the Hub's configs hold passes: null classifier_dropout, pad_token_id 0.
    expect(BertConfig.fromJSON({ ...BASE, classifier_dropout: null }).classifierDropout).toBeNull();
    expect(BertConfig.fromJSON(TINY).padTokenId).toBe(0);
  });

  it("readBertConfigFile names the file: bad JSON, an array, a bad field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kit-config-"));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const bad = file("bad.json", "{");
    await expect(readBertConfigFile(bad)).rejects.toThrow(`${bad}: not valid JSON`);
    const array = file("array.json", "[]");
    await expect(readBertConfigFile(array)).rejects.toThrow(`${array}: expected a JSON object of config fields, found an array`);
    const field = file("field.json", JSON.stringify({ ...BASE, vocab_size: -5 }));
    await expect(readBertConfigFile(field)).rejects.toThrow(`${field}: field vocab_size must be a positive integer, found -5`);
    expect((await readBertConfigFile(file("ok.json", JSON.stringify(BASE)))).vocabSize).toBe(BASE.vocab_size);
    rmSync(dir, { recursive: true, force: true });
  });
});
