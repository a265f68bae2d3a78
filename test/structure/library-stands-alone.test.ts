// The library stands alone: no module under src/ imports from chapters/ (the chapters are the course's text,
// built on the library, never the other way round). A static scan of every import specifier, static or
// dynamic, resolved against its file.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const CHAPTERS = join(ROOT, "chapters");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Every module specifier of a file: `from "x"`, `import "x"`, `import("x")`, `require("x")`. */
export function importSpecifiers(text: string): string[] {
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["'`]([^"'`]+)["'`]/g, /\brequire\s*\(\s*["']([^"']+)["']/g];
  return patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[1]!));
}

function reachesChapters(file: string, specifier: string): boolean {
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) return /(^|\/)chapters\//.test(specifier);
  const target = resolve(dirname(file), specifier);
  return target === CHAPTERS || target.startsWith(CHAPTERS + sep);
}

describe("src/ stands alone", () => {
  it("the scan sees imports, and sees one into chapters/ when there is one", () => {
    const probe = `import { x } from "../../chapters/05-training-loop";\nconst m = await import("../chapters/tutorial.ts");\nexport * from "./ok";`;
    const file = join(ROOT, "src", "training", "probe.ts");
    expect(importSpecifiers(probe)).toEqual(["../../chapters/05-training-loop", "./ok", "../chapters/tutorial.ts"]);
    expect(importSpecifiers(probe).filter((s) => reachesChapters(file, s))).toEqual(["../../chapters/05-training-loop"]);
  });

  it("no file under src/ imports from chapters/", () => {
    const files = sourceFiles(join(ROOT, "src"));
    expect(files.length).toBeGreaterThan(50);
    const offending = files.flatMap((file) =>
      importSpecifiers(readFileSync(file, "utf8"))
        .filter((s) => reachesChapters(file, s))
        .map((s) => `${relative(ROOT, file)} imports ${s}`),
    );
    expect(offending).toEqual([]);
  });
});
