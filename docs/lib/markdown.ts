import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import markdownIt, { type MarkdownIt, type StateBlock, type StateCore, type Token } from "markdown-it";
import anchor from "markdown-it-anchor";
import container from "markdown-it-container";
import hljs from "highlight.js/lib/core";
import typescript from "highlight.js/lib/languages/typescript";
import python from "highlight.js/lib/languages/python";
import bash from "highlight.js/lib/languages/bash";
import json from "highlight.js/lib/languages/json";
import type { ApiMapRow } from "../api-map";
import { formatGolden, GoldenStore, type Json } from "./golden";
import { UI, type Lang } from "./i18n";
import { confusionMatrix, lineChart } from "./plots";
import { extractRegion } from "./regions";

hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("python", python);
hljs.registerLanguage("bash", bash);
hljs.registerLanguage("json", json);

/** Per-page state shared by the rules: who is rendering, and where errors go. */
export type PageEnv = {
  lang: Lang;
  /** The source page, relative to the project root (named in every error). */
  page: string;
  /** The page stem: `02-dataloaders`, or `index`. */
  stem: string;
  root: string;
  golden: GoldenStore;
  apiMap: ApiMapRow[];
  errors: string[];
  /** What the page pulled in, for the tests: `file#region` and golden references. */
  includes: string[];
  goldenRefs: string[];
  plots: number;
};

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** ASCII slugs, so French headings give the same kind of ids as English ones. */
export function slugify(s: string): string {
  return (
    s
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "section"
  );
}

export function highlight(code: string, lang: string): string {
  const language = lang === "ts" ? "typescript" : lang === "sh" ? "bash" : lang;
  if (language && hljs.getLanguage(language)) return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  return escapeHtml(code);
}

function fail(env: PageEnv, message: string): string {
  env.errors.push(`${env.page}: ${message}`);
  return `<div class="build-error">${escapeHtml(message)}</div>`;
}

/** `key=value` and `key="a value"` pairs after a directive. */
export function parseAttrs(s: string): { positional: string[]; attrs: Record<string, string> } {
  const positional: string[] = [];
  const attrs: Record<string, string> = {};
  const re = /(\w[\w-]*)=(?:"([^"]*)"|(\S+))|"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    if (m[1] !== undefined) attrs[m[1]] = m[2] ?? m[3] ?? "";
    else positional.push(m[4] ?? m[5] ?? "");
  }
  return { positional, attrs };
}

function numberFormat(lang: Lang): (v: number) => string {
  return (v) => (lang === "fr" ? String(v).replace(".", ",") : String(v));
}

function asNumbers(v: Json, what: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) throw new Error(`${what} must be an array of numbers, found ${JSON.stringify(v).slice(0, 80)}`);
  return v as number[];
}

/** counts[true][predicted], from a matrix or from binary counts (`{ tn, fp, fn, tp }` or the run record's long names). */
function asConfusion(v: Json, what: string): number[][] {
  if (Array.isArray(v)) return v.map((row, i) => asNumbers(row, `${what}[${i}]`));
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, Json>;
    for (const keys of [
      ["tn", "fp", "fn", "tp"],
      ["trueNegative", "falsePositive", "falseNegative", "truePositive"],
    ]) {
      if (keys.every((k) => typeof o[k] === "number")) {
        const [tn, fp, fn, tp] = keys.map((k) => o[k] as number) as [number, number, number, number];
        return [
          [tn, fp],
          [fn, tp],
        ];
      }
    }
  }
  throw new Error(
    `${what} must be a square matrix counts[true][predicted], { tn, fp, fn, tp } or { trueNegative, falsePositive, falseNegative, truePositive }, found ${JSON.stringify(v).slice(0, 100)}`,
  );
}

function renderInclude(env: PageEnv, arg: string): string {
  const [file, region] = arg.split("#") as [string, string | undefined];
  if (!file) return fail(env, `"::: include" needs a file: "::: include chapters/05-training-loop.ts#training-loop"`);
  try {
    const r = extractRegion(env.root, file, region);
    env.includes.push(region ? `${file}#${region}` : file);
    const ui = UI[env.lang];
    const caption = `${ui.codeFrom} <code>${escapeHtml(file)}</code>, ${ui.lines} ${r.startLine}–${r.endLine}`;
    return (
      `<figure class="code" data-source="${escapeHtml(file)}" data-region="${escapeHtml(region ?? "")}">` +
      `<figcaption>${caption}</figcaption>` +
      `<pre><code class="hljs language-typescript">${highlight(r.code, "ts")}</code></pre></figure>\n`
    );
  } catch (e) {
    return fail(env, `include "${arg}": ${(e as Error).message}`);
  }
}

function renderPlot(env: PageEnv, arg: string): string {
  const { positional, attrs } = parseAttrs(arg);
  const [kind, ref] = positional;
  const title = attrs.title ?? "";
  try {
    if (!ref) throw new Error(`"::: plot ${kind ?? ""}" needs a golden reference, e.g. "::: plot line run-record.steps[].lr"`);
    const value = env.golden.get(ref);
    env.goldenRefs.push(ref);
    const fmt = numberFormat(env.lang);
    let svg: string;
    if (kind === "line") {
      svg = lineChart({
        title,
        xLabel: attrs.x ?? "",
        yLabel: attrs.y ?? "",
        values: asNumbers(value, ref),
        smooth: attrs.smooth ? Number(attrs.smooth) : undefined,
        rawLabel: attrs.raw,
        smoothLabel: attrs.smoothed,
        format: fmt,
      });
    } else if (kind === "confusion") {
      svg = confusionMatrix({
        title,
        counts: asConfusion(value, ref),
        labels: (attrs.labels ?? "").split("|"),
        xLabel: attrs.x ?? "",
        yLabel: attrs.y ?? "",
        format: fmt,
      });
    } else {
      throw new Error(`unknown plot kind "${kind ?? ""}" (use line or confusion)`);
    }
    env.plots++;
    return `<figure class="plot">${svg}${title ? `<figcaption>${escapeHtml(title)}</figcaption>` : ""}</figure>\n`;
  } catch (e) {
    return fail(env, `plot "${arg}": ${(e as Error).message}`);
  }
}

function renderApiMap(env: PageEnv): string {
  const rows = env.apiMap.filter((r) => r.chapters.includes(env.stem));
  if (rows.length === 0) return fail(env, `"::: api-map": no row of docs/api-map.ts names chapter "${env.stem}"`);
  const source = `chapters/${env.stem}.ts`;
  const path = resolve(env.root, source);
  if (!existsSync(path)) return fail(env, `"::: api-map": file "${source}" not found`);
  const text = readFileSync(path, "utf8");
  for (const row of rows) {
    for (const id of row.uses) {
      if (!new RegExp(`\\b${id.replace(/[.$]/g, "\\$&")}\\b`).test(text)) {
        fail(env, `docs/api-map.ts row \`${row.python}\` says ${source} uses "${id}", but "${id}" does not appear in ${source}`);
      }
    }
  }
  const ui = UI[env.lang];
  const body = rows
    .map(
      (r) =>
        `<tr><td><code class="hljs language-python">${highlight(r.python, "python")}</code></td>` +
        `<td><code class="hljs language-typescript">${highlight(r.ts, "ts")}</code></td><td>${escapeHtml(r.note[env.lang])}</td></tr>`,
    )
    .join("");
  return (
    `<div class="table-wrap"><table class="api-map"><thead><tr><th>${ui.apiCourse}</th><th>${ui.apiKit}</th><th>${ui.apiRemark}</th></tr></thead>` +
    `<tbody>${body}</tbody></table></div>\n`
  );
}

/** Block directives on one line: `::: include file#region`, `::: plot kind ref attrs`, `::: api-map`. */
function directiveRule(state: StateBlock, startLine: number, _endLine: number, silent: boolean): boolean {
  const start = state.bMarks[startLine]! + state.tShift[startLine]!;
  const line = state.src.slice(start, state.eMarks[startLine]);
  const m = /^:::\s*(include|plot|api-map)\b\s*(.*)$/.exec(line);
  if (!m) return false;
  if (silent) return true;
  const token = state.push("kit_directive", "", 0);
  token.info = m[1]!;
  token.content = m[2]!.trim();
  token.map = [startLine, startLine + 1];
  token.block = true;
  state.line = startLine + 1;
  return true;
}

/** `{{golden:ref}}`, `{{golden:ref|format}}`, or `{{golden:ref format}}` (the form to use in tables, where `|` splits cells). */
const GOLDEN = /\{\{golden:([^}|\s]+)(?:\s*\|\s*|\s+)?([^}\s]+)?\s*\}\}/g;

/** Replace `{{golden:ref|format}}` in text and inline code after inline parsing. */
function goldenRule(state: StateCore): void {
  const env = state.env as unknown as PageEnv;
  const sub = (s: string) =>
    s.replace(GOLDEN, (_all, ref: string, format: string | undefined) => {
      try {
        const v = formatGolden(env.golden.get(ref.trim()), format?.trim(), env.lang);
        env.goldenRefs.push(ref.trim());
        return v;
      } catch (e) {
        env.errors.push(`${env.page}: {{golden:${ref}}}: ${(e as Error).message}`);
        return `⟨missing ${ref}⟩`;
      }
    });
  for (const block of state.tokens) {
    if (block.type !== "inline" || !block.children) continue;
    for (const t of block.children as Token[]) {
      if ((t.type === "text" || t.type === "code_inline") && t.content.includes("{{golden:")) t.content = sub(t.content);
    }
  }
}

export function createMarkdown(): MarkdownIt {
  const md: MarkdownIt = markdownIt({
    html: true,
    highlight: (code, lang) => `<pre><code class="hljs language-${escapeHtml(lang || "text")}">${highlight(code, lang)}</code></pre>`,
  });
  md.use(anchor, { slugify, tabIndex: false, level: [2, 3], permalink: anchor.permalink.headerLink({ safariReaderFix: true }) });
  for (const kind of ["note", "tip", "warning"] as const) {
    md.use(container, kind, {
      render(tokens: Token[], idx: number, _options: unknown, env: PageEnv) {
        const t = tokens[idx]!;
        if (t.nesting !== 1) return "</aside>\n";
        const custom = t.info.trim().slice(kind.length).trim();
        const title = custom || UI[env.lang][kind];
        return `<aside class="admonition ${kind}"><p class="admonition-title">${md.utils.escapeHtml(title)}</p>\n`;
      },
    });
  }
  md.block.ruler.before("fence", "kit_directive", directiveRule, { alt: ["paragraph", "reference", "blockquote", "list"] });
  md.renderer.rules.kit_directive = (tokens, idx, _o, pageEnv) => {
    const env = pageEnv as PageEnv;
    const t = tokens[idx]!;
    if (t.info === "include") return renderInclude(env, t.content);
    if (t.info === "plot") return renderPlot(env, t.content);
    return renderApiMap(env);
  };
  md.core.ruler.push("kit_golden", goldenRule);
  return md;
}

export interface TocEntry {
  level: number;
  id: string;
  text: string;
}

/** h2/h3 headings with the ids markdown-it-anchor gave them, and the page title (the h1). */
export function outline(tokens: Token[]): { title: string; toc: TocEntry[] } {
  let title = "";
  const toc: TocEntry[] = [];
  tokens.forEach((t, i) => {
    if (t.type !== "heading_open") return;
    const inline = tokens[i + 1]!;
    const text = (inline.children ?? []).filter((c) => c.type === "text" || c.type === "code_inline").map((c) => c.content).join("");
    const level = Number(t.tag.slice(1));
    if (level === 1 && !title) title = text;
    const id = t.attrGet("id");
    if (id !== null && typeof id !== "string") return;
    if ((level === 2 || level === 3) && id) toc.push({ level, id, text });
  });
  return { title, toc };
}
