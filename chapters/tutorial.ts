// `npm start`: the course's "A full training" as a reader reads it — chapters 01 to 06 called in order, on
// the pretrained preset (TUTORIAL_PRESET), inside the kit's run: a run folder, Ctrl-C checkpoints and
// --resume, the saved model and tokenizer, the run record. train() (src/training/train.ts) provides the run;
// the set-up, the loop and the evaluation are the chapters' own lines, passed to it as its CourseSteps.
// `npx kit train` runs the library's steps instead; test/chapters/loops-equal.test.ts proves the two bitwise equal.
//
//   npm start                          the whole tutorial (1377 steps)
//   npm start -- --max-steps 20        a short run
//   npm start -- --resume runs/<id>    continue an interrupted run
import { pathToFileURL } from "node:url";
import { selectDevice } from "../src/backend";
import type { CommandHelp } from "../src/training/flags";
import { presetFilesError, PRESETS, TUTORIAL_PRESET } from "../src/training/presets";
import type { Training } from "../src/training/setup";
import type { CourseSteps } from "../src/training/train";
import { runCommand, TRAIN_FLAGS, trainCommand } from "../src/training/train-command";
import { preprocess } from "./01-preprocessing";
import { makeDataloaders } from "./02-dataloaders";
import { makeModel } from "./03-model";
import { makeOptimizer, makeScheduler } from "./04-optimizer-scheduler";
import { placeModel, trainingLoop } from "./05-training-loop";
import { evaluationLoop } from "./06-evaluation-loop";

export const CHAPTER_STEPS: CourseSteps = {
  async setUpTraining(hp, options): Promise<Training> {
    // TF.js has one backend per process, and tensors are made on the current one: choose it before any.
    await selectDevice({ quiet: true });
    const checkpoint = PRESETS[hp.preset].tokenizer;
    const fix = (err: unknown): never => {
      throw presetFilesError(hp.preset, err);
    };
    // Chapter 01: load MRPC, tokenize it, post-process it.
    const { tokenizer, tokenizedDatasets, dataCollator } = await preprocess(checkpoint).catch(fix);
    // Chapter 02: the two DataLoaders.
    const { trainDataloader, evalDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, hp);
    // Chapter 03: the model.
    const model = await makeModel(hp.preset, hp.seed, options).catch(fix);
    // Chapter 04: the optimizer and the learning-rate schedule.
    const optimizer = makeOptimizer(model, hp);
    const { lrScheduler, numTrainingSteps, numEpochs } = makeScheduler(optimizer, trainDataloader, hp);
    return { tokenizer, trainDataloader, evalDataloader, model, optimizer, lrScheduler, numTrainingSteps, numEpochs };
  },
  // Chapter 05: the device, then the training loop.
  placeModel,
  trainingLoop,
  // Chapter 06: the evaluation loop.
  evaluationLoop,
};

export const TUTORIAL_HELP: CommandHelp = {
  usage: "npm start -- [options]   (node --import tsx chapters/tutorial.ts [options])",
  about:
    `Chapters 01 to 06 in order, on the pretrained preset ${TUTORIAL_PRESET}: load and tokenize GLUE MRPC, build the model, AdamW and\n` +
    "the schedule, train (1377 steps), evaluate, and save the model, its tokenizer and run-record.json under runs/<id>/.\n" +
    "Ctrl-C writes a checkpoint of the last completed step; continue with --resume. The same run as\n" +
    `\`npx kit train --preset ${TUTORIAL_PRESET}\`, with the chapters' code. Its files come from the Hub mirror, the Hugging Face\n` +
    "cache or the Hub; offline, `npm run fetch-model` first.",
  flags: TRAIN_FLAGS,
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCommand(() => trainCommand(process.argv.slice(2), TUTORIAL_HELP, { preset: TUTORIAL_PRESET }, CHAPTER_STEPS));
}
