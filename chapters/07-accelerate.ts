// Chapter 07 — the same loop through 🤗 Accelerate. One Accelerator shards the dataloaders across the
// processes, averages the gradients in `accelerator.backward`, and gathers the predictions for the metric;
// the loop runs unchanged on one process or several. Reproduces the course's "Supercharge your training
// loop with 🤗 Accelerate" block (Accelerator(), prepare(...), num_training_steps from the prepared
// dataloader, AdamW lr 3e-5, accelerator.backward) plus the evaluation with gather_for_metrics:
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
//
//   npx tsx chapters/07-accelerate.ts                      one process
//   npm run accelerate                                     two processes (kit accelerate launch --num-processes 2)
//
// Regions (for the docs): accelerator, prepare, scheduler, training-loop, evaluation-loop
import { pathToFileURL } from "node:url";
import { Accelerator } from "../src/accelerate";
import { selectDevice } from "../src/backend";
import { disposeBatch } from "../src/data";
import { evaluate } from "../src/metrics";
import { noGrad } from "../src/nn";
import { createOptimizer, getScheduler } from "../src/optim";
import { hyperparameters, plannedSteps, PRESETS, type Hyperparameters, type PresetName } from "../src/training/presets";
import { parseChapterArgs } from "../src/training/script";
import { tqdm } from "../src/utils/progress";
import { makeDataloaders, prepareMrpc } from "../src/training/course-data";
import { modelForPreset } from "../src/training/preset-model";

/** The course's Accelerate block uses lr 3e-5 (the plain loop, 5e-5). */
export const ACCELERATE_LR = 3e-5;

export type AccelerateOptions = Partial<Hyperparameters> & { quiet?: boolean };

export type AccelerateResult = {
  preset: PresetName;
  numProcesses: number;
  processIndex: number;
  backend: string;
  lr: number;
  /** len(train_dl) after prepare: this process's batches per epoch (230 on 2 processes). */
  trainBatchesPerProcess: number;
  /** The scheduler's length: num_epochs * len(train_dl), or maxSteps when given. */
  numTrainingSteps: number;
  /** num_epochs * len(train_dl) even when maxSteps cuts the run short: the full run's steps (690 on 2 processes, 1377 on 1). */
  plannedTrainingSteps: number;
  stepsRun: number;
  /** Training examples this process drew (its share; evenBatches may repeat a few at the end). */
  trainExamples: number;
  lastLoss: number;
  /** Predictions the metric received after gatherForMetrics: every validation example once (408). */
  evalExamples: number;
  metrics: { accuracy: number; f1: number };
  trainSeconds: number;
};

export async function run(options: AccelerateOptions = {}): Promise<AccelerateResult> {
  const hp = hyperparameters({ lr: ACCELERATE_LR, ...options });

  // #region accelerator
  const accelerator = new Accelerator();
  // #endregion accelerator
  const log = options.quiet ? () => {} : (...a: unknown[]) => accelerator.print(...a);
  const device = await selectDevice({ quiet: true });
  log(`Using TF.js backend: ${device.name}; ${accelerator.numProcesses} process(es)`);

  // Chapters 01 to 04, as library calls.
  const { tokenizedDatasets, dataCollator } = await prepareMrpc(PRESETS[hp.preset].tokenizer);
  const { trainDataloader, evalDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, hp);
  // Every rank builds the same seeded model; prepare broadcasts rank 0's parameters anyway, as DDP does.
  const model0 = await modelForPreset(hp.preset, hp.seed, { quiet: options.quiet || !accelerator.isMainProcess });
  const optimizer0 = createOptimizer(hp.optim, model0.parameters(), { lr: hp.lr });

  // #region prepare
  const [trainDl, evalDl, model, optimizer] = await accelerator.prepare(trainDataloader, evalDataloader, model0, optimizer0);
  // #endregion prepare

  // #region scheduler
  // After prepare: len(train_dl) is this process's share (ceil(459 / numProcesses) batches).
  const { numTrainingSteps, numEpochs } = plannedSteps(hp, trainDl.length);
  const lrScheduler = getScheduler(hp.lrSchedulerType, {
    optimizer,
    numWarmupSteps: hp.numWarmupSteps,
    numTrainingSteps,
  });
  // #endregion scheduler
  log(`${trainDl.length} batches per process per epoch, ${numTrainingSteps} training steps`);

  let stepsRun = 0;
  let trainExamples = 0;
  let lastLoss = Number.NaN;
  const trainStart = performance.now();
  // #region training-loop
  const progressBar = tqdm(numTrainingSteps, { disable: options.quiet || !accelerator.isLocalMainProcess });

  model.train();
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    for (const batch of trainDl) {
      const loss = await accelerator.backward(() => model.forward(batch).loss!);

      optimizer.step();
      lrScheduler.step();
      optimizer.zeroGrad();
      progressBar.update(1);
      stepsRun += 1;
      trainExamples += batch.input_ids.shape[0];
      lastLoss = loss;
      disposeBatch(batch);
      if (stepsRun === numTrainingSteps) break; // --max-steps; the epochs end with it
    }
  }
  progressBar.close();
  // #endregion training-loop
  const trainSeconds = (performance.now() - trainStart) / 1000;

  // #region evaluation-loop
  const metric = evaluate.load("glue", "mrpc");
  model.eval();
  for (const batch of evalDl) {
    const predictions = noGrad(() => model.forward(batch).logits.argMax(-1));
    // Every process's predictions, minus the duplicates that pad the last round of batches.
    const gathered = await accelerator.gatherForMetrics({ predictions, references: batch.labels! });
    metric.addBatch(gathered);
    predictions.dispose();
    disposeBatch(gathered);
    disposeBatch(batch);
  }
  const evalExamples = metric.size;
  const metrics = metric.compute();
  accelerator.print(metrics);
  // #endregion evaluation-loop

  await accelerator.endTraining();
  optimizer.dispose();
  model.dispose();
  const result: AccelerateResult = {
    preset: hp.preset,
    numProcesses: accelerator.numProcesses,
    processIndex: accelerator.processIndex,
    backend: device.name,
    lr: hp.lr,
    trainBatchesPerProcess: trainDl.length,
    numTrainingSteps,
    plannedTrainingSteps: hp.numEpochs * trainDl.length,
    stepsRun,
    trainExamples,
    lastLoss,
    evalExamples,
    metrics,
    trainSeconds,
  };
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseChapterArgs(process.argv.slice(2), {
    usage: "tsx chapters/07-accelerate.ts [--max-steps N] [--preset NAME]   (several processes: npm run accelerate)",
    about:
      "The course's training loop through the Accelerator (AdamW lr 3e-5, linear schedule over 3 x len(prepared train dataloader)), " +
      "then the evaluation with gatherForMetrics. Runs alone or under `kit accelerate launch --num-processes N`; the main process prints the metrics.",
    flags: ["preset", "optim", "lr", "epochs", "max-steps", "seed", "backend", "threads", "quiet"],
    defaults: { lr: ACCELERATE_LR.toExponential() },
  });
  const { flags: _flags, ...options } = args;
  const { metrics: _printedByTheLoop, ...result } = await run(options);
  // The run's numbers for scripts, once; the metrics were printed by the evaluation loop (accelerator.print).
  if (result.processIndex === 0) console.log(JSON.stringify(result));
}
