import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { docsCli } from "../../docs/build";
import { checkLinks } from "../../docs/lib/links";
import { buildAt, cleanup, copyMini } from "./helpers/fixture";

afterAll(cleanup);

const edit = (root: string, rel: string, f: (s: string) => string) => writeFileSync(join(root, rel), f(readFileSync(join(root, rel), "utf8")));
const page = (root: string, rel: string) => readFileSync(join(root, "site", rel), "utf8");

describe("docs build on the mini fixture", () => {
  const root = copyMini();
  const result = buildAt(root);

  it("builds every page of both languages without errors", () => {
    expect(result.errors).toEqual([]);
    expect(result.pages.map((p) => p.output).sort()).toEqual(
      ["en/01-alpha.html", "en/02-beta.html", "en/index.html", "fr/01-alpha.html", "fr/02-beta.html", "fr/index.html"].sort(),
    );
  });

  it("includes the region's code, dedented, without nested markers, highlighted", () => {
    const html = page(root, "en/01-alpha.html");
    const text = html.replace(/<[^>]+>/g, "");
    expect(text).toContain("let total = 0;\nfor (let i = 0; i &lt; 3; i++) total += i;\nreturn total;");
    expect(text).not.toContain("#region");
    expect(html).toContain('<span class="hljs-keyword">export</span>');
    expect(html).toMatch(/chapters\/01-alpha\.ts<\/code>, lines 3–5/);
  });

  it("prints golden values, localised, in prose and in inline code", () => {
    expect(page(root, "en/01-alpha.html")).toContain("There are 459 batches of shape <code>[8, 67]</code>, accuracy 0.684.");
    expect(page(root, "fr/01-alpha.html")).toContain("Il y a 459 lots de forme <code>[8, 67]</code>, exactitude 0,684.");
    // in a table, where "|" would split the cell, the format follows a space
    expect(page(root, "en/01-alpha.html")).toContain("<td>accuracy</td>\n<td>0.68</td>");
  });

  it("renders admonitions with a localised title", () => {
    expect(page(root, "en/01-alpha.html")).toContain('<aside class="admonition tip"><p class="admonition-title">Tip</p>');
    expect(page(root, "fr/01-alpha.html")).toContain('<aside class="admonition note"><p class="admonition-title">Remarque</p>');
  });

  it("links each page to the same page in the other language, to its neighbours and to the course", () => {
    const en = page(root, "en/01-alpha.html");
    expect(en).toContain('id="lang-switch" class="lang-switch" href="../fr/01-alpha.html"');
    expect(en).toContain('rel="prev" href="index.html"');
    expect(en).toContain('rel="next" href="02-beta.html"');
    expect(en).toContain('href="https://huggingface.co/learn/llm-course/chapter3/4"');
    expect(page(root, "fr/02-beta.html")).toContain('href="https://huggingface.co/learn/llm-course/fr/chapter3/4"');
    expect(page(root, "fr/02-beta.html")).toContain('href="../en/02-beta.html"');
  });

  it("builds a table of contents from the h2 headings, with ASCII anchors for French", () => {
    expect(page(root, "en/01-alpha.html")).toMatch(/<aside class="toc">.*href="#greeting">Greeting<.*href="#counting">Counting</s);
    expect(page(root, "fr/index.html")).toContain('href="02-beta.html#la-boucle"');
    expect(page(root, "fr/02-beta.html")).toContain('id="la-boucle"');
  });

  it("renders the API map rows of the page's chapter in the page's language", () => {
    const fr = page(root, "fr/02-beta.html");
    expect(fr).toContain("<th>Cours (Python)</th>");
    expect(fr).toContain("une boucle à la C");
    expect(fr).not.toContain("le même appel");
  });

  it("draws the plots from the run record, with real text labels", () => {
    const en = page(root, "en/02-beta.html");
    expect(result.pages.find((p) => p.output === "en/02-beta.html")!.plots).toBe(3);
    expect(en.match(/<svg class="plot"/g)).toHaveLength(3);
    for (const label of ["learning rate", "not equivalent", "predicted", "126", "277"]) expect(en).toContain(`>${label}</text>`);
    // lr values from 5e-5 to 1e-5: the axis ticks are in scientific notation
    expect(en).toContain(">4e-5</text>");
  });
});

describe("docs build failures name the page, the file and the missing name", () => {
  it("a missing region", () => {
    const root = copyMini();
    edit(root, "docs/en/01-alpha.md", (s) => s.replace("#greet", "#greeting"));
    const { errors } = buildAt(root);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^docs\/en\/01-alpha\.md: include "chapters\/01-alpha\.ts#greeting": region "greeting" not found in chapters\/01-alpha\.ts \(regions there: greet, count, inner\)/);
  });

  it("a missing file", () => {
    const root = copyMini();
    edit(root, "docs/fr/02-beta.md", (s) => s.replace("chapters/02-beta.ts#loop", "chapters/02-gamma.ts#loop"));
    const { errors } = buildAt(root);
    expect(errors.join("\n")).toMatch(/docs\/fr\/02-beta\.md: include "chapters\/02-gamma\.ts#loop": file "chapters\/02-gamma\.ts" not found/);
  });

  it("a region never closed", () => {
    const root = copyMini();
    edit(root, "chapters/02-beta.ts", (s) => s.replace("// #endregion loop", ""));
    const { errors } = buildAt(root);
    expect(errors.some((e) => e.includes('chapters/02-beta.ts:4: region "loop" is never closed'))).toBe(true);
  });

  it("a missing golden key", () => {
    const root = copyMini();
    edit(root, "docs/en/01-alpha.md", (s) => s.replace("01-alpha.trainBatches", "01-alpha.evalBatches"));
    const { errors } = buildAt(root);
    expect(errors).toEqual([
      expect.stringMatching(/^docs\/en\/01-alpha\.md: \{\{golden:01-alpha\.evalBatches\}\}: golden key "evalBatches" not found in golden\/01-alpha\.json: no "evalBatches" in an object with keys trainBatches, shape, metrics, batches/),
    ]);
  });

  it("a missing golden file, and a missing key under a plot", () => {
    const root = copyMini();
    rmSync(join(root, "golden/01-alpha.json"));
    edit(root, "docs/fr/02-beta.md", (s) => s.replace("steps.loss", "steps.los"));
    const { errors } = buildAt(root);
    expect(errors.some((e) => /^docs\/en\/01-alpha\.md: .*golden file golden\/01-alpha\.json not found/.test(e))).toBe(true);
    expect(errors.some((e) => /^docs\/fr\/02-beta\.md: plot .*golden key "steps\.los" not found in golden\/run-record\.json: no "los"/.test(e))).toBe(true);
  });

  it("a page missing in the other language", () => {
    const root = copyMini();
    rmSync(join(root, "docs/fr/02-beta.md"));
    const { errors } = buildAt(root);
    expect(errors).toContain("docs/en/02-beta.md has no fr page: write docs/fr/02-beta.md");
  });

  it("an API map row naming an identifier the chapter does not use", () => {
    const root = copyMini();
    const { errors } = buildAt(root, [{ chapters: ["01-alpha", "02-beta"], python: "x", ts: "x", uses: ["greet"], note: { en: "", fr: "" } }]);
    expect(errors).toContain('docs/en/02-beta.md: docs/api-map.ts row `x` says chapters/02-beta.ts uses "greet", but "greet" does not appear in chapters/02-beta.ts');
  });

  it("a broken internal link or anchor", () => {
    const root = copyMini();
    edit(root, "docs/en/index.md", (s) => s.replace("02-beta.html#the-loop", "02-beta.html#a-loop").replace("01-alpha.html", "01-alfa.html"));
    const { errors } = buildAt(root);
    expect(errors).toEqual([
      'broken link in en/index.html: "01-alfa.html" (no file en/01-alfa.html)',
      'broken link in en/index.html: "02-beta.html#a-loop" (no id "a-loop" in en/02-beta.html)',
    ]);
    expect(checkLinks(join(root, "site"))).toHaveLength(2);
  });
});

describe("docsCli", () => {
  it("returns 0 on a good tree and 1, listing the problems, on a broken one", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const root = copyMini();
      // The real API map names the real chapters; the fixture has none of them, so every chapter page fails on it.
      expect(await docsCli(["--root", root, "--out", join(root, "out")])).toBe(1);
      expect(err.mock.calls.flat().join("\n")).toContain('docs/en/01-alpha.md: "::: api-map": no row of docs/api-map.ts names chapter "01-alpha"');
      expect(await docsCli(["--frobnicate"])).toBe(2);
      expect(await docsCli(["--help"])).toBe(0);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });

  it("refuses to empty an output directory that is not a previous build", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const root = copyMini();
      expect(await docsCli(["--root", root, "--out", join(root, "docs")])).toBe(1);
      expect(err.mock.calls.flat().join("\n")).toMatch(/refusing to empty .*docs: it is not a previous docs build/);
      expect(readFileSync(join(root, "docs/en/index.md"), "utf8")).toContain("# Fixture site");
    } finally {
      err.mockRestore();
    }
  });
});
