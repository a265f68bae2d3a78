// Every page of the real site, opened in headless Chromium (Debian's package, installed by .ci/run).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSite, type BuildResult } from "../../docs/build";
import { CHROMIUM, inspectPage, launchChromium, serveStatic, type PageReport } from "./helpers/browser";

const ROOT = resolve(import.meta.dirname, "..", "..");

describe("the documentation in a real browser", () => {
  let result: BuildResult;
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof serveStatic>> | undefined;
  const reports: PageReport[] = [];

  beforeAll(async () => {
    result = buildSite({ root: ROOT });
    server = await serveStatic(result.outDir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(`finds Chromium at ${CHROMIUM}`, () => {
    expect(existsSync(CHROMIUM), `install it with: apt-get install -y chromium (.ci/run does)`).toBe(true);
  });

  it("opens every page; code and plots render with a size; the language switch lands on the same page", async () => {
    const problems: string[] = [];
    for (const built of result.pages) {
      const r = await inspectPage(browser!, server!.url, built.output, join(result.outDir, "screenshots"));
      reports.push(r);
      const where = built.output;
      if (r.lang !== built.lang || r.stem !== built.stem) problems.push(`${where}: opened as ${r.lang}/${r.stem}`);
      if (r.codeBlocks.length !== built.includes.length) problems.push(`${where}: ${r.codeBlocks.length} code blocks shown, ${built.includes.length} included`);
      if (built.stem !== "index" && r.codeBlocks.length === 0) problems.push(`${where}: a chapter page without code`);
      r.codeBlocks.forEach((b, i) => {
        if (!(b.width > 0 && b.height > 0)) problems.push(`${where}: code block ${i} has size ${b.width}x${b.height}`);
      });
      if (r.codeBlocks.length && (r.keywordColor === null || r.keywordColor === "rgb(0, 0, 0)" || r.keywordColor === "rgb(31, 35, 40)")) {
        problems.push(`${where}: keywords are not highlighted (color ${r.keywordColor})`);
      }
      if (r.plots.length !== built.plots) problems.push(`${where}: ${r.plots.length} plots shown, ${built.plots} built`);
      r.plots.forEach((p, i) => {
        if (!(p.width > 0 && p.height > 0 && p.texts > 0)) problems.push(`${where}: plot ${i} has size ${p.width}x${p.height} and ${p.texts} labels`);
      });
      const other = built.lang === "en" ? "fr" : "en";
      if (r.switchedTo.path !== `${other}/${built.stem}.html` || r.switchedTo.lang !== other || r.switchedTo.stem !== built.stem) {
        problems.push(`${where}: the language switch went to ${r.switchedTo.path} (${r.switchedTo.lang}/${r.switchedTo.stem})`);
      }
      for (const f of r.failedRequests) problems.push(`${where}: request failed: ${f}`);
      for (const e of r.consoleErrors) problems.push(`${where}: console error: ${e}`);
    }
    expect(problems).toEqual([]);
    expect(reports).toHaveLength(result.pages.length);
    expect(result.pages.length).toBeGreaterThanOrEqual(18);
    expect(existsSync(join(result.outDir, "screenshots", "en-05-training-loop.png"))).toBe(true);
    expect(existsSync(join(result.outDir, "screenshots", "fr-06-evaluation-loop.png"))).toBe(true);
  }, 240_000);
});
