import { escapeHtml, type TocEntry } from "./markdown";
import { otherLang, UI, type Lang } from "./i18n";

export interface NavPage {
  stem: string;
  title: string;
}

export interface LayoutInput {
  lang: Lang;
  stem: string;
  title: string;
  body: string;
  toc: TocEntry[];
  /** Every page of this language in reading order (index first). */
  pages: NavPage[];
}

const href = (stem: string) => `${stem}.html`;

export function layout(p: LayoutInput): string {
  const ui = UI[p.lang];
  const other = otherLang(p.lang);
  const i = p.pages.findIndex((x) => x.stem === p.stem);
  const prev = i > 0 ? p.pages[i - 1] : undefined;
  const next = i >= 0 && i < p.pages.length - 1 ? p.pages[i + 1] : undefined;
  const nav = p.pages
    .map((x) => `<li${x.stem === p.stem ? ' class="current"' : ""}><a href="${href(x.stem)}"${x.stem === p.stem ? ' aria-current="page"' : ""}>${escapeHtml(x.title)}</a></li>`)
    .join("");
  const toc = p.toc.length
    ? `<aside class="toc"><p class="toc-title">${ui.onThisPage}</p><ul>${p.toc
        .map((t) => `<li class="toc-h${t.level}"><a href="#${escapeHtml(t.id)}">${escapeHtml(t.text)}</a></li>`)
        .join("")}</ul></aside>`
    : "";
  const pager =
    `<nav class="pager">` +
    (prev ? `<a class="prev" rel="prev" href="${href(prev.stem)}"><span>${ui.previous}</span>${escapeHtml(prev.title)}</a>` : "<span></span>") +
    (next ? `<a class="next" rel="next" href="${href(next.stem)}"><span>${ui.next}</span>${escapeHtml(next.title)}</a>` : "<span></span>") +
    `</nav>`;
  return `<!doctype html>
<html lang="${p.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(p.title)} · ${ui.siteTitle}</title>
<link rel="stylesheet" href="../assets/hljs.css">
<link rel="stylesheet" href="../assets/style.css">
<link rel="alternate" hreflang="${other}" href="../${other}/${href(p.stem)}">
</head>
<body data-page="${escapeHtml(p.stem)}">
<header class="top">
<a class="brand" href="index.html">${ui.siteTitle}</a>
<a id="lang-switch" class="lang-switch" href="../${other}/${href(p.stem)}" hreflang="${other}" lang="${other}">${ui.switchTo}</a>
</header>
<div class="layout">
<nav class="chapters" aria-label="${ui.contents}"><p class="nav-title">${ui.contents}</p><ol>${nav}</ol></nav>
<main>
<p class="course-link">${ui.follows} <a href="${ui.courseUrl}">${ui.courseTitle}</a>.</p>
${p.body}
${pager}
</main>
${toc}
</div>
</body>
</html>
`;
}

/** The site root sends readers to the English index, and offers French. */
export function rootIndex(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>full-training-kit</title>
<meta http-equiv="refresh" content="0; url=en/index.html">
<link rel="stylesheet" href="assets/style.css"></head>
<body><main class="root"><p><a href="en/index.html">English</a> · <a href="fr/index.html" lang="fr">Français</a></p></main></body></html>
`;
}
