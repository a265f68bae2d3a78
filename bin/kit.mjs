#!/usr/bin/env node
// `npx kit ...`: runs the TypeScript CLI with tsx's loader, so no build step stands between the source and
// the user. The loader is registered in this very process (node --import), not through the `tsx` command:
// that one runs the program in a child and SIGKILLs it when it does not acknowledge Ctrl-C within 30 ms,
// which a training step (hundreds of ms of synchronous math) never does, so the checkpoint written on
// SIGINT would be lost.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const child = spawn(process.execPath, ["--import", tsxLoader, join(root, "src", "cli.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
});
// A training run checkpoints on SIGINT / SIGTERM: pass them on and wait for it rather than dying first
// (Ctrl-C in a terminal reaches the child anyway through the process group; `kill <pid>` of this wrapper does not).
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }[signal] ?? 1) : 1));
});
