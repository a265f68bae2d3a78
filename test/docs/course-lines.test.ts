// Every line of the chapters' course regions (what the docs show as the course's code) appears in one of its
// chapter's rows of the docs' side-by-side table (docs/api-map.ts), so each way the TypeScript differs from the
// course's Python is explained there, once; a row without a Python line is one of the kit's additions.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { API_MAP, NOT_IN_COURSE, type ApiMapRow } from "../../docs/api-map";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CHAPTERS = readdirSync(join(ROOT, "chapters")).filter((f) => /^\d\d-.*\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, ""));

/** A line as the comparison sees it: no trailing comment, spaces collapsed, no trailing `;`, `,` or `{`. */
function normalise(line: string): string {
  return line.replace(/\s\/\/.*$/, "").replace(/\s+/g, " ").trim().replace(/[;,{]$/, "").trim();
}

/** Lines that only close or separate (`}`, `});`, `]`): nothing to explain. */
const punctuationOnly = (n: string): boolean => /^[\]})(;,]*$/.test(n);

/** The code lines inside `// #region` ... `// #endregion` markers (nested regions included), with their numbers. */
export function regionLines(source: string): { line: number; text: string }[] {
  let depth = 0;
  const out: { line: number; text: string }[] = [];
  source.split("\n").forEach((text, i) => {
    if (/^\s*\/\/\s*#region\b/.test(text)) return void depth++;
    if (/^\s*\/\/\s*#endregion\b/.test(text)) return void depth--;
    const n = normalise(text);
    if (depth > 0 && n && !n.startsWith("//") && !punctuationOnly(n)) out.push({ line: i + 1, text: n });
  });
  return out;
}

/** The region lines of `source` that no row for `chapter` holds. */
export function uncoveredLines(chapter: string, source: string, rows: ApiMapRow[]): string[] {
  const known = new Set(rows.filter((r) => r.chapters.includes(chapter)).flatMap((r) => r.ts.split("\n").map(normalise)));
  return regionLines(source)
    .filter((l) => !known.has(l.text))
    .map((l) => `chapters/${chapter}.ts:${l.line}: ${l.text}`);
}

describe("the docs' side-by-side table covers the chapters' course regions", () => {
  it.each(CHAPTERS)("%s: every line of its regions is in one of its rows", (chapter) => {
    const source = readFileSync(join(ROOT, "chapters", `${chapter}.ts`), "utf8");
    expect(regionLines(source).length, "the chapter has course regions").toBeGreaterThan(0);
    expect(uncoveredLines(chapter, source, API_MAP), "add or fix a row in docs/api-map.ts: the course's line and why ours differs").toEqual([]);
  });

  it("every row explains itself in both languages, and a kit addition says so in the Python column", () => {
    for (const row of API_MAP) {
      expect(row.note.en.length, row.ts).toBeGreaterThan(10);
      expect(row.note.fr.length, row.ts).toBeGreaterThan(10);
      expect(row.python.trim(), row.ts).not.toBe("");
      for (const c of row.chapters) expect(CHAPTERS, `${row.ts}: chapter ${c}`).toContain(c);
    }
    expect(API_MAP.some((r) => r.python === NOT_IN_COURSE)).toBe(true);
  });

  it("reports a line no row holds, with its file and line number", () => {
    const source = "// #region loop\nmodel.train();\nsomethingNew(batch);\n// #endregion loop\n";
    const rows: ApiMapRow[] = [{ chapters: ["99-x"], python: "model.train()", ts: "model.train();", uses: [], note: { en: "", fr: "" } }];
    expect(uncoveredLines("99-x", source, rows)).toEqual(["chapters/99-x.ts:3: somethingNew(batch)"]);
    expect(uncoveredLines("99-x", source, [{ ...rows[0]!, ts: "model.train();\nsomethingNew(batch);" }])).toEqual([]);
  });
});
