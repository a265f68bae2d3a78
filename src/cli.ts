// The `kit` command (bin/kit.mjs runs it through tsx; `npm start` is chapters/tutorial.ts, the chapters' own
// code in the same run):
//   kit train [flags]            load, tokenize, train, evaluate and save, with the run's knobs as flags
//   kit evaluate runs/<id>       evaluate a saved run
//   kit bench | docs | accelerate ...   dispatched to the benchmark, the docs build and accelerate
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { helpText, parseFlags, UsageError, type CommandHelp } from "./training/flags";
import { TUTORIAL_PRESET } from "./training/presets";
import { runCommand, setBackend, TRAIN_FLAGS, trainCommand } from "./training/train-command";

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
  flags: TRAIN_FLAGS,
};

const EVALUATE_HELP: CommandHelp = {
  usage: "npx kit evaluate runs/<id> [--backend NAME]",
  about: "Loads the model and tokenizer saved in a run folder and evaluates them on GLUE MRPC's validation set.",
  flags: ["backend", "threads", "quiet"],
};

const MAIN_HELP = `Usage: npx kit <command> [options]

Commands:
  train        train and evaluate (the course's full training); see npx kit train --help
  evaluate     evaluate a saved run: npx kit evaluate runs/<id>
  bench        benchmarks (npm run bench)
  docs         build the documentation site (npm run docs)
  accelerate   accelerate config | launch (chapter 07)

Run \`npx kit <command> --help\` for a command's options. \`npm start\` runs the tutorial (chapters 01 to 06 in
order, on the pretrained preset ${TUTORIAL_PRESET}): chapters/tutorial.ts.
`;

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
    case "evaluate":
      return evaluateCommand(rest);
    case "bench":
      return dispatch(["bench/index.ts"], "benchCli", rest);
    case "docs":
      return dispatch(["docs/build.ts"], "docsCli", rest);
    case "accelerate":
      return dispatch(["src/accelerate/index.ts", "src/accelerate/config.ts"], "accelerateCli", rest);
    default:
      throw new UsageError(`Unknown command "${command}". Commands: train, evaluate, bench, docs, accelerate (see npx kit --help).`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCommand(() => main(process.argv.slice(2)));
}
