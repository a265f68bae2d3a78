// AdamW's update as ONE pass over memory on the wasm backend. The TF.js op sequence of adamw.ts /
// adamw-legacy.ts runs ~12 element-wise kernels per parameter, each a full pass over parameter-sized arrays
// and most allocating a parameter-sized temporary: a large share of a small model's step (bench/NOTES.md). The kernel
// (assembly/adamw.ts, WebAssembly SIMD in the backend's own heap) does the same float32 operations in the
// same order on each element (no fused multiply-add), with the same float32-rounded scalars, so its
// results are bitwise those of the op sequence (test/optim/fused-adamw-*.test.ts); it just never
// materialises the intermediates. It writes the parameter and the moments IN PLACE, which is done only when
// nothing else can see it: wasm keeps tensor data only in its heap (no JS-side copy to go stale), the three
// buffers written belong to their variables alone (reference count 1), and they get new backend ids, which
// drops what the package cached from their old values (XNNPACK's packed matMul weights, see renewHeapId).
// Otherwise the caller runs the op sequence. The heap binding lives in src/backend/wasm/fused-adamw.ts.
import * as tf from "@tensorflow/tfjs-core";
import { fusedAdamWStep } from "../backend";
import type { AdamParamState } from "./optimizer";

/** adamw.ts's scalars, as float64 values (each rounded to float32 here, as tf.scalar(x, "float32") does). */
export interface TorchAdamWScalars {
  /** 1 - lr*wd */
  decay: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  biasCorrection2Sqrt: number;
  eps: number;
  /** -lr/bc1 */
  negStepSize: number;
}

/** adamw-legacy.ts's scalars, as float64 values. */
export interface LegacyAdamWScalars {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  eps: number;
  negStepSize: number;
  /** Whether the decay line runs (wd > 0). */
  decays: boolean;
  /** -lr*wd */
  negLrWd: number;
}

let enabled = true;
let calls = 0;

/** How many parameter updates the fused kernel has done in this process. */
export function fusedAdamWCalls(): number {
  return calls;
}

/**
 * Turn the fused path off (or back on) for the whole process; returns the previous setting. For tests and
 * benchmarks comparing it with the op sequence it replaces; training never needs it off.
 */
export function setFusedAdamW(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

const f32 = Math.fround;

/** adamw.ts's update in one pass, in place; false (nothing done) when it cannot run (see fusedAdamWStep). */
export function fusedTorchAdamW(param: tf.Variable, grad: tf.Tensor, state: AdamParamState, s: TorchAdamWScalars): boolean {
  if (!enabled) return false;
  const done = fusedAdamWStep("torch", param, grad, state.expAvg, state.expAvgSq, [
    f32(s.decay), f32(s.beta1), f32(s.oneMinusBeta1), f32(s.beta2), f32(s.oneMinusBeta2),
    f32(s.biasCorrection2Sqrt), f32(s.eps), f32(s.negStepSize),
  ]);
  if (done) calls++;
  return done;
}

/** adamw-legacy.ts's update in one pass, in place; false (nothing done) when it cannot run. */
export function fusedLegacyAdamW(param: tf.Variable, grad: tf.Tensor, state: AdamParamState, s: LegacyAdamWScalars): boolean {
  if (!enabled) return false;
  const done = fusedAdamWStep("legacy", param, grad, state.expAvg, state.expAvgSq, [
    f32(s.beta1), f32(s.oneMinusBeta1), f32(s.beta2), f32(s.oneMinusBeta2),
    f32(s.eps), f32(s.negStepSize), s.decays ? 1 : 0, f32(s.negLrWd),
  ]);
  if (done) calls++;
  return done;
}
