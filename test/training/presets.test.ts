// The pretrained preset all-minilm-l6-v2: the checkpoint it names, pretrained (not seeded), the course's
// hyperparameters (chapter 3, section 4: batch 8, 3 epochs, lr 5e-5, linear, no warm-up, `from transformers
// import AdamW`), accepted by every command's --preset, and its error's fixes. The default stays tiny.
import { describe, expect, it } from "vitest";
import { FLAGS, parseFlags } from "../../src/training/flags";
import { COURSE_HYPERPARAMETERS, hyperparameters, missingFilesFix, plannedSteps, PRESETS } from "../../src/training/presets";

// GLUE MRPC's train split has 3668 rows (DESIGN.md §6, course facts).
const TRAIN_BATCHES = Math.ceil(3668 / 8);

describe("preset all-minilm-l6-v2", () => {
  const preset = PRESETS["all-minilm-l6-v2"];

  it("is the pretrained sentence-transformers/all-MiniLM-L6-v2 with its own tokenizer, unchanged", () => {
    expect(preset.name).toBe("all-minilm-l6-v2");
    expect(preset.checkpoint).toBe("sentence-transformers/all-MiniLM-L6-v2");
    expect(preset.tokenizer).toBe("sentence-transformers/all-MiniLM-L6-v2");
    expect(preset.initFromSeed).toBe(false);
    expect(preset.configOverrides).toEqual({});
    expect(preset.notice).toContain("see README");
  });

  it("runs with the course's hyperparameters: 1377 steps", () => {
    const hp = hyperparameters({ preset: "all-minilm-l6-v2" });
    expect(hp).toMatchObject({ batchSize: 8, numEpochs: 3, lr: 5e-5, lrSchedulerType: "linear", numWarmupSteps: 0, optim: "adamw_legacy", maxSteps: 0 });
    expect(plannedSteps(hp, TRAIN_BATCHES)).toEqual({ numTrainingSteps: 1377, numEpochs: 3 });
  });

  it("is accepted by --preset, and is not the default", () => {
    expect(parseFlags(["--preset", "all-minilm-l6-v2"], ["preset"]).values.preset).toBe("all-minilm-l6-v2");
    expect(FLAGS.preset.choices).toContain("all-minilm-l6-v2");
    expect(COURSE_HYPERPARAMETERS.preset).toBe("tiny");
  });

  it("its missing-files fix names fetch-model, the mirror folder and the Hub", () => {
    const fix = missingFilesFix("all-minilm-l6-v2");
    expect(fix).toContain("npm run fetch-model");
    expect(fix).toContain("<mirror>/models/sentence-transformers/all-MiniLM-L6-v2/");
    expect(fix).toContain("HF_HUB_OFFLINE");
    expect(missingFilesFix("course")).not.toContain("fetch-model");
  });
});
