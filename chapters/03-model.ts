// Chapter 03 — the model. Builds the sequence classifier for the preset (the default `tiny` one initialised
// from the seed, `course` = bert-base-uncased from the Hub), passes one training batch through it, and
// prints the loss and the logits' shape [8, 2]. Reproduces the course's model lines of "A full training":
//   https://huggingface.co/learn/llm-course/chapter3/4   (fr: https://huggingface.co/learn/llm-course/fr/chapter3/4)
//
// Regions (for the docs): model, forward
import { pathToFileURL } from "node:url";
import { selectDevice } from "../src/backend";
import { disposeBatch, type Batch } from "../src/data";
import { AutoModelForSequenceClassification } from "../src/models/auto";
import type { BertForSequenceClassification } from "../src/models/bert";
import { noGrad } from "../src/nn";
import { makeDataloaders, prepareMrpc } from "../src/training/course-data";
import { modelForPreset } from "../src/training/preset-model";
import { hyperparameters, presetFilesError, PRESETS, type Hyperparameters, type PresetName } from "../src/training/presets";
import { parseChapterArgs } from "../src/training/script";

export type ModelOptions = Partial<Pick<Hyperparameters, "preset" | "seed">> & { quiet?: boolean };

export type ModelResult = {
  preset: PresetName;
  numParameters: number;
  loss: number;
  logitsShape: number[];
  batchShapes: Record<string, number[]>;
};

/**
 * The course's `AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)` for a preset.
 * The seeded presets (`tiny`) are built from a config rather than loaded: the library does that.
 */
export async function makeModel(preset: PresetName, seed: number, options: { quiet?: boolean } = {}): Promise<BertForSequenceClassification> {
  const { checkpoint, initFromSeed, notice } = PRESETS[preset];
  if (initFromSeed) return modelForPreset(preset, seed, options);
  if (!options.quiet) console.log(notice);
  // #region model
  const model = await AutoModelForSequenceClassification.fromPretrained(checkpoint, { numLabels: 2, seed });
  // #endregion model
  return model;
}

export async function run(options: ModelOptions = {}): Promise<ModelResult> {
  const hp = hyperparameters(options);
  const log = options.quiet ? () => {} : console.log;
  await selectDevice({ quiet: true });
  // Chapters 01 and 02, as library calls.
  const { tokenizedDatasets, dataCollator } = await prepareMrpc(PRESETS[hp.preset].tokenizer);
  const { trainDataloader } = makeDataloaders(tokenizedDatasets, dataCollator, hp);
  const model = await makeModel(hp.preset, hp.seed, { quiet: options.quiet }).catch((err: unknown) => {
    throw presetFilesError(hp.preset, err);
  });

  let batch: Batch | undefined;
  for (const b of trainDataloader) {
    batch = b;
    break;
  }
  const batchShapes = Object.fromEntries(Object.entries(batch!).map(([k, v]) => [k, [...(v as { shape: number[] }).shape]]));
  // The course runs this forward pass in training mode (dropout on), as a freshly loaded model would be.
  model.train();
  const { lossTensor, logitsShape } = noGrad(() => {
    // #region forward
    const outputs = model.forward(batch!);
    // #endregion forward
    return { lossTensor: outputs.loss!, logitsShape: [...outputs.logits.shape] };
  });
  const loss = (await lossTensor.data())[0]!; // an await: webgpu reads the GPU only so
  lossTensor.dispose();
  disposeBatch(batch!);
  log(`loss: ${loss.toFixed(4)}  logits shape: [${logitsShape.join(", ")}]`);
  const numParameters = model.parameters().reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  model.dispose();
  return { preset: hp.preset, numParameters, loss, logitsShape, batchShapes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseChapterArgs(process.argv.slice(2), {
    usage: "tsx chapters/03-model.ts [--preset NAME] [--seed N] [--backend NAME]",
    about: "Builds the classifier for the preset, passes one batch through it, prints the loss and the logits' shape.",
    flags: ["preset", "seed", "backend", "threads"],
  });
  await run(args);
}
