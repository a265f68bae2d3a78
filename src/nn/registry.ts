// Every live Parameter created by a Module, by its tf.Variable name, so that `backward(lossFn)` without an
// explicit list can credit gradients to parameters the way loss.backward() reaches every leaf in torch.
import type { Parameter } from "./parameter";

const live = new Map<string, Parameter>();

export function trackParameter(p: Parameter): void {
  live.set(p.variable.name, p);
}

export function untrackParameter(p: Parameter): void {
  live.delete(p.variable.name);
}

export function liveParameters(): Parameter[] {
  return [...live.values()];
}
