// Tier 2: the Hugging Face cache, in the layout and with the environment variables of Python's
// huggingface_hub, so that a file downloaded by transformers is found here and the other way round:
//   <cache>/models--org--name/refs/<revision>           the commit hash the revision pointed to
//   <cache>/models--org--name/blobs/<etag>               the content
//   <cache>/models--org--name/snapshots/<commit>/<file>  a relative symlink to ../../blobs/<etag>
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { copyFile, mkdir, open, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { isFile } from "./mirror";
import { DEFAULT_REVISION, repoKind, type HubFileRequest } from "./types";

const COMMIT_HASH = /^[0-9a-f]{40}$/;

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}

/** huggingface_hub.constants.HF_HUB_CACHE: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub. */
export function hubCacheDir(): string {
  const env = process.env;
  const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v.length > 0 ? v : undefined);
  const explicit = nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE);
  if (explicit !== undefined) return expandHome(explicit);
  const hfHome = nonEmpty(env.HF_HOME) ?? join(nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), ".cache"), "huggingface");
  return join(expandHome(hfHome), "hub");
}

/** "models--bert-base-uncased", "datasets--nyu-mll--glue" (huggingface_hub's repo_folder_name). */
export function repoFolderName(request: HubFileRequest): string {
  return [repoKind(request), ...request.repo.split("/")].join("--");
}

export function repoCacheDir(request: HubFileRequest): string {
  return join(hubCacheDir(), repoFolderName(request));
}

export type CacheLookup = {
  /** The snapshot file, when it is there and its blob too. */
  path: string | null;
  /** What was looked at, for error messages: the snapshot path, or the missing ref. */
  looked: string;
};

/** The cached file for the request's revision, without any network access (huggingface_hub's try_to_load_from_cache). */
export function lookupCache(request: HubFileRequest): CacheLookup {
  const storage = repoCacheDir(request);
  const revision = request.revision ?? DEFAULT_REVISION;
  let commit = revision;
  if (!COMMIT_HASH.test(revision)) {
    const refPath = join(storage, "refs", revision);
    try {
      commit = readFileSyncTrim(refPath);
    } catch {
      // No ref: a snapshot named after the revision itself is what we write when the Hub sent no
      // commit header; otherwise the file is not cached.
      const byName = join(storage, "snapshots", revision, request.file);
      if (isFile(byName)) return { path: byName, looked: byName };
      return { path: null, looked: `${refPath} (no such ref, so no snapshot for "${revision}")` };
    }
  }
  const snapshot = join(storage, "snapshots", commit, request.file);
  // isFile follows the symlink: a snapshot link whose blob is gone counts as missing.
  return { path: isFile(snapshot) ? snapshot : null, looked: snapshot };
}

function readFileSyncTrim(path: string): string {
  return readFileSync(path, "utf8").trim();
}

/** Normalised etag, as huggingface_hub stores blobs: no weak prefix, no quotes. */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

/** A temporary file inside the repo's blobs folder, so that the final rename stays on one filesystem. */
export async function tempBlobPath(request: HubFileRequest): Promise<string> {
  const blobs = join(repoCacheDir(request), "blobs");
  await mkdir(blobs, { recursive: true });
  return join(blobs, `.kit-${process.pid}-${randomUUID()}.incomplete`);
}

export function blobPath(request: HubFileRequest, etag: string): string {
  return join(repoCacheDir(request), "blobs", etag);
}

export function snapshotPath(request: HubFileRequest, commit: string): string {
  return join(repoCacheDir(request), "snapshots", commit, request.file);
}

/** Move a complete, fsynced temp file into blobs/<etag>. rename is atomic: readers see all or nothing. */
export async function commitBlob(tempPath: string, request: HubFileRequest, etag: string): Promise<string> {
  const blob = blobPath(request, etag);
  await rename(tempPath, blob);
  await syncDir(dirname(blob));
  return blob;
}

/**
 * Point snapshots/<commit>/<file> at the blob with a relative symlink, as huggingface_hub does; where
 * symlinks are refused (Windows without developer mode) copy the blob, as huggingface_hub does too.
 * The link is made under a temp name and renamed over, so concurrent processes never see a half state.
 */
export async function linkSnapshot(request: HubFileRequest, commit: string, blob: string): Promise<string> {
  const pointer = snapshotPath(request, commit);
  await mkdir(dirname(pointer), { recursive: true });
  const temp = `${pointer}.kit-${randomUUID()}.tmp`;
  try {
    await symlink(relative(dirname(pointer), blob), temp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") throw err;
    await copyFile(blob, temp);
  }
  try {
    await rename(temp, pointer);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return pointer;
}

/** refs/<revision> holds the commit hash, written only when the revision is a name (huggingface_hub does the same). */
export async function writeRef(request: HubFileRequest, commit: string): Promise<void> {
  const revision = request.revision ?? DEFAULT_REVISION;
  if (revision === commit) return;
  const refPath = join(repoCacheDir(request), "refs", revision);
  try {
    if ((await readFile(refPath, "utf8")).trim() === commit) return;
  } catch {
    // no ref yet
  }
  await mkdir(dirname(refPath), { recursive: true });
  const temp = `${refPath}.kit-${randomUUID()}.tmp`;
  await writeFile(temp, commit);
  await rename(temp, refPath);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable; not possible on every platform, hence best effort.
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // ignore
  }
}
