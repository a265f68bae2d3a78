// An optimizer step over a 23 M-value embedding cannot keep every intermediate until a tf.tidy ends: on wasm
// (4 GiB heap that only grows, fragmented by the backward) ~14 parameter-sized temporaries at once abort the
// process. Each intermediate is therefore freed as soon as the next operation has read it.
import * as tf from "@tensorflow/tfjs-core";

/** Returns `result` after disposing `operands`: `consume(tf.add(a, b), a, b)` keeps only the sum alive. */
export function consume<T extends tf.Tensor>(result: T, ...operands: tf.Tensor[]): T {
  for (const t of operands) t.dispose();
  return result;
}

/** `variable.assign(value)` then drop the caller's handle: the variable takes the buffer over, no copy. */
export function assignAndDispose(variable: tf.Variable, value: tf.Tensor): void {
  variable.assign(value);
  value.dispose();
}

/**
 * Adam's moments, in place and in torch's float32 order: m = m*beta1 + (1-beta1)*g, v = v*beta2 + ((1-beta2)*g)*g.
 * At most three gradient-sized temporaries are alive at any point. `s` makes a float32 scalar.
 */
export function updateMoments(
  expAvg: tf.Variable,
  expAvgSq: tf.Variable,
  g: tf.Tensor,
  beta1: number,
  beta2: number,
  s: (x: number) => tf.Scalar,
): void {
  const decayedAvg = tf.mul(expAvg, s(beta1));
  const newPart = tf.mul(s(1 - beta1), g);
  assignAndDispose(expAvg, consume(tf.add(decayedAvg, newPart), decayedAvg, newPart));
  const scaledG = tf.mul(s(1 - beta2), g);
  const newSq = consume(tf.mul(scaledG, g), scaledG);
  const decayedSq = tf.mul(expAvgSq, s(beta2));
  assignAndDispose(expAvgSq, consume(tf.add(decayedSq, newSq), decayedSq, newSq));
}
