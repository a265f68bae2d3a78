// `kit train --preset all-minilm-l6-v2`, and `npm start` (chapters/tutorial.ts, whose default preset it is), on a
// machine where the checkpoint is nowhere: offline, an empty
// Hugging Face cache, and a mirror folder that holds GLUE (so that the data is not what is missing) but no
// model. One message, no stack trace, exit 1, naming every place looked in and each way to get the files.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { HUB_MIRROR } from "../helpers/shared";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const COMMANDS: [string, string[]][] = [
  ["kit train --preset all-minilm-l6-v2", [join(ROOT, "bin", "kit.mjs"), "train", "--preset", "all-minilm-l6-v2"]],
  ["npm start (chapters/tutorial.ts)", ["--import", TSX, join(ROOT, "chapters", "tutorial.ts")]],
];
const base = mkdtempSync(join(tmpdir(), "kit-offline-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("the pretrained preset with its files nowhere", () => {
  it.each(COMMANDS)("%s fails with one clear message naming the places looked in and the fixes", (_name, argv) => {
    const root = mkdtempSync(join(base, "case-"));
    const cache = join(root, "empty-cache");
    const mirror = join(root, "mirror-without-models");
    mkdirSync(cache);
    mkdirSync(mirror);
    symlinkSync(join(HUB_MIRROR, "datasets"), join(mirror, "datasets"));
    const out = join(root, "run");
    const r = spawnSync(process.execPath, [...argv, "--output-dir", out], {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, HF_HUB_OFFLINE: "1", HF_HUB_CACHE: cache, KIT_HUB_MIRROR: mirror, KIT_DEBUG: "" },
    });
    expect(r.status).toBe(1);
    const err = r.stderr;
    expect(err).toContain('error: Preset "all-minilm-l6-v2" needs the files of sentence-transformers/all-MiniLM-L6-v2');
    // The places looked in, each named with its path.
    expect(err).toContain(`mirror: ${join(mirror, "models", "sentence-transformers", "all-MiniLM-L6-v2")}/`);
    expect(err).toContain(`cache: ${join(cache, "models--sentence-transformers--all-MiniLM-L6-v2")}`);
    expect(err).toContain("Hub: https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/");
    expect(err).toContain("HF_HUB_OFFLINE=1");
    // The fixes.
    expect(err).toContain("npm run fetch-model");
    expect(err).toContain("<mirror>/models/sentence-transformers/all-MiniLM-L6-v2/");
    expect(err).toContain("go online");
    // One message, no stack trace, nothing written.
    expect(err.match(/error:/g)).toHaveLength(1);
    expect(err).not.toMatch(/^\s+at /m);
    expect(readdirSync(cache)).toEqual([]);
    expect(readdirSync(root)).not.toContain("run");
  });
});
