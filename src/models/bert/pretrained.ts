// from_pretrained for BertForSequenceClassification, with transformers' loading rules:
// gamma/beta renamed to weight/bias, pre-training heads (cls.*) dropped and reported, a bare BertModel
// checkpoint gets the "bert." prefix, missing tensors (a new classifier) initialised as _init_weights does
// and listed in a warning, and a classifier of another size refused unless ignoreMismatchedSizes.
import { dirname } from "node:path";
import { resolvePretrainedFile } from "../../hub";
import { ShapeMismatchError } from "../../nn/module";
import { Generator } from "../../utils/random";
import type { HostTensor } from "../../utils/safetensors";
import { loadCheckpointTensors } from "../checkpoint";
import { readBertConfigFile, type BertConfig, type BertConfigFields } from "./config";
import { BertForSequenceClassification, type LoadingInfo } from "./sequence-classification";

export type FromPretrainedOptions = Partial<BertConfigFields> & {
  numLabels?: number;
  /** Seeds the initialisation of missing tensors and the dropout masks (default 42). */
  seed?: number;
  /** Re-initialise tensors whose shape differs from the checkpoint's (transformers' ignore_mismatched_sizes). */
  ignoreMismatchedSizes?: boolean;
  /** Where the loading report goes (default console.warn); pass () => {} to silence it. */
  logger?: (message: string) => void;
};

// Buffers transformers never loads as parameters (it ignores them on load too).
const IGNORED_UNEXPECTED = [/(^|\.)position_ids$/];

/** A list of strings as Python prints it: ['a', 'b']. */
function pythonList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Local path of the weights, safetensors first (as transformers prefers), else pytorch_model.bin. */
async function resolveWeightsDir(repoOrDir: string): Promise<string> {
  for (const file of ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"]) {
    const path = await resolvePretrainedFile(repoOrDir, file, { optional: true });
    if (path) return dirname(path);
  }
  throw new Error(
    `"${repoOrDir}" has neither model.safetensors nor pytorch_model.bin (looked in the directory, the Hub mirror ` +
      `and the cache). Download the checkpoint (e.g. huggingface-cli download ${repoOrDir}) or use fromConfig() to start from random weights.`,
  );
}

/** The checkpoint's config.json, read and checked (errors name the file and the field). */
export async function loadConfig(repoOrDir: string): Promise<BertConfig> {
  return readBertConfigFile((await resolvePretrainedFile(repoOrDir, "config.json"))!);
}

export async function fromPretrained(repoOrDir: string, options: FromPretrainedOptions = {}): Promise<BertForSequenceClassification> {
  const { seed = 42, ignoreMismatchedSizes = false, logger = (m: string) => console.warn(m), ...overrides } = options;
  const config = (await loadConfig(repoOrDir)).update(overrides);
  const { tensors: raw, source } = await loadCheckpointTensors(await resolveWeightsDir(repoOrDir));
  const model = new BertForSequenceClassification(config, { seed });
  const own = new Map(model.namedParameters().map(([n, p]) => [n, p.shape]));

  // A bare BertModel checkpoint ("embeddings.…") loads into the "bert." base model.
  const needsPrefix = ![...raw.keys()].some((k) => k.startsWith("bert.")) && [...raw.keys()].some((k) => own.has(`bert.${k}`));
  const state = new Map<string, HostTensor>();
  for (const [key, value] of raw) state.set(needsPrefix ? `bert.${key}` : key, value);

  // Sorted, as transformers reports them (modeling_utils._find_missing_and_unexpected_keys).
  const unexpectedKeys = [...state.keys()].filter((k) => !own.has(k) && !IGNORED_UNEXPECTED.some((re) => re.test(k))).sort();
  const missingKeys = [...own.keys()].filter((k) => !state.has(k)).sort();
  const mismatchedKeys: LoadingInfo["mismatchedKeys"] = [];
  for (const [name, shape] of own) {
    const t = state.get(name);
    if (!t || sameShape(t.shape, shape)) continue;
    if (!ignoreMismatchedSizes) {
      model.dispose();
      const hint = name.startsWith("classifier.")
        ? `The checkpoint's classification head has ${t.shape[0]} labels and numLabels is ${config.numLabels}. To replace the ` +
          `head with a freshly initialised one, pass { ignoreMismatchedSizes: true } (transformers: ignore_mismatched_sizes=True).`
        : `config.json (${repoOrDir}) and the weights (${source}) disagree.`;
      throw new ShapeMismatchError(name, t.shape, shape, hint);
    }
    mismatchedKeys.push({ name, checkpoint: t.shape, model: shape });
    state.delete(name);
  }

  model.loadStateDict(new Map([...state].filter(([k]) => own.has(k))), { strict: false });
  const fresh = new Set([...missingKeys, ...mismatchedKeys.map((m) => m.name)]);
  if (fresh.size > 0) model.initWeights(new Generator(seed).fork("init"), fresh);

  // transformers 4.49's text, word for word (test/fixtures/all-minilm-l6-v2/loading-info.json). It logs
  // unexpected keys at INFO level when the checkpoint's architecture differs; here they always reach the
  // logger: a dropped tensor is never silent.
  const cls = "BertForSequenceClassification";
  if (unexpectedKeys.length > 0) {
    logger(
      `Some weights of the model checkpoint at ${repoOrDir} were not used when initializing ${cls}: ${pythonList(unexpectedKeys)}\n` +
        `- This IS expected if you are initializing ${cls} from the checkpoint of a model trained on another task or with another ` +
        `architecture (e.g. initializing a BertForSequenceClassification model from a BertForPreTraining model).\n` +
        `- This IS NOT expected if you are initializing ${cls} from the checkpoint of a model that you expect to be exactly identical ` +
        `(initializing a BertForSequenceClassification model from a BertForSequenceClassification model).`,
    );
  }
  if (missingKeys.length > 0) {
    logger(
      `Some weights of ${cls} were not initialized from the model checkpoint at ${repoOrDir} and are newly initialized: ` +
        `${pythonList(missingKeys)}\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.`,
    );
  }
  if (mismatchedKeys.length > 0) {
    logger(
      `Some weights of BertForSequenceClassification were not initialized from the model checkpoint at ${repoOrDir} and are newly ` +
        `initialized because the shapes did not match:\n` +
        mismatchedKeys.map((m) => `- ${m.name}: found shape [${m.checkpoint.join(", ")}] in the checkpoint and [${m.model.join(", ")}] in the model instantiated`).join("\n"),
    );
  }
  model.loadingInfo = { source, missingKeys, unexpectedKeys, mismatchedKeys };
  // transformers returns pretrained models in eval mode; the training loop calls model.train().
  return model.eval();
}

/** from_config: every tensor initialised as _init_weights does, from Generator(seed). */
export function fromConfig(config: BertConfig, options: { seed?: number } = {}): BertForSequenceClassification {
  const seed = options.seed ?? 42;
  const model = new BertForSequenceClassification(config, { seed });
  model.initWeights(new Generator(seed).fork("init"));
  return model;
}
