import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Token } from "markdown-it";
import { API_MAP, type ApiMapRow } from "../api-map";
import { GoldenStore } from "./golden";
import { LANGS, type Lang } from "./i18n";
import { layout, rootIndex, type NavPage } from "./layout";
import { checkLinks } from "./links";
import { createMarkdown, outline, type PageEnv, type TocEntry } from "./markdown";

export interface BuildOptions {
  /** Project root: `::: include` paths and `golden/` resolve against it. */
  root: string;
  /** Where `en/` and `fr/` live (default `<root>/docs`). */
  sourceDir?: string;
  /** Output directory (default `<root>/docs/site`); emptied first if it holds a previous build. */
  outDir?: string;
  apiMap?: ApiMapRow[];
}

export interface BuiltPage {
  lang: Lang;
  stem: string;
  /** Source file relative to root. */
  source: string;
  /** Output file relative to outDir. */
  output: string;
  title: string;
  includes: string[];
  goldenRefs: string[];
  plots: number;
}

export interface BuildResult {
  outDir: string;
  pages: BuiltPage[];
  /** Every problem found, each naming the page and what is missing; empty when the build is good. */
  errors: string[];
}

const MARKER = ".kit-docs-build";
const HERE = dirname(fileURLToPath(import.meta.url));

/** Chapter pages are `NN-name.md`; `index.md` comes first. */
export function pageOrder(stems: string[]): string[] {
  const chapters = stems.filter((s) => /^\d\d-/.test(s)).sort();
  const others = stems.filter((s) => s !== "index" && !/^\d\d-/.test(s)).sort();
  return [...(stems.includes("index") ? ["index"] : []), ...chapters, ...others];
}

function listStems(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .map((f) => f.slice(0, -3));
}

function prepareOut(outDir: string): void {
  if (existsSync(outDir)) {
    const entries = readdirSync(outDir);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(`refusing to empty ${outDir}: it is not a previous docs build (no ${MARKER}); choose another --out`);
    }
    rmSync(outDir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, MARKER), "written by docs/build.ts; this directory is emptied on every build\n");
}

function copyAssets(outDir: string): void {
  const assets = join(outDir, "assets");
  mkdirSync(assets, { recursive: true });
  copyFileSync(join(HERE, "..", "assets", "style.css"), join(assets, "style.css"));
  const require = createRequire(import.meta.url);
  copyFileSync(require.resolve("highlight.js/styles/github.css"), join(assets, "hljs.css"));
}

export function buildSite(options: BuildOptions): BuildResult {
  const root = resolve(options.root);
  const sourceDir = resolve(options.sourceDir ?? join(root, "docs"));
  const outDir = resolve(options.outDir ?? join(root, "docs", "site"));
  const golden = new GoldenStore(root);
  const md = createMarkdown();
  const errors: string[] = [];
  const rel = (p: string) => relative(root, p) || ".";

  const stems = Object.fromEntries(LANGS.map((l) => [l, listStems(join(sourceDir, l))])) as Record<Lang, string[]>;
  for (const lang of LANGS) {
    if (!stems[lang].includes("index")) errors.push(`${rel(join(sourceDir, lang, "index.md"))}: missing (every language needs an index page)`);
    for (const other of LANGS) {
      if (other === lang) continue;
      for (const s of stems[lang]) {
        if (!stems[other].includes(s)) errors.push(`${rel(join(sourceDir, lang, s + ".md"))} has no ${other} page: write ${rel(join(sourceDir, other, s + ".md"))}`);
      }
    }
  }

  prepareOut(outDir);
  copyAssets(outDir);
  writeFileSync(join(outDir, "index.html"), rootIndex());

  const pages: BuiltPage[] = [];
  for (const lang of LANGS) {
    const parsed: { stem: string; env: PageEnv; tokens: Token[]; title: string; toc: TocEntry[] }[] = [];
    for (const stem of pageOrder(stems[lang])) {
      const file = join(sourceDir, lang, `${stem}.md`);
      const env: PageEnv = {
        lang,
        page: rel(file),
        stem,
        root,
        golden,
        apiMap: options.apiMap ?? API_MAP,
        errors,
        includes: [],
        goldenRefs: [],
        plots: 0,
      };
      const tokens = md.parse(readFileSync(file, "utf8"), env);
      const { title, toc } = outline(tokens);
      if (!title) errors.push(`${env.page}: no "# Title" heading`);
      parsed.push({ stem, env, tokens, title: title || stem, toc });
    }
    const nav: NavPage[] = parsed.map((p) => ({ stem: p.stem, title: p.title }));
    mkdirSync(join(outDir, lang), { recursive: true });
    for (const p of parsed) {
      const body = md.renderer.render(p.tokens, md.options, p.env);
      if (body.includes("{{golden:")) errors.push(`${p.env.page}: a "{{golden:...}}" placeholder was left unresolved (inside a link, a heading id or HTML?)`);
      const output = join(lang, `${p.stem}.html`);
      writeFileSync(join(outDir, output), layout({ lang, stem: p.stem, title: p.title, body, toc: p.toc, pages: nav }));
      pages.push({ lang, stem: p.stem, source: p.env.page, output, title: p.title, includes: p.env.includes, goldenRefs: p.env.goldenRefs, plots: p.env.plots });
    }
  }

  for (const b of checkLinks(outDir)) errors.push(`broken link in ${b.page}: "${b.href}" (${b.reason})`);
  return { outDir, pages, errors };
}
