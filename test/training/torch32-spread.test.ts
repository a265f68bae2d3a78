// The fixture behind "f64-spread" (bench/python/torch32_spread.py) and the clause itself. The spread must
// contain the reference run (its Haswell run reproduces f64/summary.json's errors exactly, so no spread error
// may be below the reference's), cover every tensor the parity tests look it up for, and widen the bound only
// where the reference run's own error is the smaller one.
import { describe, expect, it } from "vitest";
import { closeOrF64 } from "../helpers/close";
import { TORCH32_SPREAD } from "../helpers/f64-reference";
import { readReference } from "../helpers/shared";
import { tinyRef } from "./fixtures";

type Summary = { torch_version: string; max_abs_torch32_minus_f64: Record<string, Record<string, number>> };
const summary = readReference<Summary>("tiny-v128-h32/f64/summary.json");

describe("PyTorch's float32 spread over BLAS kernels (test/fixtures/tiny-f64/torch32-spread.json)", () => {
  it("includes the reference's own PyTorch build, and a run that reproduces its errors", () => {
    expect(TORCH32_SPREAD.runs.some((r) => r.startsWith(`torch ${summary.torch_version}, OpenBLAS Haswell`))).toBe(true);
    for (const [file, tensors] of Object.entries(summary.max_abs_torch32_minus_f64)) {
      for (const [name, err] of Object.entries(tensors)) {
        const s = TORCH32_SPREAD.max_abs[file]?.[name];
        expect(s, `${file} / ${name}`).toBeDefined();
        expect(s!.err, `${file} / ${name}: the spread is a maximum over runs that include the reference's`).toBeGreaterThanOrEqual(err);
      }
    }
  });

  it("covers every parameter after steps 1 to 3 of the three runs, and step 2's statistics", () => {
    const names = [...tinyRef.parameter_names_in_order].sort();
    for (const run of ["wd0.0", "wd0.01", "legacy"]) {
      expect(Object.keys(TORCH32_SPREAD.max_abs[`grads_step1_${run}`]!).sort()).toEqual(names);
      expect(Object.keys(TORCH32_SPREAD.max_abs[`after_step1_${run}`]!).sort()).toEqual(names);
      expect(Object.keys(TORCH32_SPREAD.max_abs[`after_step3_${run}`]!).sort()).toEqual(names);
      for (const name of Object.keys(TORCH32_SPREAD.max_abs[`after_step2_${run}`]!)) {
        expect(Object.keys(TORCH32_SPREAD.step2_stats[run]![name]!).sort()).toEqual(["abs_sum", "first", "sum"]);
      }
    }
  });
});

describe("closeOrF64 with a spread", () => {
  const f64 = [1e-4, -2e-4, 3e-4];
  const ref32 = [1.0001e-4, -2e-4, 3e-4]; // the reference run, 1e-8 from the truth at element 0
  const ours = [1.00025e-4, -2e-4, 3e-4]; // 2.5e-8 from the truth: beyond 2 * 1e-8 + atol (1e-9 here)

  it("passes by the reference's error alone when that suffices, and says so", () => {
    const r = closeOrF64([1.00015e-4, -2e-4, 3e-4], ref32, f64, 1e-8, "params", { err: 5e-8, run: "x" });
    expect(r).toMatchObject({ ok: true, clause: "f64" });
  });
  it("fails without a spread, and with one no larger than the reference's error", () => {
    expect(closeOrF64(ours, ref32, f64, 1e-8, "params").ok).toBe(false);
    expect(closeOrF64(ours, ref32, f64, 1e-8, "params", { err: 1e-8, run: "x" }).ok).toBe(false);
  });
  it("passes by the spread when PyTorch's worst run lands as far, and names that run", () => {
    const r = closeOrF64(ours, ref32, f64, 1e-8, "params", { err: 1.3e-8, run: "torch 1.13, OpenBLAS SkylakeX" });
    expect(r).toMatchObject({ ok: true, clause: "f64-spread" });
    expect(r.message).toContain("OpenBLAS SkylakeX");
  });
  it("fails when ours is further than twice the spread", () => {
    expect(closeOrF64(ours, ref32, f64, 1e-8, "params", { err: 1.1e-8, run: "x" })).toMatchObject({ ok: false, clause: "f64-spread" });
  });
});
