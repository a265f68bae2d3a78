// 🤗 Accelerate as the course uses it: the Accelerator, `accelerate launch` / notebook_launcher (launch), and
// the process group underneath (torch.distributed's role). The CLI's config helpers stay internal.
export { Accelerator, PreparedDataLoader, type AcceleratorOptions, type Gatherable, type Prepared } from "./accelerator";
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
export { launch, launchProcesses, LaunchError, type LaunchFunctionOptions, type LaunchOptions, type LaunchResult, type RankFailure } from "./launch";
export type { AccelerateConfig } from "./config";
