// transformers' ACT2FN for the activations BERT configs name.
import * as tf from "@tensorflow/tfjs-core";
import { gelu } from "./functional";

export type Activation = (x: tf.Tensor) => tf.Tensor;

const ACT2FN: Record<string, Activation> = {
  gelu,
  relu: (x) => tf.relu(x),
  tanh: (x) => tf.tanh(x),
  // transformers' "gelu_new" / "gelu_pytorch_tanh": the tanh approximation.
  gelu_new: (x) => tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))),
};
ACT2FN.gelu_pytorch_tanh = ACT2FN.gelu_new!;

export function getActivation(name: string): Activation {
  const fn = ACT2FN[name];
  if (!fn) throw new Error(`hidden_act "${name}" is not supported; use one of ${Object.keys(ACT2FN).join(", ")}`);
  return fn;
}
