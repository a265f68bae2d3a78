// Run a measurement in a process of its own and read the JSON object it prints last on stdout.
import { spawn } from "node:child_process";

export interface ChildOutcome<T> {
  ok: boolean;
  result?: T;
  /** Why it failed: exit code or signal and the end of stderr (e.g. wasm's out-of-memory abort). */
  error?: string;
  wallSeconds: number;
}

export function runJsonChild<T>(command: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ChildOutcome<T>> {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    const timer = options.timeoutMs
      ? setTimeout(() => {
          stderr += `\n(timed out after ${options.timeoutMs! / 1000} s)`;
          child.kill("SIGKILL");
        }, options.timeoutMs)
      : null;
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const wallSeconds = (performance.now() - start) / 1000;
      const last = stdout.trim().split("\n").pop() ?? "";
      if (code === 0) {
        try {
          resolve({ ok: true, result: JSON.parse(last) as T, wallSeconds });
          return;
        } catch {
          // fall through: report what the child printed
        }
      }
      // The error line, not the stack under it (wasm's abort prints a megabyte-long source line first).
      const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "" && l.length < 400);
      const errorLine = lines.filter((l) => /error|abort|out of memory|timed out/i.test(l) && !l.startsWith("at ")).pop();
      const tail = errorLine ?? lines.slice(-3).join(" | ");
      resolve({ ok: false, error: `exit ${code ?? signal}: ${tail || last.slice(0, 300)}`, wallSeconds });
    });
  });
}
