// fromPretrained / savePretrained: round trip, transformers' loading rules (legacy names, cls.* dropped,
// missing classifier initialised with a warning), and the errors for shape and numLabels mismatches.
import * as tf from "@tensorflow/tfjs-core";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { BertConfig } from "../../src/models/bert";
import { readSafetensors, writeSafetensors, type HostTensor } from "../../src/utils/safetensors";
import { TINY_CHECKPOINT } from "../helpers/shared";

const work = mkdtempSync(join(tmpdir(), "kit-pretrained-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  await useBackend("cpu");
});

const REF_CONFIG = JSON.parse(readFileSync(join(TINY_CHECKPOINT, "config.json"), "utf8")) as Record<string, unknown>;
const refTensors = async (): Promise<Map<string, HostTensor>> => (await readSafetensors(join(TINY_CHECKPOINT, "model.safetensors"))).tensors;

function values(t: HostTensor): number[] {
  return Array.from(t.data as Float32Array);
}

describe("savePretrained", () => {
  it("writes the reference checkpoint back tensor for tensor and key for key", async () => {
    const model = await AutoModelForSequenceClassification.fromPretrained(TINY_CHECKPOINT, { logger: () => {} });
    const out = join(work, "resaved");
    await model.savePretrained(out);
    const saved = await readSafetensors(join(out, "model.safetensors"));
    expect(saved.metadata).toEqual({ format: "pt" });
    const ref = await refTensors();
    expect([...saved.tensors.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [name, t] of ref) {
      const s = saved.tensors.get(name)!;
      expect(s.dtype, name).toBe("F32");
      expect(s.shape, name).toEqual(t.shape);
      expect(Buffer.from((s.data as Float32Array).buffer, s.data.byteOffset, s.data.byteLength).equals(
        Buffer.from((t.data as Float32Array).buffer, t.data.byteOffset, t.data.byteLength)), name).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toEqual(REF_CONFIG);
    model.dispose();
  });

  it("fromConfig -> savePretrained -> fromPretrained gives identical tensors and config", async () => {
    const config = BertConfig.fromJSON(REF_CONFIG as never).update({ numLabels: 3 });
    const model = AutoModelForSequenceClassification.fromConfig(config, { seed: 5 });
    const dir = join(work, "roundtrip");
    await model.savePretrained(dir);
    const loaded = await AutoModelForSequenceClassification.fromPretrained(dir, { logger: () => {} });
    expect(loaded.config.toJSON()).toEqual({ ...config.toJSON(), architectures: ["BertForSequenceClassification"], torch_dtype: "float32", transformers_version: "4.31.0" });
    expect(loaded.numLabels).toBe(3);
    const a = model.namedParameters();
    const b = new Map(loaded.namedParameters());
    for (const [name, p] of a) {
      expect(Array.from(b.get(name)!.variable.dataSync()), name).toEqual(Array.from(p.variable.dataSync()));
    }
    model.dispose();
    loaded.dispose();
  });
});

describe("fromPretrained loading rules", () => {
  it("renames gamma/beta, drops cls.* and reports it, initialises the missing classifier and warns", async () => {
    // A pre-training style checkpoint: legacy LayerNorm names, an MLM head, no classifier.
    const ref = await refTensors();
    const legacy = new Map<string, HostTensor>();
    for (const [name, t] of ref) {
      if (name.startsWith("classifier.")) continue;
      legacy.set(name.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta"), t);
    }
    legacy.set("cls.predictions.bias", { dtype: "F32", shape: [128], data: new Float32Array(128) });
    const dir = join(work, "legacy");
    mkdirSync(dir);
    await writeSafetensors(join(dir, "model.safetensors"), legacy);
    copyFileSync(join(TINY_CHECKPOINT, "config.json"), join(dir, "config.json"));

    const messages: string[] = [];
    const model = await AutoModelForSequenceClassification.fromPretrained(dir, { logger: (m) => messages.push(m), seed: 3 });
    expect(model.loadingInfo!.missingKeys).toEqual(["classifier.bias", "classifier.weight"]);
    expect(model.loadingInfo!.unexpectedKeys).toEqual(["cls.predictions.bias"]);
    expect(messages.join("\n")).toMatch(/not used when initializing BertForSequenceClassification: \['cls\.predictions\.bias'\]/);
    expect(messages.join("\n")).toMatch(/newly initialized: \['classifier\.bias', 'classifier\.weight'\]/);
    const params = new Map(model.namedParameters());
    expect(Array.from(params.get("bert.embeddings.LayerNorm.weight")!.variable.dataSync())).toEqual(values(ref.get("bert.embeddings.LayerNorm.weight")!));
    expect(Array.from(params.get("bert.encoder.layer.1.output.LayerNorm.bias")!.variable.dataSync())).toEqual(values(ref.get("bert.encoder.layer.1.output.LayerNorm.bias")!));
    // The new classifier: normal(0, 0.02) weights, zero bias (as _init_weights).
    const w = Array.from(params.get("classifier.weight")!.variable.dataSync());
    const rms = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(rms).toBeGreaterThan(0.01);
    expect(rms).toBeLessThan(0.03);
    expect(Array.from(params.get("classifier.bias")!.variable.dataSync())).toEqual([0, 0]);
    model.dispose();
  });

  it("refuses another numLabels than the checkpoint's head, and says how to re-initialise it", async () => {
    const err = await AutoModelForSequenceClassification.fromPretrained(TINY_CHECKPOINT, { numLabels: 3, logger: () => {} }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/classifier\.weight/);
    expect(msg).toMatch(/\[2, 32\]/);
    expect(msg).toMatch(/\[3, 32\]/);
    expect(msg).toMatch(/ignoreMismatchedSizes: true/);
    expect(msg).toMatch(/ignore_mismatched_sizes=True/);

    const messages: string[] = [];
    const model = await AutoModelForSequenceClassification.fromPretrained(TINY_CHECKPOINT, {
      numLabels: 3,
      ignoreMismatchedSizes: true,
      logger: (m) => messages.push(m),
    });
    expect(model.classifier.weight.shape).toEqual([3, 32]);
    expect(model.loadingInfo!.mismatchedKeys.map((m) => m.name)).toEqual(["classifier.weight", "classifier.bias"]);
    expect(messages.join("\n")).toMatch(/classifier\.weight: found shape \[2, 32\] in the checkpoint and \[3, 32\]/);
    model.dispose();
  });

  it("a tensor disagreeing with config.json names the tensor and both shapes", async () => {
    const dir = join(work, "bad-vocab");
    mkdirSync(dir);
    await writeSafetensors(join(dir, "model.safetensors"), await refTensors());
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...REF_CONFIG, vocab_size: 100 }));
    await expect(AutoModelForSequenceClassification.fromPretrained(dir, { logger: () => {} })).rejects.toThrow(
      /bert\.embeddings\.word_embeddings\.weight.*\[128, 32\].*\[100, 32\]/,
    );
  });

  it("a directory without weights is an error naming the files looked for", async () => {
    const dir = join(work, "no-weights");
    mkdirSync(dir);
    copyFileSync(join(TINY_CHECKPOINT, "config.json"), join(dir, "config.json"));
    await expect(AutoModelForSequenceClassification.fromPretrained(dir, { logger: () => {} })).rejects.toThrow(/model\.safetensors.*pytorch_model\.bin/);
  });

  it("leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    const model = await AutoModelForSequenceClassification.fromPretrained(TINY_CHECKPOINT, { logger: () => {} });
    expect(tf.memory().numTensors - before).toBe(41);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
