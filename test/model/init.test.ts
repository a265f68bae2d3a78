// fromConfig initialises as transformers' _init_weights: normal(0, initializer_range) for Linear and
// Embedding weights, padding row 0, biases 0, LayerNorm 1/0, all drawn from Generator(seed).
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { BertConfig } from "../../src/models/bert";

const config = new BertConfig({
  vocabSize: 4000,
  hiddenSize: 64,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 128,
  maxPositionEmbeddings: 64,
  padTokenId: 3,
  initializerRange: 0.05,
});

describe("fromConfig initialisation", () => {
  it("matches _init_weights' distributions", async () => {
    await useBackend("cpu");
    const model = AutoModelForSequenceClassification.fromConfig(config, { seed: 7 });
    const values = new Map(model.namedParameters().map(([n, p]) => [n, Array.from(p.variable.dataSync())]));
    // The word embedding: 4000 x 64 = 256000 draws. Mean within 5 standard errors of 0; std within 1%.
    const w = values.get("bert.embeddings.word_embeddings.weight")!;
    const rows = w.filter((_, i) => Math.floor(i / 64) !== 3);
    const n = rows.length;
    const mean = rows.reduce((s, v) => s + v, 0) / n;
    const std = Math.sqrt(rows.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean)).toBeLessThan((5 * 0.05) / Math.sqrt(n));
    expect(Math.abs(std / 0.05 - 1)).toBeLessThan(0.01);
    // Roughly normal: about 68.3% within one std (binomial standard error ~0.1%).
    const within = rows.filter((v) => Math.abs(v) < 0.05).length / n;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.005);
    // padding_idx row is zero.
    expect(w.slice(3 * 64, 4 * 64).every((v) => v === 0)).toBe(true);
    for (const [name, v] of values) {
      if (name.endsWith("LayerNorm.weight")) expect(v.every((x) => x === 1), name).toBe(true);
      else if (name.endsWith(".bias")) expect(v.every((x) => x === 0), name).toBe(true);
      else {
        const s = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
        // Every weight is random with std 0.05 (generous bounds: the smallest has 2 x 64 values).
        expect(s, name).toBeGreaterThan(0.035);
        expect(s, name).toBeLessThan(0.065);
      }
    }
    model.dispose();
  });

  it("the same seed gives identical weights, another seed different ones", async () => {
    await useBackend("cpu");
    const flat = (seed: number): Float32Array[] => {
      const m = AutoModelForSequenceClassification.fromConfig(config, { seed });
      const out = m.parameters().map((p) => p.variable.dataSync() as Float32Array);
      m.dispose();
      return out;
    };
    const a = flat(1);
    const b = flat(1);
    const c = flat(2);
    a.forEach((t, i) => expect(Buffer.from(t.buffer).equals(Buffer.from(b[i]!.buffer))).toBe(true));
    const classifierA = a[a.length - 2]!;
    const classifierC = c[c.length - 2]!;
    expect(classifierA.some((v, i) => v !== classifierC[i])).toBe(true);
    expect(a[0]!.some((v, i) => v !== c[0]![i])).toBe(true);
    expect(tf.memory().numTensors).toBe(0);
  });
});
