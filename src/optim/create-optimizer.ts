// Pick an optimizer by the name transformers' TrainingArguments uses (`--optim adamw_torch`).
import { AdamW, type AdamWOptions } from "./adamw";
import { LegacyAdamW, type LegacyAdamWOptions } from "./adamw-legacy";
import type { Optimizer, OptimizerParams } from "./optimizer";

export const OPTIMIZER_NAMES = ["adamw_torch", "adamw_legacy"] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export function createOptimizer(name: "adamw_torch", params: OptimizerParams, options?: AdamWOptions): AdamW;
export function createOptimizer(name: "adamw_legacy", params: OptimizerParams, options?: LegacyAdamWOptions): LegacyAdamW;
export function createOptimizer(name: string, params: OptimizerParams, options?: LegacyAdamWOptions): Optimizer;
export function createOptimizer(name: string, params: OptimizerParams, options: LegacyAdamWOptions = {}): Optimizer {
  switch (name) {
    case "adamw_torch": {
      if (options.correctBias !== undefined) {
        throw new Error(`createOptimizer("adamw_torch"): correctBias is an option of "adamw_legacy" only; torch's AdamW always corrects bias.`);
      }
      return new AdamW(params, options);
    }
    case "adamw_legacy":
      return new LegacyAdamW(params, options);
    default:
      throw new Error(`Unknown optimizer "${name}"; valid names: ${OPTIMIZER_NAMES.join(", ")}.`);
  }
}
