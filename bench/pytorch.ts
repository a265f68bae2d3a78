// The PyTorch side of the comparison: bench/pytorch/step.py under Debian's python3-torch, when present.
// Optional by design (CI has no torch): absent, the bench says so and reports the kit's numbers alone.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child";
import type { ShapeName } from "./shapes";

export const PYTORCH_SCRIPT = fileURLToPath(new URL("./pytorch/step.py", import.meta.url));

export interface PytorchStepResult {
  shape: ShapeName;
  threads: number;
  torch: string;
  blas: string;
  blasLibraries: string[];
  forwardMs: number;
  stepMs: number;
  stepSamplesMs: number[];
  peakRssMiB: number;
}

/** The python with torch: KIT_BENCH_PYTHON, else Debian's /usr/bin/python3 (pyenv pythons lack torch). */
export function findTorchPython(): { python: string; version: string } | { python: null; reason: string } {
  const candidates = [process.env.KIT_BENCH_PYTHON, "/usr/bin/python3", "python3"].filter((c): c is string => !!c);
  const reasons: string[] = [];
  for (const python of candidates) {
    try {
      const version = execFileSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
      return { python, version };
    } catch (err) {
      reasons.push(`${python}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return {
    python: null,
    reason: `no python with torch (${reasons.join("; ")}); install it with apt-get install python3-torch libopenblas0-openmp, or set KIT_BENCH_PYTHON`,
  };
}

export function runPytorchStep(python: string, shape: ShapeName, threads: number, steps: number, warmup: number) {
  return runJsonChild<PytorchStepResult>(
    python,
    [PYTORCH_SCRIPT, "--shape", shape, "--threads", String(threads), "--steps", String(steps), "--warmup", String(warmup)],
    { timeoutMs: 30 * 60_000, env: { ...process.env, OMP_NUM_THREADS: String(threads) } },
  );
}
