// Compiles assembly/batch-matmul.ts (AssemblyScript) into the two binaries src/nn/batch-matmul.ts loads:
// one importing a plain memory (the wasm backend's single-threaded build) and one importing a shared memory
// (its threaded build): an imported memory's `shared` flag must match the memory it is given.
// `npm run build:kernels` rewrites them; test/nn/batch-matmul-build.test.ts checks the committed ones are
// exactly what this produces, so the source and the binaries cannot drift apart.
import { fileURLToPath, pathToFileURL } from "node:url";
import fs from "node:fs";
import path from "node:path";

export const KERNEL_SOURCE = fileURLToPath(new URL("../../../assembly/batch-matmul.ts", import.meta.url));
export const KERNEL_DIR = fileURLToPath(new URL(".", import.meta.url));

/** The binaries and the asc flags that differ between them. */
export const KERNEL_VARIANTS = {
  "batch-matmul.wasm": [] as string[],
  "batch-matmul.shared.wasm": ["--sharedMemory", "--enable", "threads"],
} as const;
export type KernelFile = keyof typeof KERNEL_VARIANTS;

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
  const asc = (await import("assemblyscript/asc")).default;
  let binary: Uint8Array | null = null;
  const log: string[] = [];
  const sink = { write: (s: string | Uint8Array) => void log.push(String(s)) };
  const { error } = await asc.main([KERNEL_SOURCE, "--outFile", file, ...COMMON_FLAGS, ...KERNEL_VARIANTS[file]], {
    stdout: sink as never,
    stderr: sink as never,
    writeFile: (name, contents) => {
      if (name === file && typeof contents !== "string") binary = contents;
    },
  });
  if (error || binary === null) throw new Error(`asc could not build ${file} from ${KERNEL_SOURCE}: ${error?.message ?? "no output"}\n${log.join("")}`);
  return binary;
}

/** Rebuild every variant into `outDir` (default: next to this file, where the loader reads them). */
export async function buildKernels(outDir = KERNEL_DIR): Promise<string[]> {
  const written: string[] = [];
  for (const file of Object.keys(KERNEL_VARIANTS) as KernelFile[]) {
    const target = path.join(outDir, file);
    fs.writeFileSync(target, await buildKernel(file));
    written.push(target);
  }
  return written;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of await buildKernels()) console.log(`wrote ${path.relative(process.cwd(), file)} (${fs.statSync(file).size} bytes)`);
}
