// Spawning real rank processes for the accelerate tests.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const FIXTURES = resolve(import.meta.dirname, "fixtures");
export const ROOT = resolve(import.meta.dirname, "../..");

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `kit-accel-${label}-`));
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function waitExit(child: ChildProcess, started = Date.now()): Promise<Exit> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => child.on("close", (code, signal) => res({ code, signal, stdout, stderr, ms: Date.now() - started })));
}

/** Start `worldSize` ranks of a fixture script directly with the torch.distributed environment. */
export async function runRanks(
  script: string,
  args: string[],
  worldSize: number,
  extraEnv: Record<string, string> = {},
): Promise<{ exits: Exit[]; outDir: string; pids: number[] }> {
  const port = await freePort();
  const outDir = tempDir("ranks");
  const children = Array.from({ length: worldSize }, (_, rank) =>
    spawn(process.execPath, ["--import", "tsx", join(FIXTURES, script), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: String(port),
        OUT_DIR: outDir,
        ...extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const exits = await Promise.all(children.map((c) => waitExit(c)));
  return { exits, outDir, pids: children.map((c) => c.pid!) };
}

export function readRank<T = Record<string, unknown>>(outDir: string, rank: number): T | null {
  const file = join(outDir, `rank-${rank}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : null;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function f32(b64: string): Float32Array {
  const buf = Buffer.from(b64, "base64");
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}
