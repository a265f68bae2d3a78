// torch.optim.AdamW (PyTorch 1.13, `_single_tensor_adamw`): decoupled weight decay applied to the
// parameter BEFORE the Adam update, bias corrections folded into the step size and the denominator.
// The float32 operations follow torch's order one for one, so results agree to the last bits or so:
//   p  = p * (1 - lr*wd)
//   m  = m*beta1 + (1-beta1)*g
//   v  = v*beta2 + ((1-beta2)*g)*g
//   p  = p + ((-lr/bc1) * m) / (sqrt(v)/sqrt(bc2) + eps)
// Scalars are computed in float64 (Python floats) and rounded to float32 when they meet a tensor.
// Measured against optim-schedules.json: 310 of 360 values bit-exact, worst relative error 1.8e-6 (on a
// value near zero; within DESIGN §6). The rest is PyTorch's CPU kernels fusing multiply-adds
// (`add_(x, alpha)` and `addcmul_` end in an FMA): a float32 simulation with those FMAs reproduces all
// 360 values bit for bit. TF.js has no fused multiply-add, so we round once more, as every backend would.
import * as tf from "@tensorflow/tfjs-core";
import type { Parameter } from "../nn/parameter";
import { assignAndDispose, consume, updateMoments } from "./consume";
import { fusedTorchAdamW } from "./fused-adamw";
import { Optimizer, type AdamParamState, type MomentsPlacement, type OptimizerParams, type ParamGroup } from "./optimizer";

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Where the moments live between steps (default "auto": on the host for big models on wasm). */
  momentsPlacement?: MomentsPlacement;
}

export class AdamW extends Optimizer {
  constructor(
    params: OptimizerParams,
    { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0.01, momentsPlacement = "auto" }: AdamWOptions = {},
  ) {
    super("adamw_torch", params, { lr, betas: [betas[0], betas[1]], eps, weightDecay }, momentsPlacement);
  }

  protected updateParameter(p: Parameter, grad: tf.Tensor, state: AdamParamState, group: ParamGroup): void {
    const { lr, eps, weightDecay } = group;
    const [beta1, beta2] = group.betas;
    const biasCorrection1 = 1 - beta1 ** state.step;
    const biasCorrection2 = 1 - beta2 ** state.step;
    const stepSize = lr / biasCorrection1;
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
    // On wasm, the lines below run as one pass over memory, in place (fused-adamw.ts: the same float32
    // operations in the same order, so the same bits, without a dozen parameter-sized passes and temporaries).
    const fused = fusedTorchAdamW(p.variable, grad, state, {
      decay: 1 - lr * weightDecay,
      beta1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      biasCorrection2Sqrt,
      eps,
      negStepSize: -stepSize,
    });
    if (fused) return;
    // The outer tidy only frees the scalars (and everything, should an op throw); the parameter-sized
    // intermediates are freed as soon as read (see consume.ts), so at most three are alive at once.
    tf.tidy(() => {
      const s = (x: number): tf.Scalar => tf.scalar(x, "float32");
      const g = grad.dtype === "float32" ? grad : tf.cast(grad, "float32");
      assignAndDispose(p.variable, tf.mul(p.variable, s(1 - lr * weightDecay)));
      updateMoments(state.expAvg, state.expAvgSq, g, beta1, beta2, s);
      const root = tf.sqrt(state.expAvgSq);
      const scaledRoot = consume(tf.div(root, s(biasCorrection2Sqrt)), root);
      const denom = consume(tf.add(scaledRoot, s(eps)), scaledRoot);
      const numerator = tf.mul(s(-stepSize), state.expAvg);
      const delta = consume(tf.div(numerator, denom), numerator, denom);
      assignAndDispose(p.variable, consume(tf.add(p.variable, delta), delta));
    });
  }
}
