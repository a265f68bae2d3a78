// Memory that two processes on one host both map (native/shared-memory.c, in the native addon), and the sum
// of two contributions in native code: what a two-process allReduce (src/accelerate/process-group.ts) uses
// instead of its socket when the addon is built. Without the addon the exchange keeps the socket and adds
// in JavaScript, to the same bits.
import { loadNativeGemm, NATIVE_GEMM_HOW } from "./wasm/native-gemm";

/** How to get the addon (the same build as the native GEMM's). */
export const NATIVE_ADDON_HOW = NATIVE_GEMM_HOW;

export interface SharedMemory {
  /** A new segment of `bytes` (zero-filled), mapped here; `name` is what the other process opens. */
  create(bytes: number): { name: string; buffer: ArrayBuffer };
  /** Another process's segment, which must hold at least `bytes`. Throws when it cannot be opened. */
  open(name: string, bytes: number): ArrayBuffer;
  /** Remove the name: mappings stay valid, and nothing is left behind when the processes end. */
  unlink(name: string): void;
  /**
   * out[i] (and copy[i]) = (a[i] + b[i]) · scale, added in float64 and rounded once: JavaScript's
   * `out[i] = (a[i] + b[i]) * scale` on Float32Arrays, bit for bit. out may be a or b.
   */
  sumPair(a: Float32Array, b: Float32Array, scale: number, out: Float32Array, copy: Float32Array | null): void;
}

interface Addon {
  shmCreate(bytes: number): { name: string; buffer: ArrayBuffer };
  shmOpen(name: string, bytes: number): ArrayBuffer;
  shmUnlink(name: string): void;
  sumPair(a: Float32Array, b: Float32Array, scale: number, out: Float32Array, copy: Float32Array | null): void;
}

/** The addon's shared memory, or why there is none (no build, or a build from before it). */
export function sharedMemory(): { shm: SharedMemory } | { why: string } {
  const got = loadNativeGemm();
  if (!("gemm" in got)) return { why: got.why };
  const a = got.gemm as unknown as Partial<Addon>;
  if (typeof a.shmCreate !== "function" || typeof a.shmOpen !== "function" || typeof a.shmUnlink !== "function" || typeof a.sumPair !== "function") {
    return { why: "native/build/gemm.node predates shared memory: rebuild it (node scripts/build-native.mjs)" };
  }
  const addon = a as Addon;
  return {
    shm: {
      create: (bytes) => addon.shmCreate(bytes),
      open: (name, bytes) => addon.shmOpen(name, bytes),
      unlink: (name) => addon.shmUnlink(name),
      sumPair: (x, y, scale, out, copy) => addon.sumPair(x, y, scale, out, copy),
    },
  };
}
