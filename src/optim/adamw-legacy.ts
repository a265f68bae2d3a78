// The legacy `transformers.AdamW` (transformers 4.31, optimization.py), which the French course text
// imports. It differs from torch.optim.AdamW in three ways: eps 1e-6 and weight decay 0 by default; the
// bias correction goes into the step size only (`lr * sqrt(bc2) / bc1`, the denominator is `sqrt(v) + eps`);
// and the decay is applied AFTER the Adam update, `p += (-lr*wd) * p`, only when wd > 0.
// Same float32 order as transformers (see adamw.ts for the last-bit difference PyTorch's FMAs make).
// A separate class rather than an AdamW option: its defaults differ, so `{ legacy: true }` would make the
// meaning of an omitted eps depend on another flag.
import * as tf from "@tensorflow/tfjs-core";
import type { Parameter } from "../nn/parameter";
import { assignAndDispose, consume, updateMoments } from "./consume";
import { fusedLegacyAdamW } from "./fused-adamw";
import { Optimizer, type AdamParamState, type MomentsPlacement, type OptimizerParams, type ParamGroup } from "./optimizer";

export interface LegacyAdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Where the moments live between steps (default "auto": on the host for big models on wasm). */
  momentsPlacement?: MomentsPlacement;
  /** Bias correction in the step size (transformers' `correct_bias`, default true; false for "BERT-style"). */
  correctBias?: boolean;
}

export class LegacyAdamW extends Optimizer {
  constructor(
    params: OptimizerParams,
    { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-6, weightDecay = 0.0, correctBias = true, momentsPlacement = "auto" }: LegacyAdamWOptions = {},
  ) {
    super("adamw_legacy", params, { lr, betas: [betas[0], betas[1]], eps, weightDecay, correctBias }, momentsPlacement);
  }

  protected updateParameter(p: Parameter, grad: tf.Tensor, state: AdamParamState, group: ParamGroup): void {
    const { lr, eps, weightDecay } = group;
    const [beta1, beta2] = group.betas;
    let stepSize = lr;
    if (group.correctBias ?? true) {
      const biasCorrection1 = 1.0 - beta1 ** state.step;
      const biasCorrection2 = 1.0 - beta2 ** state.step;
      stepSize = (stepSize * Math.sqrt(biasCorrection2)) / biasCorrection1;
    }
    // On wasm, one pass over memory in place, bitwise the lines below (fused-adamw.ts, see adamw.ts).
    const fused = fusedLegacyAdamW(p.variable, grad, state, {
      beta1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      eps,
      negStepSize: -stepSize,
      decays: weightDecay > 0.0,
      negLrWd: -lr * weightDecay,
    });
    if (fused) return;
    // Intermediates freed as soon as read (see consume.ts and adamw.ts).
    tf.tidy(() => {
      const s = (x: number): tf.Scalar => tf.scalar(x, "float32");
      const g = grad.dtype === "float32" ? grad : tf.cast(grad, "float32");
      updateMoments(state.expAvg, state.expAvgSq, g, beta1, beta2, s);
      const root = tf.sqrt(state.expAvgSq);
      const denom = consume(tf.add(root, s(eps)), root);
      const numerator = tf.mul(s(-stepSize), state.expAvg);
      const delta = consume(tf.div(numerator, denom), numerator, denom);
      assignAndDispose(p.variable, consume(tf.add(p.variable, delta), delta));
      if (weightDecay > 0.0) {
        const decay = tf.mul(s(-lr * weightDecay), p.variable);
        assignAndDispose(p.variable, consume(tf.add(p.variable, decay), decay));
      }
    });
  }
}
