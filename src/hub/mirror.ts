// Tier 1: mirror folders laid out as the Hub's URLs are (models/<repo>/<file>, datasets/<repo>/<file>),
// e.g. ../shared/hub. A mirror has no revisions: it answers for whatever revision is asked.
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { repoKind, type HubFileRequest } from "./types";

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Mirror directories, in order: KIT_HUB_MIRROR (":"-separated; "" for none), else ../shared/hub when it exists. */
export function mirrorDirs(): string[] {
  const env = process.env.KIT_HUB_MIRROR;
  if (env !== undefined) return env.split(":").filter((d) => d.length > 0);
  const fallback = join(PACKAGE_ROOT, "..", "shared", "hub");
  return existsSync(fallback) ? [fallback] : [];
}

/** Where each mirror would hold the file, in lookup order. */
export function mirrorCandidates(request: HubFileRequest): string[] {
  return mirrorDirs().map((dir) => join(dir, repoKind(request), request.repo, request.file));
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
