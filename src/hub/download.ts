// Tier 3: download from the Hub (or any server laid out like it, HF_ENDPOINT) into the cache.
//
// Why not @huggingface/hub's downloadFileToCacheDir (v2.17): it asks the JSON API (paths-info) before
// every download, so a plain file server or mirror endpoint cannot serve it and a cached file still costs a
// request; it never writes refs/<revision>, so Python cannot find by "main" what it downloaded; it has no
// offline mode, no progress, does not check the size against Content-Length and leaves its
// "<blob>.incomplete" behind when the connection drops. The protocol below is huggingface_hub's own
// (resolve URL, X-Repo-Commit, X-Linked-Etag, relative redirects followed, CDN redirect downloaded without
// the token), written on Node's fetch.
import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { tqdm, type ProgressBar, type ProgressStream } from "../utils/progress";
import { commitBlob, linkSnapshot, lookupCache, normalizeEtag, tempBlobPath, writeRef } from "./cache";
import { HubDownloadError, type HubMissReason } from "./errors";
import { DEFAULT_REVISION, repoKind, type HubFileRequest } from "./types";

/** Files at least this large get a progress bar (huggingface_hub shows one for every file; 10 MB keeps logs quiet). */
export const PROGRESS_THRESHOLD_BYTES = 10 * 1024 * 1024;
const MAX_REDIRECTS = 10;

export type DownloadOptions = {
  /** Where the progress bar goes (process.stderr by default); false for none. */
  progress?: ProgressStream | false;
  /** Smallest size, in bytes, that gets a progress bar. */
  progressThreshold?: number;
};

export type DownloadOutcome =
  | { kind: "downloaded"; path: string }
  /** The Hub said no (404, 401, 403) or could not be reached: the caller names every place looked in. */
  | { kind: "miss"; reason: HubMissReason; detail: string };

/** HF_ENDPOINT without its trailing slash, default https://huggingface.co (huggingface_hub.constants.ENDPOINT). */
export function hubEndpoint(): string {
  const env = (process.env.HF_ENDPOINT ?? "").replace(/\/+$/, "");
  return env.length > 0 ? env : "https://huggingface.co";
}

/** `${endpoint}/[datasets/]<repo>/resolve/<revision>/<file>`, revision and path segments percent-encoded. */
export function hubFileUrl(request: HubFileRequest): string {
  const prefix = repoKind(request) === "datasets" ? "datasets/" : "";
  const revision = encodeURIComponent(request.revision ?? DEFAULT_REVISION);
  const file = request.file.split("/").map(encodeURIComponent).join("/");
  return `${hubEndpoint()}/${prefix}${request.repo}/resolve/${revision}/${file}`;
}

const TRUE_VALUES = new Set(["1", "ON", "YES", "TRUE"]);

/** HF_HUB_OFFLINE as huggingface_hub reads it (1/ON/YES/TRUE, any case). */
export function isOffline(): boolean {
  return TRUE_VALUES.has((process.env.HF_HUB_OFFLINE ?? "").toUpperCase());
}

function progressDisabled(): boolean {
  return TRUE_VALUES.has((process.env.HF_HUB_DISABLE_PROGRESS_BARS ?? "").toUpperCase());
}

/** Seconds without a byte before giving up: HF_HUB_DOWNLOAD_TIMEOUT, 10 by default as in huggingface_hub. */
function idleTimeoutMs(): number {
  const seconds = Number(process.env.HF_HUB_DOWNLOAD_TIMEOUT ?? "10");
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 10) * 1000;
}

/** Aborts the request when no progress is made for a while; every received chunk pushes the deadline. */
class IdleTimeout {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  fired = false;
  constructor(readonly ms: number) {
    this.touch();
  }
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error(`no data received for ${this.ms / 1000} s`));
    }, this.ms);
  }
  clear(): void {
    clearTimeout(this.timer);
  }
}

function describeFetchError(err: unknown, timeout: IdleTimeout): string {
  if (timeout.fired) return `no answer within ${timeout.ms / 1000} s (HF_HUB_DOWNLOAD_TIMEOUT)`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  const message = err instanceof Error ? err.message : String(err);
  return detail !== undefined ? `${message} (${detail})` : message;
}

type Metadata = { commit: string; etag: string | undefined; linkedSize: number | undefined };

function readMetadata(response: Response, revision: string): Metadata {
  const etag = response.headers.get("x-linked-etag") ?? response.headers.get("etag");
  const size = Number(response.headers.get("x-linked-size") ?? NaN);
  return {
    commit: response.headers.get("x-repo-commit") ?? revision,
    etag: etag !== null && normalizeEtag(etag).length > 0 ? normalizeEtag(etag) : undefined,
    linkedSize: Number.isFinite(size) ? size : undefined,
  };
}

function missFromStatus(response: Response): { reason: HubMissReason; detail: string } | null {
  const code = response.headers.get("x-error-code");
  const message = response.headers.get("x-error-message");
  const said = [code, message].filter((v) => v !== null).join(": ");
  const suffix = said.length > 0 ? ` (${said})` : "";
  if (response.status === 404) return { reason: "not-found", detail: `HTTP 404${suffix}` };
  if (response.status === 401 || response.status === 403) {
    const token = process.env.HF_TOKEN ? "HF_TOKEN is set but was refused" : "HF_TOKEN is not set";
    return { reason: "gated", detail: `HTTP ${response.status}${suffix}; ${token}` };
  }
  return null;
}

/**
 * GET the resolve URL, following same-host (relative) redirects such as renamed repos, and taking the
 * metadata from the last Hub answer. A redirect to another host (the LFS CDN) carries X-Linked-Etag and
 * X-Repo-Commit itself; the content is fetched from there without the Authorization header.
 */
async function openDownload(
  request: HubFileRequest,
  url: string,
  timeout: IdleTimeout,
): Promise<{ response: Response; metadata: Metadata } | { miss: { reason: HubMissReason; detail: string } }> {
  const revision = request.revision ?? DEFAULT_REVISION;
  const headers: Record<string, string> = {
    // Content-Length must be the byte count on disk, so no transparent compression.
    "accept-encoding": "identity",
    "user-agent": "full-training-kit/0.1 (hf_hub-compatible; node)",
  };
  if (process.env.HF_TOKEN) headers.authorization = `Bearer ${process.env.HF_TOKEN}`;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await fetch(current, { headers, redirect: "manual", signal: timeout.controller.signal });
    const miss = missFromStatus(response);
    if (miss !== null) {
      await response.body?.cancel();
      return { miss };
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, current);
      if (next.origin === new URL(current).origin) {
        current = next.href;
        continue;
      }
      const metadata = readMetadata(response, revision);
      const cdn = await fetch(next.href, {
        headers: { "accept-encoding": "identity", "user-agent": headers["user-agent"]! },
        redirect: "follow",
        signal: timeout.controller.signal,
      });
      if (!cdn.ok) {
        await cdn.body?.cancel();
        throw new HubDownloadError(request, url, `the file's storage answered HTTP ${cdn.status} at ${next.origin}`);
      }
      return { response: cdn, metadata };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new HubDownloadError(request, url, `HTTP ${response.status} ${response.statusText}`);
    }
    return { response, metadata: readMetadata(response, revision) };
  }
  throw new HubDownloadError(request, url, `more than ${MAX_REDIRECTS} redirects`);
}

function expectedSize(response: Response, metadata: Metadata): number | undefined {
  const encoding = response.headers.get("content-encoding");
  const length = Number(response.headers.get("content-length") ?? NaN);
  if (Number.isFinite(length) && (encoding === null || encoding === "identity")) return length;
  return metadata.linkedSize;
}

function progressBar(request: HubFileRequest, total: number | undefined, options: DownloadOptions): ProgressBar | undefined {
  if (options.progress === false || progressDisabled()) return undefined;
  if (total === undefined || total < (options.progressThreshold ?? PROGRESS_THRESHOLD_BYTES)) return undefined;
  const name = request.file.length > 40 ? `(…)${request.file.slice(-40)}` : request.file;
  return tqdm(total, { unit: "B", desc: `Downloading ${name}`, stream: options.progress ?? process.stderr });
}

/**
 * Download the file into the cache and return its snapshot path. The bytes go to a temp file in blobs/,
 * fsynced and renamed to blobs/<etag> only once complete and of the announced size; on any failure the
 * temp file is removed, so the cache never holds a partial file.
 */
export async function downloadToCache(request: HubFileRequest, options: DownloadOptions = {}): Promise<DownloadOutcome> {
  const url = hubFileUrl(request);
  const timeout = new IdleTimeout(idleTimeoutMs());
  try {
    let opened: Awaited<ReturnType<typeof openDownload>>;
    try {
      opened = await openDownload(request, url, timeout);
    } catch (err) {
      if (err instanceof HubDownloadError) throw err;
      return { kind: "miss", reason: "unreachable", detail: describeFetchError(err, timeout) };
    }
    if ("miss" in opened) return { kind: "miss", ...opened.miss };
    const { response, metadata } = opened;

    // The revision may resolve to a commit already cached (another branch, or a file downloaded by Python).
    const already = lookupCache({ ...request, revision: metadata.commit });
    if (already.path !== null) {
      await response.body?.cancel();
      await writeRef(request, metadata.commit);
      return { kind: "downloaded", path: already.path };
    }

    const total = expectedSize(response, metadata);
    const temp = await tempBlobPath(request);
    const bar = progressBar(request, total, options);
    const hash = createHash("sha256");
    let received = 0;
    try {
      const handle = await open(temp, "wx");
      try {
        if (response.body !== null) {
          // Node's web stream is async-iterable at run time; its lib typing says so only with DOM.AsyncIterable.
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
            timeout.touch();
            const bytes = chunk as Uint8Array;
            await handle.write(bytes);
            if (metadata.etag === undefined) hash.update(bytes);
            received += bytes.byteLength;
            bar?.update(bytes.byteLength);
          }
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (total !== undefined && received !== total) {
        throw new HubDownloadError(request, url, `received ${received} bytes, the server announced ${total}`);
      }
      // A server that sends no etag (a plain static server) still gets a stable, content-derived blob name.
      const etag = metadata.etag ?? hash.digest("hex");
      const blob = await commitBlob(temp, request, etag);
      const pointer = await linkSnapshot(request, metadata.commit, blob);
      await writeRef(request, metadata.commit);
      return { kind: "downloaded", path: pointer };
    } catch (err) {
      await rm(temp, { force: true });
      if (err instanceof HubDownloadError) throw err;
      const expected = total !== undefined ? ` of ${total}` : "";
      throw new HubDownloadError(
        request,
        url,
        `${describeFetchError(err, timeout)} after ${received}${expected} bytes`,
        { cause: err },
      );
    } finally {
      bar?.close();
    }
  } finally {
    timeout.clear();
  }
}
