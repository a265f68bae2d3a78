// What the native kernels' tests share: whether the addon with its kernels is built, switching them on and off
// around a call, and measuring errors against a derived bound.
import { setNativeElementwise } from "../../src/backend";
import { elementwiseOf, type NativeElementwise } from "../../src/backend/wasm/native-elementwise";
import { loadNativeGemm } from "../../src/backend/wasm/native-gemm";

const addon = loadNativeGemm();

/** The built addon's kernels, or null when the addon or its kernels are missing (the tests then skip). */
export const nativeKernels: NativeElementwise | null = "gemm" in addon ? elementwiseOf(addon.gemm) : null;

/** Run `f` with the native kernels switched on or off, restoring the setting after. */
export function withNative<T>(on: boolean, f: () => T): T {
  const before = setNativeElementwise(on);
  try {
    return f();
  } finally {
    setNativeElementwise(before);
  }
}

/** The worst |ours - reference| / bound (at most 1 passes), where, and the largest |ours - reference|. */
export function worst(ours: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number>): { ratio: number; index: number; maxAbs: number } {
  let ratio = 0;
  let index = -1;
  let maxAbs = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(ours[i]! - ref[i]!);
    const q = Number.isNaN(e) ? Infinity : e === 0 ? 0 : e / bound[i]!;
    if (q > ratio) {
      ratio = q;
      index = i;
    }
    maxAbs = Math.max(maxAbs, Number.isNaN(e) ? Infinity : e);
  }
  return { ratio, index, maxAbs };
}
