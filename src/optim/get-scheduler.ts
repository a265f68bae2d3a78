// transformers' get_scheduler (4.31): one name -> a LambdaLR over the optimizer. The schedule-specific
// arguments (numCycles, power, lrEnd, timescale) are accepted flat, as later transformers versions take
// them through `scheduler_specific_kwargs`; one that the named schedule does not take is an error.
import { LambdaLR, type SchedulableOptimizer } from "./lambda-lr";
import {
  constantLambda,
  constantWithWarmupLambda,
  cosineWithHardRestartsLambda,
  cosineWithWarmupLambda,
  inverseSqrtLambda,
  linearWithWarmupLambda,
  polynomialDecayLambda,
} from "./schedules";

export const SCHEDULER_TYPES = [
  "linear",
  "cosine",
  "cosine_with_restarts",
  "polynomial",
  "constant",
  "constant_with_warmup",
  "inverse_sqrt",
] as const;
export type SchedulerType = (typeof SCHEDULER_TYPES)[number];

export interface GetSchedulerOptions {
  optimizer: SchedulableOptimizer;
  numWarmupSteps?: number;
  numTrainingSteps?: number;
  /** cosine (default 0.5 waves) and cosine_with_restarts (default 1 restart). */
  numCycles?: number;
  /** polynomial (default 1.0). */
  power?: number;
  /** polynomial (default 1e-7). */
  lrEnd?: number;
  /** inverse_sqrt (default numWarmupSteps, or 10000 when that is 0). */
  timescale?: number;
  /** Resume: the index of the last step taken (-1 to start). */
  lastEpoch?: number;
}

const SPECIFIC_KWARGS: Record<SchedulerType, ReadonlyArray<"numCycles" | "power" | "lrEnd" | "timescale">> = {
  linear: [],
  cosine: ["numCycles"],
  cosine_with_restarts: ["numCycles"],
  polynomial: ["power", "lrEnd"],
  constant: [],
  constant_with_warmup: [],
  inverse_sqrt: ["timescale"],
};

function isSchedulerType(name: string): name is SchedulerType {
  return (SCHEDULER_TYPES as readonly string[]).includes(name);
}

function checkSteps(name: string, label: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new Error(`${name}: ${label} is ${value}; expected a non-negative integer.`);
  }
}

export function getScheduler(name: string, options: GetSchedulerOptions): LambdaLR {
  if (!isSchedulerType(name)) {
    throw new Error(`${JSON.stringify(name)} is not a valid SchedulerType, please select one of ${JSON.stringify(SCHEDULER_TYPES)}.`);
  }
  const { optimizer, numWarmupSteps, numTrainingSteps, lastEpoch = -1 } = options;
  if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
    throw new Error(`getScheduler("${name}"): options.optimizer is missing or has no paramGroups; pass the optimizer to schedule.`);
  }
  for (const key of ["numCycles", "power", "lrEnd", "timescale"] as const) {
    if (options[key] !== undefined && !SPECIFIC_KWARGS[name].includes(key)) {
      const takes = SPECIFIC_KWARGS[name];
      throw new Error(
        `getScheduler("${name}"): unexpected option ${key}; "${name}" takes ${takes.length ? takes.join(", ") : "no schedule-specific options"}.`,
      );
    }
  }
  checkSteps(name, "numWarmupSteps", numWarmupSteps);
  checkSteps(name, "numTrainingSteps", numTrainingSteps);

  if (name === "constant") return new LambdaLR(optimizer, constantLambda(), lastEpoch);

  if (numWarmupSteps === undefined) {
    throw new Error(`${name} requires \`numWarmupSteps\`, please provide that argument.`);
  }
  if (name === "constant_with_warmup") {
    return new LambdaLR(optimizer, constantWithWarmupLambda(numWarmupSteps), lastEpoch);
  }
  if (name === "inverse_sqrt") {
    return new LambdaLR(optimizer, inverseSqrtLambda(numWarmupSteps, options.timescale), lastEpoch);
  }

  if (numTrainingSteps === undefined) {
    throw new Error(`${name} requires \`numTrainingSteps\`, please provide that argument.`);
  }
  switch (name) {
    case "linear":
      return new LambdaLR(optimizer, linearWithWarmupLambda(numWarmupSteps, numTrainingSteps), lastEpoch);
    case "cosine":
      return new LambdaLR(optimizer, cosineWithWarmupLambda(numWarmupSteps, numTrainingSteps, options.numCycles ?? 0.5), lastEpoch);
    case "cosine_with_restarts":
      return new LambdaLR(
        optimizer,
        cosineWithHardRestartsLambda(numWarmupSteps, numTrainingSteps, options.numCycles ?? 1),
        lastEpoch,
      );
    case "polynomial": {
      const lrInit = optimizer.defaults.lr;
      const lrEnd = options.lrEnd ?? 1e-7;
      if (!(lrInit > lrEnd)) {
        throw new Error(`lr_end (${lrEnd}) must be smaller than initial lr (${lrInit}); lower lrEnd or raise the optimizer's lr.`);
      }
      return new LambdaLR(
        optimizer,
        polynomialDecayLambda(numWarmupSteps, numTrainingSteps, lrInit, lrEnd, options.power ?? 1.0),
        lastEpoch,
      );
    }
  }
}
