// The `kit` command (bin/kit.mjs runs it through tsx; `npm start` is `kit tutorial`):
//   kit tutorial                 chapters 01-06 on the pretrained preset (what `npm start` runs)
//   kit train [flags]            the same, with the run's knobs as flags
//   kit evaluate runs/<id>       evaluate a saved run
//   kit bench | docs | accelerate ...   dispatched to the benchmark, the docs build and accelerate
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { helpText, hyperparameterFlags, parseFlags, UsageError, type CommandHelp, type FlagValues } from "./training/flags";
import { NonFiniteLossError, TrainingInterruptedError } from "./training/training-run";
import { BackendEnvironmentError, checkBackendEnvironment } from "./backend/environment";
import { checkOutputDir, OutputDirError, removeStaleTemporaries } from "./training/output-dir";
import { TUTORIAL_PRESET, type PresetName } from "./training/presets";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

const TRAIN_HELP: CommandHelp = {
  usage: "npx kit train [options]",
  about:
    "Runs the course's \"A full training\" end to end: loads GLUE MRPC, tokenizes it, trains (3 epochs x 459 batches = 1377 steps\n" +
    "by default) with a progress bar, evaluates on the validation set, and saves the model, its tokenizer and run-record.json\n" +
    "under runs/<id>/. Ctrl-C (or SIGTERM, or an error) writes a checkpoint of the last completed step; continue with --resume.\n" +
    "Presets: tiny (default; BERT-Tiny shape, initialised from the seed, not pretrained), tiny-pretrained\n" +
    "(google/bert_uncased_L-2_H-128_A-2 from the Hub), all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2, pretrained;\n" +
    "offline: npm run fetch-model first), course (bert-base-uncased, as the course).",
  flags: ["preset", "optim", "epochs", "lr", "seed", "max-steps", "output-dir", "overwrite", "save-steps", "resume", "backend", "threads", "dropout", "init-head", "export-batch-order", "quiet"],
};

const TUTORIAL_HELP: CommandHelp = {
  usage: "npm start   (npx kit tutorial [options])",
  about:
    `Chapters 01 to 06 in one process on the pretrained preset ${TUTORIAL_PRESET}; the same as \`npx kit train --preset ${TUTORIAL_PRESET}\`.\n` +
    "Its files come from the Hub mirror, the Hugging Face cache or the Hub; offline, `npm run fetch-model` first.",
  flags: TRAIN_HELP.flags,
};

const EVALUATE_HELP: CommandHelp = {
  usage: "npx kit evaluate runs/<id> [--backend NAME]",
  about: "Loads the model and tokenizer saved in a run folder and evaluates them on GLUE MRPC's validation set.",
  flags: ["backend", "threads", "quiet"],
};

const MAIN_HELP = `Usage: npx kit <command> [options]

Commands:
  train        train and evaluate (the course's full training); see npx kit train --help
  tutorial     what \`npm start\` runs: train with the pretrained preset ${TUTORIAL_PRESET}
  evaluate     evaluate a saved run: npx kit evaluate runs/<id>
  bench        benchmarks (npm run bench)
  docs         build the documentation site (npm run docs)
  accelerate   accelerate config | launch (chapter 07)

Run \`npx kit <command> --help\` for a command's options.
`;

const RESUME_EXCLUSIVE = ["preset", "optim", "epochs", "lr", "seed", "max-steps", "output-dir", "overwrite", "init-head", "export-batch-order"] as const;

async function trainCommand(argv: string[], help: CommandHelp, defaults: { preset?: PresetName } = {}): Promise<number> {
  const { values, positional, help: wantsHelp } = parseFlags(argv, help.flags);
  if (wantsHelp) {
    process.stdout.write(helpText(help));
    return 0;
  }
  if (positional.length > 0) throw new UsageError(`Unexpected argument "${positional[0]}"; \`kit train\` takes only options (see --help).`);
  if (values.resume !== undefined) {
    const clash = RESUME_EXCLUSIVE.filter((f) => values[f] !== undefined);
    if (clash.length > 0) {
      throw new UsageError(
        `--resume continues a run with its own settings (saved in its checkpoint); remove ${clash.map((f) => `--${f}`).join(", ")}.`,
      );
    }
  }
  setBackend(values);
  // Everything that can be checked before the data and the model load fails here, in a second.
  const outputDir = values["output-dir"] as string | undefined;
  const overwrite = values.overwrite === true;
  if (values.resume !== undefined) {
    const { latestCheckpoint, readTrainerState } = await import("./training/checkpoint");
    removeStaleTemporaries(values.resume as string);
    await readTrainerState(await latestCheckpoint(values.resume as string));
  } else if (outputDir !== undefined) {
    removeStaleTemporaries(checkOutputDir(outputDir, { overwrite }));
  }
  const { train } = await import("./training/train");
  const flags = hyperparameterFlags(values);
  // A resumed run keeps the preset saved in its checkpoint.
  if (values.resume === undefined) flags.preset ??= defaults.preset;
  await train({
    ...flags,
    outputDir,
    overwrite,
    saveSteps: values["save-steps"] as number | undefined,
    resume: values.resume as string | undefined,
    dropout: values.dropout as number | undefined,
    initHead: values["init-head"] as string | undefined,
    exportBatchOrder: values["export-batch-order"] as string | undefined,
    quiet: values.quiet === true,
    handleSignals: true,
  });
  return 0;
}

async function evaluateCommand(argv: string[]): Promise<number> {
  const { values, positional, help } = parseFlags(argv, EVALUATE_HELP.flags);
  if (help) {
    process.stdout.write(helpText(EVALUATE_HELP));
    return 0;
  }
  if (positional.length !== 1) throw new UsageError(`kit evaluate needs one run folder (e.g. runs/<id>), got ${positional.length}. ${EVALUATE_HELP.usage}`);
  setBackend(values);
  const { evaluateRun } = await import("./training/train");
  await evaluateRun(positional[0]!, { quiet: values.quiet === true });
  return 0;
}

function setBackend(values: FlagValues): void {
  if (typeof values.backend === "string") process.env.KIT_BACKEND = values.backend;
  if (typeof values.threads === "number") process.env.KIT_WASM_THREADS = String(values.threads);
  checkBackendEnvironment();
}

/** Another engineer's command: import its module only when present, and call the named export. */
async function dispatch(candidates: string[], exportName: string, argv: string[]): Promise<number> {
  for (const rel of candidates) {
    const path = join(ROOT, rel);
    if (!existsSync(path)) continue;
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const fn = mod[exportName];
    if (typeof fn === "function") return (fn as (argv: string[]) => Promise<number>)(argv);
  }
  throw new Error(`This command is not available in this checkout: none of ${candidates.join(", ")} exports ${exportName}().`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(MAIN_HELP);
      return command === undefined ? 2 : 0;
    case "train":
      return trainCommand(rest, TRAIN_HELP);
    case "tutorial":
      return trainCommand(rest, TUTORIAL_HELP, { preset: TUTORIAL_PRESET });
    case "evaluate":
      return evaluateCommand(rest);
    case "bench":
      return dispatch(["bench/index.ts"], "benchCli", rest);
    case "docs":
      return dispatch(["docs/build.ts"], "docsCli", rest);
    case "accelerate":
      return dispatch(["src/accelerate/index.ts", "src/accelerate/config.ts"], "accelerateCli", rest);
    default:
      throw new UsageError(`Unknown command "${command}". Commands: train, tutorial, evaluate, bench, docs, accelerate (see npx kit --help).`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError || err instanceof BackendEnvironmentError || err instanceof OutputDirError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof TrainingInterruptedError) {
      process.stderr.write(`\n${err.message}\n`);
      process.exitCode = 130;
    } else if (err instanceof NonFiniteLossError) {
      process.stderr.write(`\nerror: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`\nerror: ${err instanceof Error ? err.message : String(err)}\n`);
      if (process.env.KIT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 1;
    }
  }
  // The wasm backend keeps handles open; leave once the command is done.
  process.exit(process.exitCode ?? 0);
}
