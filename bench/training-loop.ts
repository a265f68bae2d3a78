// The real loops next to the bare step: chapter 05's loop (data loading, collate, schedule and progress
// included) as steps/s, and chapter 07's Accelerate loop on 1 and on 2 processes (src/accelerate's launcher)
// as training examples/s. Both use the kit's presets (Tiny shape: the default preset); each run is a child.
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launchProcesses } from "../src/accelerate/launch";
import { runJsonChild } from "./child";

export interface LoopBench {
  preset: string;
  backend: string;
  steps: number;
  seconds: number;
  stepsPerSecond: number;
}

export interface AccelerateBench {
  preset: string;
  numProcesses: number;
  stepsPerProcess: number;
  trainSeconds: number;
  examplesPerSecond: number;
}

const SELF = fileURLToPath(import.meta.url);
const CHAPTER_07 = fileURLToPath(new URL("../chapters/07-accelerate.ts", import.meta.url));

export async function benchTrainingLoop(steps: number, backend: string): Promise<{ ok: boolean; result?: LoopBench; error?: string }> {
  return runJsonChild<LoopBench>(process.execPath, ["--import", "tsx", SELF, "--loop", String(steps)], {
    timeoutMs: 30 * 60_000,
    env: { ...process.env, KIT_BACKEND: backend },
  });
}

export async function benchAccelerate(numProcesses: number, steps: number, backend: string): Promise<{ ok: boolean; result?: AccelerateBench; error?: string }> {
  let out = "";
  let err = "";
  const sink = (append: (s: string) => void): Writable => new Writable({ write: (chunk, _enc, cb) => (append(String(chunk)), cb()) });
  try {
    await launchProcesses({
      script: CHAPTER_07,
      args: ["--max-steps", String(steps), "--quiet"],
      numProcesses,
      env: { KIT_BACKEND: backend },
      stdout: sink((s) => (out += s)),
      stderr: sink((s) => (err = (err + s).slice(-20_000))),
    });
  } catch (e) {
    return { ok: false, error: `${(e as Error).message.split("\n")[0]} | ${err.split("\n").filter(Boolean).slice(-3).join(" | ")}` };
  }
  const line = out.split("\n").find((l) => l.includes('"numProcesses"'));
  if (!line) return { ok: false, error: `chapter 07 printed no result: ${out.slice(-300)}` };
  const r = JSON.parse(line.slice(line.indexOf("{"))) as { preset: string; numProcesses: number; stepsRun: number; trainExamples: number; trainSeconds: number };
  // Rank 0 reports its own share; every rank draws the same number of batches.
  return {
    ok: true,
    result: {
      preset: r.preset,
      numProcesses: r.numProcesses,
      stepsPerProcess: r.stepsRun,
      trainSeconds: r.trainSeconds,
      examplesPerSecond: (r.trainExamples * r.numProcesses) / r.trainSeconds,
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === "--loop") {
  const { run } = await import("../chapters/05-training-loop");
  const r = await run({ maxSteps: Number(process.argv[3]), quiet: true });
  const result: LoopBench = { preset: "tiny", backend: r.backend, steps: r.stepsDone, seconds: r.seconds, stepsPerSecond: r.stepsDone / r.seconds };
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}
