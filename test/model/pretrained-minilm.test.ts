// The course's `AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)` on the bare
// BertModel checkpoint sentence-transformers/all-MiniLM-L6-v2, read through the kit's normal resolution
// (mirror -> HF cache; `npm run fetch-model` puts it there), against what transformers 4.49 reports for the
// same files (test/fixtures/all-minilm-l6-v2/loading-info.json, made by loading_info.py beside it).
import * as tf from "@tensorflow/tfjs-core";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { hfHubFile } from "../../src/hub";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import type { BertForSequenceClassification } from "../../src/models/bert";
import { readSafetensors, writeSafetensors, type HostTensor } from "../../src/utils/safetensors";
import { TINY_CHECKPOINT } from "../helpers/shared";

const REPO = "sentence-transformers/all-MiniLM-L6-v2";
type LoadingInfoFixture = {
  transformers_version: string;
  checkpoint_keys: string[];
  model_keys: string[];
  missing_keys: string[];
  unexpected_keys: string[];
  mismatched_keys: unknown[];
  warnings: string[];
  unexpected_case: { made_from: string; missing_keys: string[]; unexpected_keys: string[]; warnings: string[] };
};
const python = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "fixtures", "all-minilm-l6-v2", "loading-info.json"), "utf8"),
) as LoadingInfoFixture;

let model: BertForSequenceClassification;
const messages: string[] = [];
let before = 0;
beforeAll(async () => {
  await useBackend("cpu");
  before = tf.memory().numTensors;
  model = await AutoModelForSequenceClassification.fromPretrained(REPO, { numLabels: 2, logger: (m) => messages.push(m) });
});
afterAll(() => {
  model.dispose();
});

describe(`fromPretrained("${REPO}", { numLabels: 2 }) as transformers ${python.transformers_version}`, () => {
  it("the fixture is transformers' own report (a bare BertModel with a pooler: only the classifier is new)", () => {
    expect(python.transformers_version).toBe("4.49.0");
    expect(python.missing_keys).toEqual(["classifier.bias", "classifier.weight"]);
    expect(python.checkpoint_keys).toContain("pooler.dense.weight");
    expect(python.checkpoint_keys).toContain("embeddings.position_ids");
  });

  it("reports the same missing, unexpected and mismatched keys", () => {
    const info = model.loadingInfo!;
    expect(info.missingKeys).toEqual(python.missing_keys);
    expect(info.unexpectedKeys).toEqual(python.unexpected_keys);
    expect(info.mismatchedKeys).toEqual(python.mismatched_keys);
  });

  it("prints transformers' warning word for word", () => {
    expect(messages).toEqual(python.warnings);
  });

  it("has the same parameters as transformers' model", () => {
    expect(model.namedParameters().map(([name]) => name).sort()).toEqual(python.model_keys);
    expect(model.config.hiddenSize).toBe(384);
    expect(model.config.numHiddenLayers).toBe(6);
    expect(model.config.numAttentionHeads).toBe(12);
    expect(model.config.numLabels).toBe(2);
  });

  it("reads the weights where the resolver finds them, and every base tensor equals the file's bitwise", async () => {
    const path = await hfHubFile({ repo: REPO, file: "model.safetensors" });
    expect(model.loadingInfo!.source).toContain(path.slice(0, path.length - "model.safetensors".length));
    const { tensors } = await readSafetensors(path);
    const params = new Map(model.namedParameters());
    let compared = 0;
    for (const [key, t] of tensors) {
      if (key === "embeddings.position_ids") continue; // a buffer, not a parameter (transformers ignores it too)
      const p = params.get(`bert.${key}`);
      expect(p, key).toBeDefined();
      expect(p!.shape, key).toEqual(t.shape);
      const ours = p!.variable.dataSync() as Float32Array;
      const theirs = (t as HostTensor).data as Float32Array;
      expect(theirs).toBeInstanceOf(Float32Array);
      expect(Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength).equals(Buffer.from(theirs.buffer, theirs.byteOffset, theirs.byteLength)), key).toBe(true);
      compared++;
    }
    expect(compared).toBe(python.checkpoint_keys.length - 1);
  });

  it("initialises the new classifier as _init_weights does: normal(0, 0.02) weights, zero bias", () => {
    const params = new Map(model.namedParameters());
    const w = Array.from(params.get("classifier.weight")!.variable.dataSync());
    expect(w).toHaveLength(2 * 384);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    // 768 draws: the sample std of normal(0, 0.02) is within 0.02 * (1 ± 0.15) with overwhelming probability.
    expect(std).toBeGreaterThan(0.017);
    expect(std).toBeLessThan(0.023);
    expect(Math.abs(mean)).toBeLessThan(0.004);
    expect(Array.from(params.get("classifier.bias")!.variable.dataSync())).toEqual([0, 0]);
  });

  it("holds one tensor per parameter, no more", () => {
    expect(tf.memory().numTensors - before).toBe(python.model_keys.length);
  });
});

describe("a checkpoint with a key the model does not have (transformers 4.49's report, same files)", () => {
  it("reports it, sorted, with transformers' warning word for word; nothing is dropped silently", async () => {
    const ref = python.unexpected_case;
    expect(ref.made_from).toContain("cls.predictions.bias");
    const dir = mkdtempSync(join(tmpdir(), "kit-unexpected-"));
    try {
      const tensors = new Map([...(await readSafetensors(join(TINY_CHECKPOINT, "model.safetensors"))).tensors].filter(([k]) => !k.startsWith("classifier.")));
      tensors.set("cls.predictions.bias", { dtype: "F32", shape: [128], data: new Float32Array(128) });
      await writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
      copyFileSync(join(TINY_CHECKPOINT, "config.json"), join(dir, "config.json"));
      const said: string[] = [];
      const tiny = await AutoModelForSequenceClassification.fromPretrained(dir, { logger: (m) => said.push(m) });
      expect(tiny.loadingInfo!.unexpectedKeys).toEqual(ref.unexpected_keys);
      expect(tiny.loadingInfo!.missingKeys).toEqual(ref.missing_keys);
      expect(said).toEqual(ref.warnings.map((w) => w.replaceAll("<checkpoint>", dir)));
      tiny.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
