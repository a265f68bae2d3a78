// DESIGN.md §6: how we compare with the PyTorch reference. Element-wise |a - b| <= rtol*|b| + atol with
// atol = 1e-6 * max|b| (at least 1e-9). A reference whose abs-sum is below 1e-9 is mathematically zero
// (rounding noise), so ours must be below 1e-9 too. These are the rules; never loosen them to pass.
import { expect } from "vitest";

export const RTOL = { logits: 1e-5, loss: 1e-5, hidden: 1e-5, params: 1e-5, grads: 1e-4, optim: 1e-6 } as const;

export type Nested = number | Nested[];

export function flatten(x: Nested | ArrayLike<number>): number[] {
  if (typeof x === "number") return [x];
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "number") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof (v as ArrayLike<number>).length === "number") {
      for (const n of Array.from(v as ArrayLike<number>)) out.push(n);
    } else throw new Error(`flatten: not a number or array: ${String(v)}`);
  };
  walk(x);
  return out;
}

export type CloseReport = { ok: boolean; worst: number; index: number; a: number; b: number; message: string };

/** Compare ours (a) with the reference (b) by the rule of DESIGN.md §6. */
/**
 * `tensorMaxAbs`: max|b| over the whole reference tensor when `b` is only part of it (its first values):
 * §6's atol is 1e-6 times that, not times the part's own maximum.
 */
export function closeReport(a: Nested | ArrayLike<number>, b: Nested | ArrayLike<number>, rtol: number, tensorMaxAbs?: number): CloseReport {
  const fa = flatten(a);
  const fb = flatten(b);
  if (fa.length !== fb.length) {
    return { ok: false, worst: Infinity, index: -1, a: NaN, b: NaN, message: `length ${fa.length} != reference ${fb.length}` };
  }
  const absSum = fb.reduce((s, v) => s + Math.abs(v), 0);
  if (absSum < 1e-9) {
    const ours = fa.reduce((s, v) => s + Math.abs(v), 0);
    return {
      ok: ours < 1e-9,
      worst: ours,
      index: -1,
      a: ours,
      b: absSum,
      message: `reference is zero (abs-sum ${absSum}); ours has abs-sum ${ours}`,
    };
  }
  const maxAbs = Math.max(tensorMaxAbs ?? 0, fb.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
  const atol = Math.max(1e-6 * maxAbs, 1e-9);
  let worst = -Infinity;
  let index = -1;
  for (let i = 0; i < fa.length; i++) {
    const excess = Math.abs(fa[i]! - fb[i]!) - (rtol * Math.abs(fb[i]!) + atol);
    if (!(excess <= worst) || Number.isNaN(fa[i]!)) {
      worst = Number.isNaN(fa[i]!) ? Infinity : excess;
      index = i;
    }
  }
  const ok = worst <= 0;
  return {
    ok,
    worst,
    index,
    a: fa[index]!,
    b: fb[index]!,
    message: `worst element ${index}: ours ${fa[index]} vs reference ${fb[index]} (rtol ${rtol}, atol ${atol.toExponential(2)})`,
  };
}

/** Assert `close`; the failure message names the tensor and its worst element. */
export function expectClose(name: string, a: Nested | ArrayLike<number>, b: Nested | ArrayLike<number>, rtol: number): void {
  const r = closeReport(a, b, rtol);
  expect(r.ok, `${name}: ${r.message}`).toBe(true);
}

/** Sums against the reference abs-sum: |sum_a - sum_b| <= 1e-5 * abs_sum_b. */
export function expectSumClose(name: string, sumA: number, sumB: number, absSumB: number): void {
  const tol = 1e-5 * absSumB;
  expect(Math.abs(sumA - sumB) <= tol, `${name}: sum ${sumA} vs reference ${sumB} (tolerance ${tol})`).toBe(true);
}

/** Which part of §6 a tensor passed by: the rule against PyTorch's float32 value, or the float64 clause. */
/**
 * "f64": within twice the reference run's own float32 error; "f64-spread": within twice the largest error of
 * PyTorch's float32 runs on the BLAS kernels it runs on (bench/python/torch32_spread.py; see PyTorchSpread).
 */
export type Clause = "rule" | "f64" | "f64-spread";
/** The largest |PyTorch float32 - f64| of a tensor over PyTorch's runs on several BLAS kernels, and which run. */
export type PyTorchSpread = { err: number; run: string };
export type ClauseReport = { ok: boolean; clause: Clause; message: string };

/**
 * §6 for gradients and for parameters after optimizer steps (the only places the float64 clause applies):
 * the rule against PyTorch's float32 value `ref32`, else max|ours - f64| <= 2 * `torchErr` + atol over the
 * tensor, where `torchErr` is max|PyTorch float32 - f64| and atol is the rule's (from `ref32`). `torchErr` is
 * the reference run's error; where that run is only one draw of PyTorch's float32 error (the same PyTorch on
 * another OpenBLAS kernel fails the clause it sets: bench/python/torch32_spread.py), `spread`, the largest
 * error over PyTorch's runs, may stand in for it, and the report says so ("f64-spread"). A failed rule is
 * reported even when a clause passes, so the message says why the clause was needed.
 */
export function closeOrF64(
  ours: Nested | ArrayLike<number>,
  ref32: Nested | ArrayLike<number>,
  ref64: Nested | ArrayLike<number>,
  torchErr: number,
  kind: "grads" | "params",
  spread?: PyTorchSpread,
): ClauseReport {
  const rule = closeReport(ours, ref32, RTOL[kind]);
  if (rule.ok) return { ok: true, clause: "rule", message: `passed by the rule (${rule.message})` };
  const a = flatten(ours);
  const t = flatten(ref64);
  const b = flatten(ref32);
  if (a.length !== t.length || b.length !== t.length) {
    return { ok: false, clause: "f64", message: `lengths: ours ${a.length}, float32 reference ${b.length}, float64 ${t.length}` };
  }
  if (!(torchErr >= 0)) return { ok: false, clause: "f64", message: `PyTorch's float32 error ${torchErr} is not a number >= 0` };
  const atol = Math.max(1e-6 * b.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 1e-9);
  let err = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const e = Number.isNaN(a[i]!) ? Infinity : Math.abs(a[i]! - t[i]!);
    if (e > err) [err, at] = [e, i];
  }
  const bound = 2 * torchErr + atol;
  const clause = `max|ours - f64| ${err.toExponential(3)} (element ${at}) vs 2 * PyTorch's ${torchErr.toExponential(3)} + atol ${atol.toExponential(2)} = ${bound.toExponential(3)}`;
  if (err <= bound || !spread || !(spread.err > torchErr)) {
    return { ok: err <= bound, clause: "f64", message: `rule failed (${rule.message}); float64 clause: ${clause}` };
  }
  const wide = 2 * spread.err + atol;
  const bySpread = `; over PyTorch's runs: 2 * ${spread.err.toExponential(3)} (${spread.run}) + atol = ${wide.toExponential(3)}`;
  return { ok: err <= wide, clause: "f64-spread", message: `rule failed (${rule.message}); float64 clause: ${clause}${bySpread}` };
}
