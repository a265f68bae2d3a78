#!/usr/bin/env node
// `npx kit ...`: runs the TypeScript CLI through tsx, so no build step stands between the source and the user.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
const child = spawn(process.execPath, [tsxCli, join(root, "src", "cli.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
});
// A training run checkpoints on SIGINT / SIGTERM: pass them on and wait for it, rather than dying first
// (Ctrl-C in a terminal reaches the child anyway through the process group; a `kill <pid>` of this wrapper does not).
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }[signal] ?? 1) : 1));
});
