// The training run around the course's loop: hyperparameters and presets, the TrainingRun the loop reports
// to, checkpoints and resume, the run record, and train / evaluateRun (what `npm start` and `kit` run).
export {
  BERT_TINY_SHAPE,
  COURSE_HYPERPARAMETERS,
  MRPC_MAJORITY_CLASS,
  PRESET_NAMES,
  PRESETS,
  hyperparameters,
  isPresetName,
  plannedSteps,
  type Hyperparameters,
  type Preset,
  type PresetName,
} from "./presets";
export { NonFiniteLossError, TrainingInterruptedError, TrainingRun, type TrainingRunOptions } from "./training-run";
export {
  latestCheckpoint,
  listCheckpoints,
  readTrainerState,
  restoreCheckpoint,
  saveCheckpoint,
  OPTIMIZER_FILE,
  TRAINER_STATE_FILE,
  type CheckpointParts,
  type TrainerState,
} from "./checkpoint";
export { confusionCounts, readRunRecord, writeRunRecord, type ConfusionCounts, type RunRecord } from "./run-record";
export { newRunRecord } from "./record-init";
export { FLAGS, helpText, parseFlags, UsageError, type FlagName, type FlagValues } from "./flags";
export { evaluateRun, newRunId, RUN_RECORD_FILE, train, type EvaluateRunResult, type TrainOptions, type TrainResult } from "./train";
