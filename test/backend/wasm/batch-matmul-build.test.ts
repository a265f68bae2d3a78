// The committed SIMD kernel binaries are what `npm run build:kernels` makes from assembly/batch-matmul.ts
// (same bytes), and each imports env.memory with the sharing of the wasm build it is for, nothing else.
// The raw kernel also never touches a byte outside its matrices, even when they end where the memory ends.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KERNEL_DIR, KERNEL_VARIANTS, buildKernel, type KernelFile } from "../../../src/backend/wasm/simd/build";

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
      expect(WebAssembly.Module.exports(mod)).toEqual([
        { name: "batchMatMul", kind: "function" },
        { name: "matMul", kind: "function" },
      ]);
    });
  }
});

describe("the raw kernel on its own memory", () => {
  it("reads and writes only inside A, B and C, even at the very end of the memory (partial-vector column tails)", () => {
    const module = new WebAssembly.Module(new Uint8Array(fs.readFileSync(path.join(KERNEL_DIR, "batch-matmul.wasm"))));
    for (const [batch, m, k, n] of [[2, 5, 3, 1], [2, 5, 3, 2], [3, 7, 9, 3], [2, 4, 50, 7], [2, 9, 5, 13]] as const) {
      for (const last of ["B", "C"] as const) {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
        const run = new WebAssembly.Instance(module, { env: { memory } }).exports.batchMatMul as (...args: number[]) => void;
        const [sa, sb, sc] = [batch * m * k * 4, batch * k * n * 4, batch * m * n * 4];
        const end = memory.buffer.byteLength;
        // The chosen matrix ends exactly at the end of the memory; the others sit below it, 64 canary bytes apart.
        const c = last === "C" ? end - sc : end - sb - 64 - sc;
        const b = last === "C" ? c - 64 - sb : end - sb;
        const a = Math.min(b, c) - 64 - sa;
        const f32 = new Float32Array(memory.buffer);
        f32.fill(12345.5);
        const av = f32.subarray(a / 4, (a + sa) / 4);
        const bv = f32.subarray(b / 4, (b + sb) / 4);
        av.forEach((_, i) => (av[i] = Math.sin(i + 1)));
        bv.forEach((_, i) => (bv[i] = Math.cos(3 * i)));
        run(a, b, c, batch, m, k, n);
        const label = `[${batch},${m},${k}] @ [${batch},${k},${n}], ${last} last`;
        for (let i = 0; i < f32.length; i++) {
          const inside = (i >= a / 4 && i < (a + sa) / 4) || (i >= b / 4 && i < (b + sb) / 4) || (i >= c / 4 && i < (c + sc) / 4);
          if (!inside && f32[i] !== 12345.5) throw new Error(`${label}: float ${i} outside the matrices was written`);
        }
        for (let p = 0; p < batch; p++) {
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s = 0;
              let t = 0;
              for (let q = 0; q < k; q++) {
                const x = av[p * m * k + i * k + q]! * bv[p * k * n + q * n + j]!;
                s += x;
                t += Math.abs(x);
              }
              const got = f32[c / 4 + p * m * n + i * n + j]!;
              expect(Math.abs(got - s), `${label} C[${p},${i},${j}]`).toBeLessThanOrEqual((k + 1) * 2 ** -24 * t);
            }
          }
        }
      }
    }
  });
});
