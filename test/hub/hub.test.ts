// The resolver against a local Hub-shaped server. The expected cache layout is Python huggingface_hub's
// (DESIGN.md §5): <cache>/models--org--name/{refs/main, blobs/<etag>, snapshots/<commit>/<file> -> relative
// symlink to the blob}.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, lstatSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HubDownloadError, HubFileNotFoundError, hfHubFile, hubCacheDir, resolvePretrainedFile } from "../../src/hub";
import { COMMIT, FakeHub, gitBlobSha1, sha256 } from "./fake-hub";

const hub = new FakeHub();
const savedEnv = { ...process.env };
let cache = "";
let scratch = "";

function bytes(n: number, seed = 7): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Every file under dir, relative, hidden ones included. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = join(d, name);
      if (lstatSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else out.push(`${prefix}${name}`);
    }
  };
  walk(dir, "");
  return out.sort();
}

async function expectMiss(promise: Promise<unknown>): Promise<HubFileNotFoundError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HubFileNotFoundError);
  return err as HubFileNotFoundError;
}

async function expectDownloadError(promise: Promise<unknown>): Promise<HubDownloadError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HubDownloadError);
  return err as HubDownloadError;
}

const CONFIG = Buffer.from(JSON.stringify({ model_type: "bert", hidden_size: 128 }));
const WEIGHTS = bytes(300_000);
const PARQUET = bytes(5_000, 11);

beforeAll(async () => {
  await hub.start();
  hub.add("/org/tiny/resolve/main/config.json", { content: CONFIG });
  hub.add("/org/tiny/resolve/main/model.safetensors", { content: WEIGHTS, lfs: true });
  hub.add("/datasets/nyu-mll/glue/resolve/main/mrpc/train-00000-of-00001.parquet", { content: PARQUET });
  hub.add("/org/cut/resolve/main/model.safetensors", { content: bytes(200_000), fault: { kind: "cut", afterBytes: 100_000 } });
  hub.add("/org/stall/resolve/main/model.safetensors", { content: bytes(200_000), fault: { kind: "stall", afterBytes: 1_000 } });
  hub.add("/org/gated/resolve/main/config.json", { content: CONFIG, fault: { kind: "status", status: 401, errorCode: "GatedRepo" } });
  hub.add("/org/broken/resolve/main/config.json", { content: CONFIG, fault: { kind: "status", status: 500 } });
  hub.add("/org/plain/resolve/main/vocab.txt", { content: Buffer.from("[PAD]\n[UNK]\n"), fault: { kind: "no-etag" } });
});

afterAll(async () => {
  await hub.stop();
});

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), "kit-hub-"));
  cache = join(scratch, "cache");
  for (const key of ["HF_HUB_OFFLINE", "HF_TOKEN", "HF_HOME", "HUGGINGFACE_HUB_CACHE", "HF_HUB_DOWNLOAD_TIMEOUT", "XDG_CACHE_HOME"]) {
    delete process.env[key];
  }
  process.env.HF_ENDPOINT = hub.origin;
  process.env.HF_HUB_CACHE = cache;
  process.env.KIT_HUB_MIRROR = "";
  hub.requests.length = 0;
});

afterEach(() => {
  process.env = { ...savedEnv };
  rmSync(scratch, { recursive: true, force: true });
});

describe("mirror tier", () => {
  it("serves a mirror file without any request", async () => {
    const mirror = join(scratch, "mirror");
    const file = join(mirror, "models", "org", "tiny", "config.json");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "{}");
    process.env.KIT_HUB_MIRROR = `${join(scratch, "empty-mirror")}:${mirror}`;
    expect(await hfHubFile({ repo: "org/tiny", file: "config.json" })).toBe(file);
    expect(hub.requests).toHaveLength(0);
  });

  it("reads datasets/<repo>/<file> for a dataset repo", async () => {
    const mirror = join(scratch, "mirror");
    const file = join(mirror, "datasets", "nyu-mll", "glue", "mrpc", "train-00000-of-00001.parquet");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "x");
    process.env.KIT_HUB_MIRROR = mirror;
    const path = await hfHubFile({ repo: "nyu-mll/glue", file: "mrpc/train-00000-of-00001.parquet", repoType: "dataset" });
    expect(path).toBe(file);
    expect(hub.requests).toHaveLength(0);
  });
});

describe("download and cache tiers", () => {
  it("downloads into huggingface_hub's layout: refs/main, blobs/<etag>, snapshot symlink", async () => {
    const path = await hfHubFile({ repo: "org/tiny", file: "config.json" });
    const storage = join(cache, "models--org--tiny");
    const etag = gitBlobSha1(CONFIG);
    expect(path).toBe(join(storage, "snapshots", COMMIT, "config.json"));
    expect(readFileSync(path).equals(CONFIG)).toBe(true);
    expect(readFileSync(join(storage, "refs", "main"), "utf8")).toBe(COMMIT);
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path)).toBe(join("..", "..", "blobs", etag));
    expect(listFiles(storage)).toEqual(["blobs/" + etag, "refs/main", `snapshots/${COMMIT}/config.json`]);
    expect(hub.requests.map((r) => r.url)).toEqual(["/org/tiny/resolve/main/config.json"]);
  });

  it("serves the second call from the cache without a request", async () => {
    const first = await hfHubFile({ repo: "org/tiny", file: "config.json" });
    const count = hub.requests.length;
    const second = await hfHubFile({ repo: "org/tiny", file: "config.json" });
    expect(second).toBe(first);
    expect(hub.requests).toHaveLength(count);
  });

  it("finds a file laid out by Python huggingface_hub, by branch and by commit", async () => {
    const storage = join(cache, "models--bert-base-uncased");
    const commit = "86b5e0934494bd15c9632b12f734a8a67f723594";
    mkdirSync(join(storage, "blobs"), { recursive: true });
    mkdirSync(join(storage, "refs"), { recursive: true });
    mkdirSync(join(storage, "snapshots", commit), { recursive: true });
    writeFileSync(join(storage, "blobs", "45a2321a7ecfdaaf60a6c1fd7f5463994cc8907d"), '{"a":1}');
    writeFileSync(join(storage, "refs", "main"), commit);
    symlinkSync("../../blobs/45a2321a7ecfdaaf60a6c1fd7f5463994cc8907d", join(storage, "snapshots", commit, "config.json"));
    const expected = join(storage, "snapshots", commit, "config.json");
    expect(await hfHubFile({ repo: "bert-base-uncased", file: "config.json" })).toBe(expected);
    expect(await hfHubFile({ repo: "bert-base-uncased", file: "config.json", revision: commit })).toBe(expected);
    expect(hub.requests).toHaveLength(0);
  });

  it("follows the LFS redirect: blob named by X-Linked-Etag, token sent to the Hub only", async () => {
    process.env.HF_TOKEN = "hf_test_token";
    const path = await hfHubFile({ repo: "org/tiny", file: "model.safetensors" });
    expect(readFileSync(path).equals(WEIGHTS)).toBe(true);
    expect(readlinkSync(path)).toBe(join("..", "..", "blobs", sha256(WEIGHTS)));
    expect(hub.requests).toHaveLength(2);
    expect(hub.requests[0]!.authorization).toBe("Bearer hf_test_token");
    expect(hub.requests[1]!.url).toBe(`/lfs/${sha256(WEIGHTS)}`);
    expect(hub.requests[1]!.authorization).toBeUndefined();
  });

  it("downloads a dataset file under datasets--org--name with nested path", async () => {
    const path = await hfHubFile({ repo: "nyu-mll/glue", file: "mrpc/train-00000-of-00001.parquet", repoType: "dataset" });
    const storage = join(cache, "datasets--nyu-mll--glue");
    expect(path).toBe(join(storage, "snapshots", COMMIT, "mrpc", "train-00000-of-00001.parquet"));
    expect(readFileSync(path).equals(PARQUET)).toBe(true);
    expect(readlinkSync(path)).toBe(join("..", "..", "..", "blobs", gitBlobSha1(PARQUET)));
    expect(hub.requests[0]!.url).toBe("/datasets/nyu-mll/glue/resolve/main/mrpc/train-00000-of-00001.parquet");
  });

  it("names a blob by the content's sha256 when the server sends no etag", async () => {
    const path = await hfHubFile({ repo: "org/plain", file: "vocab.txt" });
    expect(readlinkSync(path)).toBe(join("..", "..", "blobs", sha256(Buffer.from("[PAD]\n[UNK]\n"))));
  });

  it("shows a byte progress bar for files over the threshold", async () => {
    const chunks: string[] = [];
    const stream = { isTTY: false, write: (s: string) => chunks.push(s) };
    await hfHubFile({ repo: "org/tiny", file: "model.safetensors" }, { progress: stream, progressThreshold: 100_000 });
    const text = chunks.join("");
    expect(text).toContain("Downloading model.safetensors:");
    expect(text).toContain("100%|██████████| 300k/300k");
    const small: string[] = [];
    await hfHubFile({ repo: "org/tiny", file: "config.json" }, { progress: { write: (s: string) => small.push(s) }, progressThreshold: 100_000 });
    expect(small).toHaveLength(0);
  });

  it("uses HF_HOME/hub when HF_HUB_CACHE is unset", () => {
    delete process.env.HF_HUB_CACHE;
    process.env.HF_HOME = join(scratch, "hf-home");
    expect(hubCacheDir()).toBe(join(scratch, "hf-home", "hub"));
  });
});

describe("failures", () => {
  it("a 404 names the repo, the file and every place looked in", async () => {
    const mirror = join(scratch, "mirror");
    process.env.KIT_HUB_MIRROR = mirror;
    const err = await expectMiss(hfHubFile({ repo: "org/tiny", file: "missing.json" }));
    expect(err.reason).toBe("not-found");
    expect(err.message).toContain('"org/tiny"');
    expect(err.message).toContain('"missing.json"');
    expect(err.message).toContain(join(mirror, "models", "org", "tiny", "missing.json"));
    expect(err.message).toContain(join(cache, "models--org--tiny", "refs", "main"));
    expect(err.message).toContain(`${hub.origin}/org/tiny/resolve/main/missing.json`);
    expect(err.message).toContain("EntryNotFound");
    expect(err.message).toContain("KIT_HUB_MIRROR");
    expect(err.placesLooked).toHaveLength(3);
    expect(listFiles(cache)).toEqual([]);
  });

  it("a gated repo (401) says HF_TOKEN is needed", async () => {
    const err = await expectMiss(hfHubFile({ repo: "org/gated", file: "config.json" }));
    expect(err.reason).toBe("gated");
    expect(err.message).toContain("HF_TOKEN");
    expect(err.message).toContain("GatedRepo");
  });

  it("a connection cut mid-file leaves nothing in blobs/ or snapshots/ and no temp file", async () => {
    const err = await expectDownloadError(hfHubFile({ repo: "org/cut", file: "model.safetensors" }, { progress: false }));
    expect(err.message).toContain("org/cut");
    expect(err.message).toContain("of 200000 bytes");
    expect(listFiles(join(cache, "models--org--cut"))).toEqual([]);
    // and the next attempt starts clean rather than finding a half file
    const again = await expectDownloadError(hfHubFile({ repo: "org/cut", file: "model.safetensors" }, { progress: false }));
    expect(again).toBeInstanceOf(HubDownloadError);
    expect(listFiles(join(cache, "models--org--cut"))).toEqual([]);
  });

  it("a stalled download times out (HF_HUB_DOWNLOAD_TIMEOUT) and cleans up", async () => {
    process.env.HF_HUB_DOWNLOAD_TIMEOUT = "0.3";
    const err = await expectDownloadError(hfHubFile({ repo: "org/stall", file: "model.safetensors" }, { progress: false }));
    expect(err.message).toContain("HF_HUB_DOWNLOAD_TIMEOUT");
    expect(listFiles(join(cache, "models--org--stall"))).toEqual([]);
  });

  it("a server error is a HubDownloadError naming the status and URL", async () => {
    const err = await expectDownloadError(hfHubFile({ repo: "org/broken", file: "config.json" }));
    expect(err.message).toContain("HTTP 500");
    expect(err.message).toContain(`${hub.origin}/org/broken/resolve/main/config.json`);
  });

  it("offline mode makes no request, says why, and still serves cached files", async () => {
    await hfHubFile({ repo: "org/tiny", file: "config.json" });
    const count = hub.requests.length;
    process.env.HF_HUB_OFFLINE = "1";
    const cached = await hfHubFile({ repo: "org/tiny", file: "config.json" });
    expect(readFileSync(cached).equals(CONFIG)).toBe(true);
    const err = await expectMiss(hfHubFile({ repo: "org/tiny", file: "model.safetensors" }));
    expect(err.reason).toBe("offline");
    expect(err.message).toContain("HF_HUB_OFFLINE=1");
    expect(err.message).toContain(join(cache, "models--org--tiny", "snapshots", COMMIT, "model.safetensors"));
    expect(err.message).toContain(`${hub.origin}/org/tiny/resolve/main/model.safetensors`);
    expect(hub.requests).toHaveLength(count);
  });

  it("an unreachable Hub is a HubFileNotFoundError (null for optional files)", async () => {
    // a port that was free a moment ago: nothing listens there
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    process.env.HF_ENDPOINT = `http://127.0.0.1:${port}`;
    const err = await expectMiss(hfHubFile({ repo: "org/tiny", file: "config.json" }));
    expect(err.reason).toBe("unreachable");
    expect(err.message).toContain("ECONNREFUSED");
    expect(await resolvePretrainedFile("org/tiny", "added_tokens.json", { optional: true })).toBeNull();
  });

  it("refuses paths that would escape the cache", async () => {
    await expect(hfHubFile({ repo: "org/tiny", file: "../../etc/passwd" })).rejects.toThrow(/relative path inside the repo/);
    await expect(hfHubFile({ repo: "../org", file: "config.json" })).rejects.toThrow(/Invalid Hub repo id/);
  });
});

describe("resolvePretrainedFile", () => {
  it("reads a local checkpoint folder, null for a missing optional file, an error otherwise", async () => {
    const dir = join(scratch, "checkpoint");
    mkdirSync(dir);
    writeFileSync(join(dir, "config.json"), "{}");
    expect(await resolvePretrainedFile(dir, "config.json")).toBe(join(dir, "config.json"));
    expect(await resolvePretrainedFile(dir, "tokenizer.json", { optional: true })).toBeNull();
    const err = await expectMiss(resolvePretrainedFile(dir, "model.safetensors"));
    expect(err.message).toContain(join(dir, "model.safetensors"));
    expect(hub.requests).toHaveLength(0);
  });

  it("falls through to the Hub for a repo id", async () => {
    const path = await resolvePretrainedFile("org/tiny", "config.json");
    expect(path).not.toBeNull();
    expect(readFileSync(path!).equals(CONFIG)).toBe(true);
    expect(await resolvePretrainedFile("org/tiny", "missing.json", { optional: true })).toBeNull();
  });
});
