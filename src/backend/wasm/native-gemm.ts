// The native GEMM addon (native/gemm.c, built by scripts/build-native.mjs at npm install): the system BLAS's
// sgemm, called on tensors where they lie in the wasm heap. This module loads it and decides, from KIT_GEMM,
// whether the wasm backend's matrix products use it.
import { createRequire } from "node:module";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

/** What native/gemm.c exports. Byte offsets into the heap; strides and leading dims in floats; row-major. */
export interface NativeGemm {
  sgemmStridedBatch(
    heap: Float32Array,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    aByte: number,
    lda: number,
    strideA: number,
    bByte: number,
    ldb: number,
    strideB: number,
    beta: number,
    cByte: number,
    ldc: number,
    strideC: number,
    batch: number,
  ): void;
  /** C[r][j] = act(C[r][j] + bias[j]) (biasByte -1: none), act numbered as tfjs-backend-wasm's FusableActivation. */
  biasActivation(heap: Float32Array, cByte: number, rows: number, n: number, biasByte: number, activation: number, alpha: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  identity(): { blas: string; config: string; corename: string };
}

export const GEMM_MODES = ["native", "wasm"] as const;
export type GemmMode = (typeof GEMM_MODES)[number];

export const NATIVE_GEMM_HOW =
  "apt-get install libopenblas-dev libopenblas0-pthread build-essential, then `node scripts/build-native.mjs` (npm install runs it)";

const ADDON = fileURLToPath(new URL("../../../native/build/gemm.node", import.meta.url));

let loaded: { gemm: NativeGemm } | { why: string } | undefined;

/** The addon, or why it cannot be loaded (loaded once per process). */
export function loadNativeGemm(): { gemm: NativeGemm } | { why: string } {
  if (loaded === undefined) {
    if (!fs.existsSync(ADDON)) {
      loaded = { why: "native/build/gemm.node was not built (npm install prints why)" };
    } else {
      try {
        loaded = { gemm: createRequire(import.meta.url)(ADDON) as NativeGemm };
      } catch (err) {
        loaded = { why: `native/build/gemm.node did not load: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}` };
      }
    }
  }
  return loaded;
}

/** KIT_GEMM, checked: undefined when unset (use the native GEMM if it loads). */
export function gemmModeWanted(env: NodeJS.ProcessEnv = process.env): GemmMode | undefined {
  const raw = env.KIT_GEMM?.trim();
  if (!raw) return undefined;
  if (!(GEMM_MODES as readonly string[]).includes(raw)) {
    throw new Error(
      `KIT_GEMM=${raw}: expected "native" (the system BLAS, native/gemm.c) or "wasm" (the wasm backend's own GEMM); ` +
        `unset it to use the native one when it is built.`,
    );
  }
  return raw as GemmMode;
}

/** The addon KIT_GEMM asks for: null for the wasm GEMM; throws when KIT_GEMM=native and the addon is absent. */
export function nativeGemmWanted(env: NodeJS.ProcessEnv = process.env): { gemm: NativeGemm | null; why?: string } {
  const mode = gemmModeWanted(env);
  if (mode === "wasm") return { gemm: null, why: "KIT_GEMM=wasm" };
  const got = loadNativeGemm();
  if ("gemm" in got) return { gemm: got.gemm };
  if (mode === "native") {
    throw new Error(`KIT_GEMM=native: the native GEMM is not available (${got.why}). To get it: ${NATIVE_GEMM_HOW}; or unset KIT_GEMM.`);
  }
  return { gemm: null, why: got.why };
}

/** "OpenBLAS 0.3.21 (Haswell, 2 threads)" */
export function describeNativeGemm(gemm: NativeGemm): string {
  const { blas, config, corename } = gemm.identity();
  const version = /\b(\d+\.\d+\.\d+)\b/.exec(config)?.[1];
  const threads = gemm.getNumThreads();
  const t = threads > 0 ? `, ${threads} thread${threads === 1 ? "" : "s"}` : "";
  return `${blas}${version ? ` ${version}` : ""} (${corename}${t})`;
}
