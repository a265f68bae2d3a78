// The run folder, checked before anything is loaded or trained: an output folder that cannot be made, or
// that holds a finished run, fails at once with one line naming it, rather than after minutes of training
// (or, for a finished run, by overwriting its model without a word).
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** What a finished run leaves: its model (saved last, after evaluation) and its record. */
const FINISHED_RUN_FILES = ["model.safetensors", "run-record.json"];
const STALE_TEMPORARY = /^\.checkpoint-\d+\.\d+\.tmp$/;

export class OutputDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputDirError";
  }
}

/** A filesystem error as a clause: "permission denied (EACCES)". */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "the filesystem is read-only",
    ENOSPC: "no space left on the device",
    EDQUOT: "disk quota exceeded",
    ENOTDIR: "a part of the path is a file, not a folder",
    ENOENT: "the filesystem does not allow creating it there",
    EEXIST: "something else already has that name",
  };
  return e?.code ? `${why[e.code] ?? e.message} (${e.code})` : String((err as Error)?.message ?? err);
}

/** A filesystem error (its message names no file for a failed write) as one naming `path`; other errors unchanged. */
export function namingPath(err: unknown, action: string, path: string): unknown {
  if (!(err as NodeJS.ErrnoException)?.syscall) return err;
  return new Error(`cannot ${action} ${path}: ${describeFsError(err)}; free space or choose another --output-dir.`);
}

/**
 * Check `dir` for a new run: refuse a file, a finished run (unless overwrite) and a place where the folder
 * cannot be created or written. The missing levels are created one at a time (a recursive mkdir under /proc
 * spins at 100% CPU on Node 20 instead of failing), then removed again: the run makes its folder once its data
 * and model have loaded, so a run that fails before leaves no empty folder behind.
 */
export function checkOutputDir(dir: string, options: { overwrite?: boolean } = {}): string {
  const flag = "--output-dir";
  const path = resolve(dir);
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) throw new OutputDirError(`${flag} ${path} is a file, not a folder; choose another ${flag}.`);
    const finished = FINISHED_RUN_FILES.filter((f) => existsSync(join(path, f)));
    if (finished.length > 0 && !options.overwrite) {
      throw new OutputDirError(
        `${flag} ${path} holds a finished run (${finished.join(", ")}); choose another ${flag}, or pass --overwrite to replace it.`,
      );
    }
    checkWritable(path, flag);
    return path;
  }
  const missing: string[] = [];
  let existing = path;
  while (!existsSync(existing)) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  if (!statSync(existing).isDirectory()) throw new OutputDirError(`${flag} ${path}: ${existing} is a file, not a folder; choose another ${flag}.`);
  checkWritable(existing, flag);
  const created: string[] = [];
  try {
    for (const level of missing) {
      try {
        mkdirSync(level);
      } catch (err) {
        throw new OutputDirError(`${flag} ${path}: cannot create ${level}: ${describeFsError(err)}; choose a folder you can write to.`);
      }
      created.unshift(level);
    }
  } finally {
    for (const level of created) rmdirSync(level);
  }
  return path;
}

function checkWritable(path: string, flag: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (err) {
    throw new OutputDirError(`${flag}: cannot write in ${path}: ${describeFsError(err)}; choose a folder you can write to.`);
  }
}

/** Remove the `.checkpoint-<step>.<pid>.tmp` folders a crash during a checkpoint write leaves; returns their names. */
export function removeStaleTemporaries(runDir: string): string[] {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) return [];
  const stale = readdirSync(runDir).filter((name) => STALE_TEMPORARY.test(name));
  for (const name of stale) rmSync(join(runDir, name), { recursive: true, force: true });
  return stale;
}
