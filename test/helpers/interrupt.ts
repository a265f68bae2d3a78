// Run a training command and send it SIGINT once its (non-TTY) progress bar reports a given step, as Ctrl-C
// in a terminal would: what the checkpoint-on-Ctrl-C tests share.
import { spawn } from "node:child_process";

export async function interruptAtStep(argv: string[], step: number, of: number): Promise<{ code: number | null; stderr: string; sent: boolean }> {
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
  const reported = new RegExp(` ${step}/${of} `);
  let stderr = "";
  let sent = false;
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    // The non-TTY progress bar prints a line per step; interrupt once the step is reported.
    if (!sent && reported.test(stderr)) {
      sent = true;
      child.kill("SIGINT");
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  return { code, stderr, sent };
}
