// A fresh run record for a run about to start.
import { PRESETS, type Hyperparameters } from "./presets";
import type { RunRecord } from "./run-record";

export function newRunRecord(init: { id: string; hp: Hyperparameters; backend: string; numTrainingSteps: number; batchesPerEpoch: number }): RunRecord {
  const preset = PRESETS[init.hp.preset];
  return {
    id: init.id,
    status: "running",
    startedAt: new Date().toISOString(),
    hyperparameters: init.hp,
    checkpoint: preset.checkpoint,
    initFromSeed: preset.initFromSeed,
    backend: init.backend,
    numTrainingSteps: init.numTrainingSteps,
    batchesPerEpoch: init.batchesPerEpoch,
    steps: { loss: [], lr: [] },
    resumedAt: [],
  };
}
