import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export interface BrokenLink {
  /** The page holding the link, relative to the site directory. */
  page: string;
  href: string;
  reason: string;
}

export function htmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...htmlFiles(p));
    else if (name.endsWith(".html")) out.push(p);
  }
  return out.sort();
}

function ids(html: string): Set<string> {
  const set = new Set<string>();
  for (const m of html.matchAll(/\sid="([^"]*)"/g)) set.add(m[1]!);
  for (const m of html.matchAll(/<a\s[^>]*name="([^"]*)"/g)) set.add(m[1]!);
  return set;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/**
 * Every internal href/src of every page must name an existing file, and its #fragment an existing id there.
 * External links (http:, https:, mailto:) are not fetched: the build runs offline.
 */
export function checkLinks(siteDir: string): BrokenLink[] {
  const root = resolve(siteDir);
  const pages = htmlFiles(root);
  const cache = new Map<string, Set<string>>();
  const idsOf = (file: string) => {
    let s = cache.get(file);
    if (!s) cache.set(file, (s = ids(readFileSync(file, "utf8"))));
    return s;
  };
  const broken: BrokenLink[] = [];
  for (const page of pages) {
    const html = readFileSync(page, "utf8");
    for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const raw = unescape(m[1]!);
      if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(raw)) continue;
      const rel = relative(root, page);
      const [pathPart, fragment] = raw.split("#", 2) as [string, string | undefined];
      let target = pathPart === "" ? page : resolve(dirname(page), decodeURIComponent(pathPart));
      if (!target.startsWith(root)) {
        broken.push({ page: rel, href: raw, reason: "points outside the site" });
        continue;
      }
      if (existsSync(target) && statSync(target).isDirectory()) target = join(target, "index.html");
      if (!existsSync(target)) {
        broken.push({ page: rel, href: raw, reason: `no file ${relative(root, target)}` });
        continue;
      }
      if (fragment && target.endsWith(".html") && !idsOf(target).has(decodeURIComponent(fragment))) {
        broken.push({ page: rel, href: raw, reason: `no id "${fragment}" in ${relative(root, target)}` });
      }
    }
  }
  return broken;
}
