// The library's shape, read from its source: no import circle under src/, and the wasm backend's private
// internals touched by one module only (src/backend/wasm/internals.ts), so that a new tfjs version breaks one file.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importCycles, relativeImports, sourceFiles } from "./source-graph";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "src");

describe("import graph of src/", () => {
  const files = sourceFiles(SRC);

  it("reads every module's relative imports, type-only ones included", () => {
    // The scan itself must see imports, or "no cycle" would hold for an empty graph.
    const index = relativeImports(join(SRC, "index.ts"), readFileSync(join(SRC, "index.ts"), "utf8"));
    expect(index.length).toBeGreaterThan(5);
    expect(files.length).toBeGreaterThan(50);
  });

  it("finds a circle when there is one", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(importCycles(graph)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
  });

  it("has no import cycle", () => {
    const graph = new Map(files.map((f) => [relative(ROOT, f), relativeImports(f, readFileSync(f, "utf8")).map((t) => relative(ROOT, t))]));
    const cycles = importCycles(graph).map((c) => c.join(" -> "));
    expect(cycles, "each circle: move what both sides need into a module of its own that imports neither").toEqual([]);
  });
});

// What src/backend/wasm/internals.ts says it is the one module to touch: BackendWasm's tensor table and output
// allocation, the emscripten module behind it (its memory, the wasm.tfjs registry, the PThread pool), and the
// package's unexported files (wasm-out/).
const WASM_INTERNALS = [/\bdataIdMap\b/, /\bdataIdNextNumber\b/, /\bmakeOutput\b/, /\bwasmMemory\b/, /\bHEAP(U8|F32|32)\b/, /\bPThread\b/, /\bregisterTensor\b/, /\bwasm\.tfjs\b/, /tfjs-backend-wasm\/wasm-out\//];
const INTERNALS_MODULE = join(SRC, "backend/wasm/internals.ts");

/** Lines outside internals.ts (code, not comments) that use one of the wasm backend's private internals. */
function internalsUses(dirs: string[]): string[] {
  const uses: string[] = [];
  for (const file of dirs.flatMap((d) => sourceFiles(d))) {
    if (file === INTERNALS_MODULE) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
        if (WASM_INTERNALS.some((re) => re.test(code))) uses.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  return uses;
}

describe("@tensorflow/tfjs-backend-wasm's private internals", () => {
  it("are used in src/backend/wasm/internals.ts (the patterns match real code)", () => {
    const text = readFileSync(INTERNALS_MODULE, "utf8");
    for (const re of WASM_INTERNALS.filter((r) => r.source !== "\\bHEAP(U8|F32|32)\\b")) expect(text, String(re)).toMatch(re);
  });

  it("are used nowhere else in src/, bench/ or test/", () => {
    expect(internalsUses([SRC, join(ROOT, "bench"), join(ROOT, "test")]), "go through src/backend/wasm/internals.ts instead").toEqual([]);
  });
});
