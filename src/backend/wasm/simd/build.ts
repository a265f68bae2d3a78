// Compiles the AssemblyScript kernels of assembly/ into the binaries src/backend/wasm/simd/kernels.ts loads,
// two per kernel: one importing a plain memory (the wasm backend's single-threaded build) and one importing a
// shared memory (its threaded build): an imported memory's `shared` flag must match the memory it is given.
// `npm run build:kernels` rewrites them; test/backend/wasm/batch-matmul-build.test.ts and
// test/backend/wasm/fused-adamw-build.test.ts check the committed ones are exactly what this produces, so the sources
// and the binaries cannot drift apart.
import { fileURLToPath, pathToFileURL } from "node:url";
import fs from "node:fs";
import path from "node:path";
import type { HeapKernelName } from "./kernels";

export const KERNEL_DIR = fileURLToPath(new URL(".", import.meta.url));

/** Each kernel's AssemblyScript source. */
export const KERNEL_SOURCES: Record<HeapKernelName, string> = {
  "batch-matmul": fileURLToPath(new URL("../../../../assembly/batch-matmul.ts", import.meta.url)),
  adamw: fileURLToPath(new URL("../../../../assembly/adamw.ts", import.meta.url)),
  "layer-norm": fileURLToPath(new URL("../../../../assembly/layer-norm.ts", import.meta.url)),
};
export const KERNEL_SOURCE = KERNEL_SOURCES["batch-matmul"];

export type KernelFile = `${HeapKernelName}.wasm` | `${HeapKernelName}.shared.wasm`;

/** A kernel's two binaries (KernelFile names) and the asc flags that differ between them. */
export function kernelVariants(name: HeapKernelName): Record<string, readonly string[]> {
  return { [`${name}.wasm`]: [], [`${name}.shared.wasm`]: ["--sharedMemory", "--enable", "threads"] };
}

/** The batched matMul's binaries (the first kernel; its build test iterates over these). */
export const KERNEL_VARIANTS = kernelVariants("batch-matmul");

// Both emscripten builds of tfjs-backend-wasm 4.22 declare a 65536-page (4 GiB) maximum; an import declaring
// a maximum accepts only memories whose maximum is at most that, so ours is the wasm32 limit. No runtime, no
// data segment, no start function: the module must never write into the backend's heap on its own.
const COMMON_FLAGS = [
  "-O3",
  "--noAssert",
  "--runtime", "stub",
  "--use", "abort=",
  "--enable", "simd",
  "--importMemory",
  "--noExportMemory",
  "--initialMemory", "1",
  "--maximumMemory", "65536",
];

/** Compile one variant in memory; throws with asc's diagnostics if it fails. */
export async function buildKernel(file: KernelFile): Promise<Uint8Array> {
  const name = file.replace(/(\.shared)?\.wasm$/, "") as HeapKernelName;
  const source = KERNEL_SOURCES[name];
  const variantFlags = kernelVariants(name)[file]!;
  const asc = (await import("assemblyscript/asc")).default;
  let binary: Uint8Array | null = null;
  const log: string[] = [];
  const sink = { write: (s: string | Uint8Array) => void log.push(String(s)) };
  const { error } = await asc.main([source, "--outFile", file, ...COMMON_FLAGS, ...variantFlags], {
    stdout: sink as never,
    stderr: sink as never,
    writeFile: (out, contents) => {
      if (out === file && typeof contents !== "string") binary = contents;
    },
  });
  if (error || binary === null) throw new Error(`asc could not build ${file} from ${source}: ${error?.message ?? "no output"}\n${log.join("")}`);
  return binary;
}

/** Rebuild every variant into `outDir` (default: next to this file, where the loader reads them). */
export async function buildKernels(outDir = KERNEL_DIR): Promise<string[]> {
  const written: string[] = [];
  const files = (Object.keys(KERNEL_SOURCES) as HeapKernelName[]).flatMap((name) => Object.keys(kernelVariants(name)) as KernelFile[]);
  for (const file of files) {
    const target = path.join(outDir, file);
    fs.writeFileSync(target, await buildKernel(file));
    written.push(target);
  }
  return written;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of await buildKernels()) console.log(`wrote ${path.relative(process.cwd(), file)} (${fs.statSync(file).size} bytes)`);
}
