export { Accelerator, PreparedDataLoader, type AcceleratorOptions, type Gatherable, type Prepared } from "./accelerator";
export { shardBatches, shardLength, type ShardOptions } from "./batch-sampler-shard";
export {
  initProcessGroup,
  ProcessGroupError,
  type InitProcessGroupOptions,
  type ProcessGroup,
  type ReduceOp,
  type SparseRows,
  type Json,
  type Transferable,
} from "./process-group";
export { launch, launchProcesses, findFreePort, LaunchError, type LaunchOptions, type LaunchResult, type RankFailure } from "./launch";
export { accelerateCli, askConfig, configToYaml, defaultConfigFile, makeConfig, readConfig, writeConfig, type AccelerateConfig } from "./config";
export { readDistributedEnv, type DistributedEnv } from "./env";
