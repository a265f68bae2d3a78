// Hub file resolution (DESIGN.md §5): mirror folders -> Hugging Face cache -> download, unless offline.
// CONTRACT used by tokenizers, models and datasets: hfHubFile, resolvePretrainedFile, mirrorDirs,
// HubFileNotFoundError keep their signatures.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { lookupCache } from "./cache";
import { downloadToCache, hubFileUrl, isOffline, type DownloadOptions } from "./download";
import { HubFileNotFoundError } from "./errors";
import { isFile, mirrorCandidates } from "./mirror";
import { validateRequest, type HubFileRequest } from "./types";

export type { HubFileRequest, RepoType } from "./types";
export { HubDownloadError, HubFileNotFoundError, type HubMissReason } from "./errors";
export { mirrorDirs } from "./mirror";
export { hubCacheDir } from "./cache";
export type { DownloadOptions } from "./download";

const FIX =
  "Fix: check the repo id and file name; or put the file in a mirror folder laid out as models/<repo>/<file> " +
  "(datasets/<repo>/<file>) and list it in KIT_HUB_MIRROR; or download it once where the Hub is reachable " +
  "(HF_ENDPOINT, HF_TOKEN for gated repos) into the cache (HF_HUB_CACHE / HF_HOME).";
const OFFLINE_FIX =
  "Fix: unset HF_HUB_OFFLINE to download it, or put the file in a mirror folder (KIT_HUB_MIRROR) or in the cache (HF_HUB_CACHE / HF_HOME).";
const UNREACHABLE_FIX =
  "Fix: put the file in a mirror folder (KIT_HUB_MIRROR) or the cache (HF_HUB_CACHE / HF_HOME), point HF_ENDPOINT " +
  "at a reachable server, or set HF_HUB_OFFLINE=1 to skip the download attempt.";
const GATED_FIX =
  "Fix: accept the repo's terms on the Hub and set HF_TOKEN to a token with access; or put the file in a mirror " +
  "folder (KIT_HUB_MIRROR).";

/**
 * Local path of a Hub file: each mirror folder, then the Hugging Face cache, then a download into that
 * cache (unless HF_HUB_OFFLINE=1). A cached revision is served without asking the Hub whether the branch
 * moved (unlike huggingface_hub, which asks each time): runs stay reproducible and offline-safe.
 * Throws HubFileNotFoundError naming every place looked in; HubDownloadError when a download breaks.
 */
export async function hfHubFile(request: HubFileRequest, options: DownloadOptions = {}): Promise<string> {
  validateRequest(request);
  const looked: string[] = [];
  for (const candidate of mirrorCandidates(request)) {
    if (isFile(candidate)) return candidate;
    looked.push(`mirror: ${candidate}`);
  }
  const cached = lookupCache(request);
  if (cached.path !== null) return cached.path;
  looked.push(`cache: ${cached.looked}`);
  const url = hubFileUrl(request);
  if (isOffline()) {
    looked.push(`Hub: ${url} (not requested: HF_HUB_OFFLINE=1)`);
    throw new HubFileNotFoundError(request, looked, OFFLINE_FIX, "offline");
  }
  const outcome = await downloadToCache(request, options);
  if (outcome.kind === "downloaded") return outcome.path;
  looked.push(`Hub: ${url} (${outcome.detail})`);
  const fix = outcome.reason === "gated" ? GATED_FIX : outcome.reason === "unreachable" ? UNREACHABLE_FIX : FIX;
  throw new HubFileNotFoundError(request, looked, fix, outcome.reason);
}

/**
 * A file of a pretrained checkpoint given as a local directory or a Hub repo id, like transformers'
 * `from_pretrained(pathOrRepo)`. With `optional`, a missing file gives null instead of an error (also
 * when the Hub is unreachable, as transformers does for optional files); a broken download still throws.
 */
export async function resolvePretrainedFile(
  repoOrDir: string,
  file: string,
  options: { optional?: boolean } = {},
): Promise<string | null> {
  if (existsSync(repoOrDir) && statSync(repoOrDir).isDirectory()) {
    const candidate = join(repoOrDir, file);
    if (isFile(candidate)) return candidate;
    if (options.optional) return null;
    throw new HubFileNotFoundError(
      { repo: repoOrDir, file },
      [`local folder: ${candidate}`],
      `Fix: save the checkpoint with its "${file}" into "${repoOrDir}", or pass a Hub repo id instead of a folder.`,
      "local",
    );
  }
  try {
    return await hfHubFile({ repo: repoOrDir, file, repoType: "model" });
  } catch (err) {
    if (options.optional && err instanceof HubFileNotFoundError) return null;
    throw err;
  }
}
