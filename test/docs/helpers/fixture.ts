import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ApiMapRow } from "../../../docs/api-map";
import { buildSite, type BuildResult } from "../../../docs/build";

export const MINI = resolve(import.meta.dirname, "..", "fixtures", "mini");

/** The fixture's own API map: the real one names the real chapters. */
export const MINI_API_MAP: ApiMapRow[] = [
  { chapters: ["01-alpha"], python: "greet(name)", ts: "greet(name)", uses: ["greet"], note: { en: "the same call", fr: "le même appel" } },
  { chapters: ["02-beta"], python: "for step in range(steps):", ts: "for (let step = 0; step < steps; step++)", uses: ["step"], note: { en: "a C-style loop", fr: "une boucle à la C" } },
];

const made: string[] = [];

/** A private copy of the mini fixture, to break on purpose. */
export function copyMini(): string {
  const dir = mkdtempSync(join(tmpdir(), "kit-docs-"));
  made.push(dir);
  cpSync(MINI, dir, { recursive: true });
  return dir;
}

export function buildAt(root: string, apiMap: ApiMapRow[] = MINI_API_MAP): BuildResult {
  return buildSite({ root, outDir: join(root, "site"), apiMap });
}

export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
