// Each chapter's run() on short settings, its plain-JSON result checked against the course's facts and the
// reference outputs (not against goldens: this runs the current code). Plus the chapters' docs regions.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run as run01 } from "../../chapters/01-preprocessing";
import { run as run02 } from "../../chapters/02-dataloaders";
import { run as run03 } from "../../chapters/03-model";
import { run as run04 } from "../../chapters/04-optimizer-scheduler";
import { run as run05 } from "../../chapters/05-training-loop";
import { run as run06 } from "../../chapters/06-evaluation-loop";
import { run as run08 } from "../../chapters/08-sst2";
import { RTOL, expectClose } from "../helpers/close";
import { chapter03FirstLoss } from "../helpers/first-loss";
import { readReference } from "../helpers/shared";

type Split = { num_rows: number; label_counts: Record<string, number>; batches_of_8: number };
const mrpc = readReference<{ splits: Record<string, Split>; num_training_steps_3_epochs: number }>("mrpc-tokenized.json");
const CHAPTERS = join(import.meta.dirname, "..", "..", "chapters");
const quiet = true;

describe("chapters, run on short settings", () => {
  it("01: the course's four post-processed columns, the reference's split sizes", async () => {
    const r = await run01({ quiet });
    expect(r.trainColumnNames).toEqual(["attention_mask", "input_ids", "labels", "token_type_ids"]);
    expect(r.numRows).toEqual({ train: mrpc.splits.train!.num_rows, validation: mrpc.splits.validation!.num_rows, test: mrpc.splits.test!.num_rows });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("02: 459 / 51 batches, [8, L] batches, the last train batch of 4 rows", async () => {
    const r = await run02({ quiet });
    expect(r.trainBatches).toBe(mrpc.splits.train!.batches_of_8);
    expect(r.evalBatches).toBe(mrpc.splits.validation!.batches_of_8);
    expect(r.lastTrainBatchRows).toBe(4);
    const L = r.firstBatchShapes.input_ids![1]!;
    expect(r.firstBatchShapes).toEqual({ attention_mask: [8, L], input_ids: [8, L], labels: [8], token_type_ids: [8, L] });
  });

  it("03: logits [8, 2] and the first-step loss derived from the batch's label balance and logit gap (DESIGN.md §4)", async () => {
    const r = await run03({ quiet });
    expect(r.logitsShape).toEqual([8, 2]);
    const first = await chapter03FirstLoss(42);
    expectClose("chapter 03's loss vs its forward pass rebuilt", [r.loss], [first.loss], RTOL.loss);
    expect(Math.abs(r.loss - first.derived), `loss ${r.loss} vs derived ${first.derived} (${first.positives}:${first.n - first.positives}, gap ${first.gap})`).toBeLessThanOrEqual(first.bound);
    expect(Math.abs(r.loss - first.perExample), `loss ${r.loss} vs per-example expansion ${first.perExample}`).toBeLessThanOrEqual(first.perExampleBound);
  });

  it("04: 1377 steps, legacy AdamW unless --optim says otherwise, linear from 5e-5", async () => {
    const r = await run04({ quiet });
    expect(r.numTrainingSteps).toBe(mrpc.num_training_steps_3_epochs);
    expect(r.optim).toBe("adamw_legacy");
    expect(r.firstLr).toBe(5e-5);
    expect(Math.abs(r.lastLr - 5e-5 / 1377)).toBeLessThan(1e-15);
    const torch = await run04({ quiet, optim: "adamw_torch", numEpochs: 2 });
    expect(torch.optim).toBe("adamw_torch");
    expect(torch.numTrainingSteps).toBe(2 * 459);
  });

  it("05: --max-steps 3 runs 3 steps of a 3-step linear schedule, first loss as chapter 03's", async () => {
    const r = await run05({ quiet, maxSteps: 3 });
    expect(r.stepsDone).toBe(3);
    expect(r.firstLr).toBe(5e-5);
    expect(Math.abs(r.lastLr - 5e-5 / 3)).toBeLessThan(1e-15);
    const r03 = await run03({ quiet });
    expect(r.firstLoss).toBe(r03.loss);
  });

  it("06: every validation pair scored; accuracy and F1 in [0, 1]", async () => {
    const r = await run06({ quiet, maxSteps: 2 });
    expect(r.numExamples).toBe(mrpc.splits.validation!.num_rows);
    expect(r.stepsTrained).toBe(2);
    for (const v of [r.accuracy, r.f1]) expect(v >= 0 && v <= 1).toBe(true);
  });

  it("08: SST-2, single sentences: 8419 batches, 25257 steps for 3 epochs; --max-steps 1 stops after one", async () => {
    const r = await run08({ quiet, maxSteps: 1 });
    expect(r.numRows).toEqual({ train: 67349, validation: 872, test: 1821 });
    expect(r.trainBatches).toBe(8419);
    expect(r.fullRunSteps).toBe(25257);
    expect(r.stepsDone).toBe(1);
    expect(r.trainColumnNames).toEqual(["attention_mask", "input_ids", "labels", "token_type_ids"]);
  });
});

describe("chapter sources", () => {
  const files = readdirSync(CHAPTERS).filter((f) => /^\d\d-.*\.ts$/.test(f) && f !== "07-accelerate.ts");
  it.each(files)("%s: banner links the course, regions are balanced and listed at the top, runs as a script", (file) => {
    const text = readFileSync(join(CHAPTERS, file), "utf8");
    expect(text).toContain("https://huggingface.co/learn/llm-course/chapter3/4");
    expect(text).toContain("https://huggingface.co/learn/llm-course/fr/chapter3/4");
    expect(text).toMatch(/export async function run\(/);
    expect(text).toContain("import.meta.url === pathToFileURL(process.argv[1]).href");
    const opened = [...text.matchAll(/\/\/ #region ([\w-]+)/g)].map((m) => m[1]!);
    const closed = [...text.matchAll(/\/\/ #endregion ([\w-]+)/g)].map((m) => m[1]!);
    expect(opened.length).toBeGreaterThan(0);
    expect(closed).toEqual(opened);
    const listed = /Regions \(for the docs\): (.*)/.exec(text)?.[1]?.split(",").map((s) => s.trim());
    expect(new Set(listed)).toEqual(new Set(opened));
  });
});
