// The PyTorch side of the comparison: bench/pytorch/step.py under each PyTorch found, timed in the same run as
// the kit. Two anchors: Debian's python3-torch 1.13 (on libopenblas0-pthread, the kit's BLAS) and PyTorch 2.13
// from a venv (its own kernels). Optional by design (CI has no torch): absent, the bench says why.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child";
import type { ShapeName } from "./shapes";

export const PYTORCH_SCRIPT = fileURLToPath(new URL("./pytorch/step.py", import.meta.url));
const VENV_PYTHON = fileURLToPath(new URL("./python/.venv/bin/python", import.meta.url));

export interface PytorchStepResult {
  shape: ShapeName;
  threads: number;
  torch: string;
  blas: string;
  blasLibraries: string[];
  /** OpenBLAS's kernel (openblas_get_corename), null when torch does not use a shared OpenBLAS. */
  blasCorename: string | null;
  blasThreads: number | null;
  forwardMs: number;
  stepMs: number;
  stepSamplesMs: number[];
  peakRssMiB: number;
}

export interface PytorchGemmCheck {
  torch: string;
  threads: number;
  /** torch.__config__'s BLAS_INFO (e.g. "generic": Debian's libblas.so.3 alternative; "mkl": linked in). */
  blas: string;
  blasRuntime: { libraries: string[]; corename: string | null; config: string | null; threads: number | null };
  gemm: { shape: number[]; sha256: string; sum: number };
}

/** One python with torch, and which anchor it is. */
export interface TorchRuntime {
  /** "debian" (python3-torch) or "venv" (PyTorch 2.x). */
  id: "debian" | "venv";
  python: string;
  version: string;
}

function torchVersion(python: string): string {
  return execFileSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/**
 * The pythons with torch: Debian's (KIT_BENCH_PYTHON, else /usr/bin/python3) and a venv's (KIT_TORCH_PYTHON,
 * else bench/python/.venv/bin/python). `missing` says, for each one absent, why and how to get it.
 */
export function findTorchRuntimes(): { runtimes: TorchRuntime[]; missing: string[] } {
  const runtimes: TorchRuntime[] = [];
  const missing: string[] = [];
  const candidates: Array<{ id: TorchRuntime["id"]; python: string; how: string }> = [
    { id: "debian", python: process.env.KIT_BENCH_PYTHON ?? "/usr/bin/python3", how: "apt-get install python3-torch libopenblas0-pthread (or set KIT_BENCH_PYTHON)" },
    { id: "venv", python: process.env.KIT_TORCH_PYTHON ?? VENV_PYTHON, how: "pip install torch==2.13.0 in bench/python/.venv, or set KIT_TORCH_PYTHON to a python that has it" },
  ];
  for (const c of candidates) {
    if (c.python.includes("/") && !fs.existsSync(c.python)) {
      missing.push(`${c.id}: ${c.python} does not exist; ${c.how}`);
      continue;
    }
    try {
      const version = torchVersion(c.python);
      if (runtimes.some((r) => r.python === c.python)) continue;
      runtimes.push({ id: c.id, python: c.python, version });
    } catch (err) {
      missing.push(`${c.id}: ${c.python} has no torch (${(err as Error).message.split("\n")[0]}); ${c.how}`);
    }
  }
  return { runtimes, missing };
}

/**
 * Threads for both of torch's pools: its own (OMP_NUM_THREADS, torch.set_num_threads) and OpenBLAS's pthread
 * pool, which otherwise starts one thread per core whatever torch.set_num_threads says (measured: Debian's
 * torch at 1 thread ran its GEMMs on 2 OpenBLAS threads).
 */
function threadEnv(threads: number): Record<string, string> {
  return { OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
}

export function runPytorchStep(python: string, shape: ShapeName, threads: number, steps: number, warmup: number, env: NodeJS.ProcessEnv = process.env) {
  return runJsonChild<PytorchStepResult>(
    python,
    [PYTORCH_SCRIPT, "--shape", shape, "--threads", String(threads), "--steps", String(steps), "--warmup", String(warmup)],
    { timeoutMs: 30 * 60_000, env: { ...env, ...threadEnv(threads) } },
  );
}

export function runPytorchGemmCheck(python: string, env: NodeJS.ProcessEnv = process.env) {
  return runJsonChild<PytorchGemmCheck>(python, [PYTORCH_SCRIPT, "--gemm-check", "--threads", "1"], { timeoutMs: 5 * 60_000, env: { ...env, ...threadEnv(1) } });
}
