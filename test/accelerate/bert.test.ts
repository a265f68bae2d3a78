// The Accelerator at BERT level, with real processes: the reference checkpoint (tiny-v128-h32) trained on
// real MRPC rows, gatherForMetrics over the real validation (408) and test (1725) splits, and chapter 07
// under the launcher. Baselines are the same worker run as one process (no WORLD_SIZE).
import { spawn } from "node:child_process";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { run as runChapter07 } from "../../chapters/07-accelerate";
import { expectClose, RTOL } from "../helpers/close";
import { f32, FIXTURES, readRank, ROOT, runRanks, tempDir, waitExit } from "./helpers";

type TrainRecord = { names: string[]; grads: string[][]; params: string[][]; losses: number[]; rows: number[] };
type SplitRecord = { predictions: number[]; references: number[]; logits: string[]; length: number; metric: { accuracy: number; f1: number } };
type EvalRecord = { trainDlLength: number; validation: SplitRecord; test: SplitRecord };

// Facts of GLUE MRPC (DESIGN.md §6, the brief): rows per split, batches of the course's train loader.
const MRPC_ROWS = { validation: 408, test: 1725 } as const;
const TRAIN_BATCHES = 459;

async function single<T>(mode: string): Promise<T> {
  const outDir = tempDir("bert-single");
  const child = spawn(process.execPath, ["--import", "tsx", join(FIXTURES, "bert-worker.ts")], {
    cwd: ROOT,
    env: { ...process.env, OUT_DIR: outDir, MODE: mode },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const e = await waitExit(child);
  expect(e.code, e.stderr).toBe(0);
  return readRank<T>(outDir, 0)!;
}

async function ranks<T>(mode: string, n: number): Promise<T[]> {
  const { exits, outDir } = await runRanks("bert-worker.ts", [], n, { MODE: mode });
  exits.forEach((e, r) => expect(e.code, `rank ${r}: ${e.stderr}`).toBe(0));
  return Array.from({ length: n }, (_, r) => readRank<T>(outDir, r)!);
}

function concatF32(chunks: string[]): Float32Array {
  const parts = chunks.map(f32);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("reference BERT checkpoint trained on 2 processes", () => {
  it("batch 4 on each of 2 ranks = batch 8 on one process: gradients close, ranks bitwise identical, params close after 3 steps", async () => {
    const [one, [r0, r1]] = await Promise.all([single<TrainRecord>("train"), ranks<TrainRecord>("train", 2)]);
    expect(one.rows).toEqual([8, 8, 8]);
    expect(r0!.rows).toEqual([4, 4, 4]);
    expect(r1!.rows).toEqual([4, 4, 4]);
    expect(r0!.names).toEqual(one.names);
    for (let s = 0; s < 3; s++) {
      r1!.grads[s]!.forEach((g, k) => expect(g === r0!.grads[s]![k], `step ${s + 1} gradient of ${one.names[k]} bitwise equal on both ranks`).toBe(true));
      r1!.params[s]!.forEach((p, k) => expect(p === r0!.params[s]![k], `step ${s + 1} ${one.names[k]} bitwise equal on both ranks`).toBe(true));
      // Each rank's loss is over its 4 rows; their mean is the 8-row loss.
      expect(Math.abs((r0!.losses[s]! + r1!.losses[s]!) / 2 - one.losses[s]!)).toBeLessThanOrEqual(RTOL.loss * Math.abs(one.losses[s]!));
    }
    // Step 1 starts from the same (broadcast) parameters: the averaged gradient is the 8-row gradient.
    r0!.grads[0]!.forEach((g, k) => expectClose(`gradient of ${one.names[k]} at step 1`, f32(g), f32(one.grads[0]![k]!), RTOL.grads));
    r0!.params[2]!.forEach((p, k) => expectClose(`${one.names[k]} after 3 steps`, f32(p), f32(one.params[2]![k]!), RTOL.params));
  });
});

describe("gatherForMetrics over real MRPC", () => {
  let baseline: Promise<EvalRecord> | null = null;
  const oneProcess = (): Promise<EvalRecord> => (baseline ??= single<EvalRecord>("eval"));

  it.each([2, 3])("%i processes: every validation and test example once, in order; the metric equals one process's", async (n) => {
    const [one, all] = await Promise.all([oneProcess(), ranks<EvalRecord>("eval", n)]);
    for (const split of ["validation", "test"] as const) {
      expect(one[split].predictions).toHaveLength(MRPC_ROWS[split]);
      const oneLogits = concatF32(one[split].logits);
      all.forEach((rec, r) => {
        const got = rec[split];
        expect(got.predictions, `${split}, rank ${r}`).toHaveLength(MRPC_ROWS[split]);
        expect(got.references, `${split}, rank ${r}`).toHaveLength(MRPC_ROWS[split]);
        expect(got.length).toBe(Math.ceil(Math.ceil(MRPC_ROWS[split] / 8) / n));
        expect(got.references).toEqual(one[split].references);
        expect(got.predictions).toEqual(one[split].predictions);
        // Logits identify the examples: same ones, same order (the last, cycled round pads differently).
        expectClose(`${split} logits, rank ${r}`, concatF32(got.logits), oneLogits, RTOL.logits);
        expect(got.metric).toEqual(one[split].metric);
      });
    }
    // The course's number of steps: 3 epochs x len(prepared train dataloader).
    for (const rec of all) expect(3 * rec.trainDlLength).toBe(3 * Math.ceil(TRAIN_BATCHES / n));
    expect(one.trainDlLength).toBe(TRAIN_BATCHES);
  });
});

describe("chapter 07 under the launcher", () => {
  it("2 processes, --max-steps 4: completes with 230 batches per process (x 3 epochs = 690 steps), only the main process prints the metrics", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/accelerate/cli.ts", "launch", "--num-processes", "2", "chapters/07-accelerate.ts", "--max-steps", "4"],
      { cwd: ROOT, env: { ...process.env, KIT_BACKEND: process.env.KIT_BACKEND ?? "wasm" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const e = await waitExit(child);
    expect(e.code, e.stderr).toBe(0);
    const results = e.stdout.split("\n").filter((l) => l.startsWith("{\""));
    expect(results, e.stdout).toHaveLength(1); // only rank 0 prints its result
    const result = JSON.parse(results[0]!) as Record<string, unknown>;
    expect(result).toMatchObject({ numProcesses: 2, processIndex: 0, lr: 3e-5, trainBatchesPerProcess: Math.ceil(TRAIN_BATCHES / 2), stepsRun: 4, evalExamples: 408 });
    // accelerator.print: the metrics appear once, unprefixed (rank 1's output would carry a prefix), and
    // not a second time in the result line.
    expect(e.stdout.match(/accuracy: /g), e.stdout).toHaveLength(1);
    expect(result).not.toHaveProperty("metrics");
    const printed = /^\{ accuracy: ([\d.]+), f1: ([\d.]+) \}$/m.exec(e.stdout);
    expect(printed, e.stdout).not.toBeNull();
    expect(Number(printed![1])).toBeGreaterThanOrEqual(0);
    expect(Number(printed![1])).toBeLessThanOrEqual(1);
  });
});

describe("chapter 07 on one process", () => {
  it("run(): 459 batches per epoch (x 3 = 1377 steps), evaluates all 408 examples, and leaves no tensor behind", async () => {
    const before = tf.memory().numTensors;
    const result = await runChapter07({ maxSteps: 2, quiet: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ numProcesses: 1, trainBatchesPerProcess: TRAIN_BATCHES, stepsRun: 2, evalExamples: 408, lr: 3e-5 });
    expect(Number.isFinite(result.lastLoss)).toBe(true);
  });
});
