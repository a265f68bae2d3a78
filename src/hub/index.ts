// Hub file resolution (DESIGN.md §5). CONTRACT used by tokenizers, models and datasets; the hub issue
// fills in the cache and download tiers behind these same signatures.
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export type RepoType = "model" | "dataset";

export type HubFileRequest = {
  /** "bert-base-uncased", "nyu-mll/glue", ... */
  repo: string;
  /** Path inside the repo, e.g. "config.json" or "mrpc/train-00000-of-00001.parquet". */
  file: string;
  repoType?: RepoType;
  revision?: string;
};

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Mirror directories, in order: KIT_HUB_MIRROR (path list), else ../shared/hub when it exists. */
export function mirrorDirs(): string[] {
  const env = process.env.KIT_HUB_MIRROR;
  if (env !== undefined) return env.split(":").filter((d) => d.length > 0);
  const fallback = join(PACKAGE_ROOT, "..", "shared", "hub");
  return existsSync(fallback) ? [fallback] : [];
}

export class HubFileNotFoundError extends Error {
  constructor(
    readonly request: HubFileRequest,
    readonly placesLooked: string[],
    fix: string,
  ) {
    super(
      `${request.repoType ?? "model"} repo "${request.repo}" has no file "${request.file}" in any place looked:\n` +
        placesLooked.map((p) => `  - ${p}`).join("\n") +
        `\n${fix}`,
    );
    this.name = "HubFileNotFoundError";
  }
}

/** Local path of a Hub file: mirror -> cache -> download. Throws HubFileNotFoundError naming every place. */
export async function hfHubFile(request: HubFileRequest): Promise<string> {
  const kind = request.repoType === "dataset" ? "datasets" : "models";
  const looked: string[] = [];
  for (const dir of mirrorDirs()) {
    const candidate = join(dir, kind, request.repo, request.file);
    looked.push(candidate);
    if (existsSync(candidate)) return candidate;
  }
  throw new HubFileNotFoundError(request, looked, "Set KIT_HUB_MIRROR to a folder laid out as models/<repo>/<file>.");
}

/**
 * A file of a pretrained checkpoint given as a local directory or a Hub repo id, like transformers'
 * `from_pretrained(pathOrRepo)`. With `optional`, a missing file gives null instead of an error.
 */
export async function resolvePretrainedFile(
  repoOrDir: string,
  file: string,
  options: { optional?: boolean } = {},
): Promise<string | null> {
  if (existsSync(repoOrDir) && statSync(repoOrDir).isDirectory()) {
    const candidate = join(repoOrDir, file);
    if (existsSync(candidate)) return candidate;
    if (options.optional) return null;
    throw new HubFileNotFoundError({ repo: repoOrDir, file }, [candidate], `The directory "${repoOrDir}" has no "${file}".`);
  }
  try {
    return await hfHubFile({ repo: repoOrDir, file, repoType: "model" });
  } catch (err) {
    if (options.optional && err instanceof HubFileNotFoundError) return null;
    throw err;
  }
}
