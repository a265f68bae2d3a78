// The run record: what a training run was (config, seed, backend) and what it did (per-step loss and
// learning rate, metrics, predictions, confusion counts, wall time), as one JSON file next to the model.
import { readFile, writeFile } from "node:fs/promises";
import type { Hyperparameters } from "./presets";

export type ConfusionCounts = { truePositive: number; falsePositive: number; trueNegative: number; falseNegative: number };

export type RunRecord = {
  id: string;
  status: "running" | "completed" | "interrupted" | "failed";
  startedAt: string;
  hyperparameters: Hyperparameters;
  checkpoint: string;
  initFromSeed: boolean;
  backend: string;
  numTrainingSteps: number;
  batchesPerEpoch: number;
  /** steps.loss[k] and steps.lr[k]: the loss of step k + 1 and the learning rate that step used. */
  steps: { loss: number[]; lr: number[] };
  /** The paired run's options (kit train --dropout / --init-head / --export-batch-order), when given. */
  pairedRun?: { dropout?: number; initHead?: string; batchOrderFile?: string };
  /** Steps at which a resumed run picked up (empty for an uninterrupted run). */
  resumedAt: number[];
  error?: string;
  evaluation?: {
    split: "validation";
    metrics: Record<string, number>;
    predictions: number[];
    references: number[];
    confusion: ConfusionCounts;
  };
  timing?: { trainSeconds: number; evalSeconds: number; wallSeconds: number };
  load?: { loadAverage1m: number; cpus: number };
};

export function confusionCounts(predictions: readonly number[], references: readonly number[]): ConfusionCounts {
  const c: ConfusionCounts = { truePositive: 0, falsePositive: 0, trueNegative: 0, falseNegative: 0 };
  predictions.forEach((p, i) => {
    const r = references[i];
    if (p === 1 && r === 1) c.truePositive++;
    else if (p === 1) c.falsePositive++;
    else if (r === 1) c.falseNegative++;
    else c.trueNegative++;
  });
  return c;
}

export async function writeRunRecord(path: string, record: RunRecord): Promise<void> {
  await writeFile(path, JSON.stringify(record, null, 1) + "\n");
}

export async function readRunRecord(path: string): Promise<RunRecord> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new Error(`${path}: no run record there. Pass the folder of a run made by \`npm start\` or \`npx kit train\` (runs/<id>).`);
  }
  try {
    return JSON.parse(text) as RunRecord;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message}).`);
  }
}
