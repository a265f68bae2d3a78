// Errors of the resolver. Each names the repo, the file, every place looked in and the fix (DESIGN.md §4:
// nothing falls back silently).
import type { HubFileRequest } from "./types";

/**
 * Why a file could not be had: absent on the Hub (404), gated or private (401/403), the download not
 * attempted (HF_HUB_OFFLINE), or the Hub not reachable (no network, DNS, timeout before any byte).
 */
export type HubMissReason = "not-found" | "gated" | "offline" | "unreachable" | "local";

const HEADLINES: Record<HubMissReason, (r: HubFileRequest) => string> = {
  "not-found": (r) => `the Hub has no file "${r.file}" in ${describeRepo(r)}`,
  gated: (r) => `access to "${r.file}" in ${describeRepo(r)} was refused (gated or private repo)`,
  offline: (r) => `it is not stored locally for ${describeRepo(r)} and HF_HUB_OFFLINE=1 prevented the download`,
  unreachable: (r) => `it is not stored locally for ${describeRepo(r)} and the Hub could not be reached`,
  local: (r) => `the folder "${r.repo}" has no file "${r.file}"`,
};

function describeRepo(request: HubFileRequest): string {
  const revision = request.revision !== undefined && request.revision !== "main" ? ` at revision "${request.revision}"` : "";
  return `${request.repoType ?? "model"} repo "${request.repo}"${revision}`;
}

/**
 * The file is in none of the places looked. `optional` lookups (resolvePretrainedFile) turn this error, and
 * only this one, into null: like transformers, an unreachable Hub means "not available" for an optional file.
 */
export class HubFileNotFoundError extends Error {
  constructor(
    readonly request: HubFileRequest,
    readonly placesLooked: string[],
    fix: string,
    readonly reason: HubMissReason = "not-found",
  ) {
    super(
      `Cannot get "${request.file}": ${HEADLINES[reason](request)}.\nPlaces looked in:\n` +
        placesLooked.map((p) => `  - ${p}`).join("\n") +
        `\n${fix}`,
    );
    this.name = "HubFileNotFoundError";
  }
}

/** The Hub answered but the file could not be downloaded whole (HTTP error, connection cut, size mismatch). */
export class HubDownloadError extends Error {
  constructor(
    readonly request: HubFileRequest,
    readonly url: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Download of "${request.file}" from ${request.repoType ?? "model"} repo "${request.repo}" failed: ${detail}\n` +
        `  URL: ${url}\n` +
        `Nothing was written to the cache; run again to retry, or put the file in a mirror folder (KIT_HUB_MIRROR).`,
      options,
    );
    this.name = "HubDownloadError";
  }
}
