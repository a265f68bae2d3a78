// The wasm backend's multi-threaded build, under Node.
//
// tfjs-backend-wasm 4.22 ships a threaded SIMD binary (XNNPACK on a pthreadpool) but never uses it in Node:
// its WASM_HAS_MULTITHREAD_SUPPORT flag answers false there (tfjs issue #3830). The emscripten glue itself
// supports Node's worker_threads; three browser-only details stand in the way, and this module works around
// each, once, before the package initialises:
//   1. the pthread worker script is handed to `new Worker` as a blob: URL, which Node's Worker refuses:
//      we write it to a file and return that path instead;
//   2. each worker then loads the main script from a Blob (URL.createObjectURL inside the worker): the file
//      we write loads it from a file path instead;
//   3. the C++ side sizes its thread pool at start-up as (logical cores / 2) clamped to [1, 4], ignoring
//      setThreadsCount, so a 2-core machine gets 1 thread: os.cpus() reports 2 × the wanted count while the
//      module starts.
// With 2 threads a large 2-D matMul runs ~1.8x faster (29 -> 52 GFLOP/s here). Results are bitwise those of
// one thread for the kernels the parity tests cover (XNNPACK splits a GEMM by output tiles, so each sum keeps
// its order); test/backend/wasm-threads.test.ts checks it.
import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pthreadWorkers, threadedBuildScripts } from "./wasm/internals";

/** The threads count the wasm backend will use: KIT_WASM_THREADS, else one per available core (max 4). */
export function wasmThreadsWanted(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KIT_WASM_THREADS?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 4) {
      throw new Error(
        `KIT_WASM_THREADS=${raw}: expected a whole number of threads from 1 to 4 (the wasm backend's limit); ` +
          "set it in that range, or unset it for one thread per core.",
      );
    }
    return n;
  }
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

// The worker's way of loading the main script from a Blob, which a file path replaces.
const LOAD_FROM_BLOB =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';

/** Write (once per content) the two scripts the pthread workers load; returns the worker script's path. */
function writeWorkerScripts(): string {
  const { factorySource, workerContents: wasmWorkerContents } = threadedBuildScripts();
  if (!wasmWorkerContents.includes(LOAD_FROM_BLOB)) {
    throw new Error("this @tensorflow/tfjs-backend-wasm's worker script is not the one src/backend/wasm-threads.ts knows (4.22)");
  }
  const main = `var WasmBackendModuleThreadedSimd = ${factorySource}`;
  const digest = createHash("sha256").update(main).update(wasmWorkerContents).digest("hex").slice(0, 16);
  const dir = path.join(os.tmpdir(), `full-training-kit-wasm-threads-${digest}`);
  const mainPath = path.join(dir, "main.js");
  const workerPath = path.join(dir, "worker.js");
  if (!fs.existsSync(workerPath)) {
    fs.mkdirSync(dir, { recursive: true });
    // The package escapes newlines the same way before making its Blob: the contents hold "\n" in strings.
    const worker = wasmWorkerContents.replace(/\n/g, "\\n").replace(LOAD_FROM_BLOB, `importScripts(${JSON.stringify(mainPath)});`);
    // Written under temporary names and renamed: another process may be starting from the same folder.
    for (const [file, text] of [[mainPath, main], [workerPath, worker]] as const) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    }
  }
  return workerPath;
}

/**
 * The pool's threads wait for work for the life of the process; emscripten leaves their workers referenced,
 * which would keep Node alive after the script ends (a bench child hung until killed). Unreferenced, they
 * still run every kernel: only the main thread's event loop decides when the process exits.
 */
function unrefWorkers(): void {
  for (const worker of pthreadWorkers()) worker.unref();
}

interface WasmPackage {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/**
 * Initialise the wasm backend (`tf.setBackend("wasm")`) with `threads` threads. One thread is the package's
 * own single-threaded SIMD build, untouched. Returns the threads count the backend reports.
 */
export async function setWasmBackend(wasm: WasmPackage, threads: number): Promise<boolean> {
  if (threads <= 1) return tf.setBackend("wasm");
  const workerPath = writeWorkerScripts();
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = (blob: Blob): string => (blob.type === "application/javascript" ? workerPath : createObjectURL(blob));
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]!);
  };
  try {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    wasm.setThreadsCount(threads);
    const ok = await tf.setBackend("wasm");
    if (ok) unrefWorkers();
    return ok;
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
}
