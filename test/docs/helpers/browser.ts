import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install -y chromium); .ci/run does this before npm test`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".js": "text/javascript",
};

/** A static server for the built site on 127.0.0.1 (a free port). */
export async function serveStatic(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = resolve(join(root, path));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export interface PageReport {
  path: string;
  lang: string;
  stem: string;
  codeBlocks: { width: number; height: number }[];
  plots: { width: number; height: number; texts: number }[];
  keywordColor: string | null;
  failedRequests: string[];
  consoleErrors: string[];
  switchedTo: { path: string; lang: string; stem: string };
}

/** Open one page, measure what rendered, screenshot it, then follow the language switch. */
export async function inspectPage(browser: Browser, base: string, path: string, screenshotDir: string): Promise<PageReport> {
  mkdirSync(screenshotDir, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const failedRequests: string[] = [];
  const consoleErrors: string[] = [];
  page.on("requestfailed", (r) => failedRequests.push(`${r.url()} (${r.failure()?.errorText ?? "failed"})`));
  page.on("response", (r) => {
    if (r.status() >= 400) failedRequests.push(`${r.url()} (HTTP ${r.status()})`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  try {
    await page.goto(`${base}/${path}`, { waitUntil: "load" });
    const box = async (sel: string) =>
      page.$$eval(sel, (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { width: r.width, height: r.height, texts: e.querySelectorAll("text").length };
        }),
      );
    const codeBlocks = (await box("figure.code pre code")).map(({ width, height }) => ({ width, height }));
    const plots = await box("svg.plot");
    const keywordColor = await page.$eval(".hljs-keyword", (e) => getComputedStyle(e).color).catch(() => null);
    const lang = await page.evaluate(() => document.documentElement.lang);
    const stem = await page.evaluate(() => document.body.dataset.page ?? "");
    await page.screenshot({ path: join(screenshotDir, `${lang}-${stem}.png`), fullPage: true });
    await Promise.all([page.waitForURL((u) => !u.pathname.endsWith(`/${path}`)), page.click("#lang-switch")]);
    const switchedTo = {
      path: new URL(page.url()).pathname.replace(/^\//, ""),
      lang: await page.evaluate(() => document.documentElement.lang),
      stem: await page.evaluate(() => document.body.dataset.page ?? ""),
    };
    return { path, lang, stem, codeBlocks, plots, keywordColor, failedRequests, consoleErrors, switchedTo };
  } finally {
    await page.close();
  }
}
