// `npx kit train` (and `npm start`, through chapters/tutorial.ts): set-up, training loop and evaluation, plus
// what a real run needs around them — a run folder, checkpoints and resume, the saved model and tokenizer,
// and the run record. The set-up, loop and evaluation are the library's (CourseSteps); the tutorial passes
// the chapters' own instead, and gets the same run around them.
import { loadavg, cpus } from "node:os";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { AutoModelForSequenceClassification } from "../models/auto";
import { readBertConfigFile } from "../models/bert/config";
import { resolvePretrainedFile } from "../hub";
import { selectDevice, type Device } from "../backend";
import type { Batch, DataLoader, FeatureRow } from "../data";
import type { BertForSequenceClassification } from "../models/bert";
import { Generator } from "../utils/random";
import { loadClassifierHead } from "./classifier-head";
import { batchOrder, setDropout, writeBatchOrder } from "./paired-run";
import { latestCheckpoint, listCheckpoints, readTrainerState, restoreCheckpoint } from "./checkpoint";
import { hyperparameters, PRESETS, type Hyperparameters } from "./presets";
import { checkOutputDir, namingPath, removeStaleTemporaries } from "./output-dir";
import { newRunRecord } from "./record-init";
import { confusionCounts, readRunRecord, writeRunRecord, type RunRecord } from "./run-record";
import { TrainingRun, type TrainingRunOptions } from "./training-run";
import { makeDataloaders, prepareMrpc } from "./course-data";
import { evaluateClassifier, type Evaluation } from "./evaluation";
import { placeModel, setUpTraining, type Training } from "./setup";
import { Trainer } from "./trainer";

export const RUN_RECORD_FILE = "run-record.json";

export type TrainOptions = Partial<Hyperparameters> & {
  /** Folder of the run (default runs/<id>). */
  outputDir?: string;
  /** Allow outputDir to hold a finished run, whose model is then replaced. */
  overwrite?: boolean;
  /** Also checkpoint every N steps. */
  saveSteps?: number;
  /** Continue the run in this folder from its latest checkpoint (its hyperparameters are used). */
  resume?: string;
  quiet?: boolean;
  /** Install SIGINT / SIGTERM handlers that checkpoint and stop (the CLI sets it). */
  handleSignals?: boolean;
  /** false: save the model without evaluating it (tests of the training part alone). */
  evaluate?: boolean;
  /** Called after each completed step (tests interrupt runs with it). */
  onStepEnd?: TrainingRunOptions["onStepEnd"];
  /** Called once training is done and checkpointed, before evaluation (tests fail runs there). */
  onTrainingDone?: () => void;
  /** Paired run: dropout rate of every layer (0: off), as transformers' hidden/attention_probs_dropout_prob. */
  dropout?: number;
  /** Paired run: start from the classification head in this safetensors file. */
  initHead?: string;
  /** Paired run: write the training batch order (row indices, epoch by epoch) to this JSON file. */
  exportBatchOrder?: string;
};

/** The parts of a run the course writes out: set-up, device, training loop, evaluation loop. */
export type CourseSteps = {
  setUpTraining(hp: Hyperparameters, options: { quiet?: boolean }): Promise<Training>;
  placeModel(model: BertForSequenceClassification, options: { quiet?: boolean }): Promise<Device>;
  trainingLoop(training: Training, trainingRun: TrainingRun, options: { quiet?: boolean }): Promise<void>;
  evaluationLoop(model: BertForSequenceClassification, evalDataloader: DataLoader<FeatureRow, Batch>): Promise<Evaluation>;
};

/** The library's steps (what `kit train` runs). */
export const LIBRARY_STEPS: CourseSteps = {
  setUpTraining,
  placeModel,
  trainingLoop: (training, trainingRun, options) => new Trainer(training, trainingRun).run(options),
  evaluationLoop: evaluateClassifier,
};

export type TrainResult = {
  runDir: string;
  record: RunRecord;
  metrics: { accuracy: number; f1: number };
};

/** A readable, sortable, unique run id: 2025-01-31T12-00-00-tiny-s42. */
export function newRunId(hp: Hyperparameters): string {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, "").replaceAll(":", "-");
  return `${stamp}-${hp.preset}-s${hp.seed}`;
}

export async function train(options: TrainOptions = {}, steps: CourseSteps = LIBRARY_STEPS): Promise<TrainResult> {
  const wallStart = performance.now();
  const log = options.quiet ? () => {} : (m: string) => console.log(m);
  let hp: Hyperparameters;
  let runDir: string;
  let resumeFrom: string | null = null;
  if (options.resume !== undefined) {
    runDir = resolve(options.resume);
    removeStaleTemporaries(runDir);
    resumeFrom = await latestCheckpoint(runDir);
    hp = hyperparameters((await readTrainerState(resumeFrom)).record.hyperparameters);
  } else {
    hp = hyperparameters(options);
    runDir = checkOutputDir(options.outputDir ?? join("runs", newRunId(hp)), { overwrite: options.overwrite });
    removeStaleTemporaries(runDir);
    if ((await listCheckpoints(runDir)).length > 0) {
      throw new Error(`${runDir} holds checkpoints of an unfinished run: continue it with --resume ${runDir}, or choose another --output-dir.`);
    }
  }

  // The checkpoint's config.json, when it is at hand: a damaged one is named here (loading it later says only "bad JSON").
  const checkpointConfig = await resolvePretrainedFile(PRESETS[hp.preset].checkpoint, "config.json", { optional: true }).catch(() => null);
  if (checkpointConfig !== null) await readBertConfigFile(checkpointConfig);
  const training = await steps.setUpTraining(hp, { quiet: options.quiet });
  if (resumeFrom !== null && (options.initHead !== undefined || options.exportBatchOrder !== undefined)) {
    throw new Error(`--init-head and --export-batch-order start a new run; ${runDir} resumes from its checkpoint: remove them.`);
  }
  if (options.initHead !== undefined) await loadClassifierHead(training.model, options.initHead);
  if (options.exportBatchOrder !== undefined) {
    await writeBatchOrder(options.exportBatchOrder, batchOrder(training.trainDataloader, training.numEpochs, hp));
  }
  const device = await steps.placeModel(training.model, { quiet: options.quiet });
  let record = newRunRecord({
    id: runDir.split("/").at(-1)!,
    hp,
    backend: device.name,
    numTrainingSteps: training.numTrainingSteps,
    batchesPerEpoch: training.trainDataloader.length,
  });
  let startStep = 0;
  if (resumeFrom !== null) {
    const state = await restoreCheckpoint(resumeFrom, training);
    training.trainDataloader.loadState(state.dataloader);
    training.model.generator = Generator.fromState(state.generator);
    record = state.record;
    if (record.backend !== device.name) {
      log(`Note: the run started on ${record.backend} and continues on ${device.name}; the result will differ from an uninterrupted run in the last bits.`);
    }
    record.status = "running";
    delete record.error;
    record.resumedAt.push(state.step);
    startStep = state.step;
    log(`Resuming ${runDir} at step ${state.step} of ${state.numTrainingSteps} (${resumeFrom}).`);
  } else {
    log(`Run folder: ${runDir}`);
  }
  // A resumed paired run keeps the dropout its record holds.
  const dropout = options.dropout ?? record.pairedRun?.dropout;
  if (dropout !== undefined) setDropout(training.model, dropout);
  if (resumeFrom === null && (options.dropout !== undefined || options.initHead !== undefined || options.exportBatchOrder !== undefined)) {
    record.pairedRun = { dropout: options.dropout, initHead: options.initHead, batchOrderFile: options.exportBatchOrder };
  }
  await mkdir(runDir, { recursive: true });

  const trainingRun = new TrainingRun({
    ...training,
    record,
    runDir,
    saveSteps: options.saveSteps,
    startStep,
    handleSignals: options.handleSignals,
    onStepEnd: options.onStepEnd,
  });
  const trainStart = performance.now();
  try {
    // A run resumed from its last step only has evaluation and saving left.
    if (!trainingRun.finished) await steps.trainingLoop(training, trainingRun, { quiet: options.quiet });
  } catch (err) {
    const reported = await trainingRun.failed(err);
    await writeRunRecord(join(runDir, RUN_RECORD_FILE), record).catch(() => {}); // the error being reported says more than this one
    disposeTraining(training);
    throw reported;
  } finally {
    trainingRun.close();
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;

  const evalStart = performance.now();
  let metrics: { accuracy: number; f1: number } = { accuracy: NaN, f1: NaN };
  let evalSeconds = 0;
  try {
    options.onTrainingDone?.();
    if (options.evaluate !== false) {
      const evaluation = await steps.evaluationLoop(training.model, training.evalDataloader);
      const { predictions, references } = evaluation;
      metrics = evaluation.metrics;
      record.evaluation = { split: "validation", metrics, predictions, references, confusion: confusionCounts(predictions, references) };
    }
    evalSeconds = (performance.now() - evalStart) / 1000;
    await training.model.savePretrained(runDir);
    training.tokenizer.savePretrained(runDir);
  } catch (caught) {
    const err = namingPath(caught, "save the model in", runDir);
    record.status = "failed";
    record.error = err instanceof Error ? err.message : String(err);
    await writeRunRecord(join(runDir, RUN_RECORD_FILE), record).catch(() => {}); // the error being reported says more than this one
    disposeTraining(training);
    if (err instanceof Error) {
      err.message += `\n(Training had finished: step ${trainingRun.step} is saved in ${join(runDir, `checkpoint-${trainingRun.step}`)}. Evaluate and save it with npx kit train --resume ${runDir})`;
    }
    throw err;
  }
  record.status = "completed";
  const wallSeconds = (performance.now() - wallStart) / 1000;
  record.timing = { trainSeconds, evalSeconds, wallSeconds };
  record.load = { loadAverage1m: loadavg()[0]!, cpus: cpus().length };
  await writeRunRecord(join(runDir, RUN_RECORD_FILE), record).catch((err: unknown) => {
    throw namingPath(err, "write", join(runDir, RUN_RECORD_FILE));
  });
  // The finished model is saved; the checkpoints only served to resume.
  for (const c of await listCheckpoints(runDir)) await rm(c.path, { recursive: true, force: true });
  disposeTraining(training);

  log(`${JSON.stringify(metrics)}`);
  log(
    `backend ${device.name}; ${trainingRun.step - startStep} steps in ${trainSeconds.toFixed(1)} s ` +
      (startStep > 0 ? `(steps ${startStep + 1} to ${trainingRun.step} of a resumed run) ` : "") +
      `(${((trainSeconds * 1000) / Math.max(1, trainingRun.step - startStep)).toFixed(0)} ms/step), evaluation ${evalSeconds.toFixed(1)} s, ` +
      `wall time ${wallSeconds.toFixed(1)} s; load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} CPUs`,
  );
  log(`Saved model, tokenizer and ${RUN_RECORD_FILE} in ${runDir}`);
  return { runDir, record, metrics };
}

function disposeTraining(training: Training): void {
  training.optimizer.dispose();
  training.model.dispose();
}

export type EvaluateRunResult = { runDir: string; metrics: { accuracy: number; f1: number }; recorded: { accuracy: number; f1: number } | null };

/**
 * `npx kit evaluate runs/<id>` (and chapter 06 --run-dir, with its own evaluation loop): reload the saved model
 * and tokenizer and evaluate them on MRPC validation.
 */
export async function evaluateRun(
  dir: string,
  options: { quiet?: boolean; evaluationLoop?: CourseSteps["evaluationLoop"] } = {},
): Promise<EvaluateRunResult> {
  const runDir = resolve(dir);
  for (const file of ["config.json", "model.safetensors"]) {
    if (!existsSync(join(runDir, file))) {
      throw new Error(
        `${join(runDir, file)} not found: ${dir} is not a finished run (a run saves its model when training and evaluation complete). ` +
          `Pass a folder made by \`npm start\` or \`npx kit train\`; an interrupted run continues with --resume.`,
      );
    }
  }
  // A damaged config.json fails here, naming the file and the field, before the data and the backend load.
  const config = await readBertConfigFile(join(runDir, "config.json"));
  await selectDevice({ quiet: options.quiet });
  const record = existsSync(join(runDir, RUN_RECORD_FILE)) ? await readRunRecord(join(runDir, RUN_RECORD_FILE)) : null;
  const model = await AutoModelForSequenceClassification.fromPretrained(runDir, { logger: () => {} });
  // A saved run's config and weights match exactly: a weight left over or missing means one of the two was changed.
  const { unexpectedKeys, missingKeys } = model.loadingInfo!;
  if (unexpectedKeys.length + missingKeys.length > 0) {
    model.dispose();
    const [what, keys] = unexpectedKeys.length > 0 ? ["not used", unexpectedKeys] : ["missing", missingKeys];
    throw new Error(
      `${join(runDir, "config.json")} does not match ${join(runDir, "model.safetensors")}: ${keys.length} weights ${what} ` +
        `(${keys[0]}${keys.length > 1 ? ", ..." : ""}); config says num_hidden_layers ${config.numHiddenLayers}, hidden_size ${config.hiddenSize}. ` +
        "Restore the config.json saved with the model.",
    );
  }
  const { tokenizedDatasets, dataCollator } = await prepareMrpc(runDir);
  const { evalDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, { batchSize: record?.hyperparameters.batchSize ?? 8, seed: 42 });
  const { metrics } = await (options.evaluationLoop ?? evaluateClassifier)(model, evalDataloader);
  model.dispose();
  const recorded = (record?.evaluation?.metrics as { accuracy: number; f1: number } | undefined) ?? null;
  if (!options.quiet) {
    console.log(metrics);
    if (recorded) console.log(`recorded at the end of training: ${JSON.stringify(recorded)}`);
  }
  return { runDir, metrics, recorded };
}
