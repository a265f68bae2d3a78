// Optimizers and learning-rate schedules, as torch.optim and transformers.optimization provide them.
export { AdamW, type AdamWOptions } from "./adamw";
export { LegacyAdamW, type LegacyAdamWOptions } from "./adamw-legacy";
export { createOptimizer, OPTIMIZER_NAMES, type OptimizerName } from "./create-optimizer";
export {
  Optimizer,
  type AdamHyperParams,
  type MomentsPlacement,
  type HostTensorData,
  type OptimizerParams,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupSpec,
} from "./optimizer";
export { LambdaLR, type LambdaLRStateDict, type LrLambda, type SchedulableOptimizer } from "./lambda-lr";
export { getScheduler, SCHEDULER_TYPES, type GetSchedulerOptions, type SchedulerType } from "./get-scheduler";
export * as schedules from "./schedules";
