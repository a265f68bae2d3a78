// The launcher with real processes: output forwarding, failure of one rank stops all and names it, no
// orphan processes (also when the launcher itself is signalled or killed), and launch() from code.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gcFlagsFor } from "../../src/accelerate/launch";
import { FIXTURES, ROOT, isAlive, readRank, tempDir, waitExit } from "./helpers";

function startLauncher(options: object, outDir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", join(FIXTURES, "launcher-main.ts")], {
    cwd: ROOT,
    env: { ...process.env, OUT_DIR: outDir, LAUNCH_OPTIONS: JSON.stringify(options), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { child, exit: waitExit(child) };
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

function pids(outDir: string): { launcher: number; pids: number[] } {
  return JSON.parse(readFileSync(join(outDir, "pids.json"), "utf8")) as { launcher: number; pids: number[] };
}

const worker = join(FIXTURES, "collectives-worker.ts");

describe.each([2, 3])("launcher with %i processes", (n) => {
  it("a rank killed mid-training: the launcher exits non-zero naming it, no process left", async () => {
    const outDir = tempDir("launch-die");
    const victim = 1;
    const { exit } = startLauncher({ script: worker, args: ["die"], numProcesses: n, killGraceMs: 2000 }, outDir, {
      OUT_DIR: outDir,
      VICTIM_RANK: String(victim),
    });
    const e = await exit;
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(new RegExp(`launch failed: rank ${victim} was killed by signal SIGKILL`));
    // The survivors are stopped by the launcher, possibly before they notice the loss themselves; if one
    // did notice, its own error names the victim as well.
    for (let r = 0; r < n; r++) {
      const rec = r === victim ? null : readRank<{ error: string }>(outDir, r);
      if (rec) expect(rec.error).toMatch(new RegExp(`rank ${victim} disconnected`));
    }
    expect(e.ms).toBeLessThan(30_000);
    for (const pid of pids(outDir).pids) expect(isAlive(pid), `pid ${pid} still alive`).toBe(false);
  });
});

describe("launcher", () => {
  it("names the rank killed by a signal, not the one that exited on noticing it, when both are reaped together", async () => {
    const outDir = tempDir("launch-order");
    // The launcher is busy for 3 s after spawning: rank 1's SIGKILL and rank 0's exit(3) 300 ms later are both
    // waiting when it next looks, in libuv's order rather than the order they died in.
    const { exit } = startLauncher({ script: worker, args: ["crashThenReact"], numProcesses: 2 }, outDir, { OUT_DIR: outDir, LAUNCHER_BUSY_MS: "3000" });
    const e = await exit;
    expect(e.stderr).toMatch(/launch failed: rank 1 was killed by signal SIGKILL \(then rank 0 exited with code 3\)/);
    expect(e.code).toBe(1);
  });

  it("prefixes the output of ranks > 0 and exits 0 when all succeed", async () => {
    const outDir = tempDir("launch-ok");
    const { exit } = startLauncher({ script: worker, args: ["basic"], numProcesses: 2 }, outDir, { OUT_DIR: outDir });
    const e = await exit;
    expect(e.code, e.stderr).toBe(0);
    expect(readRank(outDir, 0)).not.toBeNull();
    expect(readRank(outDir, 1)).not.toBeNull();
  });

  it("gives each process its share of the cores as wasm threads, unless KIT_WASM_THREADS is set", async () => {
    const share = String(Math.max(1, Math.floor(availableParallelism() / 2)));
    const env = { ...process.env };
    delete env.KIT_WASM_THREADS;
    for (const [given, expected] of [[undefined, share], ["3", "3"]] as const) {
      const outDir = tempDir("launch-threads");
      const extra: Record<string, string> = { OUT_DIR: outDir, ...(given ? { KIT_WASM_THREADS: given } : {}) };
      const child = spawn(process.execPath, ["--import", "tsx", join(FIXTURES, "launcher-main.ts")], {
        cwd: ROOT,
        env: { ...env, LAUNCH_OPTIONS: JSON.stringify({ script: worker, args: ["basic"], numProcesses: 2 }), ...extra },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const e = await waitExit(child);
      expect(e.code, e.stderr).toBe(0);
      for (const r of [0, 1]) expect(readRank<{ wasmThreads?: string }>(outDir, r)?.wasmThreads).toBe(expected);
    }
  });

  it("gives every rank a 64 MB young generation, and runs V8's marking on its main thread when the ranks take every core", async () => {
    const young = ["--max-semi-space-size=64", "--min-semi-space-size=64"];
    const marking = ["--no-concurrent-marking", "--no-incremental-marking"];
    expect(gcFlagsFor(2, 2)).toEqual([...young, ...marking]);
    expect(gcFlagsFor(3, 2)).toEqual([...young, ...marking]);
    expect(gcFlagsFor(2, 4)).toEqual(young);
    expect(gcFlagsFor(1, 1)).toEqual(young);
    const outDir = tempDir("launch-v8-flags");
    const { exit } = startLauncher({ script: worker, args: ["basic"], numProcesses: 2 }, outDir);
    expect((await exit).code).toBe(0);
    const expected = availableParallelism() <= 2 ? [...young, ...marking] : young;
    for (const r of [0, 1]) expect(readRank<{ execArgv: string[] }>(outDir, r)!.execArgv.filter((a) => /^--(no-|m..-semi)/.test(a))).toEqual(expected);
  });

  it("SIGTERM to the launcher stops every rank (no orphan) and exits 143", async () => {
    const outDir = tempDir("launch-term");
    const { child, exit } = startLauncher({ script: worker, args: ["sleep"], numProcesses: 2, killGraceMs: 2000 }, outDir);
    expect(await waitFor(() => readRank(outDir, 0) !== null && readRank(outDir, 1) !== null, 30_000)).toBe(true);
    child.kill("SIGTERM");
    const e = await exit;
    expect(e.code).toBe(143);
    expect(e.stdout).toMatch(/^hello from rank 0$/m);
    expect(e.stdout).toMatch(/^\[rank 1\] hello from rank 1$/m);
    expect(e.stderr).toMatch(/^\[rank 1\] warning from rank 1$/m);
    for (const pid of pids(outDir).pids) expect(isAlive(pid), `pid ${pid} still alive`).toBe(false);
  });

  it("SIGKILL of the launcher: the ranks notice their launcher is gone and exit", async () => {
    const outDir = tempDir("launch-kill");
    const { child, exit } = startLauncher({ script: worker, args: ["sleep"], numProcesses: 2 }, outDir);
    expect(await waitFor(() => readRank(outDir, 0) !== null && readRank(outDir, 1) !== null, 30_000)).toBe(true);
    child.kill("SIGKILL");
    await exit;
    const ranks = pids(outDir).pids;
    expect(await waitFor(() => ranks.every((p) => !isAlive(p)), 5_000), `alive: ${ranks.filter(isAlive)}`).toBe(true);
  });

  it("launch(trainingFunction) runs the function in N processes and the rest of the script once", async () => {
    const outDir = tempDir("notebook");
    const child = spawn(process.execPath, ["--import", "tsx", join(FIXTURES, "notebook-launch.ts"), "--flag", "x"], {
      cwd: ROOT,
      env: { ...process.env, OUT_DIR: outDir, NUM_PROCS: "3" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const e = await waitExit(child);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout.match(/after launch: parent only/g)?.length).toBe(1);
    for (let r = 0; r < 3; r++) {
      const rec = readRank<{ x: number[]; worldSize: number; argv: string[] }>(outDir, r)!;
      expect(rec).toEqual({ x: [6, 30], worldSize: 3, argv: ["--flag", "x"] });
    }
  });

  it("launch(trainingFunction) rejects naming the rank whose function threw", async () => {
    const outDir = tempDir("notebook-fail");
    const child = spawn(process.execPath, ["--import", "tsx", join(FIXTURES, "notebook-launch.ts")], {
      cwd: ROOT,
      env: { ...process.env, OUT_DIR: outDir, NUM_PROCS: "2", FAIL_RANK: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const e = await waitExit(child);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(/training failed on purpose/);
    expect(e.stderr).toMatch(/rank 1 exited with code 1/);
    expect(e.stdout).not.toMatch(/after launch/);
    expect(existsSync(join(outDir, "rank-0.json"))).toBe(true);
  });
});
