// The training run around the course's loop: hyperparameters and presets, the set-up, the library's loop
// (Trainer) and evaluation, the TrainingRun the loop reports to, checkpoints and resume, the run record, and
// train / evaluateRun (what `kit train` and, with the chapters' steps, `npm start` run).
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
export { NonFiniteLossError, TrainingInterruptedError, TrainingRun, unsavedRun, type TrainingRunOptions } from "./training-run";
export { makeDataloaders, prepareMrpc, type PreparedData } from "./course-data";
export { modelForPreset } from "./preset-model";
export { placeModel, setUpTraining, type Training } from "./setup";
export { Trainer, type TrainerHook, type TrainerParts } from "./trainer";
export { evaluateClassifier, type Evaluation } from "./evaluation";
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
export { evaluateRun, LIBRARY_STEPS, newRunId, RUN_RECORD_FILE, train, type CourseSteps, type EvaluateRunResult, type TrainOptions, type TrainResult } from "./train";
