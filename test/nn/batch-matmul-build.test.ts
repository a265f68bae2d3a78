// The committed SIMD kernel binaries are what `npm run build:kernels` makes from assembly/batch-matmul.ts
// (same bytes), and each imports env.memory with the sharing of the wasm build it is for, nothing else.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KERNEL_DIR, KERNEL_VARIANTS, buildKernel, type KernelFile } from "../../src/nn/wasm-simd/build";

/** The limits flags of the (single) imported memory: 1 = has a maximum, 3 = shared with a maximum. */
function memoryImportFlags(bytes: Uint8Array): number[] {
  const found: number[] = [];
  let p = 8;
  const leb = (): number => {
    let r = 0;
    let s = 0;
    let x: number;
    do {
      x = bytes[p++]!;
      r += (x & 0x7f) * 2 ** s;
      s += 7;
    } while (x & 0x80);
    return r;
  };
  const skipName = (): void => {
    const n = leb();
    p += n;
  };
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 11) throw new Error("the kernel has a data segment: it would write into the backend's heap");
    if (id === 8) throw new Error("the kernel has a start function");
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        skipName();
        skipName();
        const kind = bytes[p++]!;
        if (kind !== 2) throw new Error(`the kernel imports something other than memory (kind ${kind})`);
        const flags = bytes[p++]!;
        found.push(flags);
        leb();
        if (flags & 1) expect(leb(), "maximum pages: at least the backend's 65536").toBe(65536);
      }
    }
    p = end;
  }
  return found;
}

describe("the SIMD batched matMul binaries", () => {
  for (const file of Object.keys(KERNEL_VARIANTS) as KernelFile[]) {
    it(`${file} is rebuilt byte for byte from assembly/batch-matmul.ts`, async () => {
      const committed = fs.readFileSync(path.join(KERNEL_DIR, file));
      const rebuilt = await buildKernel(file);
      expect(Buffer.from(rebuilt).equals(committed), `${file} differs from a fresh build: run npm run build:kernels and commit`).toBe(true);
      expect(memoryImportFlags(rebuilt)).toEqual([file.includes("shared") ? 3 : 1]);
      const mod = new WebAssembly.Module(new Uint8Array(rebuilt));
      expect(WebAssembly.Module.imports(mod)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
      expect(WebAssembly.Module.exports(mod)).toEqual([{ name: "batchMatMul", kind: "function" }]);
    });
  }
});
