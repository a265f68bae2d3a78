// test/fixtures/all-minilm-l6-v2/: what bench/python/reference.py recorded for the pretrained checkpoint
// (PyTorch float32 and float64), and the two comparisons of DESIGN.md §6 on it: the rule against PyTorch's
// float32 value, and, for gradients and parameters after optimizer steps only, the ill-conditioned clause
// max|ours - f64| <= 2 * max|torch32 - f64| + atol. Each check returns the clause it passed by.
import * as tf from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { BertBatch } from "../../src/models/bert";
import { closeReport, expectClose, flatten, type Nested } from "./close";
import { PACKAGE_ROOT } from "./shared";

export const PRETRAINED_FIXTURES = join(PACKAGE_ROOT, "test", "fixtures", "all-minilm-l6-v2");
export const PRETRAINED_HEAD = join(PRETRAINED_FIXTURES, "head.safetensors");

export type Full = { value: Nested; f64: Nested; max_abs_torch32_minus_f64: number };
export type Stat = {
  sum: number;
  abs_sum: number;
  first: number[];
  /** max|b| over the whole tensor: §6's atol for the first values (bench/python/reference.py). */
  max_abs: number;
  sum_f64: number;
  abs_sum_f64: number;
  first_f64: number[];
  max_abs_torch32_minus_f64: number;
  shape: number[];
};
export type RefBatch = { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; labels: number[] };
export type EvalBatch = {
  rows: number[];
  batch: RefBatch;
  logits: Full;
  loss: Full;
  pooler_output: Full;
  hidden_state_rows: [number, number][];
  hidden_states: { stats: Stat; rows: Full[] }[];
};
export type TrainStep = {
  step: number;
  rows: number[];
  batch: RefBatch;
  lr_used: number;
  lr_after_scheduler_step: number;
  loss_before_update: Full;
  logits_before_update: Full;
  grads: Record<string, Full>;
  grad_stats: Record<string, Stat>;
  params_after_update: Record<string, Full>;
  param_stats_after_update: Record<string, Stat>;
};
export type PretrainedReference = {
  checkpoint: string;
  parameter_names_in_order: string[];
  eval: EvalBatch[];
  optimizer: string;
  scheduler: string;
  train_note: string;
  train: TrainStep[];
};

export const pretrainedRef = JSON.parse(readFileSync(join(PRETRAINED_FIXTURES, "reference.json"), "utf8")) as PretrainedReference;

/** The recorded batch as the int32 tensors the collator produces (the caller disposes them). */
export function toBatch(b: RefBatch): BertBatch {
  return {
    input_ids: tf.tensor2d(b.input_ids, undefined, "int32"),
    attention_mask: tf.tensor2d(b.attention_mask, undefined, "int32"),
    token_type_ids: tf.tensor2d(b.token_type_ids, undefined, "int32"),
    labels: tf.tensor1d(b.labels, "int32"),
  };
}

export type Clause = "rule" | "f64";

/** The float64 clause on whole tensors: max|ours - f64| <= 2 * max|torch32 - f64| + atol (atol of the rule). */
function f64Clause(ours: number[], f64: number[], torchError: number, reference: number[]): { ok: boolean; message: string } {
  const maxRef = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const atol = Math.max(1e-6 * maxRef, 1e-9);
  let err = 0;
  for (let i = 0; i < ours.length; i++) err = Math.max(err, Number.isNaN(ours[i]!) ? Infinity : Math.abs(ours[i]! - f64[i]!));
  const bound = 2 * torchError + atol;
  return { ok: err <= bound, message: `max|ours - f64| ${err.toExponential(3)} vs 2 * PyTorch's ${torchError.toExponential(3)} + atol ${atol.toExponential(2)}` };
}

/** A tensor recorded in full. `allowF64`: gradients and parameters after steps (DESIGN.md §6). */
export function checkFull(name: string, ours: ArrayLike<number>, ref: Full, rtol: number, allowF64: boolean): Clause {
  const r = closeReport(ours, ref.value, rtol);
  if (r.ok) return "rule";
  if (!allowF64) {
    expectClose(name, ours, ref.value, rtol);
    return "rule";
  }
  const a = flatten(ours);
  const c = f64Clause(a, flatten(ref.f64), ref.max_abs_torch32_minus_f64, flatten(ref.value));
  expect(c.ok, `${name}: fails the rule (${r.message}) and the float64 clause (${c.message})`).toBe(true);
  return "f64";
}

const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, v) => s + v, 0);
const absSum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, v) => s + Math.abs(v), 0);

/**
 * A tensor recorded by sum / abs-sum / first values. The rule: sums within 1e-5 of the reference's abs-sum,
 * first values `close`. The float64 clause, where allowed: each of them no further from float64 than twice
 * PyTorch's own error on it plus the rule's tolerance (first values: PyTorch's error over the whole tensor);
 * where the float64 tensor is zero, ours no noisier than PyTorch's (abs-sum).
 */
export function checkStats(name: string, ours: ArrayLike<number>, stat: Stat, rtol: number, allowF64: boolean): Clause {
  if (stat.abs_sum < 1e-9) {
    expect(absSum(ours), `${name}: reference is zero (abs-sum ${stat.abs_sum}); ours`).toBeLessThan(1e-9);
    return "rule";
  }
  const s = sum(ours);
  const as = absSum(ours);
  const first = Array.from(ours).slice(0, stat.first.length);
  const sumTol = 1e-5 * stat.abs_sum;
  const ruleOk =
    Math.abs(s - stat.sum) <= sumTol && Math.abs(as - stat.abs_sum) <= sumTol && closeReport(first, stat.first, rtol, stat.max_abs).ok;
  if (ruleOk) return "rule";
  const detail = `sum ${s} vs ${stat.sum}, abs-sum ${as} vs ${stat.abs_sum} (tolerance ${sumTol.toExponential(2)}); ${closeReport(first, stat.first, rtol, stat.max_abs).message}`;
  if (!allowF64) {
    expect(ruleOk, `${name}: ${detail}`).toBe(true);
    return "rule";
  }
  // A tensor that is zero in float64 (key biases' gradients: they cancel in the softmax) holds only float32
  // noise in PyTorch, above the 1e-9 "zero" threshold; ours must be noise no larger: |ours - f64| summed over
  // the tensor within twice PyTorch's, plus the threshold.
  const zeroTruth = stat.abs_sum_f64 < 1e-9;
  const sumOk = zeroTruth || Math.abs(s - stat.sum_f64) <= 2 * Math.abs(stat.sum - stat.sum_f64) + sumTol;
  const absOk = zeroTruth
    ? as <= 2 * stat.abs_sum + 1e-9
    : Math.abs(as - stat.abs_sum_f64) <= 2 * Math.abs(stat.abs_sum - stat.abs_sum_f64) + sumTol;
  const c = f64Clause(first, stat.first_f64, stat.max_abs_torch32_minus_f64, stat.first);
  expect(sumOk && absOk && c.ok, `${name}: fails the rule (${detail}) and the float64 clause (sum ${s} vs f64 ${stat.sum_f64}, torch32 ${stat.sum}; abs-sum ${as} vs f64 ${stat.abs_sum_f64}; first values: ${c.message})`).toBe(true);
  return "f64";
}
