// Where the read-only oracle and hub mirror live: ../shared beside the package root.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHARED = process.env.KIT_SHARED_DIR ?? join(PACKAGE_ROOT, "..", "shared");
export const REFERENCE = join(SHARED, "reference");
export const HUB_MIRROR = join(SHARED, "hub");
export const TINY_REF_DIR = join(REFERENCE, "tiny-v128-h32");
export const TINY_CHECKPOINT = join(TINY_REF_DIR, "checkpoint");

export function readReference<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(join(REFERENCE, relativePath), "utf8")) as T;
}
