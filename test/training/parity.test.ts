// Three training steps of the reference checkpoint against PyTorch (transformers 4.31), on cpu and wasm, for
// each of the reference's three fixtures (torch AdamW wd 0.0 and 0.01, legacy transformers.AdamW), built from
// the recorded hyperparameters: train mode with dropout 0 on the reference batch, loss.backward(),
// optimizer.step(), lr_scheduler.step(), optimizer.zero_grad(). Checked: loss, logits and lr before each
// update; step-1 gradients; the five recorded parameters after every step; sum / abs-sum / first values of
// all 41 parameters after every step; the whole state dict after steps 1 and 3 against the reference's
// safetensors files. DESIGN.md §6 tolerances, never looser.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeGemmCalls, setNativeElementwise, setNativeGemm, useBackend, wasmLayerNormCalls } from "../../src/backend";
import { loadNativeGemm } from "../../src/backend/wasm/native-gemm";
import { readSafetensors } from "../../src/utils/safetensors";
import { RTOL, closeOrF64, closeReport, expectClose, expectSumClose, type Clause, type Nested } from "../helpers/close";
import { F64_DIR, TORCH32_SPREAD, f64Run, readF64, readF64Step2, step2StatSpread, type F64File } from "../helpers/f64-reference";
import { TINY_REF_DIR } from "../helpers/shared";
import { tinyRef, toleranceUsed, train, zeroInitialisedParameters, type Run, type Stat, type TrainFixture, type TrainStep } from "./fixtures";

// Where the reference holds float32 noise that no other float32 implementation reproduces to the §6 rule,
// §6's float64 clause applies (gradients and parameters after optimizer steps only): ours no further from the
// float64 truth (../shared/reference/tiny-v128-h32/f64/) than twice PyTorch's own float32 error, plus atol.
//
// 1. classifier.weight's step-1 gradient is (softmax - onehot)/4 x pooled summed over 4 examples whose pooled
//    outputs are nearly equal, labels alternating: the terms cancel ~400-fold, and PyTorch's float32 value is
//    2.0e-5 relative from float64. wasm landed 1.2x the rtol-1e-4 tolerance from PyTorch (cpu 0.99x).
// 2. Zero-initialised biases. Adam's first step moves each element by lr * g / (|g| + eps) (torch AdamW; the
//    legacy one has eps / sqrt(1 - beta2) = 3.2e-5 there), so where |g| is of the order of eps the new value
//    carries the gradient's relative error almost whole, and where the gradient is float32 noise (key biases:
//    mathematically zero, they cancel in the softmax) the value is that noise times lr / eps. Example:
//    layer.1.output.LayerNorm.bias[31] has g = 1.78e-8 in a tensor whose largest gradient is 4.9e-5; ours
//    (cpu) is 1.769e-8, within the §6 gradient rule (atol 1e-9), and moves p1 by 1.8e-3 relative, 44x the
//    parameter rule.
// 3. Weights moved the same way. §6's clause covers every parameter after optimizer steps: an element whose
//    step-1 gradient is a few eps carries its error into the weight just as a bias does (e.g. on XNNPACK's
//    GEMM, layer.1.intermediate.dense.weight[2804]: gradient -3.6e-9, Adam's gain ~2700, 1.79e-7 from
//    PyTorch after step 3 where the rule allows 1.64e-7; bench/NOTES.md).
// Every gradient recorded in full and every parameter after a step is therefore checked by closeOrF64 (the
// zero-initialised biases with PyTorch's spread over its runs, below; the others with the reference run's
// own error only), and the clause each passed by is printed at the end.
// Worst share of the tolerance used, per backend / fixture / kind, printed at the end for the record.
const worst = new Map<string, { used: number; tensor: string }>();
function note(key: string, tensor: string, a: ArrayLike<number>, b: Nested | ArrayLike<number>, rtol: number): void {
  const used = toleranceUsed(a, b, rtol);
  const w = worst.get(key);
  if (!w || used > w.used) worst.set(key, { used, tensor });
}
afterAll(() => {
  const lines = [...worst.entries()].map(([k, v]) => `  ${k.padEnd(62)} ${v.used.toFixed(3)}  (${v.tensor})`);
  console.log(`share of the §6 tolerance used by the worst element (<= 1 passes):\n${lines.join("\n")}`);
});

// The tensors that needed the float64 clause, printed at the end (all others passed by the rule), and those
// that needed PyTorch's spread over BLAS kernels rather than the reference run's own error.
const byF64: string[] = [];
const bySpread: string[] = [];
function passedBy(clause: Clause, what: string): void {
  if (clause === "f64") byF64.push(what);
  if (clause === "f64-spread") bySpread.push(what);
}
afterAll(() => {
  console.log(`passed by the float64 clause (all others by the rule):\n  ${byF64.join("\n  ") || "none"}`);
  console.log(`passed by the float64 clause with PyTorch's spread over ${TORCH32_SPREAD.runs.join("; ")}:\n  ${bySpread.join("\n  ") || "none"}`);
});

const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, v) => s + v, 0);
const absSum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, v) => s + Math.abs(v), 0);

/** Whether sum, abs-sum and first values meet the rule (checkStats asserts the same). */
function statsPass(ours: Float32Array, stat: Stat, rtol: number): boolean {
  if (stat.abs_sum < 1e-9) return absSum(ours) < 1e-9;
  const tol = 1e-5 * stat.abs_sum;
  return Math.abs(sum(ours) - stat.sum) <= tol && Math.abs(absSum(ours) - stat.abs_sum) <= tol && closeReport(ours.slice(0, stat.first.length), stat.first, rtol).ok;
}

/**
 * The float64 clause on a tensor known to float32 only by its statistics (step 2): sum, abs-sum and first
 * values each no further from float64 than twice PyTorch's own error on that statistic, plus the rule's
 * tolerance (1e-5 of the abs-sum; first values: closeOrF64 with PyTorch's error over them). PyTorch's error is
 * the reference run's or, where that is smaller, the largest over PyTorch's runs (torch32-spread.json). Where
 * the truth is zero (a key bias: its gradient cancels in the softmax), the abs-sum is noise: ours no larger
 * than twice PyTorch's.
 */
function statsF64(ours: Float32Array, stat: Stat, f64: Float64Array, run: string, name: string): { ok: boolean; clause: Clause; message: string } {
  const spread = step2StatSpread(run, name);
  const tol = 1e-5 * stat.abs_sum;
  const [s, as, s64, as64] = [sum(ours), absSum(ours), sum(f64), absSum(f64)];
  const refSumErr = Math.abs(stat.sum - s64);
  const refAbsErr = as64 < 1e-9 ? stat.abs_sum : Math.abs(stat.abs_sum - as64);
  const sumErr = Math.abs(s - s64);
  const absErr = as64 < 1e-9 ? as : Math.abs(as - as64);
  const sumOk = (e: number): boolean => sumErr <= 2 * e + tol;
  const absOk = (e: number): boolean => absErr <= 2 * e + (as64 < 1e-9 ? 1e-9 : tol);
  const n = stat.first.length;
  const first64 = Array.from(f64.slice(0, n));
  const torchErr = stat.first.reduce((m, v, i) => Math.max(m, Math.abs(v - first64[i]!)), 0);
  const first = closeOrF64(ours.slice(0, n), stat.first, first64, torchErr, "params", spread.first);
  const byRef = sumOk(refSumErr) && absOk(refAbsErr);
  const bySpread = sumOk(Math.max(refSumErr, spread.sum.err)) && absOk(Math.max(refAbsErr, spread.abs_sum.err));
  const clause: Clause = byRef && first.clause !== "f64-spread" ? "f64" : "f64-spread";
  return {
    ok: bySpread && first.ok,
    clause,
    message: `sum ${s} vs f64 ${s64} (PyTorch ${stat.sum}, its runs' largest error ${spread.sum.err.toExponential(3)}); abs-sum ${as} vs f64 ${as64} (PyTorch ${stat.abs_sum}, largest error ${spread.abs_sum.err.toExponential(3)}); first values: ${first.message}`,
  };
}

/** Sum, abs-sum and first values by §6; a reference with abs-sum below 1e-9 is zero, so must ours be. */
function checkStats(name: string, ours: Float32Array, stat: Stat, rtol: number): void {
  if (stat.abs_sum < 1e-9) {
    expect(absSum(ours), `${name}: reference is zero (abs-sum ${stat.abs_sum}); ours`).toBeLessThan(1e-9);
    return;
  }
  expectSumClose(`${name} sum`, sum(ours), stat.sum, stat.abs_sum);
  expectSumClose(`${name} abs-sum`, absSum(ours), stat.abs_sum, stat.abs_sum);
  expectClose(`${name} (first values)`, ours.slice(0, stat.first.length), stat.first, rtol);
}

// The wasm backend as on a machine without the native addon (KIT_GEMM=wasm: XNNPACK's GEMM, the kit's
// WebAssembly LayerNorm, TF.js's other ops), switched to in this process where the addon is built, so that
// path is checked on every machine, CI's included.
const NO_ADDON = "wasm-without-addon";
const variants = ["cpu", "wasm", ...("gemm" in loadNativeGemm() ? [NO_ADDON] : [])] as const;

/** Train with the addon's kernels off (GEMM, GELU, LayerNorm, softmax, sums, masks), then put them back. */
async function trainWithoutAddon(fixture: TrainFixture): Promise<{ run: Run; gemmCalls: number; layerNorms: number }> {
  const [gemm, elementwise] = [setNativeGemm(false), setNativeElementwise(false)];
  const [gemmBefore, layerNormsBefore] = [nativeGemmCalls(), wasmLayerNormCalls().layerNorm];
  try {
    const run = await train(fixture);
    return { run, gemmCalls: nativeGemmCalls() - gemmBefore, layerNorms: wasmLayerNormCalls().layerNorm - layerNormsBefore };
  } finally {
    setNativeGemm(gemm);
    setNativeElementwise(elementwise);
  }
}

for (const variant of variants) {
  const backend = variant === NO_ADDON ? "wasm" : variant;
  for (const [label, fixture] of Object.entries(tinyRef.train)) {
    describe(`training on ${variant}: ${label} — ${fixture.optimizer}`, () => {
      let run: Run;
      let withoutAddon: { gemmCalls: number; layerNorms: number } | undefined;
      let zeroInit = new Set<string>();
      beforeAll(async () => {
        await useBackend(backend);
        zeroInit = await zeroInitialisedParameters();
        if (variant === NO_ADDON) ({ run, ...withoutAddon } = await trainWithoutAddon(fixture));
        else run = await train(fixture);
      });
      const tag = (kind: string): string => `${variant} ${label} ${kind}`;

      it("records 3 steps, and the loop leaves no tensor behind but the optimizer's moments", () => {
        expect(fixture.steps.map((s) => s.step)).toEqual([1, 2, 3]);
        expect(tinyRef.train_note).toContain("dropout_prob=0.0");
        expect(run.tensorsLeft).toBe(0);
      });

      if (variant === NO_ADDON) {
        it("ran without the addon: no native GEMM call, LayerNorm on the kit's WebAssembly kernel", () => {
          expect(withoutAddon!.gemmCalls).toBe(0);
          expect(withoutAddon!.layerNorms).toBeGreaterThan(0);
        });
      }

      it("the learning rate used by each step and after each scheduler step", () => {
        fixture.steps.forEach((s, k) => {
          expect(Math.abs(run.lrUsed[k]! - s.lr_used), `lr used by step ${s.step}`).toBeLessThanOrEqual(1e-12 * s.lr_used);
          expect(Math.abs(run.lrAfter[k]! - s.lr_after_scheduler_step), `lr after step ${s.step}`).toBeLessThanOrEqual(1e-12 * s.lr_after_scheduler_step);
        });
      });

      it("loss and logits before each update, and after the last", () => {
        fixture.steps.forEach((s, k) => {
          expectClose(`loss before update ${s.step}`, [run.lossBefore[k]!], [s.loss_before_update], RTOL.loss);
          expectClose(`logits before update ${s.step}`, run.logitsBefore[k]!, s.logits_before_update, RTOL.logits);
          note(tag("loss"), `step ${s.step}`, [run.lossBefore[k]!], [s.loss_before_update], RTOL.loss);
          note(tag("logits"), `step ${s.step}`, run.logitsBefore[k]!, s.logits_before_update, RTOL.logits);
        });
        expectClose("loss after all steps", [run.lossAfterAll], [fixture.loss_after_all_steps], RTOL.loss);
        expectClose("logits after all steps", run.logitsAfterAll, fixture.logits_after_all_steps, RTOL.logits);
        note(tag("loss"), "after all", [run.lossAfterAll], [fixture.loss_after_all_steps], RTOL.loss);
        note(tag("logits"), "after all", run.logitsAfterAll, fixture.logits_after_all_steps, RTOL.logits);
      });

      it("step-1 gradients: five tensors in full by the rule or the float64 clause, all 41 by sum, abs-sum and first values", async () => {
        const s1 = fixture.steps[0]!;
        expect([...run.grads.keys()]).toEqual(tinyRef.parameter_names_in_order);
        const f64 = await readF64(`grads_step1_${f64Run(label)}`);
        for (const [name, g] of Object.entries(s1.grads!)) {
          note(tag("grads (full)"), name, run.grads.get(name)!, g, RTOL.grads);
          const r = closeOrF64(run.grads.get(name)!, g, f64.tensors.get(name)!, f64.torchErr(name), "grads", f64.spread(name));
          expect(r.ok, `grad ${name}: ${r.message}`).toBe(true);
          passedBy(r.clause, `${tag("grad")} ${name}`);
        }
        for (const [name, stat] of Object.entries(s1.grad_stats!)) checkStats(`grad ${name}`, run.grads.get(name)!, stat, RTOL.grads);
      });

      it("step-1 gradients: all 41 in full against f64/'s PyTorch float32 gradients, by the rule or the float64 clause", async () => {
        const run64 = f64Run(label);
        const f64 = await readF64(`grads_step1_${run64}`);
        const { tensors } = await readSafetensors(join(F64_DIR, `torch32_grads_step1_${run64}.safetensors`));
        expect([...tensors.keys()].sort()).toEqual([...tinyRef.parameter_names_in_order].sort());
        for (const [name, t] of tensors) {
          const r = closeOrF64(run.grads.get(name)!, t.data as Float32Array, f64.tensors.get(name)!, f64.torchErr(name), "grads", f64.spread(name));
          expect.soft(r.ok, `grad ${name}: ${r.message}`).toBe(true);
          passedBy(r.clause, `${tag("grad")} ${name} (all 41)`);
        }
      });

      /**
       * The float64 truth after step k + 1 (f64/ for steps 1 and 3, test/fixtures/tiny-f64/ for step 2), and
       * PyTorch's whole float32 state where the reference has it (steps 1 and 3).
       */
      const truthAfter = async (k: number, s: TrainStep): Promise<{ f32?: Map<string, Float32Array>; f64: F64File }> => {
        const run64 = f64Run(label);
        if (k === 1) return { f64: await readF64Step2(run64, s.params_after_update) };
        const f64 = await readF64(`after_step${k + 1}_${run64}`);
        // The legacy fixture has no state file in reference.json; f64/ holds PyTorch's float32 state for it.
        const file = s.state_file ? join(TINY_REF_DIR, s.state_file) : join(F64_DIR, `torch32_after_step${k + 1}_${run64}.safetensors`);
        const { tensors } = await readSafetensors(file);
        return { f32: new Map([...tensors].map(([n, t]) => [n, t.data as Float32Array])), f64 };
      };

      /**
       * Parameters after every step: the five in full, all by their stats, and the whole state files. A tensor
       * that fails the rule may pass by §6's float64 clause, against the reference run's own error ("f64") or,
       * with `clause` "f64-spread", PyTorch's largest over its runs; its stats, where they fail the rule, by the
       * whole tensor (which bounds them) or, at step 2, where only the five recorded are known in full to
       * float32, by the float64 clause on each statistic ("f64-spread" only; else the rule).
       */
      const checkParameters = async (select: (name: string) => boolean, kind: string, clause: "f64" | "f64-spread"): Promise<void> => {
        const withSpread = clause === "f64-spread";
        for (const [k, s] of fixture.steps.entries()) {
          const ours = run.paramsAfter[k]!;
          const truth = await truthAfter(k, s);
          const check = (what: string, name: string, want: Nested | Float32Array): void => {
            note(tag(`${kind} (${what})`), `${name} @${s.step}`, ours.get(name)!, want, RTOL.params);
            const spread = withSpread ? truth.f64.spread(name) : undefined;
            const r = closeOrF64(ours.get(name)!, want, truth.f64.tensors.get(name)!, truth.f64.torchErr(name), "params", spread);
            expect.soft(r.ok, `${what}: ${name} after step ${s.step}: ${r.message}`).toBe(true);
            passedBy(r.clause, `${tag(kind)} ${name} @${s.step} (${what})`);
          };
          for (const [name, want] of Object.entries(s.params_after_update)) if (select(name)) check("recorded in full", name, want);
          expect(Object.keys(s.param_stats_after_update).sort()).toEqual([...tinyRef.parameter_names_in_order].sort());
          for (const [name, stat] of Object.entries(s.param_stats_after_update)) {
            if (!select(name)) continue;
            if (statsPass(ours.get(name)!, stat, RTOL.params) || (!withSpread && !truth.f32?.has(name))) {
              checkStats(`${name} after step ${s.step}`, ours.get(name)!, stat, RTOL.params);
              continue;
            }
            const what = `${name} after step ${s.step}: sum / abs-sum / first values fail the rule`;
            const f32 = truth.f32?.get(name);
            if (f32) {
              const spread = withSpread ? truth.f64.spread(name) : undefined;
              const r = closeOrF64(ours.get(name)!, f32, truth.f64.tensors.get(name)!, truth.f64.torchErr(name), "params", spread);
              expect.soft(r.ok, `${what}; the whole tensor: ${r.message}`).toBe(true);
              passedBy(r.clause, `${tag(kind)} ${name} @${s.step} (sum / abs-sum / first values, by the whole tensor)`);
            } else {
              const r = statsF64(ours.get(name)!, stat, truth.f64.tensors.get(name)!, f64Run(label), name);
              expect.soft(r.ok, `${what}; float64 clause on each statistic: ${r.message}`).toBe(true);
              passedBy(r.clause, `${tag(kind)} ${name} @${s.step} (sum / abs-sum / first values, each by the float64 clause)`);
            }
          }
          if (!s.state_file && !truth.f32) continue;
          const file = s.state_file ?? `f64/torch32_after_step${s.step}_${f64Run(label)}.safetensors`;
          const state = s.state_file ? (await readSafetensors(join(TINY_REF_DIR, s.state_file))).tensors : undefined;
          const names = state ? [...state.keys()] : [...truth.f32!.keys()];
          expect(names.sort(), file).toEqual([...ours.keys()].sort());
          for (const name of names) {
            if (!select(name)) continue;
            const want = state?.get(name);
            if (want) expect(want.dtype, `${file}: ${name}`).toBe("F32");
            check(file, name, want ? (want.data as Float32Array) : truth.f32!.get(name)!);
          }
        }
      };
      const files = fixture.steps.filter((s) => s.state_file).map((s) => s.state_file);
      const filesNote = files.length ? ` and ${files.join(", ")} tensor by tensor` : "";

      // §6's float64 clause covers every parameter after optimizer steps, not only the zero-initialised: an
      // element AdamW moves from a gradient of about eps is as ill-conditioned in a weight (e.g.
      // layer.1.intermediate.dense.weight[2804], gradient -3.6e-9, Adam's gain ~2700; bench/NOTES.md). Here
      // with the reference run's own error only, never PyTorch's spread over its runs.
      it(`parameters not zero-initialised, after every step, by the rule or the float64 clause: the five recorded, sum / abs-sum / first values of all${filesNote}`, async () => {
        await checkParameters((name) => !zeroInit.has(name), "params", "f64");
      });

      // Zero-initialised biases under torch AdamW (eps 1e-8): a few elements whose |g| is about eps land further
      // from the float64 truth than twice the reference run's WORST error over the tensor (e.g. wasm
      // value.bias[20] after step 1: 5.5e-9 against 4.2e-9), because Adam multiplies a gradient element's error
      // by lr*eps/(|g|+eps)^2 (~500 there) and the reference run's error at that element is one draw. The same
      // PyTorch 1.13, rerun with OpenBLAS on another x86 kernel (SkylakeX, Cooperlake, Sandybridge), fails that
      // bound on 9 to 13 of the same 237 tensors; with Haswell's it reproduces the reference's errors exactly
      // (bench/python/torch32_spread.py). So such tensors are held to twice the largest error of PyTorch's own
      // float32 runs over those kernels and PyTorch 2.13 ("f64-spread"), and the report lists each one.
      it(`zero-initialised biases, after every step, the same checks${files.length ? "" : " and f64/'s float32 states after steps 1 and 3"}, by the rule or the float64 clause`, async () => {
        await checkParameters((name) => zeroInit.has(name), "zero-init biases", "f64-spread");
      });
    });
  }
}
