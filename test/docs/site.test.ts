// The real documentation: every chapter has its pages, every page builds against the real chapters and goldens.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { API_MAP } from "../../docs/api-map";
import { buildSite } from "../../docs/build";
import { checkLinks } from "../../docs/lib/links";
import { extractRegion } from "../../docs/lib/regions";

const ROOT = resolve(import.meta.dirname, "..", "..");
const CHAPTERS = readdirSync(join(ROOT, "chapters"))
  .filter((f) => /^\d\d-.+\.ts$/.test(f))
  .map((f) => f.slice(0, -3))
  .sort();
const LANGS = ["en", "fr"] as const;
const source = (lang: string, stem: string) => readFileSync(join(ROOT, "docs", lang, `${stem}.md`), "utf8");

/** The regions a chapter lists in its header comment: "// Regions (for the docs): a, b, c". */
function declaredRegions(stem: string): string[] {
  const text = readFileSync(join(ROOT, "chapters", `${stem}.ts`), "utf8");
  const m = /^\/\/\s*Regions \(for the docs\):\s*(.+)$/m.exec(text);
  return m ? m[1]!.split(",").map((s) => s.trim()).filter(Boolean) : [];
}

describe("documentation sources", () => {
  it("cover the eight chapters of the course", () => {
    expect(CHAPTERS).toEqual([
      "01-preprocessing",
      "02-dataloaders",
      "03-model",
      "04-optimizer-scheduler",
      "05-training-loop",
      "06-evaluation-loop",
      "07-accelerate",
      "08-sst2",
    ]);
  });

  it.each(CHAPTERS)("%s has an English and a French page", (stem) => {
    for (const lang of LANGS) expect(() => source(lang, stem), `docs/${lang}/${stem}.md`).not.toThrow();
  });

  it.each(CHAPTERS)("%s: both pages include every region the chapter declares, and its API map", (stem) => {
    const regions = declaredRegions(stem);
    expect(regions.length, `chapters/${stem}.ts lists no "Regions (for the docs):"`).toBeGreaterThan(0);
    for (const region of regions) expect(() => extractRegion(ROOT, `chapters/${stem}.ts`, region)).not.toThrow();
    for (const lang of LANGS) {
      const md = source(lang, stem);
      for (const region of regions) expect(md, `docs/${lang}/${stem}.md includes ${region}`).toContain(`::: include chapters/${stem}.ts#${region}`);
      expect(md).toContain("::: api-map");
    }
  });

  it("every API map row names chapters that exist", () => {
    for (const row of API_MAP) for (const c of row.chapters) expect(CHAPTERS, row.python).toContain(c);
  });
});

describe("the built site", () => {
  const out = mkdtempSync(join(tmpdir(), "kit-docs-site-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const result = buildSite({ root: ROOT, outDir: out });

  it("resolves every include, golden key and internal link", () => {
    expect(result.errors).toEqual([]);
  });

  it("has every page in both languages", () => {
    for (const lang of LANGS) {
      expect(result.pages.filter((p) => p.lang === lang).map((p) => p.stem)).toEqual(["index", ...CHAPTERS]);
    }
  });

  it("plots the learning rate and the loss in the training chapter, the confusion matrix in the evaluation chapter", () => {
    for (const lang of LANGS) {
      const plots = (stem: string) => result.pages.find((p) => p.lang === lang && p.stem === stem)!.plots;
      expect(plots("05-training-loop")).toBe(2);
      expect(plots("06-evaluation-loop")).toBe(1);
    }
    const html = readFileSync(join(out, "en", "05-training-loop.html"), "utf8");
    expect(html).toMatch(/<svg class="plot"[^>]*aria-label="Learning rate at each step/);
    expect(html).toMatch(/<svg class="plot"[^>]*aria-label="Training loss at each step/);
  });

  it("has no broken internal link (parsed from the written HTML)", () => {
    expect(checkLinks(out)).toEqual([]);
  });
});
