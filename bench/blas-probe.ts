// The kit side's BLAS in one environment mode, in a process of its own (OpenBLAS reads OPENBLAS_* once, at
// load): which GEMM runs (library, kernel name, threads), one seeded GEMM's result hash for the unset mode's
// check against the as-set result, and with --dense the native GEMM's GFLOP/s on BERT's dense shapes.
// `npx tsx bench/blas-probe.ts [--dense]` prints one JSON object.
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend, wasmGemmLabel } from "../src/backend/device";
import { installedNativeGemm } from "../src/backend/wasm/gemm-kernels";
import { nativeDenseTimings } from "./matmul";
import { OPENBLAS_OVERRIDES } from "./env-modes";

export interface BlasProbe {
  gemm: string;
  blas: { blas: string; config: string; corename: string; threads: number } | null;
  env: Record<string, string | null>;
  /** 520 x 384 @ 384 x 1536 (a MiniLM-L6 dense product) from fixed inputs: the result's sha256. */
  check: { shape: [number, number, number]; sha256: string; sum: number };
  dense?: Array<{ label: string; threads: number; ms: number; gflops: number; gflopsPerCore: number }>;
}

/** Fixed, platform-independent inputs: a small integer recurrence scaled into [-0.5, 0.5). */
function fixed(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = (x % 4096) / 4096 - 0.5;
  }
  return out;
}

export async function probeBlas(dense: boolean): Promise<BlasProbe> {
  await useBackend("wasm");
  const gemm = installedNativeGemm();
  const [m, k, n] = [520, 384, 1536];
  const c = tf.tidy(() => tf.matMul(tf.tensor2d(fixed(m * k, 1), [m, k]), tf.tensor2d(fixed(k * n, 2), [k, n])));
  const values = c.dataSync() as Float32Array;
  c.dispose();
  const probe: BlasProbe = {
    gemm: wasmGemmLabel(),
    blas: gemm === null ? null : { ...gemm.identity(), threads: gemm.getNumThreads() },
    env: Object.fromEntries(OPENBLAS_OVERRIDES.map((k2) => [k2, process.env[k2] ?? null])),
    check: {
      shape: [m, k, n],
      sha256: createHash("sha256").update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).digest("hex"),
      sum: values.reduce((a, b) => a + b, 0),
    },
  };
  if (dense) {
    probe.dense = nativeDenseTimings().map((t) => ({ label: t.label, threads: t.threads, ms: t.ms, gflops: t.gflops, gflopsPerCore: t.gflops / t.threads }));
  }
  return probe;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await probeBlas(process.argv.includes("--dense"))));
}
