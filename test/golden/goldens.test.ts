// The goldens (written by `npm run golden`) read back, each value checked against the reference outputs
// of transformers / PyTorch (../shared/reference) or a stated fact of the course — never only against
// itself. Cross-file checks tie the chapters together (chapter 03's loss is the first step of chapter 05).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RandomSampler } from "../../src/data";
import type { AccelerateResult } from "../../chapters/07-accelerate";
import type { RunRecord } from "../../src/training/run-record";
import { TUTORIAL_PRESET } from "../../src/training/presets";
import { selectDevice } from "../../src/backend";
import { RTOL, expectClose } from "../helpers/close";
import { chapter03FirstLoss } from "../helpers/first-loss";
import { readReference } from "../helpers/shared";
import { METRIC_RANGE } from "../../scripts/check-run";
import { GOLDEN_PROCESSES, GOLDEN_STEPS } from "../../scripts/golden";

const GOLDEN = join(import.meta.dirname, "..", "..", "golden");
function golden<T>(name: string): T {
  const path = join(GOLDEN, `${name}.json`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run golden\` to write it.`);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

type Split = { num_rows: number; label_counts: Record<string, number>; lengths: number[]; batches_of_8: number };
const mrpc = readReference<{ splits: Record<string, Split>; num_training_steps_3_epochs: number }>("mrpc-tokenized.json");
const tinyRef = readReference<{ lr_schedule: { lr_after_k_scheduler_steps: Record<string, number>; num_training_steps: number } }>(
  "tiny-v128-h32/reference.json",
);
const POSITIVE = mrpc.splits.validation!.label_counts["1"]!; // 279
const NEGATIVE = mrpc.splits.validation!.label_counts["0"]!; // 129
// The course's linear schedule: lr after k steps = 5e-5 * (1377 - k) / 1377.
const linearLr = (k: number, total = 1377): number => (5e-5 * Math.max(0, total - k)) / total;

// What an untrained seeded classifier scores on MRPC validation: every pair called "equivalent".
const MAJORITY = { accuracy: POSITIVE / (POSITIVE + NEGATIVE), f1: (2 * POSITIVE) / (2 * POSITIVE + NEGATIVE) };

describe("golden/01-preprocessing.json", () => {
  const g = golden<{ numRows: Record<string, number>; rawColumnNames: string[]; trainColumnNames: string[] }>("01-preprocessing");
  it("has the course's four post-processed column names and the reference's split sizes", () => {
    expect(g.trainColumnNames).toEqual(["attention_mask", "input_ids", "labels", "token_type_ids"]);
    expect(g.rawColumnNames).toEqual(["sentence1", "sentence2", "label", "idx"]);
    for (const split of ["train", "validation", "test"]) expect(g.numRows[split]).toBe(mrpc.splits[split]!.num_rows);
  });
});

describe("golden/02-dataloaders.json", () => {
  const g = golden<{ seed: number; batchSize: number; firstBatchShapes: Record<string, number[]>; trainBatches: number; evalBatches: number; lastTrainBatchRows: number }>(
    "02-dataloaders",
  );
  it("459 train and 51 eval batches (the reference's batches of 8), the last train batch of 4 rows (3668 = 458 x 8 + 4)", () => {
    expect(g.trainBatches).toBe(459);
    expect(g.trainBatches).toBe(mrpc.splits.train!.batches_of_8);
    expect(g.evalBatches).toBe(51);
    expect(g.evalBatches).toBe(mrpc.splits.validation!.batches_of_8);
    expect(g.lastTrainBatchRows).toBe(3668 - 458 * 8);
  });
  it("the first batch for seed 42 is padded to the longest of its 8 rows, by the reference's row lengths", () => {
    expect(g.seed).toBe(42);
    const indices = new RandomSampler(3668, { seed: 42 }).indices(0).slice(0, 8);
    const longest = Math.max(...indices.map((i) => mrpc.splits.train!.lengths[i]!));
    expect(g.firstBatchShapes).toEqual({ attention_mask: [8, longest], input_ids: [8, longest], labels: [8], token_type_ids: [8, longest] });
  });
});

describe("golden/03-model.json, 04 and 05", () => {
  const g03 = golden<{ numParameters: number; loss: number; logitsShape: number[]; batchShapes: Record<string, number[]> }>("03-model");
  const g02 = golden<{ firstBatchShapes: Record<string, number[]> }>("02-dataloaders");
  const g04 = golden<{ optim: string; numTrainingSteps: number; firstLr: number; lastLr: number }>("04-optimizer-scheduler");
  const g05 = golden<{ stepsDone: number; numTrainingSteps: number; firstLoss: number; firstLr: number; lastLr: number }>("05-training-loop");

  it("03: logits [8, 2] for the seed-42 first batch; BERT-Tiny's parameter count with bert-base-uncased's vocabulary", () => {
    expect(g03.logitsShape).toEqual([8, 2]);
    expect(g03.batchShapes).toEqual(g02.firstBatchShapes);
    // embeddings (30522 + 512 + 2 rows of 128, LayerNorm) + 2 layers + pooler + classifier
    const H = 128, I = 512;
    const embeddings = (30522 + 512 + 2) * H + 2 * H;
    const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
    expect(g03.numParameters).toBe(embeddings + 2 * layer + (H * H + H) + (H * 2 + 2));
  });

  // DESIGN.md §4: ln 2 minus a term set by the first batch's label balance and the initial logit gap.
  it("03/05: the first-step loss is the value derived from the seed-42 first batch's labels and logit gap, and chapter 03's forward pass is exactly chapter 05's first step", async () => {
    await selectDevice({ quiet: true });
    const first = await chapter03FirstLoss(42);
    expectClose("chapter 03's forward pass rebuilt vs golden/03-model.json", [first.loss], [g03.loss], RTOL.loss);
    const balance = `${first.positives}:${first.n - first.positives} batch, mean logit gap ${first.gap.toFixed(4)}`;
    expect(Math.abs(g03.loss - first.derived), `loss ${g03.loss} vs derived ${first.derived} (${balance}), allowed ${first.bound}`).toBeLessThanOrEqual(first.bound);
    expect(Math.abs(g03.loss - first.perExample), `loss ${g03.loss} vs per-example expansion ${first.perExample}`).toBeLessThanOrEqual(first.perExampleBound);
    expect(g05.firstLoss).toBe(g03.loss);
  });

  it("04: 1377 steps (the reference's), legacy AdamW by default, the reference's linear schedule at its ends", () => {
    expect(g04.numTrainingSteps).toBe(mrpc.num_training_steps_3_epochs);
    expect(g04.numTrainingSteps).toBe(tinyRef.lr_schedule.num_training_steps);
    expect(g04.optim).toBe("adamw_legacy");
    expect(g04.firstLr).toBe(tinyRef.lr_schedule.lr_after_k_scheduler_steps["0"]);
    expect(Math.abs(g04.lastLr - tinyRef.lr_schedule.lr_after_k_scheduler_steps["1376"]!)).toBeLessThan(1e-12);
  });

  it("05: --max-steps 5 makes a 5-step schedule (transformers' max_steps): lr 5e-5 down to 1e-5", () => {
    expect(g05.stepsDone).toBe(5);
    expect(g05.numTrainingSteps).toBe(5);
    expect(g05.firstLr).toBe(5e-5);
    expect(Math.abs(g05.lastLr - 1e-5)).toBeLessThan(1e-12);
  });
});

/**
 * Any batch's loss at initialisation is within g/2 of ln 2, g ~ 0.066 being the seed-42 classifier's logit gap
 * (see test/helpers/first-loss.ts): to first order the loss of n pairs with k positives is ln 2 - g (2k - n) / (2n), and
 * |2k - n| <= n (a batch of one class) gives 0.033. Before chapter 07's third step two updates ran, at lr 3e-5
 * and 2e-5; (legacy) AdamW moves each weight by about lr, so the classifier's 2 x (128 + 1) weights move the gap
 * by at most 2 x 129 x 5e-5 ~ 0.013 and the loss by half that, ~ 0.007. 0.033 + 0.007 = 0.04, rounded up for
 * the spread of the gap between examples.
 */
const EARLY_LOSS_TOLERANCE = 0.045;

describe("golden/07-accelerate.json (chapter 07 on 2 processes through the launcher, rank 0)", () => {
  // The chapter's own result type, minus the timing the golden script drops, plus the 1-process counts.
  type Result = Omit<AccelerateResult, "trainSeconds"> & {
    onOneProcess: { numProcesses: number; trainBatchesPerProcess: number; plannedTrainingSteps: number };
  };
  const g = golden<Result>("07-accelerate");
  const trainBatches = mrpc.splits.train!.batches_of_8; // 459
  const steps = GOLDEN_STEPS["07-accelerate"];

  it("is rank 0 of a 2-process launch, with the course's Accelerate learning rate 3e-5 and no timing", () => {
    expect(GOLDEN_PROCESSES).toBe(2);
    expect(g.numProcesses).toBe(2);
    expect(g.processIndex).toBe(0);
    expect(g.lr).toBe(3e-5);
    expect(g).not.toHaveProperty("trainSeconds");
  });

  it("each process gets ceil(459 / 2) = 230 batches an epoch, so the full run plans 3 x 230 = 690 steps", () => {
    expect(g.trainBatchesPerProcess).toBe(Math.ceil(trainBatches / 2));
    expect(g.trainBatchesPerProcess).toBe(230);
    expect(g.plannedTrainingSteps).toBe(3 * g.trainBatchesPerProcess);
    expect(g.plannedTrainingSteps).toBe(690);
  });

  it("on one process: all 459 batches and the reference's 1377 steps, as in chapter 04", () => {
    expect(g.onOneProcess).toEqual({ numProcesses: 1, trainBatchesPerProcess: trainBatches, plannedTrainingSteps: mrpc.num_training_steps_3_epochs });
    expect(g.onOneProcess.plannedTrainingSteps).toBe(3 * trainBatches);
  });

  it("ran the golden's steps (maxSteps sets the scheduler's length), one full batch of 8 per process and step", () => {
    expect(g.stepsRun).toBe(steps);
    expect(g.numTrainingSteps).toBe(steps);
    expect(g.trainExamples).toBe(8 * steps);
  });

  it("its last loss is finite and near ln 2: a few steps at lr <= 3e-5 leave the model near its initialisation", () => {
    expect(Number.isFinite(g.lastLoss)).toBe(true);
    expect(Math.abs(g.lastLoss - Math.LN2)).toBeLessThan(EARLY_LOSS_TOLERANCE);
  });

  it("gatherForMetrics hands the metric each of the 408 validation pairs once; the metrics fit the reference's label counts", () => {
    expect(g.evalExamples).toBe(mrpc.splits.validation!.num_rows);
    const { accuracy, f1 } = g.metrics;
    for (const m of [accuracy, f1]) {
      expect(m).toBeGreaterThanOrEqual(0);
      expect(m).toBeLessThanOrEqual(1);
    }
    const correct = accuracy * g.evalExamples;
    expect(Math.abs(correct - Math.round(correct))).toBeLessThan(1e-9);
    // Some confusion matrix with the validation split's 279 positives and 129 negatives gives both metrics.
    const fits = Array.from({ length: POSITIVE + 1 }, (_, tp) => tp).filter((tp) => {
      const tn = Math.round(correct) - tp;
      if (tn < 0 || tn > NEGATIVE) return false;
      const fp = NEGATIVE - tn, fn = POSITIVE - tp;
      return Math.abs((2 * tp) / (2 * tp + fp + fn) - f1) < 1e-12;
    });
    expect(fits.length).toBeGreaterThan(0);
  });

  it("a barely trained seeded model scores the majority class, as chapter 06's 5 steps at 5e-5 do", () => {
    expect(g.metrics.accuracy).toBeCloseTo(MAJORITY.accuracy, 12);
    expect(g.metrics.f1).toBeCloseTo(MAJORITY.f1, 12);
  });
});

describe("golden/06-evaluation-loop.json and 08-sst2.json", () => {
  it("06: all 408 validation pairs scored; a barely trained seeded model scores the majority class", () => {
    const g = golden<{ accuracy: number; f1: number; numExamples: number; stepsTrained: number }>("06-evaluation-loop");
    expect(g.numExamples).toBe(mrpc.splits.validation!.num_rows);
    expect(g.stepsTrained).toBe(5);
    expect(g.accuracy).toBeCloseTo(MAJORITY.accuracy, 12);
    expect(g.f1).toBeCloseTo(MAJORITY.f1, 12);
    expect(g.accuracy).toBeCloseTo(0.684, 3);
    expect(g.f1).toBeCloseTo(0.812, 3);
  });

  it("08: SST-2's sizes; 8419 batches of 8 a epoch, 25257 steps for 3 epochs; 109 validation batches", () => {
    const g = golden<{ numRows: Record<string, number>; trainBatches: number; fullRunSteps: number; evalBatches: number; trainColumnNames: string[]; stepsDone: number }>("08-sst2");
    expect(g.numRows).toEqual({ train: 67349, validation: 872, test: 1821 });
    expect(g.trainBatches).toBe(Math.ceil(67349 / 8));
    expect(g.fullRunSteps).toBe(25257);
    expect(g.evalBatches).toBe(Math.ceil(872 / 8));
    expect(g.trainColumnNames).toEqual(["attention_mask", "input_ids", "labels", "token_type_ids"]);
    expect(g.stepsDone).toBe(3);
  });
});

describe("golden/run-record.json (the default full run: npm start, the pretrained preset)", () => {
  const path = join(GOLDEN, "run-record.json");
  const record = JSON.parse(readFileSync(path, "utf8")) as RunRecord;

  it("is the default run, complete, compact", () => {
    expect(readFileSync(path).byteLength).toBeLessThanOrEqual(200 * 1024);
    expect(record.status).toBe("completed");
    expect(record.hyperparameters).toMatchObject({ preset: TUTORIAL_PRESET, batchSize: 8, numEpochs: 3, lr: 5e-5, optim: "adamw_legacy", seed: 42, maxSteps: 0 });
    expect(record.numTrainingSteps).toBe(1377);
    expect(record.batchesPerEpoch).toBe(459);
  });

  it("has all 1377 steps, each with the linear schedule's learning rate", () => {
    expect(record.steps.loss).toHaveLength(1377);
    expect(record.steps.lr).toHaveLength(1377);
    record.steps.lr.forEach((lr, k) => expect(Math.abs(lr - linearLr(k))).toBeLessThan(1e-12));
    for (const [k, lr] of Object.entries(tinyRef.lr_schedule.lr_after_k_scheduler_steps)) {
      if (Number(k) < 1377) expect(Math.abs(record.steps.lr[Number(k)]! - lr)).toBeLessThan(1e-12);
    }
    expect(record.steps.loss.every(Number.isFinite)).toBe(true);
  });

  it("learns: its loss falls from about ln 2 to well below the loss of answering the label prior", () => {
    // A new head of std 0.02 starts near ln 2; a model that only learnt the training set's label balance
    // (2474 positive of 3668) would sit at that distribution's entropy.
    const p = 2474 / 3668;
    const priorLoss = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(record.steps.loss.slice(0, 20));
    const last = mean(record.steps.loss.slice(-200));
    expect(Math.abs(first - Math.LN2)).toBeLessThan(0.1);
    expect(last).toBeLessThan(0.75 * priorLoss);
  });

  it("evaluates all 408 validation pairs; confusion counts agree with the reference's labels and the metrics", () => {
    const ev = record.evaluation!;
    expect(ev.predictions).toHaveLength(408);
    expect(ev.references.filter((r) => r === 1)).toHaveLength(POSITIVE);
    const { truePositive: tp, falsePositive: fp, trueNegative: tn, falseNegative: fn } = ev.confusion;
    expect(tp + fn).toBe(POSITIVE);
    expect(fp + tn).toBe(NEGATIVE);
    expect(ev.metrics.accuracy).toBeCloseTo((tp + tn) / 408, 12);
    expect(ev.metrics.f1).toBeCloseTo((2 * tp) / (2 * tp + fp + fn), 12);
  });

  it("its metrics lie above the floor and in the measured seed range widened (scripts/check-run.ts)", () => {
    const { accuracy, f1 } = record.evaluation!.metrics;
    expect(accuracy).toBeGreaterThanOrEqual(METRIC_RANGE.accuracy[0]);
    expect(accuracy).toBeLessThanOrEqual(METRIC_RANGE.accuracy[1]);
    expect(f1).toBeGreaterThanOrEqual(METRIC_RANGE.f1[0]);
    expect(f1).toBeLessThanOrEqual(METRIC_RANGE.f1[1]);
  });
});

describe("golden/compare.json (the docs' side-by-side table)", () => {
  const compare = golden<{ seed: number; kit: { accuracy: number; f1: number; steps: number }; python: { accuracy: number; f1: number; steps: number } }>("compare");
  const record = JSON.parse(readFileSync(join(GOLDEN, "run-record.json"), "utf8")) as RunRecord;

  it("its kit side is the default run's, and both sides ran the course's 1377 steps on the same seed", () => {
    expect(compare.kit.accuracy).toBe(record.evaluation!.metrics.accuracy);
    expect(compare.kit.f1).toBe(record.evaluation!.metrics.f1);
    expect(compare.seed).toBe(record.hyperparameters.seed);
    expect([compare.kit.steps, compare.python.steps]).toEqual([1377, 1377]);
  });

  it("its Python side is the committed course run of bench/python/results", () => {
    const python = JSON.parse(readFileSync(join(GOLDEN, "..", "bench", "python", "results", "mrpc-seed42.json"), "utf8")) as { accuracy: number; f1: number; seed: number };
    expect([compare.python.accuracy, compare.python.f1, compare.seed]).toEqual([python.accuracy, python.f1, python.seed]);
  });
});

