// A training step leaves nothing behind: tf.memory().numTensors is the same after step 1 and step 100 of
// the course's loop (forward + backward, AdamW step, scheduler step, zeroGrad) on batches collated from the
// real MRPC pipeline (shuffled, batch 8, each disposed after its step), with a small model: 2 layers,
// hidden 32, 2 heads, intermediate 64, bert-base-uncased's vocabulary.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { DataLoader, disposeBatch } from "../../src/data";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { backward } from "../../src/nn";
import { AdamW, getScheduler } from "../../src/optim";
import { configWith, tokenizedMrpc } from "./mrpc";

const SMALL = { numHiddenLayers: 2, hiddenSize: 32, numAttentionHeads: 2, intermediateSize: 64 } as const;
const STEPS = 100;

// wasm only: on the cpu backend this loop took over 2 s a step here (30522-row embedding), past the timeout.
for (const backend of ["wasm"] as const) {
  describe(`training-loop memory on ${backend}`, () => {
    it(`tf.memory().numTensors after step 1 equals that after step ${STEPS}`, async () => {
      await useBackend(backend);
      const { tokenizer, tokenized, dataCollator } = await tokenizedMrpc();
      const trainDataloader = new DataLoader(tokenized.train, { shuffle: true, batchSize: 8, collateFn: dataCollator, seed: 42 });
      const model = AutoModelForSequenceClassification.fromConfig(configWith(SMALL, tokenizer.vocabSize), { seed: 42 });
      model.train();
      const optimizer = new AdamW(model.parameters(), { lr: 5e-5 });
      const lrScheduler = getScheduler("linear", { optimizer, numWarmupSteps: 0, numTrainingSteps: STEPS });
      const counts: number[] = [];
      let step = 0;
      for (const batch of trainDataloader) {
        backward(() => model.forward(batch).loss!, model.parameters());
        optimizer.step();
        lrScheduler.step();
        optimizer.zeroGrad();
        disposeBatch(batch);
        counts.push(tf.memory().numTensors);
        if (++step === STEPS) break;
      }
      expect(counts.length).toBe(STEPS);
      expect(counts[STEPS - 1], `numTensors per step: ${counts.join(" ")}`).toBe(counts[0]);
      expect(new Set(counts).size, `numTensors per step: ${counts.join(" ")}`).toBe(1);
      optimizer.dispose();
      model.dispose();
    });
  });
}
