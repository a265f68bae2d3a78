// The Accelerator with real processes: gradients averaged across 2 ranks of batch 4 equal one process's
// gradient on the same 8 examples; ranks stay bitwise identical; gatherForMetrics counts each example once.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectClose, RTOL } from "../helpers/close";
import { f32, FIXTURES, readRank, ROOT, runRanks, tempDir, waitExit } from "./helpers";

type TrainRecord = { initial: string[]; grads: string[][]; resynced: string[]; params: string[][]; losses: number[]; length: number; lrAfterOneStep: number };

async function single(env: Record<string, string>): Promise<string> {
  const outDir = tempDir("acc-single");
  const child = spawn(process.execPath, ["--import", "tsx", join(FIXTURES, "accelerator-worker.ts")], {
    cwd: ROOT,
    env: { ...process.env, OUT_DIR: outDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const e = await waitExit(child);
  expect(e.code, e.stderr).toBe(0);
  return outDir;
}

const same = (a: string, b: string) => a === b;

// wasm writes the averages over the local gradients in place; cpu makes new tensors.
describe.each(["cpu", "wasm"])("Accelerator training on 2 processes (%s backend)", (backend) => {
  it("averaged gradients equal the 1-process batch-8 gradient; ranks bitwise identical; params close after 3 steps", async () => {
    const oneDir = await single({ MODE: "train", KIT_BACKEND: backend });
    const one = readRank<TrainRecord>(oneDir, 0)!;
    const { exits, outDir } = await runRanks("accelerator-worker.ts", [], 2, { MODE: "train", KIT_BACKEND: backend });
    exits.forEach((e, r) => expect(e.code, `rank ${r}: ${e.stderr}`).toBe(0));
    const [r0, r1] = [readRank<TrainRecord>(outDir, 0)!, readRank<TrainRecord>(outDir, 1)!];
    // prepare broadcast rank 0's initial parameters (rank 1 was initialised from another seed).
    r1.initial.forEach((p, k) => expect(same(p, r0.initial[k]!), `initial param ${k}`).toBe(true));
    r0.initial.forEach((p, k) => expect(same(p, one.initial[k]!), `initial param ${k} vs 1 process`).toBe(true));
    expect(r0.length).toBe(Math.ceil(24 / 4 / 2));
    for (const r of [r0, r1]) r.resynced.forEach((g, k) => expect(same(g, r.grads[0]![k]!), `grad ${k} averaged twice`).toBe(true));
    for (let s = 0; s < 3; s++) {
      r1.grads[s]!.forEach((g, k) => expect(same(g, r0.grads[s]![k]!), `step ${s} grad ${k} bitwise`).toBe(true));
      r1.params[s]!.forEach((p, k) => expect(same(p, r0.params[s]![k]!), `step ${s} param ${k} bitwise`).toBe(true));
    }
    // Step 1 starts from the same parameters: the gradients must match the 1-process ones (DESIGN §6).
    r0.grads[0]!.forEach((g, k) => expectClose(`grad ${k} step 1`, f32(g), f32(one.grads[0]![k]!), RTOL.grads));
    r0.params[2]!.forEach((p, k) => expectClose(`param ${k} after 3 steps`, f32(p), f32(one.params[2]![k]!), RTOL.params));
    // A prepared linear schedule over 12 steps: one step on 1 process, numProcesses steps on 2 (lr 1 base).
    expect(one.lrAfterOneStep).toBeCloseTo(1 - 1 / 12, 12);
    expect(r0.lrAfterOneStep).toBeCloseTo(1 - 2 / 12, 12);
  });

  it("sparse embedding-gradient exchange gives bitwise the dense result", async () => {
    const env = { MODE: "train", KIT_BACKEND: backend };
    const [sparse, dense] = [await runRanks("accelerator-worker.ts", [], 2, env), await runRanks("accelerator-worker.ts", [], 2, { ...env, SPARSE: "0" })];
    for (const run of [sparse, dense]) run.exits.forEach((e, r) => expect(e.code, `rank ${r}: ${e.stderr}`).toBe(0));
    const a = readRank<TrainRecord>(sparse.outDir, 0)!;
    const b = readRank<TrainRecord>(dense.outDir, 0)!;
    for (let s = 0; s < 3; s++) a.grads[s]!.forEach((g, k) => expect(same(g, b.grads[s]![k]!), `step ${s} grad ${k}`).toBe(true));
  });
});

describe.each([2, 3])("gatherForMetrics with %i processes", (n) => {
  it.each([1725, 408])("%i eval rows give exactly that many predictions, each example once", async (rows) => {
    const { exits, outDir } = await runRanks("accelerator-worker.ts", [], n, { MODE: "gather", NUM_ROWS: String(rows) });
    exits.forEach((e, r) => expect(e.code, `rank ${r}: ${e.stderr}`).toBe(0));
    for (let r = 0; r < n; r++) {
      const rec = readRank<{ seen: number[]; length: number }>(outDir, r)!;
      expect(rec.seen.length).toBe(rows);
      expect(rec.seen).toEqual(Array.from({ length: rows }, (_, i) => i));
      expect(rec.length).toBe(Math.ceil(Math.ceil(rows / 8) / n));
    }
  });
});
