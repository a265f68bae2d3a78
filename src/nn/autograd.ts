// PyTorch's loss.backward() and torch.no_grad() for TF.js, which computes gradients of a function rather
// than of a recorded tensor: `backward(() => model.forward(batch).loss!)` runs the forward pass, ADDS each
// parameter's gradient to p.grad (accumulating like torch until zeroGrad), and returns the loss value.
import * as tf from "@tensorflow/tfjs-core";
import "../backend/tfjs-setup";
import type { Parameter } from "./parameter";
import { liveParameters } from "./registry";
import { installWasmKernels } from "../backend";

/**
 * Compute lossFn() and the gradients of its value with respect to `params` (default: every live Module
 * parameter) that require a gradient, add them to p.grad, dispose everything else, and return the loss as a
 * number. Parameters the loss does not depend on keep their grad unchanged.
 */
export function backward(lossFn: () => tf.Scalar, params?: Parameter[]): number {
  const value = accumulateGradients(lossFn, params);
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  return lossValue;
}

/**
 * backward() for backends that cannot read the GPU synchronously (webgpu in Node): the same gradients,
 * the loss read with `await`.
 */
export async function backwardAsync(lossFn: () => tf.Scalar, params?: Parameter[]): Promise<number> {
  const value = accumulateGradients(lossFn, params);
  try {
    return (await value.data())[0]!;
  } finally {
    value.dispose();
  }
}

/** Add the gradients of lossFn() to the parameters' grads; returns the loss tensor (the caller disposes it). */
function accumulateGradients(lossFn: () => tf.Scalar, params?: Parameter[]): tf.Scalar {
  installWasmKernels();
  const trainable = (params ?? liveParameters()).filter((p) => p.requiresGrad);
  if (trainable.length === 0) throw new Error("backward: no parameter requires a gradient");
  const byVariable = new Map(trainable.map((p) => [p.variable.name, p]));
  const { value, grads } = tf.variableGrads(() => {
    const loss = lossFn();
    if (loss.rank !== 0) throw new Error(`backward: the loss must be a scalar, got shape [${loss.shape.join(", ")}]`);
    return loss;
  }, trainable.map((p) => p.variable));
  for (const [name, g] of Object.entries(grads)) {
    const p = byVariable.get(name);
    if (p) p.accumulateGrad(g);
    else g.dispose();
  }
  return value;
}

/**
 * torch.no_grad(): run fn in a tidy scope (intermediate tensors freed, returned ones kept). Outside
 * `backward`, TF.js records no gradient tape, so nothing else is needed.
 */
export function noGrad<T>(fn: () => T): T {
  installWasmKernels();
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}
