// The committed AdamW kernel binaries are what `npm run build:kernels` makes from assembly/adamw.ts (same
// bytes), each imports only env.memory with the sharing of the wasm build it is for, instantiating one writes
// nothing into the memory, and the kernel never touches a byte outside its four arrays (partial-vector tails).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KERNEL_DIR } from "../../../src/backend/wasm/simd/build";
import { CANARY, describeKernelBinaries, filledMemory } from "../../helpers/kernel-binaries";

describeKernelBinaries("adamw", ["adamwTorch", "adamwLegacy"]);

/**
 * The update element by element in float64 with Math.fround after every operation: a float64 +, -, *, / or
 * sqrt of float32 values rounded to float32 is exactly the float32 operation, so this is float32 arithmetic in
 * the order of adamw.ts / adamw-legacy.ts, independent of the kernel and of TF.js.
 */
function reference(variant: "adamwTorch" | "adamwLegacy", arrays: Record<string, Float32Array>, s: number[]): Record<string, Float32Array> {
  const f = Math.fround;
  const [p, g, m, v] = ["p", "g", "m", "v"].map((name) => Float32Array.from(arrays[name]!));
  for (let i = 0; i < p!.length; i++) {
    const gi = g![i]!;
    if (variant === "adamwTorch") {
      const [decay, b1, c1, b2, c2, bc2Sqrt, eps, negStep] = s as [number, number, number, number, number, number, number, number];
      const decayed = f(p![i]! * decay);
      m![i] = f(f(m![i]! * b1) + f(c1 * gi));
      v![i] = f(f(v![i]! * b2) + f(f(c2 * gi) * gi));
      p![i] = f(decayed + f(f(negStep * m![i]!) / f(f(f(Math.sqrt(v![i]!)) / bc2Sqrt) + eps)));
    } else {
      const [b1, c1, b2, c2, eps, negStep, decays, negLrWd] = s as [number, number, number, number, number, number, number, number];
      m![i] = f(f(m![i]! * b1) + f(c1 * gi));
      v![i] = f(f(v![i]! * b2) + f(f(c2 * gi) * gi));
      p![i] = f(p![i]! + f(f(negStep * m![i]!) / f(f(Math.sqrt(v![i]!)) + eps)));
      if (decays) p![i] = f(p![i]! + f(negLrWd * p![i]!));
    }
  }
  return { p: p!, g: g!, m: m!, v: v! };
}

describe("the raw AdamW kernel on its own memory", () => {
  it("is float32 arithmetic in adamw.ts's order, and touches nothing outside its arrays even at the end of the memory", () => {
    const module = new WebAssembly.Module(new Uint8Array(fs.readFileSync(path.join(KERNEL_DIR, "adamw.wasm"))));
    for (const variant of ["adamwTorch", "adamwLegacy"] as const) {
      for (let n = 1; n <= 9; n++) {
        for (const last of ["p", "g", "m", "v"] as const) {
          const memory = filledMemory(false);
          const run = new WebAssembly.Instance(module, { env: { memory } }).exports[variant] as (...args: number[]) => void;
          const bytes = 4 * n;
          const order = ["p", "g", "m", "v"].filter((x) => x !== last).concat(last);
          // The chosen array ends exactly at the end of the memory; the others below it, 64 canary bytes apart.
          const at: Record<string, number> = {};
          let end = memory.buffer.byteLength;
          for (const name of order.reverse()) {
            at[name] = end - bytes;
            end = at[name]! - 64;
          }
          const f32 = new Float32Array(memory.buffer);
          for (const [k, name] of ["p", "g", "m", "v"].entries()) {
            for (let i = 0; i < n; i++) f32[at[name]! / 4 + i] = k === 3 ? 0.25 + i : Math.sin(k + i + 1);
          }
          const before = Object.fromEntries(["p", "g", "m", "v"].map((name) => [name, f32.slice(at[name]! / 4, at[name]! / 4 + n)]));
          const scalars = variant === "adamwTorch" ? [0.99, 0.9, 0.1, 0.999, 0.001, 0.5, 1e-8, -0.01] : [0.9, 0.1, 0.999, 0.001, 1e-6, -0.01, 1, -0.001];
          run(at.p!, at.g!, at.m!, at.v!, n, ...scalars);
          const label = `${variant}, n = ${n}, ${last} last`;
          const inside = (i: number): boolean => ["p", "g", "m", "v"].some((name) => i >= at[name]! / 4 && i < at[name]! / 4 + n);
          for (let i = 0; i < f32.length; i++) {
            if (!inside(i) && f32[i] !== CANARY) throw new Error(`${label}: float ${i} outside the arrays was written`);
          }
          const expected = reference(variant, before, scalars.map(Math.fround));
          for (const name of ["p", "g", "m", "v"]) {
            const got = f32.slice(at[name]! / 4, at[name]! / 4 + n);
            expect(new Uint32Array(got.buffer), `${label}: ${name}`).toEqual(new Uint32Array(expected[name]!.buffer));
          }
        }
      }
    }
  });
});
