// What the tests of the kit's WebAssembly kernel binaries share (test/backend/wasm/*-build.test.ts): a memory
// filled with a canary, and the check that each committed binary is what `npm run build:kernels` makes from its
// AssemblyScript source, imports only env.memory with its build's sharing, exports `exports`, and writes
// nothing into the memory when instantiated (no data segment, no start function).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KERNEL_DIR, buildKernel, kernelVariants, type KernelFile } from "../../src/backend/wasm/simd/build";
import type { HeapKernelName } from "../../src/backend/wasm/simd/kernels";

export const CANARY = 12345.5;

/** A memory of `pages` 64 KiB pages, every float CANARY. */
export function filledMemory(shared: boolean, pages = 1): WebAssembly.Memory {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared });
  new Float32Array(memory.buffer).fill(CANARY);
  return memory;
}

/** One test per binary of kernel `name` (plain and shared memory), as described above. */
export function describeKernelBinaries(name: HeapKernelName, exports: string[]): void {
  describe(`the ${name} kernel binaries`, () => {
    for (const file of Object.keys(kernelVariants(name)) as KernelFile[]) {
      const shared = file.includes("shared");
      it(`${file} is rebuilt byte for byte from assembly/${name}.ts and imports a ${shared ? "shared" : "plain"} memory only`, async () => {
        const committed = fs.readFileSync(path.join(KERNEL_DIR, file));
        const rebuilt = await buildKernel(file);
        expect(Buffer.from(rebuilt).equals(committed), `${file} differs from a fresh build: run npm run build:kernels and commit`).toBe(true);
        const mod = new WebAssembly.Module(new Uint8Array(rebuilt));
        expect(WebAssembly.Module.imports(mod)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
        expect(WebAssembly.Module.exports(mod)).toEqual(exports.map((e) => ({ name: e, kind: "function" })));
        // The imported memory's sharing must be the build's (else the backend's memory is refused).
        expect(() => new WebAssembly.Instance(mod, { env: { memory: filledMemory(!shared) } })).toThrow();
        // No data segment, no start function: instantiating leaves the (backend's) memory untouched.
        const memory = filledMemory(shared);
        new WebAssembly.Instance(mod, { env: { memory } });
        expect(new Float32Array(memory.buffer).every((x) => x === CANARY)).toBe(true);
      });
    }
  });
}
