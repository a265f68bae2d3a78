// Chapter 05 — the training loop. Chooses the device, then runs the course's loop for 3 epochs (1377 steps):
// forward and backward in one line (TF.js differentiates a function), AdamW step, schedule step, zero the
// gradients, advance the progress bar. Reproduces the course's "The training loop" lines:
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
// The two `trainingRun` lines are the kit's additions: stop on a NaN loss before it reaches the weights,
// record each step and checkpoint (Ctrl-C, --save-steps); see src/training/training-run.ts. Run on its own,
// the chapter sets up chapters 01 to 04 with the library's calls (src/training/setup.ts); `npm start`
// (chapters/tutorial.ts) runs them all in order.
//
// Regions (for the docs): device, training-loop
import { pathToFileURL } from "node:url";
import { selectDevice, type Device } from "../src/backend";
import { disposeBatch } from "../src/data";
import { backwardAsync } from "../src/nn";
import { hyperparameters, type Hyperparameters } from "../src/training/presets";
import { parseChapterArgs } from "../src/training/script";
import { setUpTraining, type Training } from "../src/training/setup";
import { unsavedRun, type TrainingRun } from "../src/training/training-run";
import { tqdm } from "../src/utils/progress";

export type TrainingLoopOptions = Partial<Hyperparameters> & { quiet?: boolean };

export type TrainingLoopResult = {
  backend: string;
  numTrainingSteps: number;
  stepsDone: number;
  firstLoss: number;
  lastLoss: number;
  firstLr: number;
  lastLr: number;
  seconds: number;
};

/** The device lines: print which backend runs and check that the model lives there. */
export async function placeModel(model: Training["model"], options: { quiet?: boolean } = {}): Promise<Device> {
  // #region device
  const device = await selectDevice({ quiet: options.quiet });
  model.to(device);
  // #endregion device
  return device;
}

/** The course's loop. `trainingRun` knows where a resumed run starts and when to stop. */
export async function trainingLoop(training: Training, trainingRun: TrainingRun, options: { quiet?: boolean } = {}): Promise<void> {
  const { model, optimizer, lrScheduler, trainDataloader, numTrainingSteps, numEpochs } = training;
  // #region training-loop
  const progressBar = tqdm(numTrainingSteps, { disable: options.quiet });
  progressBar.resume(trainingRun.step); // 0, or the steps a resumed run already did (not in the rate)

  model.train();
  for (let epoch = trainingRun.startEpoch; epoch < numEpochs; epoch++) {
    for (const batch of trainDataloader) {
      const loss = await backwardAsync(() => model.forward(batch).loss!);
      disposeBatch(batch);
      trainingRun.checkLoss(loss);

      optimizer.step();
      lrScheduler.step();
      optimizer.zeroGrad();
      progressBar.setPostfix({ loss });
      progressBar.update(1);
      if (await trainingRun.stepDone(loss)) break;
    }
  }
  progressBar.close();
  // #endregion training-loop
}

export async function run(options: TrainingLoopOptions = {}): Promise<TrainingLoopResult> {
  const hp = hyperparameters(options);
  const training = await setUpTraining(hp, options);
  const device = await placeModel(training.model, options);
  const trainingRun = unsavedRun(training, hp, device.name);
  const start = performance.now();
  await trainingLoop(training, trainingRun, options);
  const seconds = (performance.now() - start) / 1000;
  const { loss, lr } = trainingRun.record.steps;
  training.optimizer.dispose();
  training.model.dispose();
  return {
    backend: device.name,
    numTrainingSteps: training.numTrainingSteps,
    stepsDone: trainingRun.step,
    firstLoss: loss[0]!,
    lastLoss: loss.at(-1)!,
    firstLr: lr[0]!,
    lastLr: lr.at(-1)!,
    seconds,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseChapterArgs(process.argv.slice(2), {
    usage: "tsx chapters/05-training-loop.ts [--max-steps N] [--preset NAME] [--optim NAME] [--lr LR] [--epochs N] [--seed N]",
    about: "Trains the model with the course's loop (1377 steps by default) and prints the first and last losses. Saves nothing: `npm start` / `npx kit train` do.",
    flags: ["preset", "optim", "lr", "epochs", "seed", "max-steps", "backend", "threads", "quiet"],
  });
  const result = await run(args);
  console.log(result);
}
