// The training command as a program runs it: `kit train` (with the library's steps) and `npm start`
// (chapters/tutorial.ts, with the chapters' steps) parse the same flags, check what can be checked before
// anything loads, run train(), and turn an error into one line and an exit code.
import { BackendEnvironmentError, checkBackendEnvironment } from "../backend/environment";
import { helpText, hyperparameterFlags, parseFlags, UsageError, type CommandHelp, type FlagName, type FlagValues } from "./flags";
import { checkOutputDir, OutputDirError, removeStaleTemporaries } from "./output-dir";
import type { PresetName } from "./presets";
import { NonFiniteLossError, TrainingInterruptedError } from "./training-run";
import type { CourseSteps } from "./train";

export const TRAIN_FLAGS: readonly FlagName[] = [
  "preset", "optim", "epochs", "lr", "seed", "max-steps", "output-dir", "overwrite", "save-steps", "resume",
  "backend", "threads", "dropout", "init-head", "export-batch-order", "quiet",
];

const RESUME_EXCLUSIVE = ["preset", "optim", "epochs", "lr", "seed", "max-steps", "output-dir", "overwrite", "init-head", "export-batch-order"] as const;

export async function trainCommand(argv: string[], help: CommandHelp, defaults: { preset?: PresetName } = {}, steps?: CourseSteps): Promise<number> {
  const { values, positional, help: wantsHelp } = parseFlags(argv, help.flags);
  if (wantsHelp) {
    process.stdout.write(helpText(help));
    return 0;
  }
  if (positional.length > 0) throw new UsageError(`Unexpected argument "${positional[0]}"; \`${help.usage.split(" [")[0]}\` takes only options (see --help).`);
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
    const { latestCheckpoint, readTrainerState } = await import("./checkpoint");
    removeStaleTemporaries(values.resume as string);
    await readTrainerState(await latestCheckpoint(values.resume as string));
  } else if (outputDir !== undefined) {
    removeStaleTemporaries(checkOutputDir(outputDir, { overwrite }));
  }
  const { train } = await import("./train");
  const flags = hyperparameterFlags(values);
  // A resumed run keeps the preset saved in its checkpoint.
  if (values.resume === undefined) flags.preset ??= defaults.preset;
  await train(
    {
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
    },
    steps,
  );
  return 0;
}

export function setBackend(values: FlagValues): void {
  if (typeof values.backend === "string") process.env.KIT_BACKEND = values.backend;
  if (typeof values.threads === "number") process.env.KIT_WASM_THREADS = String(values.threads);
  checkBackendEnvironment();
}

/** Run a command's main and exit with its code; an error becomes one line (KIT_DEBUG=1 adds the stack). */
export async function runCommand(main: () => Promise<number>): Promise<never> {
  try {
    process.exitCode = await main();
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
