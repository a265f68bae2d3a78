// Command-line flags for the chapters and `kit train`: one table of the run's knobs, parsed strictly
// (an unknown flag or a bad value is an error that names it and says what is valid), with --help.
import { parseArgs } from "node:util";
import { BACKEND_NAMES } from "../backend";
import { OPTIMIZER_NAMES } from "../optim";
import { COURSE_HYPERPARAMETERS, PRESET_NAMES, TUTORIAL_PRESET, type Hyperparameters, type PresetName } from "./presets";

export type FlagSpec = {
  kind: "string" | "int" | "number" | "boolean";
  help: string;
  choices?: readonly string[];
  /** Shown as the value's placeholder in --help. */
  meta?: string;
  min?: number;
  max?: number;
  /** Shown as "(default ...)" in --help; a command may show its own (CommandHelp.defaults). */
  default?: string;
};

/** Every flag the kit knows; a command picks the ones it accepts. */
export const FLAGS = {
  preset: { kind: "string", choices: PRESET_NAMES, help: `model preset (default: ${TUTORIAL_PRESET}, pretrained, for npm start; tiny, BERT-Tiny shape with a seeded init, for kit train and the chapters)`, meta: "NAME" },
  optim: { kind: "string", choices: OPTIMIZER_NAMES, help: "optimizer (default adamw_legacy, the French course's `from transformers import AdamW`)", meta: "NAME" },
  epochs: { kind: "int", min: 1, help: "number of epochs (default 3)", meta: "N" },
  lr: { kind: "number", help: "learning rate", default: COURSE_HYPERPARAMETERS.lr.toExponential(), meta: "LR" },
  seed: { kind: "int", min: 0, help: "seed of the init, dropout and shuffling (default 42)", meta: "N" },
  "max-steps": { kind: "int", min: 1, help: "stop after N steps; the linear schedule then spans N steps (transformers' max_steps)", meta: "N" },
  "output-dir": { kind: "string", help: "where the run is saved (default runs/<id>)", meta: "DIR" },
  "save-steps": { kind: "int", min: 1, help: "also checkpoint every N steps (a checkpoint is always written on Ctrl-C, SIGTERM or an error)", meta: "N" },
  "run-dir": { kind: "string", help: "the folder of a finished run (made by npm start or npx kit train)", meta: "DIR" },
  resume: { kind: "string", help: "continue the run saved in DIR from its latest checkpoint", meta: "DIR" },
  overwrite: { kind: "boolean", help: "allow --output-dir to name a finished run, whose model is then replaced" },
  backend: { kind: "string", choices: BACKEND_NAMES, help: "TF.js backend (default: the fastest installed; same as KIT_BACKEND)", meta: "NAME" },
  threads: { kind: "int", min: 1, max: 4, help: "threads of the wasm backend and of its native GEMM, 1 to 4 (default: one per core; same as KIT_WASM_THREADS)", meta: "N" },
  dropout: { kind: "number", min: 0, help: "paired run: every dropout rate (transformers' hidden_dropout_prob and attention_probs_dropout_prob); 0 turns dropout off", meta: "P" },
  "init-head": { kind: "string", help: "paired run: start from the classifier head (classifier.weight, classifier.bias) in this safetensors file", meta: "FILE" },
  "export-batch-order": { kind: "string", help: "paired run: write the training batch order (row indices per batch, per epoch) to this JSON file for bench/python/course.py --batch-order", meta: "FILE" },
  quiet: { kind: "boolean", help: "print less" },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;
export type FlagValues = Partial<Record<FlagName, string | number | boolean>>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export type CommandHelp = {
  usage: string;
  about: string;
  flags: readonly FlagName[];
  /** Defaults this command uses where they differ from FLAGS' (chapter 07's lr), shown by --help. */
  defaults?: Partial<Record<FlagName, string>>;
};

export function helpText(help: CommandHelp): string {
  const rows = help.flags.map((name) => {
    const spec: FlagSpec = FLAGS[name];
    const left = `  --${name}${spec.kind === "boolean" ? "" : ` ${spec.meta ?? "VALUE"}`}`;
    const choices = spec.choices ? ` [${spec.choices.join(" | ")}]` : "";
    const fallback = help.defaults?.[name] ?? spec.default;
    return `${left.padEnd(26)} ${spec.help}${fallback === undefined ? "" : ` (default ${fallback})`}${choices}`;
  });
  return `Usage: ${help.usage}\n\n${help.about}\n\nOptions:\n${rows.join("\n")}\n  ${"--help".padEnd(24)} show this help\n`;
}

/** Parse `--name value` / `--name=value` (node:util parseArgs); throws UsageError naming the flag and what is valid. */
export function parseFlags(argv: readonly string[], allowed: readonly FlagName[]): { values: FlagValues; positional: string[]; help: boolean } {
  const values: FlagValues = {};
  const positional: string[] = [];
  let help = false;
  // Not strict: parseArgs' own errors name no fix; each token is checked below instead.
  const options = Object.fromEntries(allowed.map((name) => [name, { type: FLAGS[name].kind === "boolean" ? "boolean" : "string" }] as const));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === "positional") positional.push(token.value);
    if (token.kind !== "option") continue;
    const { name } = token;
    if (name === "help" || name === "h") {
      help = true;
      continue;
    }
    if (!(allowed as readonly string[]).includes(name)) {
      throw new UsageError(`Unknown option ${token.rawName}. Valid options: ${allowed.map((f) => `--${f}`).join(", ")} (see --help).`);
    }
    const spec: FlagSpec = FLAGS[name as FlagName];
    if (spec.kind === "boolean") {
      if (token.inlineValue) throw new UsageError(`--${name} takes no value (found "${token.value}").`);
      values[name as FlagName] = true;
      continue;
    }
    const raw = token.value;
    if (raw === undefined || (!token.inlineValue && raw.startsWith("--"))) {
      throw new UsageError(`--${name} needs a value (${spec.meta ?? "VALUE"}): ${spec.help}.`);
    }
    values[name as FlagName] = parseValue(name, spec, raw);
  }
  return { values, positional, help };
}

function parseValue(name: string, spec: FlagSpec, raw: string): string | number {
  if (spec.kind === "string") {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`--${name} "${raw}" is not valid; choose one of: ${spec.choices.join(", ")}.`);
    }
    if (raw === "") throw new UsageError(`--${name} needs a non-empty value.`);
    return raw;
  }
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${name} expects a number, got "${raw}".`);
  if (spec.kind === "int" && !Number.isInteger(value)) throw new UsageError(`--${name} expects an integer, got "${raw}".`);
  if (spec.min !== undefined && spec.max !== undefined && (value < spec.min || value > spec.max)) {
    throw new UsageError(`--${name} ${raw} is out of range: expected ${spec.min} to ${spec.max}.`);
  }
  if (spec.min !== undefined && value < spec.min) throw new UsageError(`--${name} must be at least ${spec.min}, got ${raw}.`);
  if (name === "lr" && !(value > 0)) throw new UsageError(`--lr must be a positive number, got ${raw}.`);
  return value;
}

/** The hyperparameter overrides the flags carry (undefined where not given). */
export function hyperparameterFlags(values: FlagValues): Partial<Hyperparameters> {
  return {
    preset: values.preset as PresetName | undefined,
    optim: values.optim as Hyperparameters["optim"] | undefined,
    numEpochs: values.epochs as number | undefined,
    lr: values.lr as number | undefined,
    seed: values.seed as number | undefined,
    maxSteps: values["max-steps"] as number | undefined,
  };
}
