// ../shared/reference/tiny-v128-h32/f64/: the reference's three training runs in float64 (the truth to float32
// precision) and PyTorch's own float32 error against it, per file and tensor (summary.json). What DESIGN.md
// §6's ill-conditioned clause compares with; see closeOrF64 in close.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "../../src/utils/safetensors";
import { flatten, type Nested, type PyTorchSpread } from "./close";
import { PACKAGE_ROOT, TINY_REF_DIR, readReference } from "./shared";

export const F64_DIR = join(TINY_REF_DIR, "f64");

/** The f64 files name the runs by these short labels; reference.json by its fixture labels. */
export const F64_RUN: Record<string, string> = {
  "weight_decay=0.0": "wd0.0",
  "weight_decay=0.01": "wd0.01",
  "legacy_transformers_AdamW_weight_decay=0.0": "legacy",
};

type Summary = { max_abs_torch32_minus_f64: Record<string, Record<string, number>> };
const summary = readReference<Summary>("tiny-v128-h32/f64/summary.json");

export type F64File = {
  tensors: Map<string, Float64Array>;
  /** The reference run's max|PyTorch float32 - f64| for a tensor. */
  torchErr: (name: string) => number;
  /** The largest such error over PyTorch's float32 runs on several BLAS kernels (torch32-spread.json). */
  spread: (name: string) => PyTorchSpread;
};

type Spread = {
  runs: string[];
  max_abs: Record<string, Record<string, PyTorchSpread>>;
  step2_stats: Record<string, Record<string, Record<"sum" | "abs_sum" | "first", PyTorchSpread>>>;
};
/**
 * bench/python/torch32_spread.py: the reference's PyTorch (1.13, whose run with OpenBLAS's Haswell kernel
 * reproduces f64/summary.json's errors exactly) rerun on OpenBLAS's other x86 kernels, and PyTorch 2.13.
 */
export const TORCH32_SPREAD: Spread = JSON.parse(readFileSync(join(PACKAGE_ROOT, "test", "fixtures", "tiny-f64", "torch32-spread.json"), "utf8")) as Spread;

function spreadOf(file: string): (name: string) => PyTorchSpread {
  return (name) => {
    const s = TORCH32_SPREAD.max_abs[file]?.[name];
    if (!s) throw new Error(`test/fixtures/tiny-f64/torch32-spread.json has no ${file} / ${name}; rerun bench/python/torch32_spread.py`);
    return s;
  };
}

/** PyTorch's largest float32 error on a step-2 statistic (sum, abs-sum, first values) over the spread's runs. */
export function step2StatSpread(run: string, name: string): Record<"sum" | "abs_sum" | "first", PyTorchSpread> {
  const s = TORCH32_SPREAD.step2_stats[run]?.[name];
  if (!s) throw new Error(`test/fixtures/tiny-f64/torch32-spread.json has no step-2 statistics for ${run} / ${name}`);
  return s;
}

/** One f64 file (e.g. "grads_step1_wd0.0", "after_step3_legacy") with PyTorch's float32 error per tensor. */
export async function readF64(file: string): Promise<F64File> {
  const errs = summary.max_abs_torch32_minus_f64[file];
  if (!errs) throw new Error(`f64/summary.json has no max_abs_torch32_minus_f64["${file}"]; files: ${Object.keys(summary.max_abs_torch32_minus_f64).join(", ")}`);
  const { tensors } = await readSafetensors(join(F64_DIR, `${file}.safetensors`));
  const out = new Map<string, Float64Array>();
  for (const [name, t] of tensors) {
    if (t.dtype !== "F64") throw new Error(`f64/${file}.safetensors: ${name} is ${t.dtype}, expected F64`);
    out.set(name, t.data as Float64Array);
  }
  const torchErr = (name: string): number => {
    const e = errs[name];
    if (e === undefined) throw new Error(`f64/summary.json: no PyTorch error for ${name} in ${file}`);
    return e;
  };
  return { tensors: out, torchErr, spread: spreadOf(file) };
}

/** The f64 label of a reference.json fixture. */
export function f64Run(label: string): string {
  const r = F64_RUN[label];
  if (!r) throw new Error(`no float64 run for the fixture "${label}"; known: ${Object.keys(F64_RUN).join(", ")}`);
  return r;
}

/**
 * f64/ stops at steps 1 and 3; bench/python/f64_step2.py reruns the loop in float64 (agreeing with f64/ to
 * 2.2e-16 there) and writes the parameters the tests compare after step 2 to test/fixtures/tiny-f64/. PyTorch's float32
 * error is then known only where reference.json records the float32 tensor in full (`recorded`).
 */
export async function readF64Step2(run: string, recorded: Record<string, Nested>): Promise<F64File> {
  const file = join(PACKAGE_ROOT, "test", "fixtures", "tiny-f64", `after_step2_${run}.safetensors`);
  const { tensors } = await readSafetensors(file);
  const out = new Map<string, Float64Array>();
  for (const [name, t] of tensors) {
    if (t.dtype !== "F64") throw new Error(`${file}: ${name} is ${t.dtype}, expected F64; rerun bench/python/f64_step2.py`);
    out.set(name, t.data as Float64Array);
  }
  const torchErr = (name: string): number => {
    const ref32 = recorded[name];
    const truth = out.get(name);
    if (ref32 === undefined || !truth) throw new Error(`PyTorch's float32 error after step 2 is known only for the tensors reference.json records in full; not ${name}`);
    const r = flatten(ref32);
    return r.reduce((m, v, i) => Math.max(m, Math.abs(v - truth[i]!)), 0);
  };
  return { tensors: out, torchErr, spread: spreadOf(`after_step2_${run}`) };
}
