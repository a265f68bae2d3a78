// What a chapter does when run as a script: parse its flags (or print --help), choose the backend, and turn
// errors into one clear line and exit code 1 rather than a stack trace.
import { BackendEnvironmentError, checkBackendEnvironment } from "../backend/environment";
import { hyperparameterFlags, helpText, parseFlags, UsageError, type CommandHelp, type FlagValues } from "./flags";
import type { Hyperparameters } from "./presets";
import { TrainingInterruptedError } from "./training-run";

export type ChapterArgs = Partial<Hyperparameters> & { quiet?: boolean; backend?: string; flags: FlagValues };

export function parseChapterArgs(argv: readonly string[], help: CommandHelp): ChapterArgs {
  try {
    const { values, positional, help: wantsHelp } = parseFlags(argv, help.flags);
    if (wantsHelp) {
      process.stdout.write(helpText(help));
      process.exit(0);
    }
    if (positional.length > 0) throw new UsageError(`Unexpected argument "${positional[0]}". ${help.usage}`);
    if (typeof values.backend === "string") process.env.KIT_BACKEND = values.backend;
    if (typeof values.threads === "number") process.env.KIT_WASM_THREADS = String(values.threads);
    checkBackendEnvironment();
    // An error escaping the chapter's main: one line, not a stack (KIT_DEBUG=1 shows it).
    process.on("uncaughtException", (error) => {
      const interrupted = error instanceof TrainingInterruptedError;
      process.stderr.write(interrupted ? `\n${error.message}\n` : `\nerror: ${error.message}\n`);
      if (process.env.KIT_DEBUG) process.stderr.write(`${error.stack}\n`);
      process.exit(interrupted ? 130 : 1);
    });
    return { ...stripUndefined(hyperparameterFlags(values)), quiet: values.quiet === true, flags: values };
  } catch (err) {
    if (err instanceof UsageError || err instanceof BackendEnvironmentError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
