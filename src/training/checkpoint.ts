// Checkpoints of a training run, so that an interrupted run resumes and ends with bitwise the same weights
// as one that was never interrupted: the weights, both AdamW moments and step counts, the scheduler's
// counters, the DataLoader's position, the dropout generator's state and the run record so far.
// Each checkpoint is written into a temporary folder and renamed to `checkpoint-<step>` when complete
// (transformers' naming), so a kill at any moment leaves either the old checkpoint or the new one, never
// half of one. Older checkpoints are removed once the new one is in place.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DataLoaderState } from "../data";
import type { BertForSequenceClassification } from "../models/bert";
import type { LambdaLR, LambdaLRStateDict, Optimizer, OptimizerStateDict } from "../optim";
import type { GeneratorState } from "../utils/random";
import { readSafetensors, writeSafetensors, type HostTensor } from "../utils/safetensors";
import { namingPath } from "./output-dir";
import { hyperparameters, type Hyperparameters } from "./presets";
import type { RunRecord } from "./run-record";

export const TRAINER_STATE_FILE = "trainer_state.json";
export const OPTIMIZER_FILE = "optimizer.safetensors";
const CHECKPOINT_RE = /^checkpoint-(\d+)$/;

/** The JSON half of a checkpoint (the tensors are in model.safetensors and optimizer.safetensors). */
export type TrainerState = {
  /** Completed optimizer steps. */
  step: number;
  numTrainingSteps: number;
  dataloader: DataLoaderState;
  generator: GeneratorState;
  scheduler: LambdaLRStateDict;
  /** The optimizer's state dict without its tensors. */
  optimizer: Omit<OptimizerStateDict, "state"> & { steps: Record<number, number> };
  record: RunRecord;
};

export type CheckpointParts = {
  model: BertForSequenceClassification;
  optimizer: Optimizer;
  lrScheduler: LambdaLR;
  dataloader: DataLoaderState;
  generator: GeneratorState;
  step: number;
  numTrainingSteps: number;
  record: RunRecord;
};

/** Write `<runDir>/checkpoint-<step>` atomically; returns its path. */
export async function saveCheckpoint(runDir: string, parts: CheckpointParts): Promise<string> {
  await mkdir(runDir, { recursive: true });
  const final = join(runDir, `checkpoint-${parts.step}`);
  const tmp = join(runDir, `.checkpoint-${parts.step}.${process.pid}.tmp`);
  try {
    await writeCheckpoint(tmp, parts);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw namingPath(err, "write the checkpoint", final);
  }
  if (existsSync(final)) await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  for (const old of await listCheckpoints(runDir)) {
    if (old.step !== parts.step) await rm(old.path, { recursive: true, force: true });
  }
  return final;
}

/** The files of a checkpoint, into the temporary folder `tmp`. */
async function writeCheckpoint(tmp: string, parts: CheckpointParts): Promise<void> {
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await parts.model.savePretrained(tmp);
  const { state, ...optimizerRest } = await parts.optimizer.stateDictAsync();
  const tensors = new Map<string, HostTensor>();
  const steps: Record<number, number> = {};
  for (const [index, entry] of Object.entries(state)) {
    tensors.set(`state.${index}.exp_avg`, { dtype: "F32", shape: entry.expAvg.shape, data: entry.expAvg.data });
    tensors.set(`state.${index}.exp_avg_sq`, { dtype: "F32", shape: entry.expAvgSq.shape, data: entry.expAvgSq.data });
    steps[Number(index)] = entry.step;
  }
  await writeSafetensors(join(tmp, OPTIMIZER_FILE), tensors, { format: "kit-optimizer" });
  const trainerState: TrainerState = {
    step: parts.step,
    numTrainingSteps: parts.numTrainingSteps,
    dataloader: parts.dataloader,
    generator: parts.generator,
    scheduler: parts.lrScheduler.stateDict(),
    optimizer: { ...optimizerRest, steps },
    record: parts.record,
  };
  // JSON.stringify writes the shortest decimal that reads back as the same double: lrs and generator state survive exactly.
  await writeFile(join(tmp, TRAINER_STATE_FILE), JSON.stringify(trainerState) + "\n");
}

export async function listCheckpoints(runDir: string): Promise<{ step: number; path: string }[]> {
  if (!existsSync(runDir)) return [];
  const out: { step: number; path: string }[] = [];
  for (const name of await readdir(runDir)) {
    const m = CHECKPOINT_RE.exec(name);
    if (m && existsSync(join(runDir, name, TRAINER_STATE_FILE))) out.push({ step: Number(m[1]), path: join(runDir, name) });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint of a run folder, or an error naming the folder and what was found. */
export async function latestCheckpoint(runDir: string): Promise<string> {
  if (!existsSync(runDir)) throw new Error(`--resume ${runDir}: no such folder. Pass the folder of a run (runs/<id>), as printed when it started.`);
  const all = await listCheckpoints(runDir);
  if (all.length === 0) {
    const entries = await readdir(runDir);
    throw new Error(
      `--resume ${runDir}: no checkpoint-<step> folder with ${TRAINER_STATE_FILE} in it (found: ${entries.join(", ") || "nothing"}). ` +
        `A run writes one when interrupted (Ctrl-C, SIGTERM, an error) or every --save-steps N steps; a finished run has none left.`,
    );
  }
  return all.at(-1)!.path;
}

export async function readTrainerState(checkpointDir: string): Promise<TrainerState> {
  const path = join(checkpointDir, TRAINER_STATE_FILE);
  const damaged = (what: string) =>
    new Error(`${path}: ${what}; the checkpoint is damaged: resume from an earlier one, or start a new run with another --output-dir.`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw damaged(`cannot read the trainer state (${(err as Error).message})`);
  }
  const problem = trainerStateProblem(json);
  if (problem !== null) throw damaged(problem);
  return json as TrainerState;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === undefined ? "missing" : `${JSON.stringify(v)?.slice(0, 40)}`);

/** What is wrong with a parsed trainer_state.json (the fields resume reads), or null. */
function trainerStateProblem(json: unknown): string | null {
  if (!isObject(json)) return `expected a JSON object, found ${Array.isArray(json) ? "an array" : describe(json)}`;
  for (const [field, min] of [["step", 0], ["numTrainingSteps", 1]] as const) {
    const v = json[field];
    if (!Number.isInteger(v) || (v as number) < min) return `field "${field}" must be an integer >= ${min}, found ${describe(v)}`;
  }
  if ((json.step as number) > (json.numTrainingSteps as number)) {
    return `field "step" (${String(json.step)}) is past "numTrainingSteps" (${String(json.numTrainingSteps)})`;
  }
  for (const field of ["dataloader", "generator", "scheduler", "optimizer", "record"] as const) {
    if (!isObject(json[field])) return `field "${field}" must be an object, found ${describe(json[field])}`;
  }
  const optimizer = json.optimizer as Record<string, unknown>;
  if (!isObject(optimizer.steps)) return `field "optimizer.steps" must be an object, found ${describe(optimizer.steps)}`;
  if (!Array.isArray(optimizer.paramGroups)) return `field "optimizer.paramGroups" must be an array, found ${describe(optimizer.paramGroups)}`;
  const record = json.record as Record<string, unknown>;
  if (!isObject(record.hyperparameters)) return `field "record.hyperparameters" must be an object, found ${describe(record.hyperparameters)}`;
  if (!isObject(record.steps)) return `field "record.steps" must be an object, found ${describe(record.steps)}`;
  if (!Array.isArray(record.resumedAt)) return `field "record.resumedAt" must be an array, found ${describe(record.resumedAt)}`;
  try {
    hyperparameters(record.hyperparameters as Partial<Hyperparameters>);
  } catch (err) {
    return `field "record.hyperparameters": ${(err as Error).message.replace(/\.$/, "")}`;
  }
  return null;
}

/** Put a checkpoint's weights, optimizer and scheduler state back into freshly built objects. */
export async function restoreCheckpoint(
  checkpointDir: string,
  parts: { model: BertForSequenceClassification; optimizer: Optimizer; lrScheduler: LambdaLR },
): Promise<TrainerState> {
  const trainerState = await readTrainerState(checkpointDir);
  const { tensors: weights } = await readSafetensors(join(checkpointDir, "model.safetensors"));
  parts.model.loadStateDict(weights, { strict: true });
  const { tensors: moments } = await readSafetensors(join(checkpointDir, OPTIMIZER_FILE));
  const state: OptimizerStateDict["state"] = {};
  for (const [index, step] of Object.entries(trainerState.optimizer.steps)) {
    const get = (kind: string) => {
      const t = moments.get(`state.${index}.${kind}`);
      if (!t || t.dtype !== "F32") throw new Error(`${join(checkpointDir, OPTIMIZER_FILE)}: tensor state.${index}.${kind} is missing or not F32.`);
      return { dtype: "float32" as const, shape: t.shape, data: t.data as Float32Array };
    };
    state[Number(index)] = { step, expAvg: get("exp_avg"), expAvgSq: get("exp_avg_sq") };
  }
  const { steps: _steps, ...rest } = trainerState.optimizer;
  // The scheduler was built first (its constructor sets the lr to the schedule's start); the optimizer's
  // state dict then brings back the lr of the step reached, as torch's order of loading does.
  parts.optimizer.loadStateDict({ ...rest, state });
  parts.lrScheduler.loadStateDict(trainerState.scheduler);
  return trainerState;
}
