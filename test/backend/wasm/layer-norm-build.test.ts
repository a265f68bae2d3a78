// The committed LayerNorm kernel binaries are what `npm run build:kernels` makes from assembly/layer-norm.ts
// (same bytes), each imports only env.memory with the sharing of the wasm build it is for, instantiating one
// writes nothing into the memory, and the kernel writes only its outputs (whatever the row length mod 8), even
// with an array at the very end of the memory. Its arithmetic is checked in test/backend/layer-norm-kernels.test.ts.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KERNEL_DIR } from "../../../src/backend/wasm/simd/build";
import { CANARY, describeKernelBinaries, filledMemory } from "../../helpers/kernel-binaries";

describeKernelBinaries("layer-norm", ["layerNorm", "layerNormGrad"]);

type Arrays = Record<string, number>; // name -> length in floats

/**
 * Lay out `arrays` from the end of a canary-filled memory down, 64 canary bytes apart, `last` at the very end;
 * the inputs get small numbers, the outputs are left as canaries. Returns each array's byte offset.
 */
function layout(memory: WebAssembly.Memory, arrays: Arrays, inputs: string[], last: string): Record<string, number> {
  const view = new Float32Array(memory.buffer);
  const at: Record<string, number> = {};
  let end = memory.buffer.byteLength;
  for (const name of [last, ...Object.keys(arrays).filter((n) => n !== last)]) {
    at[name] = end - 4 * arrays[name]!;
    end = at[name]! - 64;
  }
  for (const name of inputs) {
    for (let i = 0; i < arrays[name]!; i++) view[at[name]! / 4 + i] = name === "rstd" ? 0.5 + (i % 3) : Math.sin(i * 1.3 + name.length);
  }
  return at;
}

/** Every float outside the outputs is what it was. */
function untouchedOutside(memory: WebAssembly.Memory, before: Float32Array, arrays: Arrays, at: Record<string, number>, outputs: string[]): boolean {
  const view = new Float32Array(memory.buffer);
  const inOutput = (i: number): boolean => outputs.some((o) => i >= at[o]! / 4 && i < at[o]! / 4 + arrays[o]!);
  return view.every((v, i) => inOutput(i) || Object.is(v, before[i]));
}

describe("the raw LayerNorm kernel on its own memory", () => {
  it("writes only y, xhat and rstd forward and dx, dw and db backward, for rows of 1 to 17 floats", () => {
    const module = new WebAssembly.Module(new Uint8Array(fs.readFileSync(path.join(KERNEL_DIR, "layer-norm.wasm"))));
    const rows = 3;
    for (let cols = 1; cols <= 17; cols++) {
      const forward: Arrays = { x: rows * cols, w: cols, b: cols, y: rows * cols, xhat: rows * cols, rstd: rows };
      for (const last of Object.keys(forward)) {
        const memory = filledMemory(false);
        const run = new WebAssembly.Instance(module, { env: { memory } }).exports.layerNorm as (...args: number[]) => void;
        const at = layout(memory, forward, ["x", "w", "b"], last);
        const before = Float32Array.from(new Float32Array(memory.buffer));
        run(at.x!, at.w!, at.b!, at.y!, at.xhat!, at.rstd!, rows, cols, Math.fround(1e-12));
        expect(untouchedOutside(memory, before, forward, at, ["y", "xhat", "rstd"]), `layerNorm, cols ${cols}, ${last} last`).toBe(true);
        const view = new Float32Array(memory.buffer);
        for (const o of ["y", "xhat", "rstd"]) {
          const written = view.subarray(at[o]! / 4, at[o]! / 4 + forward[o]!);
          expect(written.every((v) => v !== CANARY && Number.isFinite(v)), `layerNorm wrote all of ${o} (cols ${cols})`).toBe(true);
        }
      }
      const backward: Arrays = { dy: rows * cols, xhat: rows * cols, rstd: rows, w: cols, dx: rows * cols, dw: cols, db: cols };
      for (const last of Object.keys(backward)) {
        const memory = filledMemory(false);
        const run = new WebAssembly.Instance(module, { env: { memory } }).exports.layerNormGrad as (...args: number[]) => void;
        const at = layout(memory, backward, ["dy", "xhat", "rstd", "w"], last);
        const before = Float32Array.from(new Float32Array(memory.buffer));
        run(at.dy!, at.xhat!, at.rstd!, at.w!, at.dx!, at.dw!, at.db!, rows, cols);
        expect(untouchedOutside(memory, before, backward, at, ["dx", "dw", "db"]), `layerNormGrad, cols ${cols}, ${last} last`).toBe(true);
        const view = new Float32Array(memory.buffer);
        for (const o of ["dx", "dw", "db"]) {
          const written = view.subarray(at[o]! / 4, at[o]! / 4 + backward[o]!);
          expect(written.every((v) => v !== CANARY && Number.isFinite(v)), `layerNormGrad wrote all of ${o} (cols ${cols})`).toBe(true);
        }
      }
    }
  });
});
