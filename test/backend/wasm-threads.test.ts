// The wasm backend's threaded build (src/backend/wasm-threads.ts): it must really start with the threads
// asked for, give bitwise the results of the single-threaded build, and let the process exit by itself.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { wasmThreadsWanted } from "../../src/backend";
import { PACKAGE_ROOT } from "../helpers/shared";

describe("KIT_WASM_THREADS", () => {
  it("defaults to one thread per available core, at most 4", () => {
    const n = wasmThreadsWanted({});
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(4);
  });
  it("takes 1 to 4", () => {
    for (const n of [1, 2, 3, 4]) expect(wasmThreadsWanted({ KIT_WASM_THREADS: ` ${n} ` })).toBe(n);
  });
  it("refuses anything else, saying what it expects", () => {
    for (const bad of ["0", "5", "1.5", "two", "-1"]) {
      expect(() => wasmThreadsWanted({ KIT_WASM_THREADS: bad })).toThrow(`KIT_WASM_THREADS=${bad}: expected a whole number of threads from 1 to 4`);
    }
  });
});

function runDigest(threads: number): { threads: number; digest: string } {
  const child = spawnSync(process.execPath, ["--import", "tsx", join("test", "backend", "fixtures", "step-digest.ts")], {
    cwd: PACKAGE_ROOT,
    // The wasm backend's own GEMM: the native one is bitwise only for one thread count (test/backend/native-gemm*).
    env: { ...process.env, KIT_WASM_THREADS: String(threads), KIT_GEMM: "wasm" },
    encoding: "utf8",
    // A child that cannot exit (pthread workers keeping Node alive) is killed, and the test fails.
    timeout: 90_000,
  });
  expect(child.signal, `child with ${threads} threads was killed (hung?): ${child.stderr}`).toBeNull();
  expect(child.status, child.stderr).toBe(0);
  const last = child.stdout.trim().split("\n").pop()!;
  return JSON.parse(last) as { threads: number; digest: string };
}

describe("the threaded wasm build", () => {
  it("runs with 2 threads, exits on its own, and trains BERT-Mini bitwise like 1 thread", () => {
    const one = runDigest(1);
    const two = runDigest(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.digest).toBe(one.digest);
  }, 180_000);
});
